#include "common/common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

char *ud_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (*b == '\0')
		return xstrndup(a, la);
	if (la == 1 && a[0] == '/')
		return xasprintf("/%s", b);
	return xasprintf("%.*s/%s", (int)la, a, b);
}

char *ud_path_normalize(const char *path)
{
	if (path[0] != '/')
		return NULL;
	size_t n = strlen(path);
	char *out = xmalloc(n + 2);
	size_t o = 0; /* out[0..o) is "" or "/a/b" */
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		const char *end = p + strcspn(p, "/");
		size_t len = (size_t)(end - p);
		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* "//" or "/./": nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (o == 0) {
				free(out);
				return NULL;
			}
			while (o > 0 && out[o - 1] != '/')
				o--;
			o--; /* the '/' before the last component */
		} else {
			out[o++] = '/';
			memcpy(out + o, p, len);
			o += len;
		}
		p = end;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

int ud_mkdir_p(const char *path, mode_t mode, struct ud_error **err)
{
	_cleanup_free_ char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return ud_error_sys(err, errno, "cannot create directory '%s'", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return ud_error_sys(err, errno, "cannot create directory '%s'", p);
	if (!ud_is_dir(p))
		return ud_error_set(err, UD_ERR_IO, "'%s' exists and is not a directory", p);
	return 0;
}

bool ud_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool ud_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool ud_path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int ud_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

char *ud_read_file(const char *path, size_t *len, struct ud_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		ud_error_sys(err, e, "cannot open '%s'", path);
		if (err && *err && e == ENOENT)
			(*err)->code = UD_ERR_NOT_FOUND;
		return NULL;
	}
	return ud_read_small_fd(fd, path, SIZE_MAX - 1, len, err);
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m)    ? "a directory"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISSOCK(m) ? "a socket"
			     : "not a regular file";
}

char *ud_read_small_fd(int fd, const char *name, size_t max, size_t *len, struct ud_error **err)
{
	struct ud_buf b = {0};
	char chunk[65536];
	/* At most max + 1 bytes: one more says the input is too long, without
	 * reading the rest of an endless one. */
	while (b.len <= max) {
		size_t want = max + 1 - b.len;
		ssize_t n = read(fd, chunk, want < sizeof(chunk) ? want : sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ud_error_sys(err, errno, "cannot read '%s'", name);
			ud_buf_release(&b);
			return NULL;
		}
		if (n == 0)
			break;
		ud_buf_append(&b, chunk, (size_t)n);
	}
	if (b.len > max) {
		ud_error_set(err, UD_ERR_INVALID, "'%s': more than %zu bytes, expected at most %zu",
			     name, max, max);
		ud_buf_release(&b);
		return NULL;
	}
	if (len)
		*len = b.len;
	return ud_buf_steal(&b);
}

char *ud_read_small_file(const char *path, size_t max, size_t *len, struct ud_error **err)
{
	/* O_NONBLOCK: opening a FIFO nobody writes must not wait. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		ud_error_sys(err, e, "cannot open '%s'", path);
		if (err && *err && e == ENOENT)
			(*err)->code = UD_ERR_NOT_FOUND;
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		ud_error_sys(err, errno, "cannot stat '%s'", path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		ud_error_set(err, UD_ERR_INVALID, "'%s' is %s, expected a regular file", path,
			     file_kind(st.st_mode));
		return NULL;
	}
	if ((uintmax_t)st.st_size > max) {
		ud_error_set(err, UD_ERR_INVALID, "'%s' is %jd bytes, expected at most %zu", path,
			     (intmax_t)st.st_size, max);
		return NULL;
	}
	return ud_read_small_fd(fd, path, max, len, err);
}

int ud_fsync_parent(const char *path, struct ud_error **err)
{
	_cleanup_free_ char *copy = xstrdup(path);
	const char *dir = dirname(copy);
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ud_error_sys(err, errno, "cannot open directory '%s'", dir);
	/* Some filesystems refuse fsync on directories; the rename is still atomic. */
	if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
		return ud_error_sys(err, errno, "cannot sync directory '%s'", dir);
	return 0;
}

int ud_mkstemp_in(const char *dir, const char *prefix, char **path_out, struct ud_error **err)
{
	char *tmpl = xasprintf("%s/.%s.XXXXXX", dir, prefix);
	int fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0) {
		ud_error_sys(err, errno, "cannot create temporary file in '%s'", dir);
		free(tmpl);
		return -1;
	}
	*path_out = tmpl;
	return fd;
}

int ud_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct ud_error **err)
{
	_cleanup_free_ char *copy = xstrdup(path);
	_cleanup_free_ char *base = xstrdup(basename(copy));
	free(copy);
	copy = xstrdup(path);
	const char *dir = dirname(copy);
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = ud_mkstemp_in(dir, base, &tmp, err);
	if (fd < 0)
		return -1;
	if (ud_write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return ud_error_sys(err, e, "cannot write '%s'", path);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return ud_error_sys(err, e, "cannot rename '%s' to '%s'", tmp, path);
	}
	return ud_fsync_parent(path, err);
}

int ud_symlink_atomic(const char *target, const char *linkpath, struct ud_error **err)
{
	char rnd[17];
	ud_random_hex(rnd, 16);
	_cleanup_free_ char *tmp = xasprintf("%s.tmp-%s", linkpath, rnd);
	if (symlink(target, tmp) < 0)
		return ud_error_sys(err, errno, "cannot create symlink '%s'", tmp);
	if (rename(tmp, linkpath) < 0) {
		int e = errno;
		unlink(tmp);
		return ud_error_sys(err, e, "cannot rename symlink to '%s'", linkpath);
	}
	return 0;
}

char *ud_mkdtemp(const char *tmpdir, const char *purpose, struct ud_error **err)
{
	char *tmpl = xasprintf("%s/udocker-%ld-%s-XXXXXX", tmpdir, (long)getpid(), purpose);
	if (mkdtemp(tmpl) == NULL) {
		ud_error_sys(err, errno, "cannot create temporary directory in '%s'", tmpdir);
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

/* Removes the entries of the directory open at dfd, then nothing else. */
static int rmtree_at(int dfd, const char *path, struct ud_error **err)
{
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return ud_error_sys(err, errno, "cannot read directory '%s'", path);
	}
	int ret = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			ret = ud_error_sys(err, errno, "cannot stat '%s/%s'", path, de->d_name);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			/* Never through a link put there since the stat. */
			if ((st.st_mode & 0700) != 0700)
				fchmodat(dirfd(d), de->d_name, st.st_mode | 0700,
					 AT_SYMLINK_NOFOLLOW);
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_free_ char *subpath = ud_path_join(path, de->d_name);
			if (sub < 0) {
				ret = ud_error_sys(err, errno, "cannot open '%s'", subpath);
				break;
			}
			if (rmtree_at(sub, subpath, err) < 0) {
				ret = -1;
				break;
			}
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
				ret = ud_error_sys(err, errno, "cannot remove '%s'", subpath);
				break;
			}
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			ret = ud_error_sys(err, errno, "cannot remove '%s/%s'", path, de->d_name);
			break;
		}
	}
	closedir(d);
	return ret;
}

int ud_rmtree(const char *path, struct ud_error **err)
{
	size_t slashes = 0;
	for (const char *p = path; *p; p++)
		slashes += *p == '/';
	if (strcmp(path, "/") == 0 || slashes < 2)
		return ud_error_set(err, UD_ERR_USAGE, "refusing to delete '%s': path too short",
				    path);
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : ud_error_sys(err, errno, "cannot stat '%s'", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT)
			return ud_error_sys(err, errno, "cannot remove '%s'", path);
		return 0;
	}
	if ((st.st_mode & 0700) != 0700)
		fchmodat(AT_FDCWD, path, st.st_mode | 0700, AT_SYMLINK_NOFOLLOW);
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return ud_error_sys(err, errno, "cannot open '%s'", path);
	if (rmtree_at(dfd, path, err) < 0)
		return -1;
	if (rmdir(path) < 0 && errno != ENOENT)
		return ud_error_sys(err, errno, "cannot remove '%s'", path);
	return 0;
}

int ud_open_store_file(const char *path, int flags, mode_t mode, const char *what,
		       struct ud_error **err)
{
	int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	struct stat st;
	if (fd < 0 && errno == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return ud_error_set(err, UD_ERR_INVALID, "%s '%s' is a symbolic link: refused",
				    what, path);
	if (fd < 0)
		return ud_error_sys(err, errno, "cannot open %s '%s'", what, path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ud_error_set(err, UD_ERR_INVALID, "%s '%s' is not a regular file: refused",
				    what, path);
	}
	return fd;
}

int ud_copy_file(const char *src, const char *dst, mode_t mode, struct ud_error **err)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return ud_error_sys(err, errno, "cannot open '%s'", src);
	_cleanup_free_ char *copy = xstrdup(dst);
	const char *dir = dirname(copy);
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int out = ud_mkstemp_in(dir, "copy", &tmp, err);
	if (out < 0)
		return -1;
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && ud_write_all(out, buf, (size_t)n) < 0)) {
			int e = errno;
			unlink(tmp);
			return ud_error_sys(err, e, "cannot copy '%s' to '%s'", src, dst);
		}
		if (n == 0)
			break;
	}
	if (fchmod(out, mode) < 0 || fsync(out) < 0 || rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		return ud_error_sys(err, e, "cannot write '%s'", dst);
	}
	return ud_fsync_parent(dst, err);
}
