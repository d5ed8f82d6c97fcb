/* Reading images: the listing of repos/ and one tag's manifest, layers and
 * config (reference §2.2). */
#include "store/store_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- listing */

struct walk_ctx {
	const struct ud_store *s;
	unsigned flags;
	struct ud_image_entry *out;
	size_t n, cap;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct ud_image_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->tag, y->tag);
}

static int cmp_link(const void *a, const void *b)
{
	const struct ud_image_link *x = a, *y = b;
	return strcmp(x->name, y->name);
}

/* The symlinks of the tag directory open at dfd, with their targets' sizes. */
static void read_links(int dfd, struct ud_image_entry *e)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISLNK(st.st_mode))
			continue;
		if (e->n_links == cap) {
			cap = cap ? 2 * cap : 8;
			e->links = xrealloc(e->links, cap * sizeof(*e->links));
		}
		struct ud_image_link *l = &e->links[e->n_links++];
		l->name = xstrdup(de->d_name);
		l->size = fstatat(dirfd(d), de->d_name, &st, 0) == 0 ? st.st_size : -1;
	}
	closedir(d);
	if (e->n_links > 1)
		qsort(e->links, e->n_links, sizeof(*e->links), cmp_link);
}

static void add_entry(struct walk_ctx *w, int dfd, const char *name, const char *tag,
		      const char *path)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->out = xrealloc(w->out, w->cap * sizeof(*w->out));
	}
	struct ud_image_entry *e = &w->out[w->n++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	e->tag = xstrdup(tag);
	e->dir = xasprintf("%s/%s", w->s->repos, path);
	struct stat st;
	e->protected = fstatat(dfd, "PROTECT", &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (w->flags & UD_LIST_LINKS)
		read_links(dfd, e);
	if (w->flags & UD_LIST_PLATFORM) {
		struct ud_image *img = ud_store_image_open(w->s, name, tag, NULL);
		e->platform = ud_store_image_platform(img);
		ud_store_image_free(img);
	}
}

static void walk(struct walk_ctx *w, int dfd, const char *rel, int depth)
{
	if (depth > 64) {
		close(dfd);
		return;
	}
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		/* Hidden: ".", "..", our .locks and .meta, temporaries. */
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
		bool is_tag = rel && fstatat(sub, "TAG", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			      S_ISREG(st.st_mode);
		if (is_tag)
			add_entry(w, sub, rel, de->d_name, path);
		/* A tag directory has subdirectories only when another image's
		 * repository path goes through it ("a:b" and "a/b/c:d"); a link
		 * count of 2 says there are none without reading it. */
		if (is_tag && fstat(sub, &st) == 0 && st.st_nlink == 2) {
			close(sub);
			continue;
		}
		walk(w, sub, path, depth + 1);
	}
	closedir(d);
}

int ud_store_list_images(const struct ud_store *s, unsigned flags, struct ud_image_entry **out,
			 size_t *n, struct ud_error **err)
{
	*out = NULL;
	*n = 0;
	int dfd = open(s->repos, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return ud_error_sys(err, errno, "cannot read '%s'", s->repos);
	struct walk_ctx w = {.s = s, .flags = flags};
	walk(&w, dfd, NULL, 0);
	if (w.n > 1)
		qsort(w.out, w.n, sizeof(*w.out), cmp_entry);
	*out = w.out;
	*n = w.n;
	return 0;
}

int ud_store_list(const struct ud_store *s, struct ud_image_entry **out, size_t *n,
		  struct ud_error **err)
{
	return ud_store_list_images(s, 0, out, n, err);
}

void ud_store_list_free(struct ud_image_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].tag);
		free(e[i].dir);
		for (size_t k = 0; k < e[i].n_links; k++)
			free(e[i].links[k].name);
		free(e[i].links);
		free(e[i].platform);
	}
	free(e);
}

/* ---------------------------------------------------------------- reading */

char *ud_store_image_digest(const struct ud_image *img)
{
	if (img->manifest) {
		char hex[UD_SHA256_HEX_LEN + 1];
		ud_sha256_hex(img->manifest, img->manifest_len, hex);
		return xasprintf("sha256:%s", hex);
	}
	size_t n = ud_strv_len(img->layer_ids);
	return img->v1 && n > 0 ? xasprintf("v1:%s", img->layer_ids[n - 1]) : NULL;
}

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

/* A v1 layer id names files in the tag directory and in layers/. */
static bool v1_id_valid(const char *id)
{
	return id && id[0] != '\0' && id[0] != '.' && strchr(id, '/') == NULL && strlen(id) < 256;
}

static int open_v1(struct ud_image *img, struct ud_error **err)
{
	_cleanup_free_ char *apath = ud_path_join(img->dir, "ancestry");
	json_error_t je;
	_cleanup_json_ json_t *anc = json_load_file(apath, 0, &je);
	if (!json_is_array(anc) || json_array_size(anc) == 0)
		return ud_error_set(err, UD_ERR_INVALID, "image %s:%s: invalid ancestry file '%s'",
				    img->name, img->tag, apath);
	size_t n = json_array_size(anc);
	img->layer_ids = xcalloc(n + 1, sizeof(char *));
	img->layer_files = xcalloc(n + 1, sizeof(char *));
	img->layer_sizes = xcalloc(n + 1, sizeof(int64_t));
	for (size_t i = 0; i < n; i++) {
		/* ancestry is top first; layers go base first. */
		const char *id = json_string_value(json_array_get(anc, n - 1 - i));
		if (!v1_id_valid(id))
			return ud_error_set(err, UD_ERR_INVALID,
					    "image %s:%s: invalid layer id in ancestry", img->name,
					    img->tag);
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
		const char *d = img->parsed->layers[i].digest;
		if (d == NULL || !ud_digest_valid(d))
			return ud_error_set(err, UD_ERR_UNSUPPORTED,
					    "image %s:%s: unsupported layer digest '%s'", img->name,
					    img->tag, d ? d : "");
		img->layer_ids[i] = xstrdup(d);
		img->layer_files[i] = ud_path_join(img->dir, d);
		img->layer_sizes[i] = img->parsed->layers[i].size;
	}
	if (img->parsed->kind == UD_MANIFEST_IMAGE) {
		const char *d = img->parsed->config.digest;
		if (d == NULL || !ud_digest_valid(d))
			return ud_error_set(err, UD_ERR_UNSUPPORTED,
					    "image %s:%s: unsupported config digest '%s'",
					    img->name, img->tag, d ? d : "");
		img->config_id = xstrdup(d);
		img->config_file = ud_path_join(img->dir, d);
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

json_t *ud_store_image_config_json(const struct ud_image *img, struct ud_error **err)
{
	if (img->config == NULL) {
		ud_error_set(err, UD_ERR_NOT_FOUND, "image %s:%s has no config", img->name,
			     img->tag);
		return NULL;
	}
	json_error_t je;
	json_t *j = json_loads(img->config, 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		_cleanup_free_ char *e = ud_str_escape(j ? "" : je.text, 200);
		ud_error_set(err, UD_ERR_INVALID, "image %s:%s: config is not a JSON object: %s",
			     img->name, img->tag, e);
		return NULL;
	}
	return j;
}

char *ud_store_image_platform(const struct ud_image *img)
{
	if (img == NULL || img->config == NULL)
		return xstrdup("unknown/unknown");
	struct ud_image_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	if (ud_image_config_parse(img->config, strlen(img->config), &cfg, NULL) < 0)
		return xstrdup("unknown/unknown");
	char *p = cfg.platform.os && cfg.platform.arch ? ud_platform_format(&cfg.platform)
						       : xstrdup("unknown/unknown");
	ud_image_config_release(&cfg);
	return p;
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
		if (!ud_digest_valid(d->digest) || stat(link, &st) < 0 ||
		    !ud_store_blob_good(s, d->digest, d->size, false))
			(*n_missing)++;
	}
	ud_manifest_free(m);
	return 0;
}
