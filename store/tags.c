/* Image tags: repos/<name>/<tag>/ as udocker 1.3.16 writes and reads them. */
#include "store/store_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

char *ud_store_tag_dir(const struct ud_store *s, const char *name, const char *tag)
{
	_cleanup_free_ char *repo = ud_path_join(s->repos, name);
	return ud_path_join(repo, tag);
}

bool ud_store_tag_exists(const struct ud_store *s, const char *name, const char *tag)
{
	_cleanup_free_ char *dir = ud_store_tag_dir(s, name, tag);
	_cleanup_free_ char *t = ud_path_join(dir, "TAG");
	return ud_is_file(t);
}

/* Relative path from directory `from` to `to` (both absolute, normalised). */
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

static char *tag_lock_path(const struct ud_store *s, const char *name, const char *tag)
{
	_cleanup_free_ char *key = xasprintf("%s:%s", name, tag);
	char hex[UD_SHA256_HEX_LEN + 1];
	ud_sha256_hex(key, strlen(key), hex);
	_cleanup_free_ char *dir = ud_path_join(s->repos, ".locks");
	return ud_path_join(dir, hex);
}

static bool is_blob_link_name(const char *n)
{
	return ud_str_has_prefix(n, "sha256:") || ud_str_has_prefix(n, "sha512:");
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
	_cleanup_free_ char *dir = ud_store_tag_dir(s, name, tag);
	_cleanup_free_ char *lockpath = tag_lock_path(s, name, tag);
	_cleanup_lock_ struct ud_lock lock = {.fd = -1};
	if (ud_lock_acquire(&lock, lockpath, "writing image tag", ud_lock_default_timeout_ms(),
			    err) < 0)
		return -1;
	if (ud_mkdir_p(dir, 0755, err) < 0)
		return -1;
	remove_stale_temporaries(dir);
	/* New links first, then the manifest, then stale links, then TAG:
	 * a reader never finds a manifest whose links are missing. */
	for (size_t i = 0; blobs[i]; i++) {
		_cleanup_free_ char *target = ud_store_blob_path(s, blobs[i]);
		_cleanup_free_ char *rel = ud_store_relpath(dir, target);
		_cleanup_free_ char *link = ud_path_join(dir, blobs[i]);
		char cur[4096];
		ssize_t n = readlink(link, cur, sizeof(cur) - 1);
		if (n > 0) {
			cur[n] = '\0';
			if (strcmp(cur, rel) == 0)
				continue;
		}
		if (ud_symlink_atomic(rel, link, err) < 0)
			return -1;
	}
	_cleanup_free_ char *mpath = ud_path_join(dir, "manifest");
	if (ud_write_file_atomic(mpath, manifest, len, 0644, err) < 0)
		return -1;
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL)
			if (is_blob_link_name(de->d_name) && !ud_strv_contains(blobs, de->d_name))
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	_cleanup_free_ char *v2 = ud_path_join(dir, "v2");
	if (!ud_is_file(v2) && ud_write_file_atomic(v2, "", 0, 0644, err) < 0)
		return -1;
	_cleanup_free_ char *repo = ud_path_join(s->repos, name);
	_cleanup_free_ char *tagtext = xasprintf("%s:%s", repo, tag);
	_cleanup_free_ char *tpath = ud_path_join(dir, "TAG");
	return ud_write_file_atomic(tpath, tagtext, strlen(tagtext), 0644, err);
}

/* ---------------------------------------------------------------- listing */

static int cmp_entry(const void *a, const void *b)
{
	const struct ud_image_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->tag, y->tag);
}

static void walk(int dfd, const char *rel, struct ud_image_entry **out, size_t *n, size_t *cap,
		 const char *repos, int depth)
{
	if (depth > 64)
		return;
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		int sub = openat(dirfd(d), de->d_name,
				 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		_cleanup_free_ char *path =
			rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		struct stat st;
		if (rel && fstatat(sub, "TAG", &st, 0) == 0 && S_ISREG(st.st_mode)) {
			if (*n == *cap) {
				*cap = *cap ? *cap * 2 : 64;
				*out = xrealloc(*out, *cap * sizeof(**out));
			}
			struct ud_image_entry *e = &(*out)[(*n)++];
			e->name = xstrdup(rel);
			e->tag = xstrdup(de->d_name);
			e->dir = xasprintf("%s/%s", repos, path);
			e->protected = fstatat(sub, "PROTECT", &st, 0) == 0;
			close(sub);
			continue;
		}
		walk(sub, path, out, n, cap, repos, depth + 1);
	}
	closedir(d);
}

int ud_store_list(const struct ud_store *s, struct ud_image_entry **out, size_t *n,
		  struct ud_error **err)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	int dfd = open(s->repos, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return ud_error_sys(err, errno, "cannot read '%s'", s->repos);
	walk(dfd, NULL, out, n, &cap, s->repos, 0);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_entry);
	return 0;
}

void ud_store_list_free(struct ud_image_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].tag);
		free(e[i].dir);
	}
	free(e);
}

/* ---------------------------------------------------------------- reading */

void ud_store_image_free(struct ud_image *img)
{
	if (img == NULL)
		return;
	free(img->name);
	free(img->tag);
	free(img->dir);
	free(img->manifest);
	ud_manifest_free(img->parsed);
	ud_strv_free(img->layer_ids);
	ud_strv_free(img->layer_files);
	free(img->layer_sizes);
	free(img->config_id);
	free(img->config_file);
	free(img->config);
	free(img);
}

static int open_v1(struct ud_image *img, struct ud_error **err)
{
	_cleanup_free_ char *apath = ud_path_join(img->dir, "ancestry");
	json_error_t je;
	json_t *anc = json_load_file(apath, 0, &je);
	if (!json_is_array(anc) || json_array_size(anc) == 0) {
		json_decref(anc);
		return ud_error_set(err, UD_ERR_INVALID, "image %s:%s: invalid ancestry file '%s'",
				    img->name, img->tag, apath);
	}
	size_t n = json_array_size(anc);
	img->layer_ids = xcalloc(n + 1, sizeof(char *));
	img->layer_files = xcalloc(n + 1, sizeof(char *));
	img->layer_sizes = xcalloc(n + 1, sizeof(int64_t));
	for (size_t i = 0; i < n; i++) {
		const char *id = json_string_value(json_array_get(anc, n - 1 - i));
		if (id == NULL || strchr(id, '/')) {
			json_decref(anc);
			return ud_error_set(err, UD_ERR_INVALID,
					    "image %s:%s: invalid layer id in ancestry", img->name,
					    img->tag);
		}
		img->layer_ids[i] = xstrdup(id);
		_cleanup_free_ char *f = xasprintf("%s.layer", id);
		img->layer_files[i] = ud_path_join(img->dir, f);
		img->layer_sizes[i] = -1;
	}
	_cleanup_free_ char *cj = ud_path_join(img->dir, "container.json");
	if (ud_path_exists(cj)) {
		img->config_id = xstrdup("container.json");
		img->config_file = steal_pointer(&cj);
	} else {
		const char *top = json_string_value(json_array_get(anc, 0));
		img->config_id = xasprintf("%s.json", top);
		img->config_file = ud_path_join(img->dir, img->config_id);
	}
	json_decref(anc);
	return 0;
}

static int open_v2(struct ud_image *img, struct ud_error **err)
{
	_cleanup_free_ char *mpath = ud_path_join(img->dir, "manifest");
	img->manifest = ud_read_file(mpath, &img->manifest_len, err);
	if (img->manifest == NULL)
		return ud_error_prefix(err, "image %s:%s", img->name, img->tag);
	img->parsed = ud_manifest_parse(img->manifest, img->manifest_len, NULL, err);
	if (img->parsed == NULL)
		return ud_error_prefix(err, "image %s:%s", img->name, img->tag);
	if (img->parsed->kind == UD_MANIFEST_INDEX)
		return ud_error_set(
			err, UD_ERR_INVALID,
			"image %s:%s: the stored manifest is an index, expected an image "
			"manifest",
			img->name, img->tag);
	size_t n = img->parsed->n_layers;
	img->layer_ids = xcalloc(n + 1, sizeof(char *));
	img->layer_files = xcalloc(n + 1, sizeof(char *));
	img->layer_sizes = xcalloc(n + 1, sizeof(int64_t));
	for (size_t i = 0; i < n; i++) {
		img->layer_ids[i] = xstrdup(img->parsed->layers[i].digest);
		img->layer_files[i] = ud_path_join(img->dir, img->layer_ids[i]);
		img->layer_sizes[i] = img->parsed->layers[i].size;
	}
	if (img->parsed->kind == UD_MANIFEST_IMAGE) {
		img->config_id = xstrdup(img->parsed->config.digest);
		img->config_file = ud_path_join(img->dir, img->config_id);
	}
	return 0;
}

struct ud_image *ud_store_image_open(const struct ud_store *s, const char *name, const char *tag,
				     struct ud_error **err)
{
	if (!ud_store_tag_exists(s, name, tag)) {
		ud_error_set(err, UD_ERR_NOT_FOUND, "image not found: %s:%s", name, tag);
		return NULL;
	}
	struct ud_image *img = xcalloc(1, sizeof(*img));
	img->name = xstrdup(name);
	img->tag = xstrdup(tag);
	img->dir = ud_store_tag_dir(s, name, tag);
	_cleanup_free_ char *v1 = ud_path_join(img->dir, "v1");
	_cleanup_free_ char *prot = ud_path_join(img->dir, "PROTECT");
	img->protected = ud_path_exists(prot);
	img->v1 = ud_path_exists(v1);
	int r = img->v1 ? open_v1(img, err) : open_v2(img, err);
	if (r == 0 && img->config_file) {
		img->config = ud_read_file(img->config_file, NULL, err);
		if (img->config == NULL)
			r = ud_error_prefix(err, "image %s:%s: config", name, tag);
	} else if (r == 0 && img->parsed && img->parsed->schema1_config) {
		img->config = xstrdup(img->parsed->schema1_config);
	}
	if (r < 0) {
		ud_store_image_free(img);
		return NULL;
	}
	return img;
}

int ud_store_image_blobs_state(const struct ud_store *s, const char *name, const char *tag,
			       int *n_blobs, int *n_missing, struct ud_error **err)
{
	*n_blobs = *n_missing = 0;
	_cleanup_free_ char *dir = ud_store_tag_dir(s, name, tag);
	_cleanup_free_ char *mpath = ud_path_join(dir, "manifest");
	size_t len = 0;
	_cleanup_free_ char *text = ud_read_file(mpath, &len, err);
	if (text == NULL)
		return -1;
	struct ud_manifest *m = ud_manifest_parse(text, len, NULL, err);
	if (m == NULL)
		return -1;
	for (size_t i = 0; i <= m->n_layers; i++) {
		const struct ud_descriptor *d = i < m->n_layers ? &m->layers[i] : &m->config;
		if (d->digest == NULL)
			continue;
		(*n_blobs)++;
		_cleanup_free_ char *link = ud_path_join(dir, d->digest);
		struct stat st;
		if (stat(link, &st) < 0 || !ud_store_blob_good(s, d->digest, d->size, false))
			(*n_missing)++;
	}
	ud_manifest_free(m);
	return 0;
}

/* ---------------------------------------------------------------- verify */

static int verify_one(const char *dir, const char *id, int64_t size, struct ud_error **err)
{
	_cleanup_free_ char *link = ud_path_join(dir, id);
	struct stat st;
	if (lstat(link, &st) < 0)
		return ud_error_set(err, UD_ERR_NOT_FOUND,
				    "layer in manifest does not exist in repo %s", id);
	if (!S_ISLNK(st.st_mode))
		return ud_error_set(err, UD_ERR_INVALID,
				    "layer data file symbolic link not found %s", id);
	if (stat(link, &st) < 0 || !S_ISREG(st.st_mode))
		return ud_error_set(err, UD_ERR_NOT_FOUND, "layer data file not found %s", id);
	if (size >= 0 && st.st_size != size)
		return ud_error_set(err, UD_ERR_DIGEST,
				    "layer file size mismatch %s: %lld bytes, manifest says %lld",
				    id, (long long)st.st_size, (long long)size);
	if (ud_digest_valid(id)) {
		char hex[UD_SHA256_HEX_LEN + 1];
		if (ud_sha256_file(link, hex, err) < 0)
			return -1;
		if (strcmp(hex, id + 7) != 0)
			return ud_error_set(err, UD_ERR_DIGEST, "layer file chksum failed %s", id);
	} else if (ud_store_tar_check(link, err) < 0) {
		/* v1 ids are not digests: the layer must at least read as a tar. */
		return ud_error_prefix(err, "layer tar verify failed %s", id);
	}
	return 0;
}

int ud_store_image_verify(const struct ud_store *s, const char *name, const char *tag,
			  ud_verify_cb on_ok, void *data, struct ud_error **err)
{
	struct ud_image *img = ud_store_image_open(s, name, tag, err);
	if (img == NULL)
		return -1;
	int r = 0;
	for (size_t i = 0; r == 0 && img->layer_ids[i]; i++) {
		const char *id = img->layer_ids[i];
		if (img->v1) {
			_cleanup_free_ char *f = xasprintf("%s.layer", id);
			r = verify_one(img->dir, f, -1, err);
		} else {
			r = verify_one(img->dir, id, img->layer_sizes[i], err);
		}
		if (r == 0 && on_ok)
			on_ok(id, data);
	}
	if (r == 0 && !img->v1 && img->parsed->kind == UD_MANIFEST_IMAGE) {
		r = verify_one(img->dir, img->config_id, img->parsed->config.size, err);
		if (r == 0 && on_ok)
			on_ok(img->config_id, data);
	}
	if (r < 0)
		ud_error_prefix(err, "image %s:%s", name, tag);
	ud_store_image_free(img);
	return r;
}

/* ---------------------------------------------------------------- changes */

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
		ud_strv_push(out, xstrdup(base ? base + 1 : target));
	}
	closedir(d);
}

/* Names of layer files linked from every tag. */
static void collect_links(const struct ud_store *s, char ***used)
{
	struct ud_image_entry *e = NULL;
	size_t n = 0;
	if (ud_store_list(s, &e, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		link_targets(e[i].dir, used);
	ud_store_list_free(e, n);
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
	/* No tag may start linking to a layer while we decide it is unused.
	 * Lock order everywhere: the gc lock, then a tag lock. */
	_cleanup_lock_ struct ud_lock gc = {.fd = -1};
	if (ud_store_gc_lock(s, false, &gc, err) < 0)
		return -1;
	_cleanup_free_ char *lockpath = tag_lock_path(s, name, tag);
	_cleanup_lock_ struct ud_lock lock = {.fd = -1};
	if (ud_lock_acquire(&lock, lockpath, "removing image tag", ud_lock_default_timeout_ms(),
			    err) < 0)
		return -1;
	/* The layer files this tag links to. */
	_cleanup_strv_ char **mine = xcalloc(1, sizeof(char *));
	link_targets(dir, &mine);
	/* TAG first: the directory stops being a tag at once. */
	_cleanup_free_ char *tagfile = ud_path_join(dir, "TAG");
	if (unlink(tagfile) < 0 && !force)
		return ud_error_sys(err, errno, "cannot remove '%s'", tagfile);
	int r = ud_rmtree(dir, err);
	if (r < 0 && !force)
		return -1;
	_cleanup_strv_ char **used = xcalloc(1, sizeof(char *));
	collect_links(s, &used);
	for (size_t i = 0; mine[i]; i++) {
		if (ud_strv_contains(used, mine[i]))
			continue;
		_cleanup_free_ char *f = ud_path_join(s->layers, mine[i]);
		if (unlink(f) < 0 && errno != ENOENT && !force)
			r = ud_error_sys(err, errno, "cannot remove layer '%s'", f);
	}
	/* Empty parents up to repos/. */
	_cleanup_free_ char *p = ud_path_join(s->repos, name);
	while (strlen(p) > strlen(s->repos) && rmdir(p) == 0) {
		char *slash = strrchr(p, '/');
		if (slash == NULL)
			break;
		*slash = '\0';
	}
	return r;
}

int ud_store_image_tag(const struct ud_store *s, const char *name, const char *tag,
		       const char *dst_name, const char *dst_tag, struct ud_error **err)
{
	if (!ud_store_tag_exists(s, name, tag))
		return ud_error_set(err, UD_ERR_NOT_FOUND, "source does not exist: %s:%s", name,
				    tag);
	if (ud_store_tag_exists(s, dst_name, dst_tag))
		return ud_error_set(err, UD_ERR_EXISTS, "target already exists: %s:%s", dst_name,
				    dst_tag);
	_cleanup_free_ char *src = ud_store_tag_dir(s, name, tag);
	_cleanup_free_ char *dst = ud_store_tag_dir(s, dst_name, dst_tag);
	_cleanup_lock_ struct ud_lock gc = {.fd = -1};
	if (ud_store_gc_lock(s, true, &gc, err) < 0)
		return -1;
	_cleanup_free_ char *lockpath = tag_lock_path(s, dst_name, dst_tag);
	_cleanup_lock_ struct ud_lock lock = {.fd = -1};
	if (ud_lock_acquire(&lock, lockpath, "writing image tag", ud_lock_default_timeout_ms(),
			    err) < 0)
		return -1;
	if (ud_mkdir_p(dst, 0755, err) < 0)
		return -1;
	DIR *d = opendir(src);
	if (d == NULL)
		return ud_error_sys(err, errno, "cannot read '%s'", src);
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		if (n[0] == '.' || strcmp(n, "TAG") == 0 || strcmp(n, "PROTECT") == 0)
			continue;
		_cleanup_free_ char *from = ud_path_join(src, n);
		_cleanup_free_ char *to = ud_path_join(dst, n);
		char target[4096];
		ssize_t len = readlink(from, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			/* Same layer file, path relative to the new tag directory. */
			const char *base = strrchr(target, '/');
			_cleanup_free_ char *layer =
				ud_path_join(s->layers, base ? base + 1 : target);
			_cleanup_free_ char *rel = ud_store_relpath(dst, layer);
			r = ud_symlink_atomic(rel, to, err);
		} else if (ud_is_file(from)) {
			r = ud_copy_file(from, to, 0644, err);
		}
	}
	closedir(d);
	if (r < 0) {
		ud_rmtree(dst, NULL);
		return -1;
	}
	_cleanup_free_ char *repo = ud_path_join(s->repos, dst_name);
	_cleanup_free_ char *tagtext = xasprintf("%s:%s", repo, dst_tag);
	_cleanup_free_ char *tpath = ud_path_join(dst, "TAG");
	return ud_write_file_atomic(tpath, tagtext, strlen(tagtext), 0644, err);
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
