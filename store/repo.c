/* The repository and its blobs. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

static const char *const repo_dirs[] = {"repos", "layers", "containers", "bin", "lib", "doc"};

bool ud_store_is_repo(const char *dir)
{
	for (size_t i = 0; i < 5; i++) {
		_cleanup_free_ char *p = ud_path_join(dir, repo_dirs[i]);
		if (!ud_is_dir(p))
			return false;
	}
	return true;
}

int ud_store_mkrepo(const char *dir, struct ud_error **err)
{
	if (ud_path_exists(dir))
		return ud_error_set(err, UD_ERR_EXISTS, "localrepo directory already exists: %s",
				    dir);
	for (size_t i = 0; i < UD_ARRAY_SIZE(repo_dirs); i++) {
		_cleanup_free_ char *p = ud_path_join(dir, repo_dirs[i]);
		if (ud_mkdir_p(p, 0755, err) < 0)
			return ud_error_prefix(err, "mkrepo");
	}
	return 0;
}

struct ud_store *ud_store_open(const struct ud_store_paths *p, bool create, struct ud_error **err)
{
	struct ud_store *s = xcalloc(1, sizeof(*s));
	s->top = xstrdup(p->top);
	s->repos = p->repos ? xstrdup(p->repos) : ud_path_join(p->top, "repos");
	s->layers = p->layers ? xstrdup(p->layers) : ud_path_join(p->top, "layers");
	s->containers = p->containers ? xstrdup(p->containers) : ud_path_join(p->top, "containers");
	s->bin = p->bin ? xstrdup(p->bin) : ud_path_join(p->top, "bin");
	s->lib = p->lib ? xstrdup(p->lib) : ud_path_join(p->top, "lib");
	s->doc = p->doc ? xstrdup(p->doc) : ud_path_join(p->top, "doc");
	s->tmp = xstrdup(p->tmp ? p->tmp : "/tmp");
	const char *dirs[] = {s->repos, s->layers, s->containers, s->bin, s->lib, s->doc};
	for (size_t i = 0; i < UD_ARRAY_SIZE(dirs); i++) {
		if (ud_is_dir(dirs[i]))
			continue;
		if (!create) {
			ud_error_set(err, UD_ERR_NOT_FOUND,
				     "invalid udocker repository: %s (no %s)", s->top, dirs[i]);
			ud_store_free(s);
			return NULL;
		}
		if (ud_mkdir_p(dirs[i], 0755, err) < 0) {
			ud_store_free(s);
			return NULL;
		}
	}
	return s;
}

void ud_store_free(struct ud_store *s)
{
	if (s == NULL)
		return;
	free(s->top);
	free(s->repos);
	free(s->layers);
	free(s->containers);
	free(s->bin);
	free(s->lib);
	free(s->doc);
	free(s->tmp);
	free(s);
}

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
	w->partial = ud_path_join(pdir, digest);
	w->fd = open(w->partial, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	off_t end = w->fd >= 0 ? lseek(w->fd, 0, SEEK_END) : -1;
	if (w->fd < 0 || end < 0) {
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

int ud_store_gc_lock(const struct ud_store *s, bool shared, struct ud_lock *lock,
		     struct ud_error **err)
{
	_cleanup_free_ char *path = ud_path_join(s->layers, ".locks/gc");
	return ud_lock_acquire_mode(lock, path, "removing unused layers",
				    ud_lock_default_timeout_ms(), shared, err);
}
