/* Applying image layers to a container root with libarchive.
 *
 * Every path is walked component by component with O_NOFOLLOW, from the
 * root's directory fd or from a directory of the previous entry's path
 * still open (struct dir_cache): an entry whose path crosses a symlink, contains
 * "..", or names a device is skipped (and counted), so nothing is ever
 * written outside the root. Whiteouts (.wh.NAME, .wh..wh..opq) are applied
 * in the same pass; a whiteout of ".", ".." or nothing is an error, never
 * a removal. Modes are the layer's with group and other write, setuid and
 * setgid removed (the sticky bit of directories stays), plus read and
 * write for the owner, who owns everything, as udocker does. The
 * decompressed tar streams of the layers of one container together are
 * capped (struct ud_store's max_layer_size), the data of skipped members
 * included: a bomb split into layers, or hidden in a member that is not
 * written, stops at the same limit. */
#include "store/archive_dl.h"
#include "store/store_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

/* Opens the directory name in fd without following a symlink, creating
 * it first when it is missing and create is set. */
static int open_step(int fd, const char *name, bool create)
{
	int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (next < 0 && errno == ENOENT && create) {
		mkdirat(fd, name, 0755);
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return next; /* < 0: missing, not a directory, or a symlink */
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
		int next = open_step(fd, c, create);
		*slash = '/';
		close(fd);
		if (next < 0)
			return -1;
		fd = next;
		c = slash + 1;
	}
}

/* The directories of the last entry's path, open: the members of a layer
 * come in directory order, so the next entry's parent is nearly always
 * one of them and costs no openat. fd[k] is the directory at the first
 * k components of path (fd[0], the root's, is not owned). Invariant: each
 * fd[k] is the directory that is at that path now. Only this layer's
 * removals can break it (nothing is renamed), so every removal goes
 * through remove_entry(), which drops what is at or below the removed
 * name; a stale fd would put files in a directory no longer in the tree.
 * Deeper than DIR_CACHE_DEPTH, the rest of a path is walked each time
 * (deep_fd, closed by the next lookup), which bounds the fds held. */
#define DIR_CACHE_DEPTH 64
struct dir_cache {
	char path[4096];
	size_t end[DIR_CACHE_DEPTH + 1]; /* path[0, end[k]) names fd[k] */
	int fd[DIR_CACHE_DEPTH + 1];
	int depth;
	int last; /* the depth the last lookup returned; -1: deep_fd or none */
	int deep_fd;
};

static void dir_cache_init(struct dir_cache *c, int rootfd)
{
	c->path[0] = '\0';
	c->end[0] = 0;
	c->fd[0] = rootfd;
	c->depth = 0;
	c->last = -1;
	c->deep_fd = -1;
}

/* Keeps the first depth directories, closing the others. */
static void dir_cache_truncate(struct dir_cache *c, int depth)
{
	while (c->depth > depth)
		close(c->fd[c->depth--]);
	c->path[c->end[c->depth]] = '\0';
	if (c->last > depth)
		c->last = -1;
}

static void dir_cache_release(struct dir_cache *c)
{
	dir_cache_truncate(c, 0);
	if (c->deep_fd >= 0)
		close(c->deep_fd);
	c->deep_fd = -1;
}

/* How many leading components of dir (len bytes, no leading or trailing
 * slash) are cached. */
static int dir_cache_match(const struct dir_cache *c, const char *dir, size_t len)
{
	int k = 0;
	while (k < c->depth) {
		size_t e = c->end[k + 1];
		if (e > len || memcmp(c->path, dir, e) != 0 || (e < len && dir[e] != '/'))
			break;
		k++;
	}
	return k;
}

/* The directory dir (len bytes; "" is the root), walked without following
 * symlinks and created when missing if create is set. Returns an fd the
 * cache owns, valid until its next call; -1 when the path crosses
 * something that is not a directory. */
static int dir_cache_open(struct dir_cache *c, const char *dir, size_t len, bool create)
{
	if (c->deep_fd >= 0)
		close(c->deep_fd);
	c->deep_fd = -1;
	c->last = -1;
	int k = dir_cache_match(c, dir, len);
	if (c->end[k] == len) {
		c->last = k;
		return c->fd[k];
	}
	dir_cache_truncate(c, k);
	char name[4096];
	for (size_t at = c->end[k] + (k > 0); at <= len;) {
		size_t n = strcspn(dir + at, "/");
		if (at + n > len)
			n = len - at;
		memcpy(name, dir + at, n);
		name[n] = '\0';
		int from = c->deep_fd >= 0 ? c->deep_fd : c->fd[c->depth];
		int next = open_step(from, name, create);
		if (next < 0)
			return -1;
		if (c->deep_fd >= 0 || c->depth == DIR_CACHE_DEPTH) {
			if (c->deep_fd >= 0)
				close(c->deep_fd);
			c->deep_fd = next;
		} else {
			c->fd[++c->depth] = next;
			c->end[c->depth] = at + n;
			memcpy(c->path, dir, at + n);
			c->path[at + n] = '\0';
		}
		at += n + 1;
	}
	if (c->deep_fd >= 0)
		return c->deep_fd;
	c->last = c->depth;
	return c->fd[c->depth];
}

/* Caches fd, the directory name in the directory the last lookup
 * returned, as the deepest one; closes fd when it cannot. */
static void dir_cache_push(struct dir_cache *c, const char *name, int fd)
{
	size_t n = strlen(name);
	int k = c->last;
	if (k < 0 || k == DIR_CACHE_DEPTH || c->end[k] + n + 2 > sizeof(c->path)) {
		close(fd);
		return;
	}
	dir_cache_truncate(c, k);
	size_t at = c->end[k];
	if (k > 0)
		c->path[at++] = '/';
	memcpy(c->path + at, name, n + 1);
	c->fd[++c->depth] = fd;
	c->end[c->depth] = at + n;
	c->last = -1;
}

/* Names were removed from the directory dir (len bytes): nothing below it
 * stays cached. */
static void dir_cache_removed(struct dir_cache *c, const char *dir, size_t len)
{
	int k = dir_cache_match(c, dir, len);
	if (c->end[k] == len)
		dir_cache_truncate(c, k);
}

struct layer_ctx {
	int rootfd;
	struct ud_layer_read R; /* filled by ud_layer_walk */
	char **created;		/* paths this layer created (kept by an opaque marker) */
	size_t n_created, cap_created;
	struct ud_extract_stats *stats;
	struct dir_cache dirs;
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
	int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub >= 0) {
		fchmod(sub, 0700);
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

/* Removes name in the directory dir (dirlen bytes of path) open at dfd,
 * and forgets the cached directories it may have held. */
static void remove_entry(struct layer_ctx *L, int dfd, const char *dir, size_t dirlen,
			 const char *name)
{
	remove_at(dfd, name);
	dir_cache_removed(&L->dirs, dir, dirlen);
}

/* The length of the directory part of path, base its last component. */
static size_t dir_len(const char *path, const char *base)
{
	return base == path ? 0 : (size_t)(base - path) - 1;
}

/* Applies the whiteout at path (its last component starts with ".wh."). */
static int whiteout(struct layer_ctx *L, const char *member, const char *path,
		    struct ud_error **err)
{
	const char *slash = strrchr(path, '/');
	const char *target = (slash ? slash + 1 : path) + 4;
	bool opaque = strcmp(target, ".wh..opq") == 0;
	if (!opaque && ud_str_has_prefix(target, ".wh."))
		return 0; /* aufs metadata (.wh..wh.plnk, ...): nothing to remove */
	if (*target == '\0' || strcmp(target, ".") == 0 || strcmp(target, "..") == 0)
		return ud_layer_member_error(L->R.layer, err, member, "whiteout of '%s' refused",
					     *target ? target : "");
	const char *base = slash ? slash + 1 : path;
	size_t dirlen = dir_len(path, base);
	int pfd = dir_cache_open(&L->dirs, path, dirlen, false);
	if (pfd < 0)
		return 0; /* nothing below it to remove (or a symlink: not followed) */
	if (opaque) {
		/* Opaque: the directory's lower content goes; this layer's stays. */
		DIR *d = fdopendir(dup(pfd));
		if (d) {
			struct dirent *de;
			while ((de = readdir(d)) != NULL) {
				if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
					continue;
				_cleanup_free_ char *p =
					xasprintf("%.*s%s", (int)(base - path), path, de->d_name);
				if (!ud_strv_contains(L->created, p))
					remove_entry(L, dirfd(d), path, dirlen, de->d_name);
			}
			closedir(d);
		}
	} else {
		remove_entry(L, pfd, path, dirlen, base + 4);
	}
	L->stats->whiteouts++;
	return 0;
}

static int write_data(struct layer_ctx *L, const char *member, int fd, struct ud_error **err)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(L->R.a, &buf, &size, &off)) == ARCHIVE_OK) {
		if (ud_layer_check_size(&L->R, err) < 0)
			return -1;
		for (size_t done = 0; done < size;) {
			ssize_t n = pwrite(fd, (const char *)buf + done, size - done,
					   off + (off_t)done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return ud_layer_member_error(L->R.layer, err, member,
							     "cannot write: %s",
							     strerror(n < 0 ? errno : EIO));
			done += (size_t)n;
		}
	}
	if (r != ARCHIVE_EOF)
		return ud_layer_member_error(L->R.layer, err, member, "%s",
					     archive_error_string(L->R.a));
	return 0;
}

/* A sparse member ending in a hole has no data there: the file gets its
 * size (a hole, no disk) unless that is past the cap. */
static int sparse_end(const struct layer_ctx *L, struct archive_entry *e, const char *member,
		      int fd, struct ud_error **err)
{
	int64_t size = archive_entry_size(e);
	struct stat st;
	if (size <= 0 || fstat(fd, &st) < 0 || st.st_size >= size)
		return 0;
	if (L->R.max_size > 0 && size > L->R.max_size)
		return ud_layer_sparse_size_error(L->R.layer, member, size, L->R.max_size, err);
	if (ftruncate(fd, size) < 0)
		return ud_layer_member_error(L->R.layer, err, member, "cannot write: %s",
					     strerror(errno));
	return 0;
}

/* The member's user.* extended attributes, set on fd where the filesystem
 * takes them. Other namespaces (security.capability, trusted.*) need
 * privileges a user does not have and are left out (docs/architecture.md). */
static void set_user_xattrs(struct archive_entry *e, int fd)
{
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
		if (ud_layer_keeps_xattr(name, size))
			(void)fsetxattr(fd, name, value, size, 0);
}

static int apply_entry(struct layer_ctx *L, struct archive_entry *e, const char *member,
		       const char *path, struct ud_error **err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dirlen = dir_len(path, base);
	mode_t type = archive_entry_filetype(e);
	if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK) {
		L->stats->skipped++;
		return 0;
	}
	int pfd = dir_cache_open(&L->dirs, path, dirlen, true);
	if (pfd < 0) {
		L->stats->skipped++; /* through a symlink or a file */
		return 0;
	}
	mode_t perm = ud_layer_perm(archive_entry_perm(e), type == AE_IFDIR);
	struct stat st;
	bool exists = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	int r = 0;
	if (type == AE_IFDIR) {
		if (exists && !S_ISDIR(st.st_mode)) {
			remove_entry(L, pfd, path, dirlen, base);
			exists = false;
		}
		if (!exists)
			mkdirat(pfd, base, 0700);
		int dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd >= 0) {
			fchmod(dfd, perm);
			set_user_xattrs(e, dfd);
			dir_cache_push(&L->dirs, base, dfd); /* its members come next */
		}
	} else {
		if (exists)
			remove_entry(L, pfd, path, dirlen, base);
		const char *hl = archive_entry_hardlink(e);
		char target[4096];
		if (hl && ud_layer_clean_path(hl, target, sizeof(target)) == UD_LAYER_PATH_OK) {
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
			mkfifoat(pfd, base, perm);
		} else {
			int fd = openat(pfd, base,
					O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm);
			if (fd < 0) {
				r = ud_layer_member_error(L->R.layer, err, member,
							  "cannot create: %s", strerror(errno));
			} else if ((r = write_data(L, member, fd, err)) == 0 &&
				   (r = sparse_end(L, e, member, fd, err)) == 0) {
				L->stats->files++;
				set_user_xattrs(e, fd);
				struct timespec ts[2] = {{archive_entry_mtime(e), 0},
							 {archive_entry_mtime(e), 0}};
				futimens(fd, ts);
			}
			if (fd >= 0)
				close(fd);
		}
	}
	remember(L, path);
	return r;
}

static int extract_member(void *data, struct ud_layer_read *R, struct archive_entry *e,
			  const char *member, const char *path, enum ud_layer_path kind,
			  struct ud_error **err)
{
	struct layer_ctx *L = data;
	(void)R;
	if (kind != UD_LAYER_PATH_OK) {
		/* "./" is the root itself; ".." would leave it. */
		L->stats->skipped += kind == UD_LAYER_PATH_DOTDOT;
		return 0;
	}
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	return ud_str_has_prefix(base, ".wh.") ? whiteout(L, member, path, err)
					       : apply_entry(L, e, member, path, err);
}

int ud_store_extract_layer(int rootfd, const char *layer, int64_t max_size, int64_t *total,
			   struct ud_extract_stats *stats, struct ud_error **err)
{
	struct layer_ctx L = {.rootfd = rootfd, .stats = stats};
	dir_cache_init(&L.dirs, rootfd);
	remember(&L, "");
	int r = ud_layer_walk(layer, max_size, total, &L.R, extract_member, &L, err);
	dir_cache_release(&L.dirs);
	ud_strv_free(L.created);
	return r;
}
