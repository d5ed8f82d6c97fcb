/* verify (reference §2.7), fixed to check config blobs and uncompressed
 * layers by their sha256 too. */
#include "store/store_private.h"

#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

/* Checks the link `name` in dir: a symlink to an existing regular file of
 * the expected size (size < 0: any). */
static int check_link(const char *dir, const char *name, int64_t size, struct ud_error **err)
{
	_cleanup_free_ char *link = ud_path_join(dir, name);
	struct stat st;
	if (lstat(link, &st) < 0)
		return ud_error_set(err, UD_ERR_NOT_FOUND,
				    "layer in manifest does not exist in repo %s", name);
	if (!S_ISLNK(st.st_mode))
		return ud_error_set(err, UD_ERR_INVALID,
				    "layer data file symbolic link not found %s", name);
	if (stat(link, &st) < 0 || !S_ISREG(st.st_mode))
		return ud_error_set(err, UD_ERR_NOT_FOUND, "layer data file not found %s", name);
	if (size >= 0 && st.st_size != size)
		return ud_error_set(err, UD_ERR_DIGEST,
				    "layer file size mismatch %s: %lld bytes, manifest says %lld",
				    name, (long long)st.st_size, (long long)size);
	return 0;
}

/* The content of the file behind link `name` has sha256 `hex`. */
static int check_sha256(const char *dir, const char *name, const char *hex, bool *match,
			struct ud_error **err)
{
	_cleanup_free_ char *link = ud_path_join(dir, name);
	char got[UD_SHA256_HEX_LEN + 1];
	if (ud_sha256_file(link, got, err) < 0)
		return -1;
	*match = strcmp(got, hex) == 0;
	return 0;
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != UD_SHA256_HEX_LEN)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* A v2 blob (layer or config): its link, its size, its digest. */
static int verify_blob(const char *dir, const char *digest, int64_t size, struct ud_error **err)
{
	if (check_link(dir, digest, size, err) < 0)
		return -1;
	bool match = false;
	if (check_sha256(dir, digest, digest + 7, &match, err) < 0)
		return -1;
	if (!match)
		return ud_error_set(err, UD_ERR_DIGEST, "layer file chksum failed %s", digest);
	return 0;
}

/* A v1 layer: its link, then its sha256 when its id is one (OCI archives
 * loaded by 1.3.16 name layers by their digest), else it must read as a
 * tar (ids of docker save archives are not content digests). */
static int verify_v1_layer(const char *dir, const char *id, int64_t max_size, struct ud_error **err)
{
	_cleanup_free_ char *f = xasprintf("%s.layer", id);
	if (check_link(dir, f, -1, err) < 0)
		return -1;
	bool match = false;
	if (is_hex64(id) && check_sha256(dir, f, id, &match, err) < 0)
		return -1;
	if (match)
		return 0;
	_cleanup_free_ char *link = ud_path_join(dir, f);
	if (ud_store_tar_check(link, max_size, err) < 0)
		return ud_error_prefix(err, "layer tar verify failed %s", id);
	return 0;
}

/* v1: each layer's metadata (<id>.json, when there is one) names the next
 * layer of ancestry as its parent, and the top one has none above it. */
static int verify_v1_chain(const struct ud_image *img, struct ud_error **err)
{
	size_t n = ud_strv_len(img->layer_ids);
	for (size_t i = 0; i < n; i++) {
		/* layer_ids is base first: the parent of layer i is layer i-1. */
		_cleanup_free_ char *jname = xasprintf("%s.json", img->layer_ids[i]);
		_cleanup_free_ char *jpath = ud_path_join(img->dir, jname);
		if (!ud_path_exists(jpath))
			continue;
		json_error_t je;
		_cleanup_json_ json_t *meta = json_load_file(jpath, 0, &je);
		if (!json_is_object(meta)) {
			_cleanup_free_ char *why =
				ud_str_escape(meta ? "not a JSON object" : je.text, 0);
			return ud_error_set(err, UD_ERR_INVALID, "layer metadata %s: %s", jname,
					    why);
		}
		const char *parent = json_string_value(json_object_get(meta, "parent"));
		const char *want = i > 0 ? img->layer_ids[i - 1] : NULL;
		if (!ud_str_eq(parent && *parent ? parent : NULL, want))
			return ud_error_set(err, UD_ERR_INVALID,
					    "ancestry and layers do not match at %s",
					    img->layer_ids[i]);
	}
	return 0;
}

static int verify_config_json(const struct ud_image *img, struct ud_error **err)
{
	if (img->config_file) {
		struct stat st;
		if (lstat(img->config_file, &st) < 0)
			return ud_error_set(err, UD_ERR_NOT_FOUND, "image config not found %s",
					    img->config_id);
	}
	json_t *j = ud_store_image_config_json(img, err);
	json_decref(j);
	return j ? 0 : -1;
}

int ud_store_image_verify(const struct ud_store *s, const char *name, const char *tag,
			  ud_verify_cb on_ok, void *data, struct ud_error **err)
{
	struct ud_image *img = ud_store_image_open(s, name, tag, err);
	if (img == NULL)
		return -1;
	int r = 0;
	if (img->v1)
		r = verify_v1_chain(img, err);
	for (size_t i = 0; r == 0 && img->layer_ids[i]; i++) {
		const char *id = img->layer_ids[i];
		r = img->v1 ? verify_v1_layer(img->dir, id, s->max_layer_size, err)
			    : verify_blob(img->dir, id, img->layer_sizes[i], err);
		if (r == 0 && on_ok)
			on_ok(id, data);
	}
	if (r == 0 && !img->v1 && img->parsed->kind == UD_MANIFEST_IMAGE) {
		r = verify_blob(img->dir, img->config_id, img->parsed->config.size, err);
		if (r == 0 && on_ok)
			on_ok(img->config_id, data);
	}
	if (r == 0)
		r = verify_config_json(img, err);
	if (r < 0)
		ud_error_prefix(err, "image %s:%s", name, tag);
	ud_store_image_free(img);
	return r;
}

int ud_store_verify_all(const struct ud_store *s, char ***failures, struct ud_error **err)
{
	*failures = xcalloc(1, sizeof(char *));
	struct ud_image_entry *e = NULL;
	size_t n = 0;
	if (ud_store_list(s, &e, &n, err) < 0)
		return -1;
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		_cleanup_error_ struct ud_error *e1 = NULL;
		if (ud_store_image_verify(s, e[i].name, e[i].tag, NULL, NULL, &e1) == 0)
			continue;
		bad++;
		ud_strv_push(failures, xstrdup(e1 ? e1->msg : "verification failed"));
	}
	ud_store_list_free(e, n);
	return bad;
}
