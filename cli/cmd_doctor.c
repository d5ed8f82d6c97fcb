#include "cli/cli.h"
#include "engines/engines.h"
#include "store/store.h"

#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static const char help[] =
	"Usage: udocker doctor [CONTAINER]\n"
	"\n"
	"Reports what this host offers for running containers: user namespaces,\n"
	"ptrace, seccomp, the runtimes and tools found on PATH, and for every\n"
	"execution mode whether it can run here and, if not, why. Ends with the\n"
	"mode 'execmode: auto' picks. With a CONTAINER, also its C library (the F\n"
	"modes need a dynamically linked glibc one) and the mode auto picks for it.\n"
	"Exit status 0 when at least one mode can run.\n";

/* A runtime works when `TOOL --version` does: its first line, else NULL. */
static char *first_line_of(const char *tool)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		execl(tool, tool, "--version", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char buf[256] = {0};
	ssize_t n = pid > 0 ? read(fds[0], buf, sizeof(buf) - 1) : -1;
	close(fds[0]);
	int ws = 0;
	if (pid > 0)
		waitpid(pid, &ws, 0);
	if (n <= 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		return xstrdup("does not run");
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

UD_CMD(doctor)
{
	static const struct ud_cli_grammar g = {
		.help = help, .max = 1, .expected = "at most one CONTAINER"};
	UD_CLI_PARSE(&g, pos);
	const char *name = pos[0];
	struct ud_container *c = NULL;
	if (name) {
		struct ud_error *err = NULL;
		struct ud_store *s = ud_cli_store(cli, &err);
		c = s ? ud_store_container_get(s, name, &err) : NULL;
		if (c == NULL)
			return ud_cli_fail(err);
	}
	struct utsname u;
	if (uname(&u) == 0)
		printf("host: %s %s %s, %ld CPUs\n", u.sysname, u.release, u.machine,
		       sysconf(_SC_NPROCESSORS_ONLN));
	struct ud_host_probe p;
	ud_engines_probe_host(&p);
	printf("user namespaces: %s\n", p.userns ? "yes" : p.userns_why);
	printf("ptrace: %s\n", p.ptrace ? "yes" : p.ptrace_why);
	printf("seccomp filters: %s\n", p.seccomp ? "yes" : "no");
	printf("seccomp listener: %s\n", p.seccomp_listener ? "yes" : "no");
	static const char *const tools[] = {"runc",	   "crun",  "runsc",   "apptainer",
					    "singularity", "proot", "patchelf"};
	for (size_t i = 0; i < UD_ARRAY_SIZE(tools); i++) {
		const char *found = NULL;
		for (size_t k = 0; p.tools[k]; k++) {
			const char *base = strrchr(p.tools[k], '/');
			if (strcmp(base ? base + 1 : p.tools[k], tools[i]) == 0)
				found = p.tools[k];
		}
		_cleanup_free_ char *version = found && i < 3 ? first_line_of(found) : NULL;
		printf("%s: %s%s%s%s\n", tools[i], found ? found : "not found", version ? " (" : "",
		       version ? version : "", version ? ")" : "");
	}
	char *twhy = NULL;
	_cleanup_free_ char *tracer = ud_engine_tracer_path(&twhy);
	printf("udocker-tracer: %s\n", tracer ? tracer : twhy);
	free(twhy);
	ud_host_probe_release(&p);
	printf("modes:\n");
	int usable = 0;
	for (size_t i = 0; ud_engine_all_modes[i]; i++) {
		char *why = NULL;
		bool ok = ud_engine_available((enum ud_execmode)i, &why);
		usable += ok;
		printf("  %s  %s%s\n", ud_engine_all_modes[i], ok ? "yes" : "no: ",
		       ok    ? ""
		       : why ? why
			     : "unknown");
		free(why);
	}
	char *swhy = NULL;
	bool squash = ud_squash_available(&swhy);
	printf("image-backed containers (N1: libsquashfuse, /dev/fuse, overlayfs in a user "
	       "namespace): %s%s\n",
	       squash ? "yes" : "no: ", squash ? "" : swhy);
	free(swhy);
	char *why = NULL;
	int pick = ud_engine_pick(NULL, &why);
	if (pick >= 0)
		printf("execmode auto: %s\n", ud_execmode_name(pick));
	else
		printf("execmode auto: none can run here (%s)\n", why);
	free(why);
	if (c && c->rootfs == UD_ROOTFS_SQUASH) {
		printf("container %s: image-backed (image file %s)\n", name,
		       c->image_file ? c->image_file : "unknown: no image.digest");
	} else if (c) {
		unsigned v = ud_engine_container_glibc(c->root);
		bool f = ud_engine_f_can_run(c->root);
		printf("container %s: ", name);
		if (v)
			printf("glibc %u.%u, %s\n", v / 1000, v % 1000,
			       f ? "dynamically linked (F modes can run it)"
				 : "no dynamically linked shell (F modes cannot run it)");
		else
			printf("no glibc (static or musl programs): the F modes cannot run it\n");
	}
	if (c) {
		const struct ud_engine_container ec = {.dir = c->dir,
						       .root = c->root,
						       .image_backed =
							       c->rootfs == UD_ROOTFS_SQUASH};
		int cpick = ud_engine_pick(&ec, NULL);
		printf("execmode auto for %s: %s\n", name,
		       cpick >= 0 ? ud_execmode_name(cpick) : "none");
		ud_store_container_free(c);
	}
	return usable ? 0 : 1;
}
