/* Content-addressed blobs in layers/: written once under a per-blob lock
 * into layers/.partial/<digest>, renamed to layers/<digest> when complete.
 * The hidden .locks, .partial and .verified folders are invisible to
 * udocker 1.3.16, which only looks up blobs by name. */
#include "store/store_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* A partial download nobody resumed for this long is abandoned. */
#define STALE_PARTIAL_S (24 * 3600)

char *ud_store_blob_path(const struct ud_store *s, const char *digest)
{
	return ud_path_join(s->layers, digest);
}

bool ud_store_blob_present(const struct ud_store *s, const char *digest, int64_t size)
{
	_cleanup_free_ char *p = ud_store_blob_path(s, digest);
	struct stat st;
	if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	return size < 0 || st.st_size == size;
}

/* The stat signature a verified blob had: a blob is only ever replaced by
 * rename, so the same inode, size and mtime mean the same content. */
static char *blob_signature(const struct stat *st)
{
	return xasprintf("%llu %lld %lld.%09ld\n", (unsigned long long)st->st_ino,
			 (long long)st->st_size, (long long)st->st_mtim.tv_sec,
			 st->st_mtim.tv_nsec);
}

static char *marker_path(const struct ud_store *s, const char *digest)
{
	_cleanup_free_ char *dir = ud_path_join(s->layers, ".verified");
	return ud_path_join(dir, digest);
}

static void write_marker(const struct ud_store *s, const char *digest, const struct stat *st)
{
	_cleanup_free_ char *dir = ud_path_join(s->layers, ".verified");
	_cleanup_free_ char *m = marker_path(s, digest);
	_cleanup_free_ char *sig = blob_signature(st);
	/* Only a cache: failing to write it costs a re-hash later. */
	if (ud_mkdir_p(dir, 0755, NULL) == 0)
		ud_write_file_atomic(m, sig, strlen(sig), 0644, NULL);
}

bool ud_store_blob_good(const struct ud_store *s, const char *digest, int64_t size, bool record)
{
	_cleanup_free_ char *p = ud_store_blob_path(s, digest);
	struct stat st;
	if (stat(p, &st) < 0 || !S_ISREG(st.st_mode) || (size >= 0 && st.st_size != size))
		return false;
	_cleanup_free_ char *m = marker_path(s, digest);
	_cleanup_free_ char *have = ud_read_file(m, NULL, NULL);
	_cleanup_free_ char *sig = blob_signature(&st);
	if (have && strcmp(have, sig) == 0)
		return true;
	if (ud_store_blob_verify(s, digest, NULL) < 0)
		return false;
	if (record)
		write_marker(s, digest, &st);
	return true;
}

int ud_store_blob_verify(const struct ud_store *s, const char *digest, struct ud_error **err)
{
	if (!ud_digest_valid(digest))
		return ud_error_set(err, UD_ERR_INVALID, "blob '%s': unsupported digest", digest);
	_cleanup_free_ char *p = ud_store_blob_path(s, digest);
	char hex[UD_SHA256_HEX_LEN + 1];
	if (ud_sha256_file(p, hex, err) < 0)
		return -1;
	if (strcmp(hex, digest + 7) != 0)
		return ud_error_set(err, UD_ERR_DIGEST,
				    "layer file chksum failed: %s (got sha256:%s)", digest, hex);
	return 0;
}

int ud_store_blob_remove(const struct ud_store *s, const char *name, struct ud_error **err)
{
	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/'))
		return ud_error_set(err, UD_ERR_INVALID, "invalid layer file name '%s'", name);
	_cleanup_free_ char *p = ud_path_join(s->layers, name);
	if (unlink(p) < 0 && errno != ENOENT)
		return ud_error_sys(err, errno, "cannot remove layer '%s'", p);
	_cleanup_free_ char *m = marker_path(s, name);
	unlink(m);
	return 0;
}

/* Removes partial downloads of other blobs that nobody touched for a day
 * and whose lock is free (their writer died). Done once per process: a
 * directory scan per blob would cost more than the space it saves. */
static void clean_stale_partials(const struct ud_store *s, const char *pdir)
{
	static bool done;
	if (done)
		return;
	done = true;
	DIR *d = opendir(pdir);
	if (d == NULL)
		return;
	time_t now = time(NULL);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (!ud_digest_valid(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    now - st.st_mtime < STALE_PARTIAL_S)
			continue;
		_cleanup_free_ char *lockpath = xasprintf("%s/.locks/%s", s->layers, de->d_name);
		_cleanup_lock_ struct ud_lock lock = {.fd = -1};
		if (ud_lock_acquire(&lock, lockpath, "removing a stale partial blob", 0, NULL) < 0)
			continue;
		unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

int ud_store_blob_begin(const struct ud_store *s, const char *digest, int64_t size, long timeout_ms,
			struct ud_blob_writer *w, bool *present, struct ud_error **err)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->lock.fd = -1;
	*present = false;
	if (!ud_digest_valid(digest))
		return ud_error_set(err, UD_ERR_INVALID, "blob '%s': unsupported digest", digest);
	_cleanup_free_ char *lockdir = ud_path_join(s->layers, ".locks");
	_cleanup_free_ char *lockpath = ud_path_join(lockdir, digest);
	if (ud_lock_acquire(&w->lock, lockpath, "downloading blob", timeout_ms, err) < 0)
		return -1;
	if (ud_store_blob_good(s, digest, size, true)) {
		*present = true;
		ud_lock_release(&w->lock);
		return 0;
	}
	_cleanup_free_ char *pdir = ud_path_join(s->layers, ".partial");
	if (ud_mkdir_p(pdir, 0755, err) < 0) {
		ud_lock_release(&w->lock);
		return -1;
	}
	clean_stale_partials(s, pdir);
	w->partial = ud_path_join(pdir, digest);
	w->fd = ud_open_store_file(w->partial, O_RDWR | O_CREAT, 0644, "partial blob", err);
	if (w->fd < 0) {
		ud_store_blob_abort(w, false);
		return -1;
	}
	off_t end = lseek(w->fd, 0, SEEK_END);
	/* Longer than the blob: not a prefix of it, start again. */
	if (end > 0 && size >= 0 && end > size)
		end = ftruncate(w->fd, 0) == 0 ? lseek(w->fd, 0, SEEK_SET) : -1;
	if (end < 0) {
		ud_error_sys(err, errno, "cannot open '%s'", w->partial);
		ud_store_blob_abort(w, false);
		return -1;
	}
	w->offset = end;
	w->digest = xstrdup(digest);
	return 0;
}

int ud_store_blob_commit(const struct ud_store *s, struct ud_blob_writer *w, struct ud_error **err)
{
	if (w->fd < 0 || w->digest == NULL)
		return ud_error_set(err, UD_ERR_USAGE, "blob commit without a writer");
	_cleanup_free_ char *final = ud_store_blob_path(s, w->digest);
	int r = 0;
	if (fsync(w->fd) < 0 || fchmod(w->fd, 0644) < 0)
		r = ud_error_sys(err, errno, "cannot sync '%s'", w->partial);
	else if (rename(w->partial, final) < 0)
		r = ud_error_sys(err, errno, "cannot rename '%s' to '%s'", w->partial, final);
	else
		r = ud_fsync_parent(final, err);
	struct stat st;
	/* Committed blobs were hashed while they were written. */
	if (r == 0 && stat(final, &st) == 0)
		write_marker(s, w->digest, &st);
	ud_store_blob_abort(w, r < 0);
	return r;
}

void ud_store_blob_abort(struct ud_blob_writer *w, bool discard)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (discard && w->partial)
		unlink(w->partial);
	free(w->partial);
	free(w->digest);
	w->partial = w->digest = NULL;
	ud_lock_release(&w->lock);
}

char *ud_store_blob_put_file(const struct ud_store *s, const char *path, const char *expect,
			     int64_t *size, struct ud_error **err)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		ud_error_sys(err, errno, "cannot stat '%s'", path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		ud_error_set(err, UD_ERR_INVALID, "'%s' is not a regular file", path);
		return NULL;
	}
	char hex[UD_SHA256_HEX_LEN + 1];
	if (ud_sha256_file(path, hex, err) < 0)
		return NULL;
	_cleanup_free_ char *digest = xasprintf("sha256:%s", hex);
	if (expect && strcmp(expect, digest) != 0) {
		ud_error_set(err, UD_ERR_DIGEST, "blob %s: digest mismatch (content is %s)", expect,
			     digest);
		return NULL;
	}
	if (size)
		*size = st.st_size;
	struct ud_blob_writer w;
	bool present = false;
	if (ud_store_blob_begin(s, digest, st.st_size, ud_lock_default_timeout_ms(), &w, &present,
				err) < 0)
		return NULL;
	if (present)
		return steal_pointer(&digest);
	/* A hard link costs no copy and leaves path in place for a second
	 * reference to it; other filesystems get a copy. */
	close(w.fd);
	w.fd = -1;
	unlink(w.partial);
	int r = 0;
	if (link(path, w.partial) < 0)
		r = ud_copy_file(path, w.partial, 0644, err);
	if (r == 0) {
		w.fd = ud_open_store_file(w.partial, O_RDWR, 0, "partial blob", err);
		if (w.fd < 0)
			r = -1;
	}
	if (r < 0) {
		ud_store_blob_abort(&w, true);
		return NULL;
	}
	if (ud_store_blob_commit(s, &w, err) < 0)
		return NULL;
	return steal_pointer(&digest);
}

int ud_store_gc_lock(const struct ud_store *s, bool shared, struct ud_lock *lock,
		     struct ud_error **err)
{
	_cleanup_free_ char *path = ud_path_join(s->layers, ".locks/gc");
	return ud_lock_acquire_mode(lock, path, "removing unused layers",
				    ud_lock_default_timeout_ms(), shared, err);
}
