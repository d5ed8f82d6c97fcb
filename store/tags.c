/* Image tags: repos/<name>/<tag>/ as udocker 1.3.16 writes them, and the
 * changes made to them: write, tag, protect, remove. */
#include "store/store_private.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

char *ud_store_tag_dir(const struct ud_store *s, const char *name, const char *tag)
{
	_cleanup_free_ char *repo = ud_path_join(s->repos, name);
	return ud_path_join(repo, tag);
}

/* repos/.resolved/NAME#TAG ('/' as '#'): hidden from 1.3.16, which reads
 * every file of a tag directory. */
static char *resolved_path(const struct ud_store *s, const char *name, const char *tag)
{
	_cleanup_free_ char *flat = xasprintf("%s#%s", name, tag);
	for (char *c = flat; *c; c++)
		if (*c == '/')
			*c = '#';
	return xasprintf("%s/.resolved/%s", s->repos, flat);
}

time_t ud_store_tag_resolved_at(const struct ud_store *s, const char *name, const char *tag)
{
	_cleanup_free_ char *p = resolved_path(s, name, tag);
	_cleanup_free_ char *text = ud_read_file(p, NULL, NULL);
	return text ? (time_t)strtoll(text, NULL, 10) : 0;
}

int ud_store_tag_set_resolved(const struct ud_store *s, const char *name, const char *tag,
			      struct ud_error **err)
{
	_cleanup_free_ char *p = resolved_path(s, name, tag);
	_cleanup_free_ char *dir = xasprintf("%s/.resolved", s->repos);
	_cleanup_free_ char *now = xasprintf("%lld\n", (long long)time(NULL));
	if (ud_mkdir_p(dir, 0755, err) < 0)
		return -1;
	return ud_write_file_atomic(p, now, strlen(now), 0644, err);
}

bool ud_store_tag_exists(const struct ud_store *s, const char *name, const char *tag)
{
	_cleanup_free_ char *dir = ud_store_tag_dir(s, name, tag);
	_cleanup_free_ char *t = ud_path_join(dir, "TAG");
	struct stat st;
	return lstat(t, &st) == 0 && S_ISREG(st.st_mode);
}

bool ud_store_name_valid(const char *name)
{
	if (name == NULL || !isalnum((unsigned char)name[0]) || strlen(name) > 1024)
		return false;
	for (const char *c = name; *c;) {
		size_t len = strcspn(c, "/");
		/* "", "." and ".." would leave repos/; hidden names are not listed. */
		if (len == 0 || c[0] == '.')
			return false;
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)c[i];
			if (!isalnum(ch) && !strchr("._-:[]", ch))
				return false;
		}
		c += len;
		if (*c == '/' && *++c == '\0')
			return false;
	}
	return true;
}

bool ud_store_tag_valid(const char *tag)
{
	if (tag == NULL)
		return false;
	if (ud_digest_valid(tag))
		return true;
	size_t n = strlen(tag);
	if (n == 0 || n > 128 || !(isalnum((unsigned char)tag[0]) || tag[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)tag[i]) && !strchr("_.-", tag[i]))
			return false;
	return true;
}

static int check_ref(const char *name, const char *tag, struct ud_error **err)
{
	if (!ud_store_name_valid(name))
		return ud_error_set(err, UD_ERR_USAGE, "invalid image name '%s'", name);
	if (!ud_store_tag_valid(tag))
		return ud_error_set(err, UD_ERR_USAGE, "invalid image tag '%s'", tag);
	return 0;
}

char *ud_store_relpath(const char *from, const char *to)
{
	_cleanup_strv_ char **a = xcalloc(1, sizeof(char *));
	_cleanup_strv_ char **b = xcalloc(1, sizeof(char *));
	_cleanup_free_ char *fa = xstrdup(from), *fb = xstrdup(to);
	char *save = NULL;
	for (char *t = strtok_r(fa, "/", &save); t; t = strtok_r(NULL, "/", &save))
		ud_strv_push(&a, xstrdup(t));
	for (char *t = strtok_r(fb, "/", &save); t; t = strtok_r(NULL, "/", &save))
		ud_strv_push(&b, xstrdup(t));
	size_t i = 0;
	while (a[i] && b[i] && strcmp(a[i], b[i]) == 0)
		i++;
	struct ud_buf out = {0};
	for (size_t j = i; a[j]; j++)
		ud_buf_puts(&out, "../");
	for (size_t j = i; b[j]; j++)
		ud_buf_printf(&out, "%s%s", j > i ? "/" : "", b[j]);
	return ud_buf_steal(&out);
}

int ud_store_tag_lock(const struct ud_store *s, const char *name, const char *tag, const char *what,
		      struct ud_lock *lock, struct ud_error **err)
{
	/* Hashed: a name may be deeper than a file name may be long. */
	_cleanup_free_ char *key = xasprintf("%s:%s", name, tag);
	char hex[UD_SHA256_HEX_LEN + 1];
	ud_sha256_hex(key, strlen(key), hex);
	_cleanup_free_ char *path = xasprintf("%s/.locks/%s", s->repos, hex);
	return ud_lock_acquire(lock, path, what, ud_lock_default_timeout_ms(), err);
}

int ud_store_tag_finish(const struct ud_store *s, const char *name, const char *tag,
			struct ud_error **err)
{
	_cleanup_free_ char *dir = ud_store_tag_dir(s, name, tag);
	_cleanup_free_ char *repo = ud_path_join(s->repos, name);
	_cleanup_free_ char *text = xasprintf("%s:%s", repo, tag);
	_cleanup_free_ char *path = ud_path_join(dir, "TAG");
	return ud_write_file_atomic(path, text, strlen(text), 0644, err);
}

int ud_store_tag_link(const struct ud_store *s, const char *dir, const char *link_name,
		      const char *layer_file, struct ud_error **err)
{
	_cleanup_free_ char *target = ud_path_join(s->layers, layer_file);
	_cleanup_free_ char *rel = ud_store_relpath(dir, target);
	_cleanup_free_ char *link = ud_path_join(dir, link_name);
	char cur[4096];
	ssize_t n = readlink(link, cur, sizeof(cur) - 1);
	if (n > 0) {
		cur[n] = '\0';
		if (strcmp(cur, rel) == 0)
			return 0;
	}
	return ud_symlink_atomic(rel, link, err);
}

void ud_store_rmdir_parents(const struct ud_store *s, const char *name)
{
	_cleanup_free_ char *p = ud_path_join(s->repos, name);
	size_t top = strlen(s->repos);
	while (strlen(p) > top && rmdir(p) == 0) {
		char *slash = strrchr(p, '/');
		if (slash == NULL)
			break;
		*slash = '\0';
	}
}

static bool is_blob_link_name(const char *n)
{
	return ud_str_has_prefix(n, "sha256:") || ud_str_has_prefix(n, "sha512:");
}

/* What a v1 layout (load, import, v1 pull) keeps in a tag directory. */
static bool is_v1_entry(const char *n)
{
	return strcmp(n, "v1") == 0 || strcmp(n, "ancestry") == 0 ||
	       strcmp(n, "container.json") == 0 || ud_str_has_suffix(n, ".layer") ||
	       ud_str_has_suffix(n, ".json");
}

/* Temporary names a writer killed half way may have left (".<name>.XXXXXX"
 * from atomic writes, "<link>.tmp-<hex>" from atomic symlinks); the caller
 * holds the tag lock, so no one is writing them now. */
static void remove_stale_temporaries(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		if (n[0] == '.' || strstr(n, ".tmp-") != NULL)
			unlinkat(dirfd(d), n, 0);
	}
	closedir(d);
}

int ud_store_tag_write(const struct ud_store *s, const char *name, const char *tag,
		       const char *manifest, size_t len, char *const *blobs, struct ud_error **err)
{
	if (check_ref(name, tag, err) < 0)
		return -1;
	for (size_t i = 0; blobs[i]; i++)
		if (!ud_digest_valid(blobs[i]))
			return ud_error_set(err, UD_ERR_INVALID, "tag %s:%s: invalid blob '%s'",
					    name, tag, blobs[i]);
	_cleanup_free_ char *dir = ud_store_tag_dir(s, name, tag);
	_cleanup_lock_ struct ud_lock lock = {.fd = -1};
	if (ud_store_tag_lock(s, name, tag, "writing image tag", &lock, err) < 0)
		return -1;
	if (ud_mkdir_p(dir, 0755, err) < 0)
		return -1;
	remove_stale_temporaries(dir);
	/* New links first, then the manifest, then v2, then stale links, then
	 * TAG: a reader never finds a manifest whose links are missing. */
	for (size_t i = 0; blobs[i]; i++)
		if (ud_store_tag_link(s, dir, blobs[i], blobs[i], err) < 0)
			return -1;
	_cleanup_free_ char *mpath = ud_path_join(dir, "manifest");
	if (ud_write_file_atomic(mpath, manifest, len, 0644, err) < 0)
		return -1;
	_cleanup_free_ char *v2 = ud_path_join(dir, "v2");
	if (!ud_is_file(v2) && ud_write_file_atomic(v2, "", 0, 0644, err) < 0)
		return -1;
	/* v1 goes before the rest of an older v1 layout: readers go by v1. */
	_cleanup_free_ char *v1 = ud_path_join(dir, "v1");
	unlink(v1);
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			const char *n = de->d_name;
			if ((is_blob_link_name(n) && !ud_strv_contains(blobs, n)) || is_v1_entry(n))
				unlinkat(dirfd(d), n, 0);
		}
		closedir(d);
	}
	return ud_store_tag_finish(s, name, tag, err);
}

int ud_store_tag_remove_files(const char *dir, bool force, struct ud_error **err)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : ud_error_sys(err, errno, "cannot read '%s'", dir);
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && (r == 0 || force)) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    S_ISDIR(st.st_mode))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
			r = ud_error_sys(err, errno, "cannot remove '%s/%s'", dir, de->d_name);
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
		r = ud_error_sys(err, errno, "cannot remove '%s'", dir);
	return r;
}

static bool has_subdirs(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	bool found = false;
	struct dirent *de;
	while (!found && (de = readdir(d)) != NULL) {
		struct stat st;
		found = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
			fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			S_ISDIR(st.st_mode);
	}
	closedir(d);
	return found;
}

/* ---------------------------------------------------------------- tag */

int ud_store_image_tag(const struct ud_store *s, const char *name, const char *tag,
		       const char *dst_name, const char *dst_tag, struct ud_error **err)
{
	if (check_ref(dst_name, dst_tag, err) < 0)
		return ud_error_prefix(err, "target name is invalid");
	if (!ud_store_tag_exists(s, name, tag))
		return ud_error_set(err, UD_ERR_NOT_FOUND, "source does not exist: %s:%s", name,
				    tag);
	_cleanup_free_ char *src = ud_store_tag_dir(s, name, tag);
	_cleanup_free_ char *prot = ud_path_join(src, "PROTECT");
	if (ud_path_exists(prot))
		return ud_error_set(err, UD_ERR_PROTECTED, "source repository is protected: %s:%s",
				    name, tag);
	_cleanup_free_ char *dst = ud_store_tag_dir(s, dst_name, dst_tag);
	_cleanup_lock_ struct ud_lock gc = {.fd = -1};
	if (ud_store_gc_lock(s, true, &gc, err) < 0)
		return -1;
	_cleanup_lock_ struct ud_lock lock = {.fd = -1};
	if (ud_store_tag_lock(s, dst_name, dst_tag, "writing image tag", &lock, err) < 0)
		return -1;
	/* Checked under the lock: two tag commands to one target, one wins.
	 * A directory on another image's repository path is no free target;
	 * one with only files was left by a killed writer. */
	if (ud_store_tag_exists(s, dst_name, dst_tag) || has_subdirs(dst))
		return ud_error_set(err, UD_ERR_EXISTS, "target already exists: %s:%s", dst_name,
				    dst_tag);
	if (ud_store_tag_remove_files(dst, false, err) < 0)
		return -1;
	if (ud_mkdir_p(dst, 0755, err) < 0)
		return -1;
	int r = 0;
	DIR *d = opendir(src);
	if (d == NULL)
		r = ud_error_sys(err, errno, "cannot read '%s'", src);
	struct dirent *de;
	while (d && r == 0 && (de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		if (n[0] == '.' || strcmp(n, "TAG") == 0 || strcmp(n, "PROTECT") == 0 ||
		    strstr(n, ".tmp-"))
			continue;
		_cleanup_free_ char *from = ud_path_join(src, n);
		_cleanup_free_ char *to = ud_path_join(dst, n);
		char target[4096];
		ssize_t len = readlink(from, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			/* The same layer file under the same link name (1.3.16
			 * renamed container.json links: quirk 22). */
			const char *base = strrchr(target, '/');
			r = ud_store_tag_link(s, dst, n, base ? base + 1 : target, err);
		} else if (ud_is_file(from)) {
			r = ud_copy_file(from, to, 0644, err);
		}
	}
	if (d)
		closedir(d);
	if (r == 0 && ud_store_tag_finish(s, dst_name, dst_tag, err) == 0)
		return 0;
	ud_store_tag_remove_files(dst, true, NULL);
	ud_store_rmdir_parents(s, dst_name);
	return -1;
}

int ud_store_image_protect(const struct ud_store *s, const char *name, const char *tag, bool on,
			   struct ud_error **err)
{
	if (!ud_store_tag_exists(s, name, tag))
		return ud_error_set(err, UD_ERR_NOT_FOUND, "image not found: %s:%s", name, tag);
	_cleanup_free_ char *dir = ud_store_tag_dir(s, name, tag);
	_cleanup_free_ char *p = ud_path_join(dir, "PROTECT");
	if (on)
		return ud_write_file_atomic(p, "", 0, 0644, err);
	if (unlink(p) < 0 && errno != ENOENT)
		return ud_error_sys(err, errno, "cannot remove '%s'", p);
	return 0;
}

/* ---------------------------------------------------------------- rmi */

/* Appends the basenames of the targets of dir's symlinks to *out. */
static void link_targets(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char target[4096];
		ssize_t len = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		const char *base = strrchr(target, '/');
		base = base ? base + 1 : target;
		if (!ud_strv_contains(*out, base))
			ud_strv_push(out, xstrdup(base));
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the layer files every tag links to: one scan of repos/
 * however many layers are being removed. */
static char **collect_links(const struct ud_store *s, struct ud_error **err)
{
	struct ud_image_entry *e = NULL;
	size_t n = 0;
	if (ud_store_list(s, &e, &n, err) < 0)
		return NULL;
	char **used = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		DIR *d = opendir(e[i].dir);
		if (d == NULL)
			continue;
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			char target[4096];
			ssize_t len = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
			if (len <= 0)
				continue;
			target[len] = '\0';
			const char *base = strrchr(target, '/');
			ud_strv_push(&used, xstrdup(base ? base + 1 : target));
		}
		closedir(d);
	}
	ud_store_list_free(e, n);
	qsort(used, ud_strv_len(used), sizeof(char *), cmp_str);
	return used;
}

int ud_store_image_remove(const struct ud_store *s, const char *name, const char *tag, bool force,
			  struct ud_error **err)
{
	_cleanup_free_ char *dir = ud_store_tag_dir(s, name, tag);
	if (!ud_store_tag_exists(s, name, tag))
		return ud_error_set(err, UD_ERR_NOT_FOUND, "image not found: %s:%s", name, tag);
	_cleanup_free_ char *prot = ud_path_join(dir, "PROTECT");
	if (ud_path_exists(prot))
		return ud_error_set(err, UD_ERR_PROTECTED, "image repository is protected: %s:%s",
				    name, tag);
	struct ud_image *img = ud_store_image_open(s, name, tag, NULL);
	_cleanup_free_ char *digest = img ? ud_store_image_digest(img) : NULL;
	ud_store_image_free(img);
	/* No tag may start linking to a layer while we decide it is unused.
	 * Lock order everywhere: the gc lock, then a tag lock. */
	_cleanup_lock_ struct ud_lock gc = {.fd = -1};
	if (ud_store_gc_lock(s, false, &gc, err) < 0)
		return -1;
	_cleanup_lock_ struct ud_lock lock = {.fd = -1};
	if (ud_store_tag_lock(s, name, tag, "removing image tag", &lock, err) < 0)
		return -1;
	/* The layer files this tag links to. */
	_cleanup_strv_ char **mine = xcalloc(1, sizeof(char *));
	link_targets(dir, &mine);
	/* TAG first: the directory stops being a tag at once. */
	_cleanup_free_ char *tagfile = ud_path_join(dir, "TAG");
	if (unlink(tagfile) < 0 && errno != ENOENT && !force)
		return ud_error_sys(err, errno, "cannot remove '%s'", tagfile);
	int r = ud_store_tag_remove_files(dir, force, err);
	if (r < 0 && !force)
		return ud_error_prefix(err, "image %s:%s", name, tag);
	_cleanup_strv_ char **used = collect_links(s, err);
	if (used == NULL)
		return ud_error_prefix(err, "image %s:%s: layers kept", name, tag);
	size_t n_used = ud_strv_len(used);
	for (size_t i = 0; mine[i] && (r == 0 || force); i++) {
		if (bsearch(&mine[i], used, n_used, sizeof(char *), cmp_str))
			continue;
		if (ud_store_blob_remove(s, mine[i], err) < 0)
			r = -1;
	}
	ud_store_rmdir_parents(s, name);
	/* Outside the gc and tag locks (a tag lock is taken under the image
	 * file's lock by a build). */
	ud_lock_release(&lock);
	ud_lock_release(&gc);
	if (r == 0 && ud_store_squash_release(s, digest, err) < 0)
		r = -1;
	return r;
}
