/* Applying image layers to a container root with libarchive.
 *
 * Every path is walked component by component from the root's directory
 * fd with O_NOFOLLOW: an entry whose path crosses a symlink, contains
 * "..", or names a device is skipped, so nothing is ever written outside
 * the root. Whiteouts (.wh.NAME, .wh..wh..opq) are applied in the same
 * pass; setuid/setgid bits are dropped; everything is owned by the user
 * and readable and writable by its owner, as udocker does. */
#include "store/archive_dl.h"
#include "store/store_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

struct layer_ctx {
	int rootfd;
	char **created; /* paths this layer created (kept by an opaque marker) */
	size_t n_created, cap_created;
	struct ud_extract_stats *stats;
};

static void remember(struct layer_ctx *L, const char *path)
{
	if (L->n_created + 1 >= L->cap_created) {
		L->cap_created = L->cap_created ? 2 * L->cap_created : 256;
		L->created = xrealloc(L->created, L->cap_created * sizeof(char *));
	}
	L->created[L->n_created++] = xstrdup(path);
	L->created[L->n_created] = NULL;
}

/* Splits a cleaned path; returns false for "..", empty or root-only paths. */
static bool clean_path(const char *in, char *out, size_t outlen)
{
	while (in[0] == '.' && in[1] == '/')
		in += 2;
	while (*in == '/')
		in++;
	size_t n = strlen(in);
	while (n > 0 && in[n - 1] == '/')
		n--;
	if (n == 0 || n >= outlen || strcmp(in, ".") == 0)
		return false;
	memcpy(out, in, n);
	out[n] = '\0';
	for (char *c = out; *c;) {
		size_t len = strcspn(c, "/");
		if ((len == 2 && c[0] == '.' && c[1] == '.') || len == 0)
			return false;
		c += len;
		if (*c == '/')
			c++;
	}
	return true;
}

/* Opens the directory holding path (creating missing directories) without
 * following symlinks; *base points into path at the last component. */
static int open_parent(int rootfd, char *path, char **base, bool create)
{
	int fd = dup(rootfd);
	char *c = path;
	for (;;) {
		char *slash = strchr(c, '/');
		if (slash == NULL) {
			*base = c;
			return fd;
		}
		*slash = '\0';
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			mkdirat(fd, c, 0755);
			next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		*slash = '/';
		close(fd);
		if (next < 0)
			return -1; /* missing, not a directory, or a symlink */
		fd = next;
		c = slash + 1;
	}
}

/* Removes name in dirfd, whatever it is (directories recursively). */
static void remove_at(int dfd, const char *name)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(dfd, name, 0);
		return;
	}
	fchmodat(dfd, name, 0700, 0);
	int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub >= 0) {
		DIR *d = fdopendir(sub);
		if (d) {
			struct dirent *de;
			while ((de = readdir(d)) != NULL)
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
					remove_at(dirfd(d), de->d_name);
			closedir(d);
		} else {
			close(sub);
		}
	}
	unlinkat(dfd, name, AT_REMOVEDIR);
}

static void whiteout(struct layer_ctx *L, char *path)
{
	char *base;
	_cleanup_free_ char *copy = xstrdup(path);
	int pfd = open_parent(L->rootfd, copy, &base, false);
	if (pfd < 0)
		return;
	if (strcmp(base, ".wh..wh..opq") == 0) {
		/* Opaque: the directory's lower content goes; this layer's stays. */
		size_t dirlen = (size_t)(base - copy);
		DIR *d = fdopendir(dup(pfd));
		if (d) {
			struct dirent *de;
			while ((de = readdir(d)) != NULL) {
				if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
					continue;
				_cleanup_free_ char *p =
					xasprintf("%.*s%s", (int)dirlen, copy, de->d_name);
				if (!ud_strv_contains(L->created, p))
					remove_at(dirfd(d), de->d_name);
			}
			closedir(d);
		}
	} else {
		remove_at(pfd, base + 4);
	}
	L->stats->whiteouts++;
	close(pfd);
}

static int write_data(struct archive *a, int fd)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
		if (pwrite(fd, buf, size, off) != (ssize_t)size)
			return -1;
	}
	return r == ARCHIVE_EOF ? 0 : -1;
}

static void apply_entry(struct layer_ctx *L, struct archive *a, struct archive_entry *e,
			const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *base;
	mode_t type = archive_entry_filetype(e);
	if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK) {
		L->stats->skipped++;
		return;
	}
	int pfd = open_parent(L->rootfd, copy, &base, true);
	if (pfd < 0) {
		L->stats->skipped++;
		return;
	}
	mode_t perm = archive_entry_perm(e) & 0777; /* no setuid/setgid/sticky */
	struct stat st;
	bool exists = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (type == AE_IFDIR) {
		if (exists && !S_ISDIR(st.st_mode)) {
			remove_at(pfd, base);
			exists = false;
		}
		if (!exists)
			mkdirat(pfd, base, 0700);
		fchmodat(pfd, base, perm | 0700, 0);
	} else {
		if (exists)
			remove_at(pfd, base);
		const char *hl = archive_entry_hardlink(e);
		char target[4096];
		if (hl && clean_path(hl, target, sizeof(target))) {
			char *tbase;
			int tfd = open_parent(L->rootfd, target, &tbase, false);
			if (tfd < 0 || linkat(tfd, tbase, pfd, base, 0) < 0)
				L->stats->skipped++;
			if (tfd >= 0)
				close(tfd);
		} else if (hl) {
			L->stats->skipped++; /* a hard link out of the root */
		} else if (type == AE_IFLNK) {
			if (symlinkat(archive_entry_symlink(e), pfd, base) < 0)
				L->stats->skipped++;
		} else if (type == AE_IFIFO) {
			mkfifoat(pfd, base, perm | 0600);
		} else {
			int fd = openat(pfd, base,
					O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
					perm | 0600);
			if (fd < 0 || write_data(a, fd) < 0) {
				L->stats->skipped++;
			} else {
				L->stats->files++;
				struct timespec ts[2] = {{archive_entry_mtime(e), 0},
							 {archive_entry_mtime(e), 0}};
				futimens(fd, ts);
			}
			if (fd >= 0)
				close(fd);
		}
	}
	remember(L, path);
	close(pfd);
}

int ud_store_extract_layer(int rootfd, const char *layer, struct ud_extract_stats *stats,
			   struct ud_error **err)
{
	if (ud_archive_load(err) < 0)
		return -1;
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	struct layer_ctx L = {rootfd, NULL, 0, 0, stats};
	remember(&L, "");
	int r = archive_read_open_filename(a, layer, 1 << 17);
	struct archive_entry *e;
	while (r == ARCHIVE_OK && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		char path[4096];
		if (!clean_path(archive_entry_pathname(e), path, sizeof(path))) {
			stats->skipped++;
			continue;
		}
		const char *slash = strrchr(path, '/');
		const char *base = slash ? slash + 1 : path;
		if (ud_str_has_prefix(base, ".wh."))
			whiteout(&L, path);
		else
			apply_entry(&L, a, e, path);
	}
	if (r != ARCHIVE_EOF)
		ud_error_set(err, UD_ERR_INVALID, "layer '%s': %s", layer, archive_error_string(a));
	archive_read_free(a);
	ud_strv_free(L.created);
	return r == ARCHIVE_EOF ? 0 : -1;
}
