/* store: the local repository in udocker 1.3.16's layout
 * (reference/udocker.md §2), safe for many processes on many hosts:
 * blobs are written once under a per-blob lock, every file the store keeps
 * is written to a temporary name, synced and renamed. */
#ifndef UD_STORE_H
#define UD_STORE_H

#include "common/common.h"
#include "oci/oci.h"

struct ud_store_paths {
	const char *top, *repos, *layers, *containers, *bin, *lib, *doc, *tmp;
};

struct ud_store {
	char *top, *repos, *layers, *containers, *bin, *lib, *doc, *tmp;
};

/* True when dir has repos, layers, containers, bin and lib. */
bool ud_store_is_repo(const char *dir);
/* Creates a repository in dir, which must not exist. */
int ud_store_mkrepo(const char *dir, struct ud_error **err);
/* Opens the store; with create, missing directories are made. */
struct ud_store *ud_store_open(const struct ud_store_paths *paths, bool create,
			       struct ud_error **err);
void ud_store_free(struct ud_store *s);

/* ---------------------------------------------------------------- blobs */

/* layers/<digest>; caller frees. */
char *ud_store_blob_path(const struct ud_store *s, const char *digest);
/* The blob exists as a regular file of that size (size < 0: any). */
bool ud_store_blob_present(const struct ud_store *s, const char *digest, int64_t size);
/* The blob is present with that size and its content matches its digest:
 * checked by hashing once, then remembered in layers/.verified/<digest>
 * (with record) as long as the file's inode, size and mtime stay the same. */
bool ud_store_blob_good(const struct ud_store *s, const char *digest, int64_t size, bool record);
/* Recomputes the blob's sha256. */
int ud_store_blob_verify(const struct ud_store *s, const char *digest, struct ud_error **err);

/* A blob being written: hold its lock, write into fd from offset. */
struct ud_blob_writer {
	struct ud_lock lock;
	int fd;
	int64_t offset;
	char *partial; /* layers/.partial/<digest> */
	char *digest;
};
/* Takes the blob's lock (waiting at most timeout_ms; the error names the
 * holder), then: if the blob is already present with that size, sets
 * *present and releases everything; otherwise opens the partial file
 * (kept from an interrupted download, for resuming) positioned at its end.
 * With timeout_ms 0 and the lock held elsewhere, returns -1 with
 * UD_ERR_LOCKED. */
int ud_store_blob_begin(const struct ud_store *s, const char *digest, int64_t size, long timeout_ms,
			struct ud_blob_writer *w, bool *present, struct ud_error **err);
/* Syncs the partial, renames it to layers/<digest>, releases the lock. */
int ud_store_blob_commit(const struct ud_store *s, struct ud_blob_writer *w, struct ud_error **err);
/* Releases the lock; discard removes the partial (bad content). */
void ud_store_blob_abort(struct ud_blob_writer *w, bool discard);

/* The repository's layer-sharing lock: held shared by every writer of a
 * tag from the moment it decides a blob is present until the tag links to
 * it, and exclusively by rmi while it decides which layers nobody uses. */
int ud_store_gc_lock(const struct ud_store *s, bool shared, struct ud_lock *lock,
		     struct ud_error **err);

/* --------------------------------------------------------------- images */

/* repos/<name>/<tag>; caller frees. */
char *ud_store_tag_dir(const struct ud_store *s, const char *name, const char *tag);
/* The tag directory exists and has a TAG file. */
bool ud_store_tag_exists(const struct ud_store *s, const char *name, const char *tag);

/* Writes a v2 tag: manifest (bytes as received), a relative symlink for
 * each blob (layers and config), v2, and TAG last; links of an earlier
 * version of the tag that the new manifest does not use are removed. */
int ud_store_tag_write(const struct ud_store *s, const char *name, const char *tag,
		       const char *manifest, size_t len, char *const *blobs, struct ud_error **err);

struct ud_image_entry {
	char *name, *tag, *dir;
	bool protected;
};
/* Every tag under repos/, sorted by name then tag. */
int ud_store_list(const struct ud_store *s, struct ud_image_entry **out, size_t *n,
		  struct ud_error **err);
void ud_store_list_free(struct ud_image_entry *e, size_t n);

/* An image as create/inspect/verify read it (§2.2). */
struct ud_image {
	char *name, *tag, *dir;
	bool v1, protected;
	char *manifest; /* v2: raw manifest text; NULL for v1 */
	size_t manifest_len;
	struct ud_manifest *parsed; /* v2 */
	char **layer_ids;	    /* base first: digests (v2) or v1 ids */
	char **layer_files;	    /* absolute paths through the tag's links, base first */
	int64_t *layer_sizes;	    /* from the manifest; -1 when unknown */
	char *config_id;	    /* config digest (v2) or file name */
	char *config_file;	    /* path of the config JSON, or NULL (schema 1) */
	char *config;		    /* config JSON text */
};
struct ud_image *ud_store_image_open(const struct ud_store *s, const char *name, const char *tag,
				     struct ud_error **err);
void ud_store_image_free(struct ud_image *img);
/* Counts the image's blobs and how many are missing, of the wrong size or
 * not matching their digest (ud_store_blob_good() without recording).
 * -1 when the tag cannot be read. */
int ud_store_image_blobs_state(const struct ud_store *s, const char *name, const char *tag,
			       int *n_blobs, int *n_missing, struct ud_error **err);

typedef void (*ud_verify_cb)(const char *what, void *data);
/* Checks links, files, sizes and sha256 of every layer and the config
 * (§2.7, also for config blobs and uncompressed layers); on_ok is called
 * for each good layer id. */
int ud_store_image_verify(const struct ud_store *s, const char *name, const char *tag,
			  ud_verify_cb on_ok, void *data, struct ud_error **err);
/* Removes the tag; layer files no other tag links to are deleted; empty
 * parent directories go too. Protected images are refused. force goes on
 * after removal errors. */
int ud_store_image_remove(const struct ud_store *s, const char *name, const char *tag, bool force,
			  struct ud_error **err);
/* Copies the tag as dst_name:dst_tag sharing the layers. */
int ud_store_image_tag(const struct ud_store *s, const char *name, const char *tag,
		       const char *dst_name, const char *dst_tag, struct ud_error **err);
int ud_store_image_protect(const struct ud_store *s, const char *name, const char *tag, bool on,
			   struct ud_error **err);

/* ----------------------------------------------------------- containers */

struct ud_extract_stats {
	long files, whiteouts, skipped;
};

/* Creates a container from a local image: layers applied in order into
 * containers/<id>/ROOT, container.json (the image config), imagerepo.name
 * ("name:tag"), image.digest (the manifest digest, for apply's reuse
 * check). Built under a hidden name and renamed when complete. Returns the
 * new id (caller frees). */
char *ud_store_container_create(const struct ud_store *s, const char *name, const char *tag,
				struct ud_extract_stats *stats, struct ud_error **err);

struct ud_container {
	char *id, *dir, *root;
	char **names;
	char *image;	/* imagerepo.name */
	char *digest;	/* image.digest, or NULL */
	char *execmode; /* NULL: default */
	bool protected;
};
/* Resolves an id or a name; NULL (UD_ERR_NOT_FOUND) when neither. */
struct ud_container *ud_store_container_get(const struct ud_store *s, const char *id_or_name,
					    struct ud_error **err);
void ud_store_container_free(struct ud_container *c);
/* Every container, sorted by id. */
int ud_store_container_list(const struct ud_store *s, struct ud_container ***out, size_t *n,
			    struct ud_error **err);
void ud_store_container_list_free(struct ud_container **c, size_t n);
/* The lock serialising the creation of the container called name (many
 * jobs applying one spec at once create it once). */
int ud_store_container_lock(const struct ud_store *s, const char *name, struct ud_lock *lock,
			    struct ud_error **err);
/* setup --purge: removes the mountpoints runs created in ROOT (recorded in
 * .mountpoints/, as udocker does) when they are still empty. */
int ud_store_container_purge(const struct ud_store *s, const char *id, int *removed,
			     struct ud_error **err);
/* Removes a container and its names; protected ones are refused. */
int ud_store_container_remove(const struct ud_store *s, const char *id, struct ud_error **err);
/* Names: udocker's aliases, symlinks containers/<name> -> <id>. */
bool ud_store_container_name_valid(const char *name);
int ud_store_container_name(const struct ud_store *s, const char *id, const char *name,
			    struct ud_error **err);
int ud_store_container_rmname(const struct ud_store *s, const char *name, struct ud_error **err);
int ud_store_container_protect(const struct ud_store *s, const char *id, bool on,
			       struct ud_error **err);
int ud_store_container_set_execmode(const struct ud_store *s, const char *id, const char *mode,
				    struct ud_error **err);

/* Writes the container's ROOT (whole: the container directory) as a tar
 * to fd, members "./..." as `tar -C ROOT -c .` would name them. */
int ud_store_container_export(const struct ud_store *s, const char *id, bool whole, int fd,
			      struct ud_error **err);
/* A new container from a tar: a root filesystem (into ROOT), or with clone
 * a whole container directory written by export whole. Returns the id. */
char *ud_store_container_import(const struct ud_store *s, const char *tarball, bool clone,
				const char *image_name, struct ud_error **err);

/* ------------------------------------------------------------- archives */

/* Loads `docker save` (legacy) or OCI archives from fd. name (may be NULL)
 * renames the repository. Returns the loaded "name:tag" list; entries that
 * already existed are listed in *skipped. */
char **ud_store_load(const struct ud_store *s, int fd, const char *name, char ***skipped,
		     struct ud_error **err);
/* Writes a `docker save` archive of the images ("name:tag" pairs) to fd. */
int ud_store_save(const struct ud_store *s, char *const *names, char *const *tags, int fd,
		  struct ud_error **err);
/* A root filesystem tarball (path, or "-" for fd 0) becomes image
 * name:tag (v1 layout with one layer); returns the layer id. */
char *ud_store_import(const struct ud_store *s, const char *tarball, int fd, const char *name,
		      const char *tag, const char *platform, bool move, struct ud_error **err);

#endif
