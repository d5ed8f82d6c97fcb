/* Files inside a container root, resolved as if the root were "/".
 *
 * The kernel does it with openat2(RESOLVE_IN_ROOT); where it lacks
 * openat2 (ENOSYS), and to create missing directories, a walk opens one
 * component at a time with O_NOFOLLOW from directory fds it keeps, reads
 * every symlink itself and goes on with its target: an absolute one from
 * the root again, ".." never above it. */
#include "common/common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define MAX_LINKS 40

static bool openat2_wanted = true;
static bool openat2_missing;

void ud_root_use_openat2(bool on)
{
	openat2_wanted = on;
}

static bool have_openat2(void)
{
	return openat2_wanted && !openat2_missing;
}

/* -1 with errno ENOSYS when the kernel has no openat2. */
static int open_fast(int root_fd, const char *path, int flags, mode_t mode)
{
	bool creates = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = creates ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	/* EAGAIN: a rename or mount raced with the lookup. */
	for (int i = 0; i < 16; i++) {
		long fd = syscall(SYS_openat2, root_fd, *path ? path : ".", &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno == ENOSYS)
			openat2_missing = true;
		if (errno != EAGAIN)
			break;
	}
	return -1;
}

/* ------------------------------------------------------------ the walk */

struct walk {
	int root;     /* not owned */
	int *fds;     /* the directories entered below root, owned */
	char **names; /* and their names */
	size_t n, cap;
	int links;
	char *host; /* the root's own path on the host, when known */
	bool host_read;
};

static int walk_top(const struct walk *w)
{
	return w->n ? w->fds[w->n - 1] : w->root;
}

static void walk_push(struct walk *w, int fd, const char *name)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 16;
		w->fds = xrealloc(w->fds, w->cap * sizeof(*w->fds));
		w->names = xrealloc(w->names, w->cap * sizeof(*w->names));
	}
	w->fds[w->n] = fd;
	w->names[w->n++] = xstrdup(name);
}

static void walk_pop(struct walk *w)
{
	w->n--;
	close(w->fds[w->n]);
	free(w->names[w->n]);
}

static void walk_release(struct walk *w)
{
	while (w->n)
		walk_pop(w);
	free(w->fds);
	free(w->names);
	free(w->host);
}

/* A symlink's target as a path in the root. The F modes rewrite absolute
 * links to name the root's host path: such a target means the path below
 * it. */
static const char *map_target(struct walk *w, const char *target)
{
	if (target[0] != '/')
		return target;
	if (!w->host_read) {
		w->host_read = true;
		char proc[64], buf[PATH_MAX];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->root);
		ssize_t n = readlink(proc, buf, sizeof(buf) - 1);
		if (n > 1 && buf[0] == '/') {
			buf[n] = '\0';
			w->host = xstrdup(buf);
		}
	}
	size_t n = w->host ? strlen(w->host) : 0;
	if (n > 1 && strncmp(target, w->host, n) == 0 && (target[n] == '/' || target[n] == '\0'))
		return target[n] ? target + n : "/";
	return target;
}

/* The target of the symlink `name` in the current directory into buf:
 * 1 when it is one, 0 when it is no symlink or missing, -1 on error. */
static int walk_readlink(struct walk *w, const char *name, char *buf, size_t size)
{
	ssize_t n = readlinkat(walk_top(w), name, buf, size - 1);
	if (n < 0)
		return errno == EINVAL || errno == ENOENT ? 0 : -1;
	if ((size_t)n >= size - 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (++w->links > MAX_LINKS) {
		errno = ELOOP;
		return -1;
	}
	buf[n] = '\0';
	return 1;
}

static int walk_path(struct walk *w, const char *path, bool create, mode_t mode, bool follow_last,
		     char **last);

/* Enters the directory `name` of the current one: a symlink is resolved
 * in the root, a missing directory is made when create. */
static int walk_enter(struct walk *w, const char *name, bool create, mode_t mode)
{
	char target[PATH_MAX + 1];
	int link = walk_readlink(w, name, target, sizeof(target));
	if (link < 0)
		return -1;
	if (link) {
		_cleanup_free_ char *last = NULL;
		if (walk_path(w, map_target(w, target), create, mode, true, &last) < 0)
			return -1;
		return last ? walk_enter(w, last, create, mode) : 0;
	}
	if (create && mkdirat(walk_top(w), name, mode) < 0 && errno != EEXIST)
		return -1;
	/* A symlink put there since is not followed: ENOTDIR. */
	int fd = openat(walk_top(w), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	walk_push(w, fd, name);
	return 0;
}

/* Walks path from the current directory (an absolute one from the root).
 * The last component is not entered: its name goes to *last (NULL when
 * the path ends in ".", ".." or names the root), after a symlink there
 * was resolved when follow_last. */
static int walk_path(struct walk *w, const char *path, bool create, mode_t mode, bool follow_last,
		     char **last)
{
	*last = NULL;
	if (path[0] == '/')
		while (w->n)
			walk_pop(w);
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save), *next; c; c = next) {
		next = strtok_r(NULL, "/", &save);
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (w->n)
				walk_pop(w);
			continue;
		}
		if (next) {
			if (walk_enter(w, c, create, mode) < 0)
				return -1;
			continue;
		}
		char target[PATH_MAX + 1];
		int link = follow_last ? walk_readlink(w, c, target, sizeof(target)) : 0;
		if (link < 0)
			return -1;
		if (link)
			return walk_path(w, map_target(w, target), create, mode, true, last);
		*last = xstrdup(c);
	}
	return 0;
}

static int fail(struct ud_error **err, int e, const char *what, const char *path)
{
	_cleanup_free_ char *safe = ud_str_escape(path, 256);
	int r = ud_error_sys(err, e, "cannot %s '%s' in the container", what, safe);
	if (err && *err && e == ENOENT)
		(*err)->code = UD_ERR_NOT_FOUND;
	return r;
}

/* ------------------------------------------------------------- public */

int ud_root_open(int root_fd, const char *path, int flags, mode_t mode, struct ud_error **err)
{
	if (have_openat2()) {
		int fd = open_fast(root_fd, path, flags, mode);
		if (fd >= 0)
			return fd;
		/* ENOENT: perhaps through a link the F modes rewrote. */
		if (errno != ENOSYS && errno != ENOENT)
			return fail(err, errno, "open", path);
	}
	struct walk w = {.root = root_fd};
	_cleanup_free_ char *last = NULL;
	int fd = -1;
	/* As the kernel: a trailing slash follows a link there and wants a
	 * directory. */
	size_t len = strlen(path);
	if (len && path[len - 1] == '/') {
		flags &= ~O_NOFOLLOW;
		flags |= O_DIRECTORY;
	}
	if (walk_path(&w, path, false, 0, !(flags & O_NOFOLLOW), &last) == 0)
		fd = openat(walk_top(&w), last ? last : ".",
			    flags | (last ? O_NOFOLLOW : 0) | O_CLOEXEC, mode);
	int e = errno;
	walk_release(&w);
	return fd >= 0 ? fd : fail(err, e, "open", path);
}

int ud_root_open_regular(int root_fd, const char *path, struct ud_error **err)
{
	/* O_NONBLOCK: opening a FIFO never waits for a writer. */
	int fd = ud_root_open(root_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, err);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return fail(err, e, "read", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		_cleanup_free_ char *safe = ud_str_escape(path, 256);
		return ud_error_set(err, UD_ERR_INVALID,
				    "'%s' in the container is not a regular file", safe);
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return fail(err, e, "read", path);
	}
	return fd;
}

char *ud_root_read_file(int root_fd, const char *path, size_t max, size_t *len,
			struct ud_error **err)
{
	_cleanup_close_ int fd = ud_root_open_regular(root_fd, path, err);
	if (fd < 0)
		return NULL;
	_cleanup_free_ char *safe = ud_str_escape(path, 256);
	return ud_read_small_fd(fd, safe, max, len, err);
}

int ud_root_mkdir_p(int root_fd, const char *path, mode_t mode, struct ud_error **err)
{
	if (have_openat2()) {
		int fd = open_fast(root_fd, path, O_PATH | O_DIRECTORY, 0);
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS && errno != ENOENT)
			return fail(err, errno, "create directory", path);
	}
	struct walk w = {.root = root_fd};
	_cleanup_free_ char *last = NULL;
	int fd = -1;
	if (walk_path(&w, path, true, mode, true, &last) == 0 &&
	    (last == NULL || walk_enter(&w, last, true, mode) == 0))
		fd = fcntl(walk_top(&w), F_DUPFD_CLOEXEC, 0);
	int e = errno;
	walk_release(&w);
	return fd >= 0 ? fd : fail(err, e, "create directory", path);
}

/* The last component of path (allocated), NULL for "", ".", ".." or "/". */
static char *last_name(const char *path, char **parent)
{
	_cleanup_free_ char *copy = xstrdup(path);
	size_t n = strlen(copy);
	while (n > 0 && copy[n - 1] == '/')
		copy[--n] = '\0';
	char *slash = strrchr(copy, '/');
	char *name = slash ? slash + 1 : copy;
	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return NULL;
	*parent = slash ? xstrndup(copy, (size_t)(slash - copy) + 1) : xstrdup(".");
	return xstrdup(name);
}

int ud_root_open_parent(int root_fd, const char *path, bool follow, bool create, char **name,
			struct ud_error **err)
{
	*name = NULL;
	_cleanup_free_ char *parent = NULL;
	_cleanup_free_ char *base = last_name(path, &parent);
	if (base == NULL) {
		_cleanup_free_ char *safe = ud_str_escape(path, 256);
		return ud_error_set(err, UD_ERR_USAGE, "'%s' names no file in the container", safe);
	}
	if (have_openat2()) {
		int fd = create ? ud_root_mkdir_p(root_fd, parent, 0755, err)
				: ud_root_open(root_fd, parent, O_PATH | O_DIRECTORY, 0, err);
		if (fd < 0)
			return -1;
		struct stat st;
		/* A symlink at the end is resolved on by the walk below. */
		if (!follow || fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISLNK(st.st_mode)) {
			*name = steal_pointer(&base);
			return fd;
		}
		close(fd);
	}
	struct walk w = {.root = root_fd};
	int fd = -1;
	if (walk_path(&w, path, create, 0755, follow, name) == 0) {
		if (*name == NULL)
			errno = EISDIR;
		else
			fd = fcntl(walk_top(&w), F_DUPFD_CLOEXEC, 0);
	}
	int e = errno;
	walk_release(&w);
	if (fd < 0) {
		free(steal_pointer(name));
		return fail(err, e, "open the directory of", path);
	}
	return fd;
}

char *ud_root_resolve(int root_fd, const char *path, struct ud_error **err)
{
	struct walk w = {.root = root_fd};
	_cleanup_free_ char *last = NULL;
	char *out = NULL;
	struct stat st;
	if (walk_path(&w, path, false, 0, true, &last) == 0 &&
	    fstatat(walk_top(&w), last ? last : ".", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		struct ud_buf b = {0};
		for (size_t i = 0; i < w.n; i++)
			ud_buf_printf(&b, "/%s", w.names[i]);
		if (last)
			ud_buf_printf(&b, "/%s", last);
		if (b.len == 0)
			ud_buf_puts(&b, "/");
		out = ud_buf_steal(&b);
	}
	int e = errno;
	walk_release(&w);
	if (out == NULL)
		fail(err, e, "resolve", path);
	return out;
}

/* Replaces path's file (a symlink there resolved in the root) with what
 * fill writes into a temporary file beside it. */
static int replace_file(int root_fd, const char *path, mode_t mode, int (*fill)(int, void *),
			void *arg, struct ud_error **err)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int dir = ud_root_open_parent(root_fd, path, true, true, &name, err);
	if (dir < 0)
		return -1;
	char rnd[17];
	ud_random_hex(rnd, 16);
	_cleanup_free_ char *tmp = xasprintf(".%.200s.udocker-%s", name, rnd);
	_cleanup_close_ int fd =
		openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(err, errno, "create", path);
	if (fill(fd, arg) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0 ||
	    renameat(dir, tmp, dir, name) < 0) {
		int e = errno;
		unlinkat(dir, tmp, 0);
		return fail(err, e, "write", path);
	}
	_cleanup_close_ int sync = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sync >= 0)
		(void)fsync(sync);
	return 0;
}

struct data {
	const void *data;
	size_t len;
};

static int fill_data(int fd, void *arg)
{
	const struct data *d = arg;
	return ud_write_all(fd, d->data, d->len);
}

int ud_root_write_file(int root_fd, const char *path, const void *data, size_t len, mode_t mode,
		       struct ud_error **err)
{
	struct data d = {data, len};
	return replace_file(root_fd, path, mode, fill_data, &d, err);
}

static int fill_copy(int fd, void *arg)
{
	int in = *(int *)arg;
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && ud_write_all(fd, buf, (size_t)n) < 0))
			return -1;
		if (n == 0)
			return 0;
	}
}

int ud_root_copy_file(int root_fd, const char *src, const char *path, mode_t mode,
		      struct ud_error **err)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return ud_error_sys(err, errno, "cannot open '%s'", src);
	return replace_file(root_fd, path, mode, fill_copy, &in, err);
}
