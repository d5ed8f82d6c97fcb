/* P1 and P2 through an external proot named by UDOCKER_USE_PROOT_EXECUTABLE
 * (udocker's variable). P2 disables proot's seccomp acceleration
 * (PROOT_NO_SECCOMP). No -k unless a kernel release is asked for: Debian's
 * proot 5.1 breaks dynamically linked programs with it on recent kernels. */
#include "engines/engines.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

char *ud_engine_proot_path(char **why)
{
	return ud_engines_tool("UDOCKER_USE_PROOT_EXECUTABLE", NULL,
			       "the built-in P1/P2 engine is not in this version; set "
			       "UDOCKER_USE_PROOT_EXECUTABLE to a proot executable to use one",
			       why);
}

int ud_engine_proot_run(enum ud_execmode mode, const struct ud_run_request *r, int *status,
			struct ud_error **err)
{
	_cleanup_free_ char *proot = ud_engines_need(ud_engine_proot_path, UD_EXECMODE_COUNT, err);
	if (proot == NULL)
		return -1;
	if (ud_engine_prepare(r, UD_PREPARE_WORKDIR | UD_PREPARE_COMMAND, NULL, err) < 0)
		return -1;
	char **argv = xcalloc(1, sizeof(char *));
	ud_strv_push(&argv, xstrdup(proot));
	if (r->uid == 0)
		ud_strv_push(&argv, xstrdup("-0"));
	else if (r->uid != getuid() || r->gid != getgid()) {
		ud_strv_push(&argv, xstrdup("-i"));
		ud_strv_push(&argv, xasprintf("%u:%u", (unsigned)r->uid, (unsigned)r->gid));
	}
	ud_strv_push(&argv, xasprintf("--rootfs=%s", r->root));
	ud_strv_push(&argv, xasprintf("--cwd=%s", r->workdir ? r->workdir : "/"));
	for (size_t i = 0; i < r->n_binds; i++) {
		/* proot cannot make a bind read-only: said at -D. */
		if (r->binds[i].readonly)
			ud_log(UD_LOG_VERBOSE, "%s: read-only volume %s is writable under proot",
			       ud_execmode_name(mode), r->binds[i].path);
		ud_strv_push(&argv, xasprintf("--bind=%s:%s", r->binds[i].host, r->binds[i].path));
	}
	/* Debian's proot 5.1 has no --kill-on-exit; the guest ends with us. */
	for (size_t i = 0; r->argv[i]; i++)
		ud_strv_push(&argv, xstrdup(r->argv[i]));
	char **env = ud_strv_dup(r->env);
	if (mode == UD_EXECMODE_P2)
		ud_strv_push(&env, xstrdup("PROOT_NO_SECCOMP=1"));
	const char *tmp = getenv("PROOT_TMP_DIR");
	if (tmp == NULL)
		tmp = getenv("TMPDIR");
	ud_strv_push(&env, xasprintf("PROOT_TMP_DIR=%s", tmp && *tmp ? tmp : "/tmp"));
	struct ud_spawn s = {.path = proot, .argv = argv, .env = env};
	int rc = ud_spawn_run(&s, status, err);
	ud_strv_free(argv);
	ud_strv_free(env);
	return rc;
}
