/* P1/P2 with the built-in tracer: runs udocker-tracer (tracer/, a static
 * program installed beside this binary) with the request as options. The
 * tracer's checks before the run (working directory, volumes, command)
 * come back through a status pipe and become errors here (exit 2). */
#include "engines/engines.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

char *ud_engine_tracer_path(char **why)
{
	static const char *const names[] = {"udocker-tracer", "../libexec/udocker/udocker-tracer",
					    NULL};
	char *p = ud_engines_beside_self(names, X_OK);
	if (p == NULL && why)
		*why = xstrdup("the tracer program udocker-tracer is not installed beside udocker "
			       "(nor in ../libexec/udocker)");
	return p;
}

char **ud_engine_tracer_argv(const char *tracer, enum ud_execmode mode,
			     const struct ud_run_request *r, int status_fd)
{
	char **v = NULL;
	ud_strv_push(&v, xstrdup(tracer));
	if (mode == UD_EXECMODE_P2 || mode == UD_EXECMODE_R3 || getenv("PROOT_NO_SECCOMP"))
		ud_strv_push(&v, xstrdup("-2"));
	if (r->uid == 0 && r->gid == 0)
		ud_strv_push(&v, xstrdup("-0"));
	else {
		ud_strv_push(&v, xstrdup("-i"));
		ud_strv_push(&v, xasprintf("%u:%u", (unsigned)r->uid, (unsigned)r->gid));
	}
	if (r->root) {
		ud_strv_push(&v, xstrdup("-r"));
		ud_strv_push(&v, xstrdup(r->root));
	}
	if (r->root) {
		ud_strv_push(&v, xstrdup("-w"));
		ud_strv_push(&v, xstrdup(r->workdir ? r->workdir : "/"));
	}
	for (size_t i = 0; r->root && i < r->n_binds; i++) {
		ud_strv_push(&v, xstrdup(r->binds[i].readonly ? "-B" : "-b"));
		ud_strv_push(&v, xstrdup(r->binds[i].host));
		ud_strv_push(&v, xstrdup(r->binds[i].path));
	}
	if (r->kernel) {
		ud_strv_push(&v, xstrdup("-k"));
		ud_strv_push(&v, xstrdup(r->kernel));
	}
	if (r->hostname) {
		ud_strv_push(&v, xstrdup("-n"));
		ud_strv_push(&v, xstrdup(r->hostname));
	}
	for (size_t i = 0; i < r->n_ports; i++) {
		ud_strv_push(&v, xstrdup("-p"));
		ud_strv_push(&v, xasprintf("%u:%u", r->ports[i][0], r->ports[i][1]));
	}
	if (status_fd >= 0) {
		ud_strv_push(&v, xstrdup("-s"));
		ud_strv_push(&v, xasprintf("%d", status_fd));
	}
	ud_strv_push(&v, xstrdup("--"));
	for (size_t i = 0; r->argv[i]; i++)
		ud_strv_push(&v, xstrdup(r->argv[i]));
	return v;
}

struct ptrace_ctx {
	const char *tracer;
	enum ud_execmode mode;
	const struct ud_run_request *r;
};

/* In the child: the tracer gets the status pipe open as its -s. */
static void exec_tracer(void *ctx, int fd)
{
	const struct ptrace_ctx *c = ctx;
	char **argv = ud_engine_tracer_argv(c->tracer, c->mode, c->r, fd);
	fcntl(fd, F_SETFD, 0);
	execve(c->tracer, argv, c->r->env);
	dprintf(fd, "cannot execute %s: %s", c->tracer, strerror(errno));
	_exit(127);
}

int ud_engine_ptrace_run(enum ud_execmode mode, const struct ud_run_request *r, int *status,
			 struct ud_error **err)
{
	_cleanup_free_ char *tracer = ud_engines_need(ud_engine_tracer_path, mode, err);
	if (tracer == NULL)
		return -1;
	/* Mount points as N1 makes them: the directories above a volume exist
	 * in the container (ls, realpath and .. walk through them). */
	if (ud_engine_prepare(r, UD_PREPARE_MOUNTPOINTS | UD_PREPARE_WORKDIR, NULL, err) < 0)
		return -1;
	/* The tracer passes udocker's signals on to the processes it traces. */
	struct ptrace_ctx c = {.tracer = tracer, .mode = mode, .r = r};
	struct ud_spawn s = {.path = tracer,
			     .argv = r->argv,
			     .env = r->env,
			     .child_setup = exec_tracer,
			     .ctx = &c,
			     .relay = true};
	return ud_spawn_run(&s, status, err);
}
