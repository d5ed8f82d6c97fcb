/* udocker-tracer: the built-in PRoot-class engine, a small static program
 * (x86_64). It runs one command under ptrace and translates the paths of
 * file system calls into a container root, emulates identities, and can
 * run inside an R-mode container (root "/") for root emulation only.
 *
 * Command line (built by engines/ptrace.c and engines/r1.c):
 *   udocker-tracer [-2] [-0 | -i UID:GID] [-r ROOT] [-w GUESTDIR]
 *                  [-b HOST GUEST]... [-B HOST GUEST]... [-k RELEASE]
 *                  [-n HOSTNAME] [-p CPORT:HPORT]... -x GUESTPROGRAM -- ARGV...
 *   -2 traces every call (P2) instead of using a seccomp filter (P1);
 *   -B is a read-only bind. The program's environment is the tracer's.
 * Exit status: the command's; 128+N when it died of signal N; 125 when the
 * tracer could not start it. */
#ifndef UD_TRACER_H
#define UD_TRACER_H

#include "common/common.h"

#include <sys/user.h>

struct tr_bind {
	char *host, *guest;
	size_t host_len, guest_len;
	bool readonly;
};

struct tr_config {
	const char *root; /* container root on the host; "/" inside an R container */
	size_t root_len;
	bool translate; /* false when root is "/" and there are no binds */
	struct tr_bind *binds;
	size_t n_binds;
	bool any_readonly;
	bool fake_ids;	/* -0 or -i: identities emulated (identity.c) */
	bool fake_root; /* uid 0: ownership and identity changes succeed */
	uid_t uid;
	gid_t gid;
	const char *kernel;	    /* uname release, or NULL */
	const char *hostname;	    /* uname nodename, or NULL */
	unsigned short (*ports)[2]; /* {container, host} */
	size_t n_ports;
	bool seccomp;
};

/* The ids a traced process would have (identity.c). */
struct tr_ids {
	unsigned r, e, s, fs;	  /* uids */
	unsigned rg, eg, sg, fsg; /* gids */
	size_t n_groups;
	gid_t groups[64];
};

/* What the loop keeps per traced thread. */
struct tr_tracee {
	pid_t pid;
	bool in_syscall;   /* P2: toggles at each syscall stop */
	bool wait_exit;	   /* P1: a syscall-exit stop was asked for */
	bool expect_stop;  /* a new child whose first SIGSTOP is ours */
	bool held;	   /* a new child kept stopped until its parent's event */
	int deny_errno;	   /* the call was skipped: its result at exit */
	unsigned sock_len; /* getsockname & co.: the caller's buffer size */
	char *exe;	   /* guest path of the program it runs (/proc/PID/exe) */
	struct tr_ids ids; /* inherited at fork and clone */
};

/* ---- paths.c */

/* Maps a canonical guest path to the host (longest bind first). */
char *tr_to_host(const struct tr_config *c, const char *guest);
/* Host path -> guest path; NULL when outside the container. */
char *tr_to_guest(const struct tr_config *c, const char *host);
/* Resolves a guest path (absolute, or relative to guest cwd) component by
 * component inside the container, following symlinks there; /proc/self
 * names `self`. Returns the host path, or NULL (errno EACCES) when the
 * path goes through a /proc/PID link (cwd, root, exe, fd/N...) of a
 * process the tracer does not trace. */
char *tr_resolve(const struct tr_config *c, pid_t self, const char *cwd, const char *path,
		 bool follow_last);
/* The read-only bind a host path lies in, or NULL. */
const struct tr_bind *tr_readonly_bind(const struct tr_config *c, const char *host);
char *tr_join(const char *dir, const char *name);

/* ---- memory.c: a tracee's memory (process_vm_readv/writev, else
 * /proc/PID/mem for pages the first cannot write) */

/* The NUL-terminated string at addr (at most PATH_MAX), or NULL. */
char *tr_read_string(pid_t pid, unsigned long addr);
int tr_read_mem(pid_t pid, unsigned long addr, void *data, size_t len);
int tr_write_mem(pid_t pid, unsigned long addr, const void *data, size_t len);

/* ---- syscalls.c */

/* At a syscall entry: rewrites arguments. Sets *changed when regs must be
 * written back. Returns whether the exit of this call must be seen. */
bool tr_on_entry(const struct tr_config *c, struct tr_tracee *t, struct user_regs_struct *regs,
		 bool *changed);
/* At a syscall exit: rewrites results. */
void tr_on_exit(const struct tr_config *c, struct tr_tracee *t, struct user_regs_struct *regs,
		bool *changed);
/* Installs the P1 seccomp filter in the calling process (the tracee).
 * With listener non-NULL the lookups relative to a directory fd go to a
 * seccomp listener, returned in *listener (-1 when the kernel has none:
 * they then stop for the tracer like the rest). */
int tr_install_filter(const struct tr_config *c, int *listener);
/* Builds the tables of calls (before any thread starts). */
void tr_tables_init(const struct tr_config *c);

/* ---- identity.c */

/* The calls identity emulation sees at their exit, -1 terminated: the
 * identity calls (with -0 or -i), the ownership calls (with -0). */
extern const int tr_identity_calls[];
extern const int tr_ownership_calls[];
void tr_ids_init(const struct tr_config *c, struct tr_ids *ids);
/* At the exit of an identity or ownership call: sets its result. Returns
 * false when nr is not one of them. */
bool tr_identity_exit(const struct tr_config *c, struct tr_tracee *t, struct user_regs_struct *regs,
		      bool *changed);

/* ---- notify.c */

/* Starts the thread that answers the seccomp listener, which it receives
 * over the socket `sock` (SCM_RIGHTS) from the tracee; no fd there means
 * no listener. Returns -1 when the thread cannot start. */
int tr_notify_start(const struct tr_config *c, int sock);

#endif
