/* The engine interface: mode -> implementation. */
#include "engines/engines.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

int ud_engine_n1_run(const struct ud_run_request *r, int *status, struct ud_error **err);
int ud_engine_r1_run(const char *mode, const struct ud_run_request *r, int *status,
		     struct ud_error **err);
char *ud_engine_r1_runtime(char **why);
int ud_engine_proot_run(const char *mode, const struct ud_run_request *r, int *status,
			struct ud_error **err);
char *ud_engine_proot_path(char **why);
int ud_engine_f_run(const char *mode, const struct ud_run_request *r, int *status,
		    struct ud_error **err);
int ud_engine_f_setup(const char *root, const char *old, const char *mode, struct ud_error **err);
char *ud_engine_fakechroot_lib(char **why);
char *ud_engine_patchelf(char **why);
bool ud_engine_f_can_run(const char *root);
int ud_engine_s1_run(const struct ud_run_request *r, int *status, struct ud_error **err);
char *ud_engine_s1_tool(char **why);
int ud_engine_ptrace_run(const char *mode, const struct ud_run_request *r, int *status,
			 struct ud_error **err);

/* P1/P2: an external proot when UDOCKER_USE_PROOT_EXECUTABLE names one. */
static bool external_proot(void)
{
	const char *e = getenv("UDOCKER_USE_PROOT_EXECUTABLE");
	return e && *e && strcmp(e, "UDOCKER") != 0;
}

const char *const ud_engine_modes[] = {"N1", "R1", "R2", "R3", "P1", "P2",
				       "F1", "F2", "F3", "F4", NULL};
const char *const ud_engine_all_modes[] = {"N1", "R1", "R2", "R3", "P1", "P2",
					   "F1", "F2", "F3", "F4", "S1", NULL};

/* Fastest first: N1 is a plain process in namespaces; F1 a plain process
 * with a preload library (for a dynamically linked glibc container); P1
 * stops only at the calls with paths; P2 at every call. R1 needs user
 * namespaces as N1 does and starts slower, so it is never the pick. */
char *ud_engine_pick(const char *root, char **why)
{
	char *n1_why = NULL, *p1_why = NULL;
	char *pick = NULL;
	if (ud_engine_available("N1", &n1_why))
		pick = xstrdup("N1");
	else if (root && ud_engine_available("F1", NULL) && ud_engine_f_can_run(root))
		pick = xstrdup("F1");
	else if (ud_engine_available("P1", &p1_why))
		pick = xstrdup("P1");
	else if (ud_engine_available("P2", NULL))
		pick = xstrdup("P2");
	if (pick == NULL && why)
		*why = xasprintf("N1: %s; P1: %s", n1_why, p1_why);
	free(n1_why);
	free(p1_why);
	return pick;
}

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
			char *t = ud_engine_tracer_path(why);
			free(t);
			if (t == NULL)
				return false;
			struct ud_host_probe p;
			ud_engines_probe_host(&p);
			bool ok = p.ptrace && (p.seccomp || strcmp(mode, "P2") == 0);
			if (!ok && why)
				*why = p.ptrace ? xstrdup("P1 needs seccomp filters, which this "
							  "kernel lacks (P2 does without)")
						: xasprintf("%s needs ptrace: %s", mode,
							    p.ptrace_why);
			ud_host_probe_release(&p);
			return ok;
		}
		char *p = ud_engine_proot_path(why);
		free(p);
		return p != NULL;
	}
	if (mode[0] == 'F' && mode[1] >= '1' && mode[1] <= '4' && mode[2] == '\0') {
#if defined(__x86_64__)
		char *lib = ud_engine_fakechroot_lib(why);
		free(lib);
		if (lib == NULL || mode[1] < '3')
			return lib != NULL;
		char *pe = ud_engine_patchelf(why);
		free(pe);
		return pe != NULL;
#else
		if (why)
			*why = xstrdup("the F modes support x86_64 only in this version");
		return false;
#endif
	}
	if (strcmp(mode, "S1") == 0) {
		char *t = ud_engine_s1_tool(why);
		free(t);
		return t != NULL;
	}
	if (strcmp(mode, "R2") == 0 || strcmp(mode, "R3") == 0) {
		char *rt = ud_engine_r1_runtime(why);
		char *t = rt ? ud_engine_tracer_path(why) : NULL;
		free(rt);
		free(t);
		return t != NULL;
	}
	if (why)
		*why = xasprintf("execution mode %s is not built in this version (available: N1, "
				 "R1, R2, R3, P1, P2, F1-F4, S1)",
				 mode);
	return false;
}

int ud_engine_run(const char *mode, const struct ud_run_request *req, int *status,
		  struct ud_error **err)
{
	if (mode == NULL || strcmp(mode, "N1") == 0)
		return ud_engine_n1_run(req, status, err);
	if (strcmp(mode, "R1") == 0 || strcmp(mode, "R2") == 0 || strcmp(mode, "R3") == 0)
		return ud_engine_r1_run(mode, req, status, err);
	if (mode[0] == 'F' && mode[1] >= '1' && mode[1] <= '4' && mode[2] == '\0')
		return ud_engine_f_run(mode, req, status, err);
	if (strcmp(mode, "S1") == 0)
		return ud_engine_s1_run(req, status, err);
	if (strcmp(mode, "P1") == 0 || strcmp(mode, "P2") == 0)
		return external_proot() ? ud_engine_proot_run(mode, req, status, err)
					: ud_engine_ptrace_run(mode, req, status, err);
	return ud_error_set(
		err, UD_ERR_UNSUPPORTED,
		"execution mode %s is not built in this version (available: N1, R1, R2, "
		"R3, P1, P2, F1-F4, S1)",
		mode);
}

int ud_engine_make_mountpoint(int root_fd, const char *path, bool is_dir, const char *records,
			      int *fd_out, struct ud_error **err)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int dir = ud_root_open_parent(root_fd, path, true, true, &name, err);
	if (dir < 0)
		return ud_error_prefix(err, "volume target '%s'", path);
	struct stat st;
	bool made = false;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		/* Another run of the same container may make it at the same moment. */
		made = (is_dir ? mkdirat(dir, name, 0755)
			       : mknodat(dir, name, S_IFREG | 0644, 0)) == 0;
		if (!made && errno != EEXIST)
			return ud_error_sys(err, errno, "cannot create '%s' in the container",
					    path);
	}
	if (fd_out) {
		*fd_out = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (*fd_out < 0 || fstat(*fd_out, &st) < 0 || S_ISLNK(st.st_mode)) {
			int e = *fd_out < 0 ? errno : ELOOP;
			if (*fd_out >= 0)
				close(steal_fd(fd_out));
			return ud_error_sys(err, e, "cannot open '%s' in the container", path);
		}
	}
	if (made && records && (mkdir(records, 0755) == 0 || errno == EEXIST)) {
		/* As udocker: one symlink per mountpoint, '/' written as '#';
		 * never into a directory a link named .mountpoints leads to. */
		_cleanup_close_ int rfd =
			open(records, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_free_ char *rname = xstrdup(path);
		for (char *c = rname; *c; c++)
			if (*c == '/')
				*c = '#';
		if (rfd >= 0)
			(void)!symlinkat(path, rfd, rname);
	}
	return 0;
}

int ud_engine_setup(const char *root, const char *old, const char *mode, struct ud_error **err)
{
	bool f_old = old && old[0] == 'F', f_new = mode && mode[0] == 'F';
	if (!f_old && !f_new)
		return 0;
	return ud_engine_f_setup(root, old, mode, err);
}

int ud_engine_setup_lock(const char *root, struct ud_lock *lock, struct ud_error **err)
{
	_cleanup_free_ char *copy = xstrdup(root);
	char *slash = strrchr(copy, '/');
	if (slash)
		*slash = '\0';
	_cleanup_free_ char *path = ud_path_join(copy, ".setup.lock");
	return ud_lock_acquire(lock, path, "setting a container up", ud_lock_default_timeout_ms(),
			       err);
}
