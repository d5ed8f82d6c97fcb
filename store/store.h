/* store: the local repository in udocker 1.3.16's layout
 * (reference/udocker.md §2), safe for many processes on many hosts:
 * blobs are written once under a per-blob lock, every file the store keeps
 * is written to a temporary name, synced and renamed. */
#ifndef UD_STORE_H
#define UD_STORE_H

#include "common/common.h"

#include "oci/oci.h"
#include "spec/execmode.h"
#include <time.h>

#include <jansson.h>

struct ud_store_paths {
	const char *top, *repos, *layers, *containers, *bin, *lib, *doc, *tmp;
};

/* The default cap on a layer's decompressed size: 64 GiB. */
#define UD_STORE_MAX_LAYER_SIZE_DEFAULT (64LL << 30)

/* The compressor of image files (UDOCKER_SQUASH_COMPRESSION, udocker.conf
 * squash_compression). */
enum ud_squash_compression { UD_SQUASH_ZSTD, UD_SQUASH_GZIP };

struct ud_store {
	char *top, *repos, *layers, *containers, *bin, *lib, *doc, *tmp;
	/* Bytes of decompressed tar a layer may have when a container is made
	 * from it (a decompression bomb stops there); <= 0: no limit. */
	int64_t max_layer_size;
	enum ud_squash_compression squash_compression; /* of image files built */
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
/* The blob exists as a regular file of that size (size < 0: any); one
 * stat, no hashing. */
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
/* Takes the blob's lock layers/.locks/<digest> (waiting at most
 * timeout_ms; the error names the holder), then: if the blob is already
 * present with that size and verifies, sets *present and releases
 * everything; otherwise opens layers/.partial/<digest> (kept from an
 * interrupted download, for an HTTP Range resume; emptied when longer
 * than size) positioned at its end, w->offset its length. The first call
 * in a process also removes other partials untouched for a day whose lock
 * is free.
 * With timeout_ms 0 and the lock held elsewhere, returns -1 with
 * UD_ERR_LOCKED. */
int ud_store_blob_begin(const struct ud_store *s, const char *digest, int64_t size, long timeout_ms,
			struct ud_blob_writer *w, bool *present, struct ud_error **err);
/* Syncs the partial, renames it to layers/<digest>, syncs layers/,
 * releases the lock. The caller has checked the content's digest. On
 * error the partial is removed and the lock released too. */
int ud_store_blob_commit(const struct ud_store *s, struct ud_blob_writer *w, struct ud_error **err);
/* Releases the lock; discard removes the partial (bad content), else it
 * stays for a later resume. */
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
/* When the tag was last resolved at its registry (pull policy "every"),
 * kept in repos/.resolved/; 0 when never. */
time_t ud_store_tag_resolved_at(const struct ud_store *s, const char *name, const char *tag);
int ud_store_tag_set_resolved(const struct ud_store *s, const char *name, const char *tag,
			      struct ud_error **err);

/* Writes a v2 tag under the tag's lock: a relative symlink
 * ../../(...)/layers/<digest> for each blob (layers and config; blobs are
 * "sha256:<hex>", NULL-terminated), manifest (len bytes as received), v2,
 * and TAG ("<repos>/<name>:<tag>", no newline) last. Links of an earlier
 * version of the tag that the new manifest does not use and the files of
 * an earlier v1 layout are removed (1.3.16 kept them: quirk 11). Every
 * file is replaced by rename: a reader sees the old or the new tag. */
int ud_store_tag_write(const struct ud_store *s, const char *name, const char *tag,
		       const char *manifest, size_t len, char *const *blobs, struct ud_error **err);

/* A link of a tag directory (layer, config, container.json ...). */
struct ud_image_link {
	char *name;   /* name in the tag directory */
	int64_t size; /* size of the file it points to; -1 when it is missing */
};

struct ud_image_entry {
	char *name, *tag, *dir; /* local name, tag, tag directory */
	bool protected;
	struct ud_image_link *links; /* UD_LIST_LINKS: sorted by name */
	size_t n_links;
	char *platform; /* UD_LIST_PLATFORM: "os/arch[/variant]" or "unknown/unknown" */
};

enum {
	UD_LIST_LINKS = 1 << 0,	   /* images -l */
	UD_LIST_PLATFORM = 1 << 1, /* images -p: reads each image's config */
};
/* Every tag under repos/ (hidden folders skipped), sorted by name then
 * tag; flags add what images -l and -p show. Without flags this stats two
 * files per tag and parses nothing. The caller frees with
 * ud_store_list_free(). -1 only when repos/ cannot be read. */
int ud_store_list_images(const struct ud_store *s, unsigned flags, struct ud_image_entry **out,
			 size_t *n, struct ud_error **err);
/* ud_store_list_images() without flags. */
int ud_store_list(const struct ud_store *s, struct ud_image_entry **out, size_t *n,
		  struct ud_error **err);
void ud_store_list_free(struct ud_image_entry *e, size_t n);

/* Store-side checks of a local image name (a relative path of components
 * without "", "." or "..", not hidden) and of a tag (Docker's tag syntax
 * or "sha256:<hex>"): what may safely become repos/<name>/<tag>. */
bool ud_store_name_valid(const char *name);
bool ud_store_tag_valid(const char *tag);

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
/* Reads tag name:tag: v1 (ancestry, <id>.layer links, container.json or
 * <top>.json), v2 schema 2 / OCI (manifest layers and config blob) or
 * schema 1 (config from history[0].v1Compatibility). Layer files are
 * not opened: create reports a missing one. NULL with UD_ERR_NOT_FOUND
 * when there is no such tag. The caller frees with ud_store_image_free(). */
struct ud_image *ud_store_image_open(const struct ud_store *s, const char *name, const char *tag,
				     struct ud_error **err);
void ud_store_image_free(struct ud_image *img);
/* What identifies the image's content, kept in a container's image.digest:
 * "sha256:HEX" of the manifest (v2), "v1:ID" of the top layer (v1, as
 * import writes it); NULL when there is neither. Caller frees. */
char *ud_store_image_digest(const struct ud_image *img);
/* The image config parsed (for inspect: the caller prints it with
 * JSON_SORT_KEYS | JSON_INDENT(4)); NULL when there is none or it is not
 * a JSON object. The caller owns the reference. */
json_t *ud_store_image_config_json(const struct ud_image *img, struct ud_error **err);
/* "os/arch[/variant]" from the config, "unknown/unknown" without one (img
 * may be NULL). Caller frees. */
char *ud_store_image_platform(const struct ud_image *img);
/* Counts the image's blobs and how many are missing, of the wrong size or
 * not matching their digest (ud_store_blob_good() without recording).
 * -1 when the tag cannot be read. */
int ud_store_image_blobs_state(const struct ud_store *s, const char *name, const char *tag,
			       int *n_blobs, int *n_missing, struct ud_error **err);

typedef void (*ud_verify_cb)(const char *what, void *data);
/* Verifies an image (§2.7): every layer is a symlink to an existing file;
 * v2 layers and the config blob have their manifest size and sha256; v1
 * layers have their sha256 when the id is one, else read as tar archives,
 * and their <id>.json parents follow ancestry; the config is a JSON
 * object. on_ok (may be NULL) is called for each good layer id, in order,
 * base first (v2: then the config digest). Stops at the first bad layer:
 * -1 with an error naming it. */
int ud_store_image_verify(const struct ud_store *s, const char *name, const char *tag,
			  ud_verify_cb on_ok, void *data, struct ud_error **err);
/* Verifies every tag. Returns how many failed (0: all good) and in
 * *failures (caller frees; always set) one message per failed tag; -1 when
 * repos/ cannot be read. */
int ud_store_verify_all(const struct ud_store *s, char ***failures, struct ud_error **err);
/* Removes the tag (its files, not subdirectories another image's path
 * goes through); layer files no other tag links to are deleted (one scan
 * of repos/, under the exclusive gc lock); empty parent directories go
 * too. Protected images are refused (UD_ERR_PROTECTED). force goes on
 * after removal errors and still returns -1 naming the first. */
int ud_store_image_remove(const struct ud_store *s, const char *name, const char *tag, bool force,
			  struct ud_error **err);
/* Copies the tag as dst_name:dst_tag: files copied, links to the same
 * layer files under the same names (container.json stays container.json,
 * unlike 1.3.16), TAG last. Errors: source missing (UD_ERR_NOT_FOUND) or
 * protected (UD_ERR_PROTECTED), target invalid (UD_ERR_USAGE) or existing
 * (UD_ERR_EXISTS); nothing is left of the target on error. */
int ud_store_image_tag(const struct ud_store *s, const char *name, const char *tag,
		       const char *dst_name, const char *dst_tag, struct ud_error **err);
/* Creates (on) or removes the tag's PROTECT file; an image that does not
 * exist is an error both ways (1.3.16's unprotect succeeded: quirk 17). */
int ud_store_image_protect(const struct ud_store *s, const char *name, const char *tag, bool on,
			   struct ud_error **err);

/* ----------------------------------------------------------- containers */

struct ud_extract_stats {
	long files, whiteouts, skipped;
};

/* How a container is made (NULL: a directory container). */
struct ud_create_options {
	bool squash;	/* image-backed: the image file, built first when missing */
	bool ephemeral; /* squash: no upper/, changes last one run */
	/* Building the image file: called now and then (may be NULL). */
	void (*progress)(int64_t done, int64_t total, void *data);
	void *data;
};

/* Creates a container from a local image: layers applied in order into
 * containers/<id>/ROOT (an image-backed one: ROOT empty, its image file
 * built when missing, `rootfs` written, upper/ and work/ made unless
 * ephemeral), container.json (the image config), imagerepo.name
 * ("name:tag"), image.digest (the manifest digest, for apply's reuse
 * check). Built under a hidden name and renamed when complete. Returns the
 * new id (caller frees). */
char *ud_store_container_create(const struct ud_store *s, const char *name, const char *tag,
				const struct ud_create_options *o, struct ud_extract_stats *stats,
				struct ud_error **err);

/* What a container's root is. A directory container (udocker 1.3.16's
 * layout) has its tree in ROOT. An image-backed one (`create
 * --rootfs=squash`) has an empty ROOT, a mount point: its tree is the image
 * file <top>/squash/<image.digest>.sqsh shared by every container of the
 * image, with the container's own changes in upper/ (work/ beside it, the
 * overlay's) or, when ephemeral, in memory for one run. Recorded in the
 * file `rootfs` ("squash" or "squash ephemeral"), which 1.3.16 ignores. */
enum ud_rootfs { UD_ROOTFS_DIR, UD_ROOTFS_SQUASH, UD_ROOTFS_UNKNOWN };

struct ud_container {
	char *id, *dir, *root;
	char **names;
	char *image;  /* imagerepo.name */
	char *digest; /* image.digest, or NULL */
	/* The mode its execmode file names, else execmode.auto's; N1 when
	 * it has neither;
	 * UD_EXECMODE_COUNT when the file names no mode (engines refuse it). */
	enum ud_execmode execmode;
	bool protected;
	enum ud_rootfs rootfs; /* UD_ROOTFS_UNKNOWN: `rootfs` names nothing we know */
	bool ephemeral;	       /* squash: changes live in memory for one run */
	/* squash: the image file (NULL when image.digest is missing or not a
	 * digest), upper/ and work/ in dir (NULL when ephemeral). */
	char *image_file, *upper, *work;
};
/* The image file of the image whose digest (ud_store_image_digest) is
 * digest: <top>/squash/<digest>.sqsh; NULL when digest has characters other
 * than [A-Za-z0-9:._-] (it may come from a container's image.digest). */
char *ud_store_squash_file(const struct ud_store *s, const char *digest);
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
/* Sets the container's mode. Set explicitly (setup --execmode=MODE): the
 * execmode file names it, as 1.3.16 writes it, N1 too (which 1.3.16 does
 * not know: it cannot run the container then). Chosen automatically: the
 * choice is kept in execmode.auto, and execmode names it only when it is a
 * mode udocker 1.3.16 knows (not N1; for N1 execmode is removed), so a
 * repository shared with 1.3.16 stays runnable there. */
int ud_store_container_set_execmode(const struct ud_store *s, const char *id, enum ud_execmode mode,
				    bool automatic, struct ud_error **err);

/* Writes the container's ROOT (whole: the container directory) as a tar
 * to fd, members "./..." as `tar -C ROOT -c .` would name them. */
int ud_store_container_export(const struct ud_store *s, const char *id, bool whole, int fd,
			      struct ud_error **err);
/* Writes the tree at dir as a tar (members ./...) to fd, hard links kept
 * as links (export of a tree mounted elsewhere: an image-backed one). */
int ud_store_tar_tree(const char *dir, int fd, struct ud_error **err);
/* clone of an image-backed container: its metadata and a copy of upper/
 * (whiteouts and user.* attributes, overlayfs's opaque marker among them,
 * kept) in a new container of the same image file; names and protection
 * are not cloned. Returns the new id (caller frees). */
char *ud_store_container_clone_squash(const struct ud_store *s, const char *id,
				      struct ud_error **err);
/* A new container from a tar: a root filesystem (into ROOT), or with clone
 * a whole container directory written by export whole. Returns the id. */
char *ud_store_container_import(const struct ud_store *s, const char *tarball, bool clone,
				const char *image_name, struct ud_error **err);

/* ---------------------------------------------------------- image files */

/* Makes sure the image file of name:tag exists (ud_store_squash_file of its
 * digest) and returns it in *path (caller frees). Built from the image's
 * layer tarballs streaming -- never an extracted copy on disk -- giving the
 * same tree a directory create gives (store/extract.c's rules; every inode
 * owned by 0:0), by one process at a time (lock squash/.locks/<digest>;
 * others wait, then reuse the finished file), written under squash/.partial/
 * and fsynced, then renamed. progress (may be NULL) is called now and then
 * with the layer bytes read so far and their total (each layer is read
 * twice: headers, then the data that survives); never when the file was
 * there already. */
int ud_store_squash_build(const struct ud_store *s, const char *name, const char *tag,
			  void (*progress)(int64_t done, int64_t total, void *data), void *data,
			  char **path, struct ud_error **err);

/* The regular file at path (absolute, as the container sees it) of the
 * container c, at most max bytes, *len its size (len may be NULL): for a
 * directory container from ROOT (as ud_root_read_file does), for an
 * image-backed one from its upper directory when the file is there (an
 * overlayfs whiteout there, a character device 0:0, or an opaque directory
 * hides the image's), else from its image file; symlinks followed inside
 * the container's tree, never out of it. NULL with *err (UD_ERR_NOT_FOUND
 * when it does not exist). */
char *ud_store_container_read_file(const struct ud_container *c, const char *path, size_t max,
				   size_t *len, struct ud_error **err);
/* The same for n files at once (an image-backed container's image file is
 * opened once): texts[i] (and lens[i], lens may be NULL), or NULL with
 * errs[i] (each NULL on entry). */
void ud_store_container_read_files(const struct ud_container *c, const char *const *paths, size_t n,
				   size_t max, char **texts, size_t *lens, struct ud_error **errs);

/* After an image tag or an image-backed container of digest went: removes
 * its image file when no tag of that digest and no image-backed container
 * made from it is left (under the file's build lock). */
int ud_store_squash_release(const struct ud_store *s, const char *digest, struct ud_error **err);

/* ------------------------------------------------------------- archives */

/* Loads `docker save` (legacy, or Docker >= 25's OCI layout) or OCI
 * archives from fd, stored as v2 tags. Names: RepoTags (or the
 * `repositories` file), else io.containerd.image.name, else
 * org.opencontainers.image.ref.name, else random as 1.3.16 does; name
 * (may be NULL) replaces the repository. The archive is extracted under
 * layers/.partial/ (hostile member names, links and symlinks refused) and
 * removed afterwards, also on error. Returns the loaded "name:tag" list;
 * those that already existed are left alone and listed in *skipped (both
 * NULL-terminated, caller frees). NULL on error (images stored before it
 * stay). */
char **ud_store_load(const struct ud_store *s, int fd, const char *name, char ***skipped,
		     struct ud_error **err);
/* Writes a `docker save` archive (legacy layout) of the images names[i]:
 * tags[i] to fd: `repositories` maps each to its top layer as docker does,
 * Layers lists every layer even when repeated (both fixes of quirk 15);
 * layer.tar is the stored blob, compressed or not. */
int ud_store_save(const struct ud_store *s, char *const *names, char *const *tags, int fd,
		  struct ud_error **err);
/* A root filesystem tarball (path, or NULL/"-" to read fd) becomes image
 * name:tag in 1.3.16's v1 layout: layers/<id>.layer and <id>.json (the
 * metadata of §1.4 import, platform "os/arch[/variant]" or the host's),
 * links to both, ancestry, v1 and TAG. move renames the tarball instead
 * of copying it (put back on error). Returns the random 64-hex layer id
 * (caller frees); NULL with UD_ERR_EXISTS when the tag exists. */
char *ud_store_import(const struct ud_store *s, const char *tarball, int fd, const char *name,
		      const char *tag, const char *platform, bool move, struct ud_error **err);

#endif
