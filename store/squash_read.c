/* Reading one file of a container as the container sees it, without
 * mounting anything: a directory container's ROOT, or an image-backed
 * container's overlay (its upper directory over its image file) resolved
 * here by overlayfs's rules, symlinks followed inside that merged tree. */
#include "store/squash_dl.h"
#include "store/store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_SYMLINKS 40
#define MAX_DEPTH 2048

struct image {
	sqfs_file_t *file;
	sqfs_compressor_t *cmp;
	sqfs_dir_reader_t *dr;
	sqfs_data_reader_t *data;
	sqfs_super_t super;
};

static void image_close(struct image *im)
{
	sqfs_destroy(im->data);
	sqfs_destroy(im->dr);
	sqfs_destroy(im->cmp);
	sqfs_destroy(im->file);
}

static int image_open(struct image *im, const char *path, struct ud_error **err)
{
	if (ud_squash_load(err) < 0)
		return -1;
	/* The store's own regular file: a link is not followed, a FIFO not
	 * waited on (libsquashfs opens the path as it is). */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return ud_error_sys(err, errno, "cannot open the image file '%s'", path);
	if (!S_ISREG(st.st_mode))
		return ud_error_set(err, UD_ERR_INVALID, "image file '%s' is not a regular file",
				    path);
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	im->file = sqfs_open_file(self, SQFS_FILE_OPEN_READ_ONLY);
	if (im->file == NULL)
		return ud_error_sys(err, errno, "cannot open the image file '%s'", path);
	sqfs_compressor_config_t cfg;
	int r = sqfs_super_read(&im->super, im->file);
	if (r == 0)
		r = sqfs_compressor_config_init(&cfg, im->super.compression_id,
						im->super.block_size, SQFS_COMP_FLAG_UNCOMPRESS);
	if (r == 0)
		r = sqfs_compressor_create(&cfg, &im->cmp);
	if (r == 0) {
		im->dr = sqfs_dir_reader_create(&im->super, im->cmp, im->file, 0);
		im->data = sqfs_data_reader_create(im->file, im->super.block_size, im->cmp, 0);
		r = im->dr && im->data ? 0 : SQFS_ERROR_ALLOC;
	}
	if (r == 0)
		r = sqfs_data_reader_load_fragment_table(im->data, &im->super);
	if (r)
		return ud_error_set(err, UD_ERR_INVALID,
				    "cannot read the image file '%s' (error %d)", path, r);
	return 0;
}

/* A directory of the merged tree: its upper directory (fd, -1 when it has
 * none) and the image's directory inode (NULL when none). */
struct level {
	int ufd;
	sqfs_inode_generic_t *lower;
};

static void level_free(struct level *l)
{
	if (l->ufd >= 0)
		close(l->ufd);
	free(l->lower);
}

static bool xattr_yes(int fd, const char *name)
{
	char v[2];
	return fgetxattr(fd, name, v, sizeof(v)) == 1 && v[0] == 'y';
}

/* An upper directory that hides the image's directory of the same name. */
static bool opaque_dir(int fd)
{
	struct stat st;
	return xattr_yes(fd, "trusted.overlay.opaque") || xattr_yes(fd, "user.overlay.opaque") ||
	       fstatat(fd, ".wh..wh..opq", &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* name in the image directory dir: a new inode or NULL (not there). */
static int lower_find(struct image *im, const sqfs_inode_generic_t *dir, const char *name,
		      sqfs_inode_generic_t **out)
{
	*out = NULL;
	if (dir == NULL)
		return 0;
	int r = sqfs_dir_reader_open_dir(im->dr, dir, 0);
	if (r == 0)
		r = sqfs_dir_reader_find(im->dr, name);
	if (r == SQFS_ERROR_NO_ENTRY)
		return 0;
	if (r == 0)
		r = sqfs_dir_reader_get_inode(im->dr, out);
	return r;
}

static bool lower_is(const sqfs_inode_generic_t *n, mode_t type)
{
	return n && (n->base.mode & S_IFMT) == type;
}

struct found {
	int ufd; /* the regular file in the upper directory, or -1 */
	sqfs_inode_generic_t *lower;
};

/* Resolves path in the merged tree to a regular file. */
static int resolve(struct image *im, int upper, const char *path, struct found *f,
		   struct ud_error **err)
{
	struct level *stack = xcalloc(MAX_DEPTH + 1, sizeof(*stack));
	int depth = 0, links = 0, r = 0, e = 0;
	stack[0].ufd = upper >= 0 ? fcntl(upper, F_DUPFD_CLOEXEC, 0) : -1;
	if ((r = sqfs_dir_reader_get_root_inode(im->dr, &stack[0].lower)) != 0)
		e = EIO;
	char *rest = xstrdup(path);
	char *at = rest;
	while (e == 0) {
		while (*at == '/')
			at++;
		if (*at == '\0') {
			e = EISDIR;
			break;
		}
		size_t n = strcspn(at, "/");
		char name[256];
		bool last = at[n] == '\0' || at[n + strspn(at + n, "/")] == '\0';
		if (n > 255) {
			e = ENAMETOOLONG;
			break;
		}
		memcpy(name, at, n);
		name[n] = '\0';
		at += n;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (depth > 0)
				level_free(&stack[depth--]);
			continue;
		}
		struct level *cur = &stack[depth];
		struct stat st;
		char target[4097];
		ssize_t tlen = -1;
		sqfs_inode_generic_t *low = NULL;
		bool in_upper =
			cur->ufd >= 0 && fstatat(cur->ufd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
		bool hidden = false;
		if (in_upper && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			hidden = true;
		} else if (!in_upper && cur->ufd >= 0) {
			_cleanup_free_ char *wh = xasprintf(".wh.%s", name);
			hidden = fstatat(cur->ufd, wh, &st, AT_SYMLINK_NOFOLLOW) == 0;
		}
		if (hidden) {
			e = ENOENT;
			break;
		}
		if (in_upper) {
			if (S_ISDIR(st.st_mode)) {
				if (depth == MAX_DEPTH) {
					e = ENAMETOOLONG;
					break;
				}
				int fd = openat(cur->ufd, name,
						O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (fd < 0) {
					e = errno;
					break;
				}
				if (!opaque_dir(fd) &&
				    (r = lower_find(im, cur->lower, name, &low)) != 0)
					e = EIO;
				if (!lower_is(low, S_IFDIR)) {
					free(low);
					low = NULL;
				}
				stack[++depth] = (struct level){fd, low};
				if (last)
					e = EISDIR;
				continue;
			}
			if (S_ISLNK(st.st_mode)) {
				tlen = readlinkat(cur->ufd, name, target, sizeof(target) - 1);
				if (tlen < 0) {
					e = errno;
					break;
				}
			} else if (!last) {
				e = ENOTDIR;
				break;
			} else if (!S_ISREG(st.st_mode)) {
				e = EINVAL;
				break;
			} else {
				f->ufd = openat(cur->ufd, name,
						O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
				if (f->ufd < 0)
					e = errno;
				break;
			}
		} else {
			if ((r = lower_find(im, cur->lower, name, &low)) != 0) {
				e = EIO;
				break;
			}
			if (low == NULL) {
				e = ENOENT;
				break;
			}
			if (lower_is(low, S_IFDIR)) {
				if (depth == MAX_DEPTH) {
					free(low);
					e = ENAMETOOLONG;
					break;
				}
				stack[++depth] = (struct level){-1, low};
				if (last)
					e = EISDIR;
				continue;
			}
			if (lower_is(low, S_IFLNK)) {
				size_t len = low->data.slink.target_size;
				if (len > low->payload_bytes_used || len >= sizeof(target))
					len = 0;
				memcpy(target, low->extra, len);
				tlen = (ssize_t)len;
				free(low);
			} else if (!last) {
				free(low);
				e = ENOTDIR;
				break;
			} else if (!lower_is(low, S_IFREG)) {
				free(low);
				e = EINVAL;
				break;
			} else {
				f->lower = low;
				break;
			}
		}
		/* A symlink: its target, then what was left, from its directory
		 * (or from the root when absolute). */
		if (++links > MAX_SYMLINKS) {
			e = ELOOP;
			break;
		}
		target[tlen] = '\0';
		char *next = xasprintf("%s/%s", target, at);
		free(rest);
		rest = at = next;
		if (*target == '/')
			while (depth > 0)
				level_free(&stack[depth--]);
	}
	free(rest);
	while (depth >= 0)
		level_free(&stack[depth--]);
	free(stack);
	if (e == 0)
		return 0;
	_cleanup_free_ char *safe = ud_str_escape(path, 256);
	if (e == EISDIR || e == EINVAL)
		return ud_error_set(err, UD_ERR_INVALID, "%s: not a regular file", safe);
	if (e == EIO)
		return ud_error_set(err, UD_ERR_INVALID,
				    "%s: cannot read the image file (error %d)", safe, r);
	int rr = ud_error_sys(err, e, "%s", safe);
	if (err && *err && (e == ENOENT || e == ENOTDIR))
		(*err)->code = UD_ERR_NOT_FOUND;
	return rr;
}

static char *read_lower(struct image *im, const sqfs_inode_generic_t *n, const char *path,
			size_t max, size_t *len, struct ud_error **err)
{
	sqfs_u64 size = 0;
	sqfs_inode_get_file_size(n, &size);
	_cleanup_free_ char *safe = ud_str_escape(path, 256);
	if (size > max)
		return ud_error_set(err, UD_ERR_INVALID, "%s: larger than %zu bytes", safe, max),
		       NULL;
	char *buf = xmalloc((size_t)size + 1);
	size_t got = 0;
	while (got < size) {
		size_t want = size - got > (1u << 20) ? (1u << 20) : (size_t)(size - got);
		sqfs_s32 r = sqfs_data_reader_read(im->data, n, got, buf + got, (sqfs_u32)want);
		if (r <= 0) {
			free(buf);
			return ud_error_set(err, UD_ERR_INVALID,
					    "%s: cannot read the image file (error %d)", safe, r),
			       NULL;
		}
		got += (size_t)r;
	}
	buf[got] = '\0';
	if (len)
		*len = got;
	return buf;
}

/* One file of an opened image-backed container (upper fd, image im). */
static char *read_one(struct image *im, int upper, const char *path, size_t max, size_t *len,
		      struct ud_error **err)
{
	struct found f = {.ufd = -1};
	if (resolve(im, upper, path, &f, err) < 0)
		return NULL;
	char *text = NULL;
	if (f.ufd >= 0) {
		_cleanup_free_ char *safe = ud_str_escape(path, 256);
		text = ud_read_small_fd(f.ufd, safe, max, len, err);
		close(f.ufd);
	} else {
		text = read_lower(im, f.lower, path, max, len, err);
		free(f.lower);
	}
	return text;
}

void ud_store_container_read_files(const struct ud_container *c, const char *const *paths, size_t n,
				   size_t max, char **texts, size_t *lens, struct ud_error **errs)
{
	for (size_t i = 0; i < n; i++)
		texts[i] = NULL;
	if (c->rootfs == UD_ROOTFS_DIR) {
		_cleanup_close_ int root = open(c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		int e = errno;
		for (size_t i = 0; i < n; i++) {
			if (root >= 0) {
				texts[i] = ud_root_read_file(root, paths[i], max,
							     lens ? &lens[i] : NULL, &errs[i]);
				continue;
			}
			ud_error_sys(&errs[i], e, "cannot open '%s'", c->root);
			if (errs[i] && e == ENOENT)
				errs[i]->code = UD_ERR_NOT_FOUND;
		}
		return;
	}
	if (c->rootfs != UD_ROOTFS_SQUASH || c->image_file == NULL) {
		for (size_t i = 0; i < n; i++)
			ud_error_set(&errs[i], UD_ERR_UNSUPPORTED,
				     "container %s: its root is unknown", c->id);
		return;
	}
	/* One opening of the image file for all of them: its tables and the
	 * blocks they share are read and decompressed once. */
	_cleanup_close_ int upper =
		c->upper ? open(c->upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	struct image im = {0};
	struct ud_error *oerr = NULL;
	if (image_open(&im, c->image_file, &oerr) == 0) {
		for (size_t i = 0; i < n; i++)
			texts[i] = read_one(&im, upper, paths[i], max, lens ? &lens[i] : NULL,
					    &errs[i]);
	} else {
		for (size_t i = 0; i < n; i++)
			ud_error_set(&errs[i], oerr->code, "%s", oerr->msg);
	}
	ud_error_free(oerr);
	image_close(&im);
}

char *ud_store_container_read_file(const struct ud_container *c, const char *path, size_t max,
				   size_t *len, struct ud_error **err)
{
	char *text = NULL;
	struct ud_error *e = NULL;
	ud_store_container_read_files(c, &path, 1, max, &text, len, &e);
	if (e && err && *err == NULL)
		*err = e;
	else
		ud_error_free(e);
	return text;
}
