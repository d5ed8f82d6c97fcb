/* engines: execution engines and host probing. This version has the host
 * probe; the engines themselves arrive with the container issues. */
#ifndef UD_ENGINES_H
#define UD_ENGINES_H

#include "common/common.h"

struct ud_host_probe {
	bool userns;	  /* an unprivileged user namespace can be created */
	char *userns_why; /* reason when not */
	bool ptrace;	  /* ptrace of own children is allowed (yama scope < 3) */
	char *ptrace_why;
	bool seccomp;	/* the kernel supports seccomp filters */
	char *tools[8]; /* found external tools: absolute paths, NULL-terminated */
};

/* Probes this host. Never fails: facilities that cannot be checked are
 * reported absent with a reason. Release with ud_host_probe_release(). */
void ud_engines_probe_host(struct ud_host_probe *p);
void ud_host_probe_release(struct ud_host_probe *p);
/* Finds an executable on PATH; returns an allocated path or NULL. */
char *ud_engines_which(const char *name);

#endif
