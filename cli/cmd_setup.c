#include "cli/jobs.h"
#include "engines/engines.h"
#include "executor/executor.h"
#include "store/store.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char help[] =
	"Usage: udocker setup [--execmode=MODE] [--nvidia] [--force] [--purge] CONTAINER\n"
	"\n"
	"Without options prints the container's execution mode. --execmode sets it,\n"
	"to auto (the fastest this host can run for the container) or one of\n"
	" " UD_CLI_MODES_SPACE "\n"
	"N: unprivileged user namespaces; P: the built-in tracer, or the proot named\n"
	"by UDOCKER_USE_PROOT_EXECUTABLE (1: seccomp, faster); F: the preload\n"
	"library, glibc containers (2 patches the container's loader, 3 and 4 its\n"
	"programs); R: runc/crun (2 and 3 with the tracer inside for root and\n"
	"--user emulation); S: apptainer or singularity from the host. Modes this\n"
	"host cannot run are refused with the reason (udocker doctor lists them).\n"
	"--purge removes the mountpoints that runs created in the container for\n"
	"volumes (only while they are empty; not while it runs).\n"
	"--nvidia copies the host's NVIDIA driver libraries and tools into the\n"
	"container (refused if they need a newer glibc than it has; --force\n"
	"overwrites an earlier copy); UDOCKER_NVIDIA_LIBDIRS, UDOCKER_NVIDIA_BINDIR\n"
	"and UDOCKER_NVIDIA_ETCDIR say where the host has them.\n";

UD_CMD(setup)
{
	const char *mode = NULL;
	bool force = false, purge = false, nvidia = false, fixperm = false;
	struct ud_opt opts[] = {
		{"--execmode", UD_OPT_VALUE, &mode},  {"--force", UD_OPT_FLAG, &force},
		{"--purge", UD_OPT_FLAG, &purge},     {"--nvidia", UD_OPT_FLAG, &nvidia},
		{"--fixperm", UD_OPT_FLAG, &fixperm}, {0}};
	const struct ud_cli_grammar g = {
		.opts = opts, .help = help, .min = 1, .max = 1, .expected = "one CONTAINER"};
	UD_CLI_PARSE(&g, pos);
	if (fixperm) {
		ud_cli_error("setup --fixperm is not supported: it needs newuidmap/newgidmap to "
			     "give back files made under other ids; N1 maps only your own id, so "
			     "files in the container are yours (rm makes them writable)");
		return 1;
	}
	struct ud_error *err = NULL;
	struct ud_container *c = ud_store_container_get(cli->store, pos[0], &err);
	if (c == NULL) {
		ud_error_prefix(&err, "invalid container id");
		return ud_cli_fail(err);
	}
	int rc = 0;
	/* One setup at a time per container (many jobs may ask at once). */
	_cleanup_lock_ struct ud_lock lock = {.fd = -1};
	const struct ud_engine_container ec = {
		.dir = c->dir, .root = c->root, .image_backed = c->rootfs == UD_ROOTFS_SQUASH};
	if ((nvidia || purge) && ud_engine_setup_lock(&ec, &lock, &err) < 0) {
		ud_store_container_free(c);
		return ud_cli_fail(err);
	}
	if (nvidia) {
		if (c->protected) {
			ud_cli_error("container is protected: %s", c->id);
			rc = 1;
		} else if (ud_engine_nvidia_setup(&ec, force, &err) < 0) {
			rc = ud_cli_fail(err);
		}
	} else if (purge) {
		int removed = 0;
		if (ud_store_container_purge(cli->store, c->id, &removed, &err) < 0)
			rc = ud_cli_fail(err);
		else
			ud_log(UD_LOG_INFO, "removed %d mountpoint%s created by runs", removed,
			       removed == 1 ? "" : "s");
	} else if (mode == NULL) {
		printf("execmode: %s\nnvidiamode: %s\n", ud_execmode_name(c->execmode),
		       ud_engine_nvidia_mode(&ec) ? "True" : "False");
	} else {
		enum ud_execmode chosen = UD_EXECMODE_COUNT;
		if (ud_executor_setup(cli->store, c->id, mode, &chosen, &err) < 0)
			rc = ud_cli_fail(err);
		else if (chosen == UD_EXECMODE_N1 && strcasecmp(mode, "auto") != 0)
			ud_log(UD_LOG_INFO,
			       "execmode N1 is now in the container's execmode file, which "
			       "udocker 1.3.16 does not know (it refuses the container): "
			       "setup --execmode=auto keeps it runnable by both");
	}
	ud_store_container_free(c);
	return rc;
}
