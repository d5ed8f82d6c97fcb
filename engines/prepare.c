/* The checks and preparations every mode makes before it starts anything
 * (engines/engines.h, ud_engine_prepare): one set of rules for where a
 * container path is on the host, so no engine takes /data2 for a path in
 * a /data volume. */
#include "engines/engines.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The volume holding guest (the longest whose path is guest or a parent
 * directory of it), or NULL. */
static const struct ud_bind *volume_of(const struct ud_run_request *r, const char *guest)
{
	const struct ud_bind *best = NULL;
	for (size_t i = 0; i < r->n_binds; i++) {
		size_t n = strlen(r->binds[i].path);
		while (n > 1 && r->binds[i].path[n - 1] == '/')
			n--;
		bool inside = strncmp(guest, r->binds[i].path, n) == 0 &&
			      (guest[n] == '\0' || guest[n] == '/' || n == 1);
		if (inside && (best == NULL || n > strlen(best->path)))
			best = &r->binds[i];
	}
	return best;
}

/* The part of guest below the path of the volume b holding it ("" or
 * slashes for the volume itself). */
static const char *below_volume(const struct ud_bind *b, const char *guest)
{
	size_t n = strlen(b->path);
	while (n > 1 && b->path[n - 1] == '/')
		n--;
	return guest + (n == 1 ? 0 : n);
}

char *ud_engine_host_path(const struct ud_run_request *r, const char *guest)
{
	const struct ud_bind *b = volume_of(r, guest);
	if (b)
		return xasprintf("%s%s", b->host, below_volume(b, guest));
	return xasprintf("%s%s", r->root, guest);
}

/* stat of a container path: in a volume resolved in the volume's host
 * directory as if it were the root (a link in the volume never leads out
 * of it), else resolved in the root (an image's absolute link leads
 * inside it). */
static int guest_stat(const struct ud_run_request *r, int root_fd, const char *guest,
		      struct stat *st)
{
	const struct ud_bind *b = volume_of(r, guest);
	_cleanup_close_ int vol_fd = b ? open(b->host, O_PATH | O_CLOEXEC) : -1;
	if (b && vol_fd < 0)
		return -1;
	const char *rest = b ? below_volume(b, guest) : guest;
	if (b && rest[strspn(rest, "/")] == '\0')
		return fstat(vol_fd, st);
	_cleanup_close_ int fd = ud_root_open(b ? vol_fd : root_fd, rest, O_PATH, 0, NULL);
	return fd < 0 ? -1 : fstat(fd, st);
}

static bool guest_executable(const struct ud_run_request *r, int root_fd, const char *guest)
{
	struct stat st;
	if (guest_stat(r, root_fd, guest, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	return (st.st_mode & 0111) != 0;
}

char *ud_engine_find_command(const struct ud_run_request *r, const char *name)
{
	_cleanup_close_ int root_fd = open(r->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return NULL;
	if (strchr(name, '/')) {
		_cleanup_free_ char *g =
			name[0] == '/' ? xstrdup(name)
				       : ud_path_join(r->workdir ? r->workdir : "/", name);
		return guest_executable(r, root_fd, g) ? xstrdup(name) : NULL;
	}
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (size_t i = 0; r->env && r->env[i]; i++)
		if (ud_str_has_prefix(r->env[i], "PATH="))
			path = r->env[i] + 5;
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (d[0] != '/')
			continue;
		_cleanup_free_ char *g = ud_path_join(d, name);
		if (guest_executable(r, root_fd, g))
			return steal_pointer(&g);
	}
	return NULL;
}

/* A working directory that does not exist is made, as Docker does (in
 * the volume holding it, resolved in the volume's host directory, else in
 * the root as the container sees it; never in a read-only volume); one
 * that is something else than a directory is an error. */
static int make_workdir(const struct ud_run_request *r, int root_fd, const char *wd,
			struct ud_error **err)
{
	struct stat st;
	_cleanup_free_ char *norm = ud_path_normalize(wd);
	if (norm == NULL)
		return ud_error_set(err, UD_ERR_USAGE,
				    "invalid working directory: %s: expected an absolute path "
				    "inside the container",
				    wd);
	wd = norm;
	if (guest_stat(r, root_fd, wd, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		return ud_error_set(err, UD_ERR_USAGE,
				    "invalid working directory: %s: not a directory", wd);
	}
	if (errno != ENOENT)
		return ud_error_sys(err, errno, "invalid working directory: %s", wd);
	const struct ud_bind *b = volume_of(r, wd);
	if (b && b->readonly)
		return ud_error_set(err, UD_ERR_USAGE,
				    "invalid working directory: %s: it is in a read-only volume "
				    "and does not exist",
				    wd);
	struct ud_error *e = NULL;
	_cleanup_close_ int vol_fd = b ? open(b->host, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	int made = -1;
	if (b && vol_fd < 0)
		ud_error_sys(&e, errno, "cannot open the volume '%s'", b->host);
	else
		made = ud_root_mkdir_p(b ? vol_fd : root_fd, b ? below_volume(b, wd) : wd, 0755,
				       &e);
	if (made >= 0)
		close(made);
	if (made < 0) {
		ud_error_set(err, UD_ERR_USAGE, "invalid working directory: %s: %s", wd, e->msg);
		ud_error_free(e);
		return -1;
	}
	return 0;
}

int ud_engine_prepare(const struct ud_run_request *r, unsigned what, char **exe,
		      struct ud_error **err)
{
	_cleanup_close_ int root_fd = open(r->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return ud_error_sys(err, errno, "cannot open the container root '%s'", r->root);
	struct stat st;
	for (size_t i = 0; i < r->n_binds; i++)
		if (stat(r->binds[i].host, &st) < 0)
			return ud_error_set(err, UD_ERR_USAGE, "invalid host volume path: %s",
					    r->binds[i].host);
	if (what & UD_PREPARE_MOUNTPOINTS)
		for (size_t i = 0; i < r->n_binds; i++) {
			if (stat(r->binds[i].host, &st) < 0)
				return ud_error_set(err, UD_ERR_USAGE,
						    "invalid host volume path: %s",
						    r->binds[i].host);
			if (ud_engine_make_mountpoint(root_fd, r->binds[i].path,
						      S_ISDIR(st.st_mode), r->mountpoints, NULL,
						      err) < 0)
				return -1;
		}
	if ((what & UD_PREPARE_WORKDIR) &&
	    make_workdir(r, root_fd, r->workdir ? r->workdir : "/", err) < 0)
		return -1;
	if (what & UD_PREPARE_COMMAND) {
		char *found = ud_engine_find_command(r, r->argv[0]);
		if (found == NULL)
			return ud_error_set(err, UD_ERR_USAGE, "command not found: %s", r->argv[0]);
		if (exe)
			*exe = found;
		else
			free(found);
	}
	return 0;
}
