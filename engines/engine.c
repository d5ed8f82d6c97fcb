/* The engine interface: mode -> implementation. */
#include "engines/engines.h"

#include <string.h>

int ud_engine_n1_run(const struct ud_run_request *r, int *status, struct ud_error **err);
int ud_engine_r1_run(const struct ud_run_request *r, int *status, struct ud_error **err);
char *ud_engine_r1_runtime(char **why);
int ud_engine_proot_run(const char *mode, const struct ud_run_request *r, int *status,
			struct ud_error **err);
char *ud_engine_proot_path(char **why);
int ud_engine_ptrace_run(const char *mode, const struct ud_run_request *r, int *status,
			 struct ud_error **err);

/* P1/P2: an external proot when UDOCKER_USE_PROOT_EXECUTABLE names one. */
static bool external_proot(void)
{
	const char *e = getenv("UDOCKER_USE_PROOT_EXECUTABLE");
	return e && *e && strcmp(e, "UDOCKER") != 0;
}

const char *const ud_engine_modes[] = {"N1", "R1", "P1", "P2", NULL};

bool ud_engine_available(const char *mode, char **why)
{
	if (strcmp(mode, "N1") == 0) {
		struct ud_host_probe p;
		ud_engines_probe_host(&p);
		bool ok = p.userns;
		if (!ok && why)
			*why = xasprintf("N1 needs unprivileged user namespaces: %s", p.userns_why);
		ud_host_probe_release(&p);
		return ok;
	}
	if (strcmp(mode, "R1") == 0) {
		char *rt = ud_engine_r1_runtime(why);
		free(rt);
		return rt != NULL;
	}
	if (strcmp(mode, "P1") == 0 || strcmp(mode, "P2") == 0) {
		if (!external_proot()) {
#if defined(__x86_64__)
			return true; /* built in */
#else
			if (why)
				*why = xstrdup(
					"the built-in P1/P2 engine supports x86_64 only; set "
					"UDOCKER_USE_PROOT_EXECUTABLE to a proot");
			return false;
#endif
		}
		char *p = ud_engine_proot_path(why);
		free(p);
		return p != NULL;
	}
	if (why)
		*why = xasprintf("execution mode %s is not built in this version (available: N1, "
				 "R1, P1, P2)",
				 mode);
	return false;
}

int ud_engine_run(const char *mode, const struct ud_run_request *req, int *status,
		  struct ud_error **err)
{
	if (mode == NULL || strcmp(mode, "N1") == 0)
		return ud_engine_n1_run(req, status, err);
	if (strcmp(mode, "R1") == 0)
		return ud_engine_r1_run(req, status, err);
	if (strcmp(mode, "P1") == 0 || strcmp(mode, "P2") == 0)
		return external_proot() ? ud_engine_proot_run(mode, req, status, err)
					: ud_engine_ptrace_run(mode, req, status, err);
	return ud_error_set(err, UD_ERR_UNSUPPORTED,
			    "execution mode %s is not built in this version (available: N1, R1, "
			    "P1, P2)",
			    mode);
}

bool ud_engine_command_in_root(const char *root, char **env, const char *cmd)
{
	if (strchr(cmd, '/')) {
		_cleanup_free_ char *p = ud_path_join(root, cmd);
		return ud_path_exists(p);
	}
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (size_t i = 0; env && env[i]; i++)
		if (ud_str_has_prefix(env[i], "PATH="))
			path = env[i] + 5;
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *dir = ud_path_join(root, d);
		_cleanup_free_ char *p = ud_path_join(dir, cmd);
		if (ud_path_exists(p))
			return true;
	}
	return false;
}
