/* Image files: an image flattened into one SquashFS file,
 * <top>/squash/<digest>.sqsh, built straight from the layer tarballs with
 * libsquashfs, never through an extracted copy.
 *
 * Pass 1 reads every layer's headers (data drained under the cap) and
 * applies them to a tree in memory by extract.c's rules (layer_rules.c
 * holds what both share): whiteouts, opaque directories, replacements,
 * hard links by path at the moment they come, skips. Each surviving
 * regular file remembers the member its data comes from (layer, index).
 * Pass 2 reads the layers again and streams the data of just those
 * members into libsquashfs's block processor (holes of sparse members
 * become zero blocks, which it stores sparse), so data of files later
 * removed or replaced is never compressed. Then inodes (children before
 * their directory), directories (names sorted), fragments, ids (everything
 * owned by 0:0: the FUSE server reports the container's user as owner) and
 * user.* xattrs are written, the super block last. Memory is proportional
 * to the entries, never to the data; the entries, name and link lengths
 * (the same limits a filesystem puts on extraction), depth (by the path
 * length) and xattr sizes are bounded. */
#include "store/archive_dl.h"
#include "store/squash_dl.h"
#include "store/store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SQ_BLOCK_SIZE (128u << 10)
/* Entries of the tree at once: far above any real image (a PyTorch image
 * has ~100k), below what fills memory. */
#define SQ_MAX_ENTRIES (4u << 20)
/* What a filesystem takes of a name and of a symlink target. */
#define SQ_NAME_MAX 255
#define SQ_LINK_MAX 4095
/* user.* xattrs of one inode, and of the whole image. */
#define SQ_XATTR_INODE_MAX (256u << 10)
#define SQ_XATTR_TOTAL_MAX (256u << 20)

struct sq_xattr {
	struct sq_xattr *next;
	char *name;
	void *value;
	size_t size;
};

struct sq_inode {
	mode_t mode; /* type and permissions */
	int64_t mtime;
	uint32_t nlink; /* names in the tree */
	char *target;	/* symlink */
	struct sq_xattr *xattrs;
	size_t xattr_bytes;
	int layer;     /* regular file: the member holding its data */
	long member;   /* ... its index in that layer */
	uint64_t size; /* regular file */
	bool listed;   /* pass 2 plan */
	bool written;  /* inode table */
	uint32_t number;
	uint64_t ref;
	sqfs_inode_generic_t *sq; /* the block processor's (regular files) */
};

struct sq_node {
	char *name;
	struct sq_node *parent, *first, *prev, *next; /* children, siblings */
	struct sq_node *hnext;			      /* hash chain */
	struct sq_inode *ino;
	size_t n_children;
};

/* Path strings a layer created (an opaque marker keeps them). */
struct sq_strset {
	char **slot;
	size_t cap, n;
};

struct sq_tree {
	struct sq_node root;
	struct sq_node **bucket;
	size_t n_buckets, n_entries;
	size_t xattr_total;
	struct sq_strset created;
	int layer;
	const char *layer_name;
	/* progress */
	void (*progress)(int64_t, int64_t, void *);
	void *data;
	int64_t done, total, last_report;
};

static uint64_t hash_bytes(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static size_t node_bucket(const struct sq_tree *t, const struct sq_node *dir, const char *name)
{
	return hash_bytes(14695981039346656037ull ^ (uintptr_t)dir, name) & (t->n_buckets - 1);
}

static void strset_add(struct sq_strset *s, const char *str)
{
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		char **slot = xcalloc(cap, sizeof(char *));
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i]) {
				size_t h =
					hash_bytes(14695981039346656037ull, s->slot[i]) & (cap - 1);
				while (slot[h])
					h = (h + 1) & (cap - 1);
				slot[h] = s->slot[i];
			}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	size_t h = hash_bytes(14695981039346656037ull, str) & (s->cap - 1);
	while (s->slot[h]) {
		if (strcmp(s->slot[h], str) == 0)
			return;
		h = (h + 1) & (s->cap - 1);
	}
	s->slot[h] = xstrdup(str);
	s->n++;
}

static bool strset_has(const struct sq_strset *s, const char *str)
{
	if (s->cap == 0)
		return false;
	size_t h = hash_bytes(14695981039346656037ull, str) & (s->cap - 1);
	for (; s->slot[h]; h = (h + 1) & (s->cap - 1))
		if (strcmp(s->slot[h], str) == 0)
			return true;
	return false;
}

static void strset_clear(struct sq_strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	*s = (struct sq_strset){0};
}

static struct sq_node *lookup(const struct sq_tree *t, const struct sq_node *dir, const char *name)
{
	for (struct sq_node *n = t->bucket[node_bucket(t, dir, name)]; n; n = n->hnext)
		if (n->parent == dir && strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

static void grow_buckets(struct sq_tree *t)
{
	size_t nb = t->n_buckets * 2;
	struct sq_node **b = xcalloc(nb, sizeof(*b));
	struct sq_node **old = t->bucket;
	size_t old_n = t->n_buckets;
	t->bucket = b;
	t->n_buckets = nb;
	for (size_t i = 0; i < old_n; i++)
		for (struct sq_node *n = old[i], *next; n; n = next) {
			next = n->hnext;
			size_t h = node_bucket(t, n->parent, n->name);
			n->hnext = b[h];
			b[h] = n;
		}
	free(old);
}

static struct sq_inode *inode_new(mode_t mode, int64_t mtime)
{
	struct sq_inode *ino = xcalloc(1, sizeof(*ino));
	ino->mode = mode;
	ino->mtime = mtime;
	ino->layer = -1;
	return ino;
}

static void inode_unref(struct sq_inode *ino)
{
	if (--ino->nlink > 0)
		return;
	for (struct sq_xattr *x = ino->xattrs, *next; x; x = next) {
		next = x->next;
		free(x->name);
		free(x->value);
		free(x);
	}
	free(ino->target);
	free(ino);
}

/* Adds name in dir for ino (one more link to it). */
static int add_node(struct sq_tree *t, struct sq_node *dir, const char *name, struct sq_inode *ino,
		    struct sq_node **out, struct ud_error **err)
{
	if (t->n_entries >= SQ_MAX_ENTRIES)
		return ud_error_set(err, UD_ERR_INVALID,
				    "layer '%s': the image has more than %u entries", t->layer_name,
				    SQ_MAX_ENTRIES);
	if (t->n_entries + 1 > t->n_buckets)
		grow_buckets(t);
	struct sq_node *n = xcalloc(1, sizeof(*n));
	n->name = xstrdup(name);
	n->parent = dir;
	n->ino = ino;
	ino->nlink++;
	n->next = dir->first;
	if (dir->first)
		dir->first->prev = n;
	dir->first = n;
	dir->n_children++;
	size_t h = node_bucket(t, dir, name);
	n->hnext = t->bucket[h];
	t->bucket[h] = n;
	t->n_entries++;
	*out = n;
	return 0;
}

/* Removes n and everything below it. */
static void remove_node(struct sq_tree *t, struct sq_node *n)
{
	while (n->first)
		remove_node(t, n->first);
	struct sq_node *dir = n->parent;
	if (n->prev)
		n->prev->next = n->next;
	else
		dir->first = n->next;
	if (n->next)
		n->next->prev = n->prev;
	dir->n_children--;
	struct sq_node **p = &t->bucket[node_bucket(t, dir, n->name)];
	while (*p != n)
		p = &(*p)->hnext;
	*p = n->hnext;
	t->n_entries--;
	inode_unref(n->ino);
	free(n->name);
	free(n);
}

/* The directory at path's first len bytes ("" is the root), never through
 * a symlink or a non-directory; missing ones are made (0755) with create,
 * as extraction's mkdirat does (a name longer than a filesystem takes
 * fails there). NULL when it cannot be reached. */
static struct sq_node *walk_dir(struct sq_tree *t, const char *path, size_t len, bool create,
				int64_t mtime, struct ud_error **err)
{
	struct sq_node *d = &t->root;
	char name[SQ_NAME_MAX + 1];
	for (size_t at = 0; at < len;) {
		size_t n = strcspn(path + at, "/");
		if (at + n > len)
			n = len - at;
		if (n > SQ_NAME_MAX)
			return NULL;
		memcpy(name, path + at, n);
		name[n] = '\0';
		struct sq_node *c = lookup(t, d, name);
		if (c == NULL) {
			if (!create ||
			    add_node(t, d, name, inode_new(S_IFDIR | 0755, mtime), &c, err) < 0)
				return NULL;
		} else if (!S_ISDIR(c->ino->mode)) {
			return NULL;
		}
		d = c;
		at += n + 1;
	}
	return d;
}

static char *node_path(const char *dir, size_t dirlen, const char *name)
{
	return dirlen ? xasprintf("%.*s/%s", (int)dirlen, dir, name) : xstrdup(name);
}

/* Keeps the entry's user.* xattrs (values of the same name replaced, as
 * fsetxattr does on a directory kept from a lower layer). */
static int set_xattrs(struct sq_tree *t, struct archive_entry *e, struct sq_inode *ino,
		      struct ud_error **err)
{
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (!ud_layer_keeps_xattr(name, size) || strlen(name) > SQ_NAME_MAX)
			continue;
		struct sq_xattr *x = ino->xattrs;
		while (x && strcmp(x->name, name) != 0)
			x = x->next;
		size_t add = strlen(name) + size;
		if (ino->xattr_bytes + add > SQ_XATTR_INODE_MAX)
			continue; /* what a filesystem would refuse too */
		if (t->xattr_total + add > SQ_XATTR_TOTAL_MAX)
			return ud_error_set(err, UD_ERR_INVALID,
					    "layer '%s': more than %u bytes of extended attributes",
					    t->layer_name, SQ_XATTR_TOTAL_MAX);
		if (x == NULL) {
			x = xcalloc(1, sizeof(*x));
			x->name = xstrdup(name);
			x->next = ino->xattrs;
			ino->xattrs = x;
		} else {
			free(x->value);
		}
		x->value = xmalloc(size ? size : 1);
		memcpy(x->value, value, size);
		x->size = size;
		ino->xattr_bytes += add;
		t->xattr_total += add;
	}
	return 0;
}

/* Reads a regular member's data under the cap: its size with holes. */
static int data_size(struct ud_layer_read *R, const char *member, int64_t declared, uint64_t *size,
		     struct ud_error **err)
{
	const void *buf;
	size_t n;
	la_int64_t off;
	int r;
	uint64_t end = 0;
	while ((r = archive_read_data_block(R->a, &buf, &n, &off)) == ARCHIVE_OK) {
		if (ud_layer_check_size(R, err) < 0)
			return -1;
		if (off >= 0 && (uint64_t)off + n > end)
			end = (uint64_t)off + n;
	}
	if (r != ARCHIVE_EOF)
		return ud_layer_member_error(R->layer, err, member, "%s",
					     archive_error_string(R->a));
	if (declared > 0 && (uint64_t)declared > end) {
		if (R->max_size > 0 && declared > R->max_size)
			return ud_layer_sparse_size_error(R->layer, member, declared, R->max_size,
							  err);
		end = (uint64_t)declared;
	}
	if (R->max_size > 0 && end > (uint64_t)R->max_size)
		return ud_layer_sparse_size_error(R->layer, member, (int64_t)end, R->max_size, err);
	*size = end;
	return 0;
}

/* extract.c's apply_entry() on the tree. */
static int apply_entry(struct sq_tree *t, struct ud_layer_read *R, struct archive_entry *e,
		       const char *member, const char *path, struct ud_error **err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dirlen = slash ? (size_t)(slash - path) : 0;
	mode_t type = archive_entry_filetype(e);
	if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK)
		return 0;
	int64_t mtime = archive_entry_mtime(e);
	size_t before = t->n_entries;
	struct sq_node *pdir = walk_dir(t, path, dirlen, true, mtime, err);
	if (pdir == NULL && t->n_entries >= SQ_MAX_ENTRIES && t->n_entries >= before)
		return -1; /* the entry limit */
	if (pdir == NULL)
		return 0; /* through a symlink or a file */
	bool long_name = strlen(base) > SQ_NAME_MAX;
	mode_t perm = ud_layer_perm(archive_entry_perm(e), type == AE_IFDIR);
	struct sq_node *cur = lookup(t, pdir, base);
	struct sq_node *n = NULL;
	if (type == AE_IFDIR) {
		if (cur && !S_ISDIR(cur->ino->mode)) {
			remove_node(t, cur);
			cur = NULL;
		}
		if (cur == NULL && !long_name &&
		    add_node(t, pdir, base, inode_new(S_IFDIR | 0700, mtime), &cur, err) < 0)
			return -1;
		if (cur) {
			cur->ino->mode = S_IFDIR | perm;
			cur->ino->mtime = mtime;
			if (set_xattrs(t, e, cur->ino, err) < 0)
				return -1;
		}
	} else {
		if (cur)
			remove_node(t, cur);
		const char *hl = archive_entry_hardlink(e);
		char target[4096];
		if (hl && ud_layer_clean_path(hl, target, sizeof(target)) == UD_LAYER_PATH_OK) {
			const char *ts = strrchr(target, '/');
			const char *tbase = ts ? ts + 1 : target;
			struct sq_node *td =
				walk_dir(t, target, ts ? (size_t)(ts - target) : 0, false, 0, err);
			struct sq_node *tn = td ? lookup(t, td, tbase) : NULL;
			if (tn && !S_ISDIR(tn->ino->mode) && !long_name &&
			    add_node(t, pdir, base, tn->ino, &n, err) < 0)
				return -1;
		} else if (hl) {
			/* a hard link out of the root: skipped */
		} else if (type == AE_IFLNK) {
			const char *to = archive_entry_symlink(e);
			if (to && *to && strlen(to) <= SQ_LINK_MAX && !long_name) {
				struct sq_inode *ino = inode_new(S_IFLNK | 0777, mtime);
				ino->target = xstrdup(to);
				if (add_node(t, pdir, base, ino, &n, err) < 0)
					return free(ino->target), free(ino), -1;
			}
		} else if (type == AE_IFIFO) {
			if (!long_name &&
			    add_node(t, pdir, base, inode_new(S_IFIFO | perm, mtime), &n, err) < 0)
				return -1;
		} else {
			if (long_name)
				return ud_layer_member_error(R->layer, err, member,
							     "cannot create: %s",
							     strerror(ENAMETOOLONG));
			struct sq_inode *ino = inode_new(S_IFREG | perm, mtime);
			ino->layer = t->layer;
			ino->member = R->index;
			if (add_node(t, pdir, base, ino, &n, err) < 0) {
				free(ino);
				return -1;
			}
			if (data_size(R, member, archive_entry_size(e), &ino->size, err) < 0 ||
			    set_xattrs(t, e, ino, err) < 0)
				return -1;
		}
	}
	strset_add(&t->created, path);
	return 0;
}

/* extract.c's whiteout() on the tree. */
static int whiteout(struct sq_tree *t, const char *member, const char *path, struct ud_error **err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *target = base + 4;
	bool opaque = strcmp(target, ".wh..opq") == 0;
	if (!opaque && ud_str_has_prefix(target, ".wh."))
		return 0; /* aufs metadata (.wh..wh.plnk, ...): nothing to remove */
	if (*target == '\0' || strcmp(target, ".") == 0 || strcmp(target, "..") == 0)
		return ud_layer_member_error(t->layer_name, err, member, "whiteout of '%s' refused",
					     target);
	size_t dirlen = slash ? (size_t)(slash - path) : 0;
	struct sq_node *d = walk_dir(t, path, dirlen, false, 0, err);
	if (d == NULL)
		return 0;
	if (!opaque) {
		struct sq_node *n = lookup(t, d, target);
		if (n)
			remove_node(t, n);
		return 0;
	}
	/* Opaque: the directory's lower content goes; this layer's stays. */
	for (struct sq_node *c = d->first, *next; c; c = next) {
		next = c->next;
		_cleanup_free_ char *p = node_path(path, dirlen, c->name);
		if (!strset_has(&t->created, p))
			remove_node(t, c);
	}
	return 0;
}

static void report(struct sq_tree *t, struct ud_layer_read *R, bool force)
{
	if (t->progress == NULL)
		return;
	int64_t done = t->done + (R && R->a ? archive_filter_bytes(R->a, -1) : 0);
	if (force || done - t->last_report >= (4 << 20)) {
		t->last_report = done;
		t->progress(done, t->total, t->data);
	}
}

static int pass1_member(void *data, struct ud_layer_read *R, struct archive_entry *e,
			const char *member, const char *path, enum ud_layer_path kind,
			struct ud_error **err)
{
	struct sq_tree *t = data;
	report(t, R, false);
	if (kind != UD_LAYER_PATH_OK)
		return 0;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	return ud_str_has_prefix(base, ".wh.") ? whiteout(t, member, path, err)
					       : apply_entry(t, R, e, member, path, err);
}

/* ------------------------------------------------------------- pass 2 */

struct sq_plan {
	struct sq_inode **files; /* of one layer, by member index */
	size_t n, cap, next;
};

struct sq_writer {
	sqfs_file_t *file;
	sqfs_compressor_t *cmp;
	sqfs_block_writer_t *bw;
	sqfs_frag_table_t *frag;
	sqfs_block_processor_t *proc;
	sqfs_meta_writer_t *im, *dm;
	sqfs_dir_writer_t *dw;
	sqfs_id_table_t *ids;
	sqfs_xattr_writer_t *xw;
	sqfs_super_t super;
	struct sq_tree *tree;
	struct sq_plan *plan;
	uint32_t next_number;
	const char *path; /* for messages */
};

static int sq_fail(const struct sq_writer *w, int r, const char *what, struct ud_error **err)
{
	static const char *const why[] = {"",
					  "out of memory",
					  "input/output error",
					  "compressor failure",
					  "internal error",
					  "corrupted data",
					  "unsupported",
					  "overflow",
					  "out of bounds"};
	int e = -r;
	if (r == SQFS_ERROR_IO && errno)
		return ud_error_sys(err, errno, "cannot write the image file '%s' (%s)", w->path,
				    what);
	return ud_error_set(
		err, UD_ERR_IO, "cannot write the image file '%s' (%s): %s", w->path, what,
		e > 0 && e < (int)(sizeof(why) / sizeof(*why)) ? why[e] : "libsquashfs error");
}

static void plan_add(struct sq_writer *w, struct sq_inode *ino)
{
	struct sq_plan *p = &w->plan[ino->layer];
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->files = xrealloc(p->files, p->cap * sizeof(*p->files));
	}
	p->files[p->n++] = ino;
}

static void plan_collect(struct sq_writer *w, struct sq_node *d)
{
	for (struct sq_node *c = d->first; c; c = c->next) {
		if (S_ISDIR(c->ino->mode))
			plan_collect(w, c);
		else if (S_ISREG(c->ino->mode) && !c->ino->listed) {
			c->ino->listed = true;
			plan_add(w, c->ino);
		}
	}
}

static int by_member(const void *a, const void *b)
{
	long x = (*(struct sq_inode *const *)a)->member, y = (*(struct sq_inode *const *)b)->member;
	return x < y ? -1 : x > y;
}

static const unsigned char zeros[SQ_BLOCK_SIZE];

static int feed_zeros(struct sq_writer *w, uint64_t n, struct ud_error **err)
{
	while (n > 0) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);
		int r = sqfs_block_processor_append(w->proc, zeros, k);
		if (r)
			return sq_fail(w, r, "data", err);
		n -= k;
	}
	return 0;
}

static int pass2_member(void *data, struct ud_layer_read *R, struct archive_entry *e,
			const char *member, const char *path, enum ud_layer_path kind,
			struct ud_error **err)
{
	struct sq_writer *w = data;
	struct sq_plan *p = &w->plan[w->tree->layer];
	(void)path;
	report(w->tree, R, false);
	if (p->next >= p->n || p->files[p->next]->member != R->index)
		return 0;
	struct sq_inode *ino = p->files[p->next++];
	mode_t type = archive_entry_filetype(e);
	if (kind != UD_LAYER_PATH_OK || archive_entry_hardlink(e) || type == AE_IFDIR ||
	    type == AE_IFLNK || type == AE_IFIFO || type == AE_IFCHR || type == AE_IFBLK ||
	    type == AE_IFSOCK)
		return ud_layer_member_error(R->layer, err, member,
					     "the layer changed while it was read");
	int r = sqfs_block_processor_begin_file(w->proc, &ino->sq, NULL, 0);
	if (r)
		return sq_fail(w, r, "data", err);
	const void *buf;
	size_t n;
	la_int64_t off;
	uint64_t pos = 0;
	while ((r = archive_read_data_block(R->a, &buf, &n, &off)) == ARCHIVE_OK) {
		if (ud_layer_check_size(R, err) < 0)
			return -1;
		if (off < 0 || (uint64_t)off < pos || (uint64_t)off + n > ino->size)
			return ud_layer_member_error(R->layer, err, member,
						     "the layer changed while it was read");
		if (feed_zeros(w, (uint64_t)off - pos, err) < 0)
			return -1;
		if (n > 0 && (r = sqfs_block_processor_append(w->proc, buf, n)) != 0)
			return sq_fail(w, r, "data", err);
		pos = (uint64_t)off + n;
	}
	if (r != ARCHIVE_EOF)
		return ud_layer_member_error(R->layer, err, member, "%s",
					     archive_error_string(R->a));
	if (feed_zeros(w, ino->size - pos, err) < 0)
		return -1;
	if ((r = sqfs_block_processor_end_file(w->proc)) != 0)
		return sq_fail(w, r, "data", err);
	return 0;
}

/* ------------------------------------------------------------- inodes */

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct sq_node *const *)a)->name, (*(struct sq_node *const *)b)->name);
}

static void number_inodes(struct sq_writer *w, struct sq_node *d)
{
	for (struct sq_node *c = d->first; c; c = c->next) {
		if (S_ISDIR(c->ino->mode))
			number_inodes(w, c);
		else if (c->ino->number == 0)
			c->ino->number = ++w->next_number;
	}
	d->ino->number = ++w->next_number;
}

static int xattr_index(struct sq_writer *w, const struct sq_inode *ino, uint32_t *idx,
		       struct ud_error **err)
{
	*idx = 0xFFFFFFFF;
	if (ino->xattrs == NULL)
		return 0;
	int r = sqfs_xattr_writer_begin(w->xw, 0);
	for (const struct sq_xattr *x = ino->xattrs; r == 0 && x; x = x->next)
		r = sqfs_xattr_writer_add(w->xw, x->name, x->value, x->size);
	if (r == 0)
		r = sqfs_xattr_writer_end(w->xw, idx);
	return r ? sq_fail(w, r, "xattrs", err) : 0;
}

static int write_inode(struct sq_writer *w, struct sq_inode *ino, sqfs_inode_generic_t *sq,
		       uint32_t xattr, struct ud_error **err)
{
	int r = 0;
	if (xattr != 0xFFFFFFFF && !S_ISDIR(ino->mode))
		r = sqfs_inode_set_xattr_index(sq, xattr);
	sq->base.mode = (sqfs_u16)ino->mode;
	sq->base.uid_idx = 0;
	sq->base.gid_idx = 0;
	sq->base.mod_time = ino->mtime < 0		       ? 0
			    : ino->mtime > (int64_t)UINT32_MAX ? UINT32_MAX
							       : (sqfs_u32)ino->mtime;
	sq->base.inode_number = ino->number;
	sqfs_u64 block;
	sqfs_u32 offset;
	sqfs_meta_writer_get_position(w->im, &block, &offset);
	ino->ref = (block << 16) | offset;
	if (r == 0)
		r = sqfs_meta_writer_write_inode(w->im, sq);
	ino->written = true;
	return r ? sq_fail(w, r, "inodes", err) : 0;
}

static int write_leaf(struct sq_writer *w, struct sq_inode *ino, struct ud_error **err)
{
	uint32_t xattr;
	if (xattr_index(w, ino, &xattr, err) < 0)
		return -1;
	sqfs_inode_generic_t *sq;
	bool own = true;
	if (S_ISREG(ino->mode)) {
		sq = ino->sq;
		own = false;
		if (ino->nlink > 1) {
			int r = sqfs_inode_make_extended(sq);
			if (r)
				return sq_fail(w, r, "inodes", err);
			sq->data.file_ext.nlink = ino->nlink;
		}
	} else if (S_ISLNK(ino->mode)) {
		size_t len = strlen(ino->target);
		sq = xcalloc(1, sizeof(*sq) + len);
		sq->base.type = SQFS_INODE_SLINK;
		sq->payload_bytes_available = sq->payload_bytes_used = (sqfs_u32)len;
		sq->data.slink.nlink = ino->nlink;
		sq->data.slink.target_size = (sqfs_u32)len;
		memcpy(sq->extra, ino->target, len);
	} else {
		sq = xcalloc(1, sizeof(*sq));
		sq->base.type = SQFS_INODE_FIFO;
		sq->data.ipc.nlink = ino->nlink;
	}
	int r = write_inode(w, ino, sq, xattr, err);
	if (own)
		free(sq);
	return r;
}

/* Writes the inodes below d, then d's directory and inode. */
static int write_dir(struct sq_writer *w, struct sq_node *d, uint32_t parent_number,
		     struct ud_error **err)
{
	struct sq_node **kids = xcalloc(d->n_children ? d->n_children : 1, sizeof(*kids));
	size_t n = 0, subdirs = 0;
	for (struct sq_node *c = d->first; c; c = c->next)
		kids[n++] = c;
	qsort(kids, n, sizeof(*kids), by_name);
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct sq_inode *ino = kids[i]->ino;
		if (S_ISDIR(ino->mode)) {
			subdirs++;
			r = write_dir(w, kids[i], d->ino->number, err);
		} else if (!ino->written) {
			r = write_leaf(w, ino, err);
		}
	}
	int sr = r ? 0 : sqfs_dir_writer_begin(w->dw, 0);
	for (size_t i = 0; r == 0 && sr == 0 && i < n; i++)
		sr = sqfs_dir_writer_add_entry(w->dw, kids[i]->name, kids[i]->ino->number,
					       kids[i]->ino->ref, (sqfs_u16)kids[i]->ino->mode);
	free(kids);
	if (r == 0 && sr == 0)
		sr = sqfs_dir_writer_end(w->dw);
	if (r < 0 || sr != 0)
		return r < 0 ? r : sq_fail(w, sr, "directories", err);
	uint32_t xattr;
	if (xattr_index(w, d->ino, &xattr, err) < 0)
		return -1;
	sqfs_inode_generic_t *sq =
		sqfs_dir_writer_create_inode(w->dw, 2 + subdirs, xattr, parent_number);
	if (sq == NULL)
		return sq_fail(w, SQFS_ERROR_ALLOC, "directories", err);
	r = write_inode(w, d->ino, sq, xattr, err);
	sqfs_free(sq);
	return r;
}

static void writer_free(struct sq_writer *w)
{
	void *objs[] = {w->proc, w->dw,	 w->im, w->dm,	w->bw,
			w->frag, w->ids, w->xw, w->cmp, w->file};
	for (size_t i = 0; i < sizeof(objs) / sizeof(*objs); i++)
		sqfs_destroy(objs[i]);
	w->proc = NULL;
	w->file = NULL;
}

#define UD_SQUASH_LEVEL 6

static int writer_open(struct sq_writer *w, enum ud_squash_compression comp, struct ud_error **err)
{
	w->file = sqfs_open_file(w->path, SQFS_FILE_OPEN_OVERWRITE);
	if (w->file == NULL)
		return ud_error_sys(err, errno, "cannot create '%s'", w->path);
	SQFS_COMPRESSOR id = comp == UD_SQUASH_GZIP ? SQFS_COMP_GZIP : SQFS_COMP_ZSTD;
	sqfs_compressor_config_t cfg;
	int r = sqfs_compressor_config_init(&cfg, id, SQ_BLOCK_SIZE, 0);
	/* Level 6 of either (libsquashfs' defaults are zstd 15 and gzip 9):
	 * measured on test/debian, zstd 15 took 7x the time of 6 for a file
	 * 7% smaller; a build is in the way of the first run. */
	if (r == 0)
		cfg.level = UD_SQUASH_LEVEL;
	if (r == 0)
		r = sqfs_compressor_create(&cfg, &w->cmp);
	if (r == 0)
		r = sqfs_super_init(&w->super, SQ_BLOCK_SIZE, 0, id);
	if (r == 0)
		r = sqfs_super_write(&w->super, w->file);
	if (r == 0) {
		int opt = w->cmp->write_options(w->cmp, w->file);
		if (opt > 0)
			w->super.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;
		r = opt < 0 ? opt : 0;
	}
	if (r)
		return sq_fail(w, r, "compressor", err);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned workers = cpus > 1 ? (unsigned)(cpus > 8 ? 8 : cpus) : 1;
	w->bw = sqfs_block_writer_create(w->file, 4096, 0);
	w->frag = sqfs_frag_table_create(0);
	w->im = sqfs_meta_writer_create(w->file, w->cmp, SQFS_META_WRITER_KEEP_IN_MEMORY);
	w->dm = sqfs_meta_writer_create(w->file, w->cmp, SQFS_META_WRITER_KEEP_IN_MEMORY);
	w->dw = w->dm ? sqfs_dir_writer_create(w->dm, 0) : NULL;
	w->ids = sqfs_id_table_create(0);
	w->xw = sqfs_xattr_writer_create(0);
	if (w->bw && w->frag)
		w->proc = sqfs_block_processor_create(SQ_BLOCK_SIZE, w->cmp, workers, 10 * workers,
						      w->bw, w->frag);
	if (!w->bw || !w->frag || !w->im || !w->dw || !w->ids || !w->xw || !w->proc)
		return sq_fail(w, SQFS_ERROR_ALLOC, "setup", err);
	sqfs_u16 idx;
	if ((r = sqfs_id_table_id_to_index(w->ids, 0, &idx)) != 0)
		return sq_fail(w, r, "ids", err);
	return 0;
}

static int writer_finish(struct sq_writer *w, struct ud_error **err)
{
	int r = sqfs_block_processor_finish(w->proc);
	if (r)
		return sq_fail(w, r, "data", err);
	w->next_number = 0;
	number_inodes(w, &w->tree->root);
	if (write_dir(w, &w->tree->root, w->next_number + 1, err) < 0)
		return -1;
	w->super.inode_count = w->next_number;
	w->super.root_inode_ref = w->tree->root.ino->ref;
	const char *what = "tables";
	if ((r = sqfs_meta_writer_flush(w->im)) == 0 && (r = sqfs_meta_writer_flush(w->dm)) == 0) {
		w->super.inode_table_start = w->file->get_size(w->file);
		r = sqfs_meta_write_write_to_file(w->im);
	}
	if (r == 0) {
		w->super.directory_table_start = w->file->get_size(w->file);
		r = sqfs_meta_write_write_to_file(w->dm);
	}
	if (r == 0)
		r = sqfs_frag_table_write(w->frag, w->file, &w->super, w->cmp);
	if (r == 0)
		r = sqfs_id_table_write(w->ids, w->file, &w->super, w->cmp);
	if (r == 0)
		r = sqfs_xattr_writer_flush(w->xw, w->file, &w->super, w->cmp);
	if (r == 0) {
		sqfs_u64 size = w->file->get_size(w->file);
		w->super.bytes_used = size;
		if (size % 4096)
			r = w->file->write_at(w->file, size, zeros, 4096 - size % 4096);
	}
	if (r == 0)
		r = sqfs_super_write(&w->super, w->file);
	return r ? sq_fail(w, r, what, err) : 0;
}

static void tree_free(struct sq_tree *t)
{
	while (t->root.first)
		remove_node(t, t->root.first);
	free(t->root.ino);
	free(t->bucket);
	strset_clear(&t->created);
}

/* Builds the image file at path from the layers. */
static int build(const struct ud_store *s, char *const *layers, size_t n_layers, const char *path,
		 struct sq_tree *t, struct ud_error **err)
{
	t->root.ino = inode_new(S_IFDIR | 0755, 0);
	t->root.ino->nlink = 1;
	t->n_buckets = 1024;
	t->bucket = xcalloc(t->n_buckets, sizeof(*t->bucket));
	for (size_t i = 0; i < n_layers; i++) {
		struct stat st;
		if (stat(layers[i], &st) == 0)
			t->total += 2 * (int64_t)st.st_size;
	}
	report(t, NULL, true);
	int64_t total = 0;
	struct ud_layer_read R;
	for (size_t i = 0; i < n_layers; i++) {
		t->layer = (int)i;
		t->layer_name = layers[i];
		int r = ud_layer_walk(layers[i], s->max_layer_size, &total, &R, pass1_member, t,
				      err);
		strset_clear(&t->created);
		if (r < 0)
			return -1;
		struct stat st;
		t->done += stat(layers[i], &st) == 0 ? (int64_t)st.st_size : 0;
	}
	struct sq_writer w = {.path = path, .tree = t};
	w.plan = xcalloc(n_layers ? n_layers : 1, sizeof(*w.plan));
	int r = writer_open(&w, s->squash_compression, err);
	if (r == 0) {
		plan_collect(&w, &t->root);
		for (size_t i = 0; i < n_layers; i++)
			if (w.plan[i].n > 1)
				qsort(w.plan[i].files, w.plan[i].n, sizeof(*w.plan[i].files),
				      by_member);
	}
	total = 0;
	for (size_t i = 0; r == 0 && i < n_layers; i++) {
		t->layer = (int)i;
		t->layer_name = layers[i];
		if (w.plan[i].n == 0)
			continue; /* nothing of it survives as data */
		r = ud_layer_walk(layers[i], s->max_layer_size, &total, &R, pass2_member, &w, err);
		if (r == 0 && w.plan[i].next != w.plan[i].n)
			r = ud_error_set(err, UD_ERR_INVALID,
					 "layer '%s': the layer changed while it was read",
					 layers[i]);
	}
	if (r == 0)
		r = writer_finish(&w, err);
	if (r == 0)
		report(t, NULL, true);
	/* The block processor owns the file inodes it made: freed with it. */
	for (size_t i = 0; i < n_layers; i++) {
		for (size_t k = 0; k < w.plan[i].n; k++) {
			sqfs_free(w.plan[i].files[k]->sq);
			w.plan[i].files[k]->sq = NULL;
		}
		free(w.plan[i].files);
	}
	free(w.plan);
	writer_free(&w);
	return r;
}

int ud_store_squash_build(const struct ud_store *s, const char *name, const char *tag,
			  void (*progress)(int64_t done, int64_t total, void *data), void *data,
			  char **path, struct ud_error **err)
{
	*path = NULL;
	if (ud_squash_load(err) < 0)
		return -1;
	struct ud_image *img = ud_store_image_open(s, name, tag, err);
	if (img == NULL)
		return -1;
	_cleanup_free_ char *digest = ud_store_image_digest(img);
	_cleanup_free_ char *file = digest ? ud_store_squash_file(s, digest) : NULL;
	if (file == NULL) {
		ud_store_image_free(img);
		return ud_error_set(err, UD_ERR_INVALID,
				    "image %s:%s has no digest to name its "
				    "image file by",
				    name, tag);
	}
	struct stat st;
	if (stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
		ud_store_image_free(img);
		*path = xstrdup(file);
		return 0;
	}
	_cleanup_free_ char *dir = ud_path_join(s->top, "squash");
	_cleanup_free_ char *locks = ud_path_join(dir, ".locks");
	_cleanup_free_ char *partials = ud_path_join(dir, ".partial");
	_cleanup_free_ char *lock_path = ud_path_join(locks, digest);
	_cleanup_free_ char *partial = xasprintf("%s/%s.sqsh", partials, digest);
	_cleanup_free_ char *what = xasprintf("building the image file of %s:%s", name, tag);
	_cleanup_lock_ struct ud_lock lock = {.fd = -1};
	int r = ud_mkdir_p(locks, 0700, err);
	if (r == 0)
		r = ud_mkdir_p(partials, 0700, err);
	if (r == 0)
		r = ud_lock_acquire(&lock, lock_path, what, ud_lock_default_timeout_ms(), err);
	if (r == 0 && stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
		ud_store_image_free(img); /* built while we waited */
		*path = xstrdup(file);
		return 0;
	}
	size_t n_layers = 0;
	while (img->layer_files && img->layer_files[n_layers])
		n_layers++;
	struct sq_tree t = {.progress = progress, .data = data};
	if (r == 0)
		r = build(s, img->layer_files, n_layers, partial, &t, err);
	tree_free(&t);
	ud_store_image_free(img);
	if (r == 0) {
		int fd = open(partial, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0)
			r = ud_error_sys(err, errno, "cannot sync '%s'", partial);
		if (fd >= 0)
			close(fd);
	}
	if (r == 0 && rename(partial, file) < 0)
		r = ud_error_sys(err, errno, "cannot rename '%s' to '%s'", partial, file);
	if (r == 0)
		r = ud_fsync_parent(file, err);
	if (r < 0) {
		unlink(partial);
		return -1;
	}
	*path = xstrdup(file);
	return 0;
}
