/* The engine interface: mode -> implementation. */
#include "engines/engines.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

/* P1/P2: an external proot when UDOCKER_USE_PROOT_EXECUTABLE names one. */
static bool external_proot(void)
{
	const char *e = getenv("UDOCKER_USE_PROOT_EXECUTABLE");
	return e && *e && strcmp(e, "UDOCKER") != 0;
}

static bool n1_available(enum ud_execmode m, const struct ud_host_probe *p, char **why)
{
	(void)m;
	if (!p->userns && why)
		*why = xasprintf("N1 needs unprivileged user namespaces: %s", p->userns_why);
	return p->userns;
}

static int n1_run(enum ud_execmode m, const struct ud_run_request *r, int *status,
		  struct ud_error **err)
{
	(void)m;
	return ud_engine_n1_run(r, status, err);
}

static bool p_available(enum ud_execmode m, const struct ud_host_probe *p, char **why)
{
	if (external_proot()) {
		char *path = ud_engine_proot_path(why);
		free(path);
		return path != NULL;
	}
	char *t = ud_engine_tracer_path(why);
	free(t);
	if (t == NULL)
		return false;
	bool ok = p->ptrace && (p->seccomp || m == UD_EXECMODE_P2);
	if (!ok && why)
		*why = p->ptrace ? xstrdup("P1 needs seccomp filters, which this kernel lacks (P2 "
					   "does without)")
				 : xasprintf("%s needs ptrace: %s", ud_execmode_name(m),
					     p->ptrace_why);
	return ok;
}

static int p_run(enum ud_execmode m, const struct ud_run_request *r, int *status,
		 struct ud_error **err)
{
	return external_proot() ? ud_engine_proot_run(m, r, status, err)
				: ud_engine_ptrace_run(m, r, status, err);
}

static bool f_available(enum ud_execmode m, const struct ud_host_probe *p, char **why)
{
	(void)p;
#if defined(__x86_64__)
	char *lib = ud_engine_fakechroot_lib(why);
	free(lib);
	if (lib == NULL || m < UD_EXECMODE_F3)
		return lib != NULL;
	char *pe = ud_engine_patchelf(why);
	free(pe);
	return pe != NULL;
#else
	(void)m;
	if (why)
		*why = xstrdup("the F modes support x86_64 only in this version");
	return false;
#endif
}

static bool r_available(enum ud_execmode m, const struct ud_host_probe *p, char **why)
{
	(void)p;
	char *rt = ud_engine_r1_runtime(why);
	char *t = rt && m != UD_EXECMODE_R1 ? ud_engine_tracer_path(why) : NULL;
	bool ok = rt && (m == UD_EXECMODE_R1 || t);
	free(rt);
	free(t);
	return ok;
}

static bool s_available(enum ud_execmode m, const struct ud_host_probe *p, char **why)
{
	(void)m;
	(void)p;
	char *t = ud_engine_s1_tool(why);
	free(t);
	return t != NULL;
}

static int s_run(enum ud_execmode m, const struct ud_run_request *r, int *status,
		 struct ud_error **err)
{
	(void)m;
	return ud_engine_s1_run(r, status, err);
}

/* The engines: each with its modes (first..last of the enum), whether
 * this host can run them (needs_probe: from the host probe), the setup a
 * container needs entering or leaving them, and the run. */
static const struct ud_engine {
	enum ud_execmode first, last;
	bool needs_probe;
	bool (*available)(enum ud_execmode m, const struct ud_host_probe *p, char **why);
	int (*setup)(const struct ud_engine_container *c, int old, enum ud_execmode m,
		     struct ud_error **err);
	int (*run)(enum ud_execmode m, const struct ud_run_request *r, int *status,
		   struct ud_error **err);
} engines[] = {
	{UD_EXECMODE_N1, UD_EXECMODE_N1, true, n1_available, NULL, n1_run},
	{UD_EXECMODE_P1, UD_EXECMODE_P2, true, p_available, NULL, p_run},
	{UD_EXECMODE_F1, UD_EXECMODE_F4, false, f_available, ud_engine_f_setup, ud_engine_f_run},
	{UD_EXECMODE_R1, UD_EXECMODE_R3, false, r_available, NULL, ud_engine_r1_run},
	{UD_EXECMODE_S1, UD_EXECMODE_S1, false, s_available, NULL, s_run},
};

static const struct ud_engine *engine_of(int m)
{
	for (size_t i = 0; m >= 0 && i < UD_ARRAY_SIZE(engines); i++)
		if ((int)engines[i].first <= m && m <= (int)engines[i].last)
			return &engines[i];
	return NULL;
}

/* Whether this host can run m: from the probe p when not NULL, else
 * from a probe made now (for the engines that need one). */
static bool mode_available(enum ud_execmode m, const struct ud_host_probe *p, char **why)
{
	const struct ud_engine *e = engine_of(m);
	if (p || !e->needs_probe) {
		static const struct ud_host_probe none = {0};
		return e->available(m, p ? p : &none, why);
	}
	struct ud_host_probe mine = {0};
	ud_engines_probe_host(&mine);
	bool ok = e->available(m, &mine, why);
	ud_host_probe_release(&mine);
	return ok;
}

const char *const ud_engine_all_modes[] = {UD_EXECMODES(UD_EXECMODE_STRING) NULL};

/* The one rule for image-backed containers, whatever the mode. */
#define IMAGE_BACKED_WHY                                                                           \
	"image-backed containers run in N1 here (P1/F1 would need fusermount3 and "                \
	"fuse-overlayfs, R1 and S1 a runtime that mounts the image file)"

static int image_backed_refused(enum ud_execmode mode, struct ud_error **err)
{
	return ud_error_set(err, UD_ERR_UNSUPPORTED,
			    "%s: %s; set the container to N1 (setup --execmode=N1) or create a "
			    "directory container",
			    ud_execmode_name(mode), IMAGE_BACKED_WHY);
}

/* Fastest first: N1 is a plain process in namespaces; F1 a plain process
 * with a preload library (for a dynamically linked glibc container); P1
 * stops only at the calls with paths; P2 at every call. R1 needs user
 * namespaces as N1 does and starts slower, so it is never the pick. */
int ud_engine_pick_probed(const struct ud_engine_container *c, const struct ud_host_probe *p,
			  char **why)
{
	char *n1_why = NULL, *p1_why = NULL;
	int pick = -1;
	if (c && c->image_backed) {
		if (mode_available(UD_EXECMODE_N1, p, &n1_why))
			pick = UD_EXECMODE_N1;
		else if (why)
			*why = xasprintf("%s; N1: %s", IMAGE_BACKED_WHY, n1_why);
		free(n1_why);
		return pick;
	}
	if (mode_available(UD_EXECMODE_N1, p, &n1_why))
		pick = UD_EXECMODE_N1;
	else if (c && mode_available(UD_EXECMODE_F1, p, NULL) && ud_engine_f_can_run(c->root))
		pick = UD_EXECMODE_F1;
	else if (mode_available(UD_EXECMODE_P1, p, &p1_why))
		pick = UD_EXECMODE_P1;
	else if (mode_available(UD_EXECMODE_P2, p, NULL))
		pick = UD_EXECMODE_P2;
	if (pick < 0 && why)
		*why = xasprintf("%s: %s; %s: %s", ud_execmode_name(UD_EXECMODE_N1), n1_why,
				 ud_execmode_name(UD_EXECMODE_P1), p1_why);
	free(n1_why);
	free(p1_why);
	return pick;
}

int ud_engine_pick(const struct ud_engine_container *c, char **why)
{
	return ud_engine_pick_probed(c, NULL, why);
}

/* Every mode of the enum has its engine: only a value outside it (a
 * store's execmode file naming no mode) has none. */
#define UD_NO_MODE_WHY "the container's execution mode is not one this version knows"

static int not_built(struct ud_error **err)
{
	return ud_error_set(err, UD_ERR_UNSUPPORTED, UD_NO_MODE_WHY);
}

bool ud_engine_available_probed(enum ud_execmode mode, const struct ud_host_probe *p, char **why)
{
	if (engine_of(mode) == NULL) {
		if (why)
			*why = xstrdup(UD_NO_MODE_WHY);
		return false;
	}
	return mode_available(mode, p, why);
}

bool ud_engine_available(enum ud_execmode mode, char **why)
{
	return ud_engine_available_probed(mode, NULL, why);
}

int ud_engine_run(enum ud_execmode mode, const struct ud_run_request *req, int *status,
		  struct ud_error **err)
{
	const struct ud_engine *e = engine_of(mode);
	if (e == NULL)
		return not_built(err);
	if (req->image_file && mode != UD_EXECMODE_N1)
		return image_backed_refused(mode, err);
	return e->run(mode, req, status, err);
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

int ud_engine_setup(const struct ud_engine_container *c, enum ud_execmode old,
		    enum ud_execmode mode, struct ud_error **err)
{
	const struct ud_engine *from = engine_of(old), *to = engine_of(mode);
	if (to == NULL)
		return not_built(err);
	/* The F modes would rewrite files of an empty ROOT. */
	if (c->image_backed && mode != UD_EXECMODE_N1)
		return image_backed_refused(mode, err);
	/* Leaving an engine undoes its setup: its own setup function runs
	 * with the new mode (outside its range) to do that. */
	if (from && from != to && from->setup && from->setup(c, old, mode, err) < 0)
		return -1;
	return to->setup ? to->setup(c, from ? (int)old : -1, mode, err) : 0;
}

int ud_engine_setup_lock(const struct ud_engine_container *c, struct ud_lock *lock,
			 struct ud_error **err)
{
	_cleanup_free_ char *path = ud_path_join(c->dir, ".setup.lock");
	return ud_lock_acquire(lock, path, "setting a container up", ud_lock_default_timeout_ms(),
			       err);
}
