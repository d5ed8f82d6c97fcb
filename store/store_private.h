/* Internal to store/. */
#ifndef UD_STORE_PRIVATE_H
#define UD_STORE_PRIVATE_H

#include "store/store.h"

/* Reads every entry of a (possibly compressed) tar file; more than
 * max_size (> 0) bytes of decompressed tar is an error. */
int ud_store_tar_check(const char *path, int64_t max_size, struct ud_error **err);

/* Relative path from directory `from` to `to` (absolute, normalised). */
char *ud_store_relpath(const char *from, const char *to);

/* Applies one layer file (tar, compressed or not) to the root open at
 * rootfd (see extract.c for what is skipped and what is refused). *total
 * is the decompressed size of the layers applied before (this layer's is
 * added); more than max_size (> 0) bytes in all is an error. On error the
 * root is partly written: the caller removes it. */
int ud_store_extract_layer(int rootfd, const char *layer, int64_t max_size, int64_t *total,
			   struct ud_extract_stats *stats, struct ud_error **err);

/* The lock of one tag, repos/.locks/<sha256 of "name:tag">. */
int ud_store_tag_lock(const struct ud_store *s, const char *name, const char *tag, const char *what,
		      struct ud_lock *lock, struct ud_error **err);
/* Makes dir/link_name a relative symlink to layers/layer_file (kept when
 * it already is one). */
int ud_store_tag_link(const struct ud_store *s, const char *dir, const char *link_name,
		      const char *layer_file, struct ud_error **err);
/* Writes the tag's TAG file, which makes its directory a tag: last. */
int ud_store_tag_finish(const struct ud_store *s, const char *name, const char *tag,
			struct ud_error **err);
/* Removes the files of a tag directory but not its subdirectories (the
 * repository path of another image may go through it: "a:b" and
 * "a/b/c:d"), then the directory when that left it empty. */
int ud_store_tag_remove_files(const char *dir, bool force, struct ud_error **err);
/* Removes repos/<name> and its parents up to repos/ while they are empty. */
void ud_store_rmdir_parents(const struct ud_store *s, const char *name);

/* Removes layers/<name> (a blob or a v1 layer file) and what the store
 * remembers of it. */
int ud_store_blob_remove(const struct ud_store *s, const char *name, struct ud_error **err);
/* Stores the regular file at path as a blob (hard link, else a copy;
 * path stays), checking its digest against expect when set. Returns the
 * digest (caller frees) and its size in *size (may be NULL). */
char *ud_store_blob_put_file(const struct ud_store *s, const char *path, const char *expect,
			     int64_t *size, struct ud_error **err);

/* Owner locks: a temporary of the store (a hidden container directory,
 * an import or load temporary) belongs to the process holding the record
 * lock of "PATH.lock" beside it; one that was killed leaves a lock nobody
 * holds (record locks die with their process, on NFS too). PATH is a new,
 * unique name: the lock is taken before PATH is made, waiting a few
 * seconds at most (a cleaner may be looking at it); false and *err when
 * it cannot be had. */
bool ud_store_owner_lock(const char *path, const char *what, struct ud_lock *lock,
			 struct ud_error **err);
/* For cleaners: true, with the lock held, when no live process owns PATH.
 * Never waits. A lock file just made and still empty belongs to an owner
 * about to lock it (creating the file and locking it are two steps): such
 * a file counts as owned for a minute. */
bool ud_store_owner_gone(const char *path, struct ud_lock *lock);
/* Removes PATH.lock and releases the lock: after PATH itself is gone. */
void ud_store_owner_unlock(const char *path, struct ud_lock *lock);

/* Removes "udocker-*" and "import-*" entries of dir older than an hour
 * whose owner lock nobody holds: what loads and imports killed half way
 * left. */
void ud_store_clean_stale_tmp(const char *dir);

/* --------------------------------------------- layer rules (layer_rules.c)
 * What extraction (extract.c) and image files (squash.c) both apply. */
struct archive;
/* One layer being read: its name for messages, the archive, the cap on
 * the decompressed tar streams (<= 0: none) and what the layers before it
 * used of it. */
struct ud_layer_read {
	const char *layer;
	struct archive *a;
	int64_t max_size, before;
	long index; /* of the member being read, from 0 */
};
/* "layer 'L': member 'NAME' (escaped): WHY"; returns -1. */
__attribute__((format(printf, 4, 5))) int ud_layer_member_error(const char *layer,
								struct ud_error **err,
								const char *name, const char *fmt,
								...);
/* -1 and *err when the layers read so far passed the cap. */
int ud_layer_check_size(const struct ud_layer_read *R, struct ud_error **err);
/* Reads what is left of the member's data under the cap (libarchive's own
 * skip would decompress it unchecked). */
int ud_layer_drain(const struct ud_layer_read *R, struct ud_error **err);
/* "layer 'L': <libarchive's error>"; returns -1. */
int ud_layer_archive_error(const struct ud_layer_read *R, struct ud_error **err);
/* A sparse member whose size passes the cap; returns -1. */
int ud_layer_sparse_size_error(const char *layer, const char *member, int64_t size,
			       int64_t max_size, struct ud_error **err);
enum ud_layer_path {
	UD_LAYER_PATH_OK,
	UD_LAYER_PATH_ROOT,
	UD_LAYER_PATH_DOTDOT,
	UD_LAYER_PATH_LONG
};
/* The member name relative to the root in out: leading "/", "."
 * components and repeated slashes dropped (as tar does); ".." is not. */
enum ud_layer_path ud_layer_clean_path(const char *in, char *out, size_t outlen);
/* Permissions kept from a layer's mode: no setuid, setgid, group or other
 * write (the sticky bit of directories stays), read and write for the
 * owner. */
mode_t ud_layer_perm(mode_t mode, bool dir);
/* The extended attributes kept: user.* with values up to 64 KiB. */
bool ud_layer_keeps_xattr(const char *name, size_t size);
struct archive_entry;
/* Called for each member with its cleaned path (kind UD_LAYER_PATH_OK) or
 * with kind saying why it has none; what it leaves of the member's data
 * is drained under the cap. */
typedef int (*ud_layer_member_fn)(void *data, struct ud_layer_read *R, struct archive_entry *e,
				  const char *member, const char *path, enum ud_layer_path kind,
				  struct ud_error **err);
/* Reads the layer file (tar, compressed or not), calling fn for each
 * member; a name longer than 4095 bytes, a broken archive or the cap
 * passed (with *total, the decompressed bytes of the layers before, to
 * which this layer's are added) stop it with -1 and *err. R is the
 * caller's, filled while it runs. */
int ud_layer_walk(const char *layer, int64_t max_size, int64_t *total, struct ud_layer_read *R,
		  ud_layer_member_fn fn, void *data, struct ud_error **err);

#endif
