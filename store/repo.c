/* The repository: its directories and the store handle. */
#include "store/store_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *const repo_dirs[] = {"repos", "layers", "containers", "bin", "lib", "doc"};

bool ud_store_is_repo(const char *dir)
{
	for (size_t i = 0; i < 5; i++) {
		_cleanup_free_ char *p = ud_path_join(dir, repo_dirs[i]);
		if (!ud_is_dir(p))
			return false;
	}
	return true;
}

int ud_store_mkrepo(const char *dir, struct ud_error **err)
{
	if (ud_path_exists(dir))
		return ud_error_set(err, UD_ERR_EXISTS, "localrepo directory already exists: %s",
				    dir);
	for (size_t i = 0; i < UD_ARRAY_SIZE(repo_dirs); i++) {
		_cleanup_free_ char *p = ud_path_join(dir, repo_dirs[i]);
		if (ud_mkdir_p(p, 0755, err) < 0)
			return ud_error_prefix(err, "mkrepo");
	}
	return 0;
}

struct ud_store *ud_store_open(const struct ud_store_paths *p, bool create, struct ud_error **err)
{
	struct ud_store *s = xcalloc(1, sizeof(*s));
	s->top = xstrdup(p->top);
	s->repos = p->repos ? xstrdup(p->repos) : ud_path_join(p->top, "repos");
	s->layers = p->layers ? xstrdup(p->layers) : ud_path_join(p->top, "layers");
	s->containers = p->containers ? xstrdup(p->containers) : ud_path_join(p->top, "containers");
	s->bin = p->bin ? xstrdup(p->bin) : ud_path_join(p->top, "bin");
	s->lib = p->lib ? xstrdup(p->lib) : ud_path_join(p->top, "lib");
	s->doc = p->doc ? xstrdup(p->doc) : ud_path_join(p->top, "doc");
	s->tmp = xstrdup(p->tmp ? p->tmp : "/tmp");
	s->max_layer_size = UD_STORE_MAX_LAYER_SIZE_DEFAULT;
	const char *dirs[] = {s->repos, s->layers, s->containers, s->bin, s->lib, s->doc};
	for (size_t i = 0; i < UD_ARRAY_SIZE(dirs); i++) {
		if (ud_is_dir(dirs[i]))
			continue;
		/* udocker 1.3.16 does not require doc/ in a repository. */
		if (!create && dirs[i] == s->doc)
			continue;
		if (!create) {
			ud_error_set(err, UD_ERR_NOT_FOUND,
				     "invalid udocker repository: %s (no %s)", s->top, dirs[i]);
			ud_store_free(s);
			return NULL;
		}
		if (ud_mkdir_p(dirs[i], 0755, err) < 0) {
			ud_store_free(s);
			return NULL;
		}
	}
	return s;
}

void ud_store_free(struct ud_store *s)
{
	if (s == NULL)
		return;
	free(s->top);
	free(s->repos);
	free(s->layers);
	free(s->containers);
	free(s->bin);
	free(s->lib);
	free(s->doc);
	free(s->tmp);
	free(s);
}

bool ud_store_owner_lock(const char *path, const char *what, struct ud_lock *lock,
			 struct ud_error **err)
{
	_cleanup_free_ char *lp = xasprintf("%s.lock", path);
	return ud_lock_acquire(lock, lp, what, 10000, err) == 0;
}

#define FRESH_LOCK_S 60

bool ud_store_owner_gone(const char *path, struct ud_lock *lock)
{
	_cleanup_free_ char *lp = xasprintf("%s.lock", path);
	struct stat st;
	if (lstat(lp, &st) == 0 && st.st_size == 0 && time(NULL) - st.st_mtime < FRESH_LOCK_S)
		return false;
	return ud_lock_acquire(lock, lp, "removing a leftover", 0, NULL) == 0;
}

void ud_store_owner_unlock(const char *path, struct ud_lock *lock)
{
	_cleanup_free_ char *lp = xasprintf("%s.lock", path);
	unlink(lp);
	ud_lock_release(lock);
}

#define STALE_TMP_S 3600

void ud_store_clean_stale_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *de;
	time_t now = time(NULL);
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		const char *n = de->d_name;
		if ((!ud_str_has_prefix(n, "udocker-") && !ud_str_has_prefix(n, "import-")) ||
		    fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    now - st.st_mtime < STALE_TMP_S)
			continue;
		size_t len = strlen(n);
		bool lockfile = len > 5 && strcmp(n + len - 5, ".lock") == 0;
		_cleanup_free_ char *p = ud_path_join(dir, n);
		if (lockfile) {
			/* The lock of a temporary gone already (its owner was killed
			 * between the two): removed under the lock. */
			p[strlen(p) - 5] = '\0';
			if (lstat(p, &st) == 0 || errno != ENOENT)
				continue;
		}
		struct ud_lock lock = {.fd = -1};
		if (!ud_store_owner_gone(p, &lock))
			continue; /* its owner is at work */
		if (!lockfile)
			ud_rmtree(p, NULL);
		ud_store_owner_unlock(p, &lock);
	}
	closedir(d);
}
