#include "oci/oci.h"

#include <jansson.h>
#include <string.h>

static char *str_field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static void descriptor_release(struct ud_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	ud_platform_release(&d->platform);
}

static int parse_descriptor(json_t *j, const char *where, struct ud_descriptor *d,
			    struct ud_error **err)
{
	memset(d, 0, sizeof(*d));
	if (!json_is_object(j))
		return ud_error_set(err, UD_ERR_INVALID, "%s: expected an object", where);
	json_t *dig = json_object_get(j, "digest");
	if (!json_is_string(dig) || !ud_digest_valid(json_string_value(dig)))
		return ud_error_set(err, UD_ERR_INVALID,
				    "%s: missing or unsupported digest (expected sha256:<64 hex>)",
				    where);
	json_t *size = json_object_get(j, "size");
	if (size != NULL && (!json_is_integer(size) || json_integer_value(size) < 0))
		return ud_error_set(err, UD_ERR_INVALID, "%s: invalid size", where);
	d->digest = xstrdup(json_string_value(dig));
	d->size = size ? (int64_t)json_integer_value(size) : -1;
	d->media_type = str_field(j, "mediaType");
	json_t *plat = json_object_get(j, "platform");
	if (json_is_object(plat)) {
		d->has_platform = true;
		d->platform.os = str_field(plat, "os");
		d->platform.arch = str_field(plat, "architecture");
		d->platform.variant = str_field(plat, "variant");
	}
	return 0;
}

static int parse_list(json_t *arr, const char *name, struct ud_descriptor **out, size_t *n,
		      struct ud_error **err)
{
	if (!json_is_array(arr))
		return ud_error_set(err, UD_ERR_INVALID, "manifest has no '%s' list", name);
	size_t len = json_array_size(arr);
	*out = xcalloc(len + 1, sizeof(struct ud_descriptor));
	*n = 0;
	for (size_t i = 0; i < len; i++) {
		_cleanup_free_ char *where = xasprintf("%s[%zu]", name, i);
		if (parse_descriptor(json_array_get(arr, i), where, &(*out)[i], err) < 0)
			return -1;
		(*n)++;
	}
	return 0;
}

static int parse_schema1(json_t *root, struct ud_manifest *m, struct ud_error **err)
{
	json_t *fs = json_object_get(root, "fsLayers");
	if (!json_is_array(fs))
		return ud_error_set(err, UD_ERR_INVALID, "manifest has no 'fsLayers' list");
	size_t len = json_array_size(fs);
	m->layers = xcalloc(len + 1, sizeof(struct ud_descriptor));
	for (size_t i = 0; i < len; i++) {
		/* fsLayers lists the top layer first; we keep base first. */
		json_t *blob = json_object_get(json_array_get(fs, len - 1 - i), "blobSum");
		if (!json_is_string(blob) || !ud_digest_valid(json_string_value(blob)))
			return ud_error_set(err, UD_ERR_INVALID, "fsLayers[%zu]: invalid blobSum",
					    len - 1 - i);
		m->layers[i].digest = xstrdup(json_string_value(blob));
		m->layers[i].size = -1;
		m->n_layers++;
	}
	json_t *hist = json_array_get(json_object_get(root, "history"), 0);
	json_t *v1 = json_object_get(hist, "v1Compatibility");
	if (json_is_string(v1))
		m->schema1_config = xstrdup(json_string_value(v1));
	return 0;
}

/* The media types of an image we can run: NULL (older registries leave it
 * out; the content is sniffed) or one of these. */
static const char *const layer_types[] = {
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.diff.tar",
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	NULL,
};
static const char *const config_types[] = {
	"application/vnd.docker.container.image.v1+json",
	"application/vnd.oci.image.config.v1+json",
	NULL,
};

static bool known_type(const char *mt, const char *const *list)
{
	for (size_t i = 0; mt && list[i]; i++)
		if (strcmp(mt, list[i]) == 0)
			return true;
	return mt == NULL;
}

/* Refuses, before anything is fetched, an image with a part we cannot run,
 * naming the part and its media type. */
static int check_media_types(const struct ud_manifest *m, struct ud_error **err)
{
	if (!known_type(m->config.media_type, config_types)) {
		_cleanup_free_ char *e = ud_str_escape(m->config.media_type, 200);
		return ud_error_set(err, UD_ERR_UNSUPPORTED,
				    "not a container image: its config has media type '%s' (an "
				    "artifact, such as a Helm chart or a signature, cannot be run)",
				    e);
	}
	for (size_t i = 0; i < m->n_layers; i++) {
		const char *mt = m->layers[i].media_type;
		if (known_type(mt, layer_types))
			continue;
		_cleanup_free_ char *e = ud_str_escape(mt, 200);
		const char *why = "not a layer type udocker knows";
		if (strstr(mt, "foreign"))
			why = "a foreign layer (its content is not in the registry; Windows base "
			      "layers are such) cannot be run";
		else if (strstr(mt, "nondistributable"))
			why = "a non-distributable layer (its content may be elsewhere) cannot be "
			      "run";
		else if (strstr(mt, "image.layer.v1.tar+") || strstr(mt, "image.rootfs.diff.tar."))
			why = "this compression is not supported (gzip, zstd or none)";
		return ud_error_set(err, UD_ERR_UNSUPPORTED,
				    "layer %zu of %zu has media type '%s': %s", i + 1, m->n_layers,
				    e, why);
	}
	return 0;
}

struct ud_manifest *ud_manifest_parse(const char *json, size_t len, const char *content_type,
				      struct ud_error **err)
{
	json_error_t jerr;
	_cleanup_json_ json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		_cleanup_free_ char *e = ud_str_escape(jerr.text, 200);
		ud_error_set(err, UD_ERR_INVALID, "manifest is not valid JSON: %s (line %d)", e,
			     jerr.line);
		return NULL;
	}
	if (!json_is_object(root)) {
		ud_error_set(err, UD_ERR_INVALID, "manifest is not a JSON object");
		return NULL;
	}
	struct ud_manifest *m = xcalloc(1, sizeof(*m));
	m->media_type = str_field(root, "mediaType");
	if (m->media_type == NULL && content_type != NULL && *content_type != '\0') {
		size_t n = strcspn(content_type, "; ");
		m->media_type = xstrndup(content_type, n);
	}
	const char *mt = m->media_type ? m->media_type : "";
	json_t *schema = json_object_get(root, "schemaVersion");
	int r;
	if (json_is_integer(schema) && json_integer_value(schema) == 1) {
		m->kind = UD_MANIFEST_SCHEMA1;
		r = parse_schema1(root, m, err);
	} else if (json_object_get(root, "manifests") != NULL || strstr(mt, "manifest.list") ||
		   strstr(mt, "image.index")) {
		m->kind = UD_MANIFEST_INDEX;
		r = parse_list(json_object_get(root, "manifests"), "manifests", &m->manifests,
			       &m->n_manifests, err);
	} else if (json_object_get(root, "layers") != NULL ||
		   json_object_get(root, "config") != NULL) {
		m->kind = UD_MANIFEST_IMAGE;
		r = parse_descriptor(json_object_get(root, "config"), "config", &m->config, err);
		if (r == 0)
			r = parse_list(json_object_get(root, "layers"), "layers", &m->layers,
				       &m->n_layers, err);
		if (r == 0)
			r = check_media_types(m, err);
	} else if (json_object_get(root, "fsLayers") != NULL) {
		m->kind = UD_MANIFEST_SCHEMA1;
		r = parse_schema1(root, m, err);
	} else {
		_cleanup_free_ char *e = ud_str_escape(*mt ? mt : "none", 200);
		r = ud_error_set(err, UD_ERR_INVALID,
				 "layers section missing in manifest (media type '%s')", e);
	}
	if (r < 0) {
		ud_manifest_free(m);
		return NULL;
	}
	return m;
}

void ud_manifest_free(struct ud_manifest *m)
{
	if (m == NULL)
		return;
	free(m->media_type);
	descriptor_release(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_release(&m->layers[i]);
	free(m->layers);
	for (size_t i = 0; i < m->n_manifests; i++)
		descriptor_release(&m->manifests[i]);
	free(m->manifests);
	free(m->schema1_config);
	free(m);
}

const struct ud_descriptor *ud_manifest_select(const struct ud_manifest *index,
					       const struct ud_platform *want)
{
	for (size_t i = 0; i < index->n_manifests; i++) {
		const struct ud_descriptor *d = &index->manifests[i];
		if (d->has_platform && ud_platform_match(want, &d->platform))
			return d;
	}
	return NULL;
}

static char **str_array(json_t *arr)
{
	if (!json_is_array(arr))
		return NULL;
	char **v = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		if (json_is_string(e))
			ud_strv_push(&v, xstrdup(json_string_value(e)));
	}
	return v;
}

int ud_image_config_parse(const char *json, size_t len, struct ud_image_config *out,
			  struct ud_error **err)
{
	memset(out, 0, sizeof(*out));
	json_error_t jerr;
	_cleanup_json_ json_t *root = json_loadb(json, len, 0, &jerr);
	if (!json_is_object(root)) {
		_cleanup_free_ char *why = ud_str_escape(root ? "wrong type" : jerr.text, 0);
		return ud_error_set(err, UD_ERR_INVALID, "image config is not a JSON object: %s",
				    why);
	}
	out->platform.os = str_field(root, "os");
	out->platform.arch = str_field(root, "architecture");
	out->platform.variant = str_field(root, "variant");
	json_t *cfg = json_object_get(root, "config");
	if (!json_is_object(cfg))
		cfg = json_object_get(root, "container_config");
	if (json_is_object(cfg)) {
		out->env = str_array(json_object_get(cfg, "Env"));
		json_t *cmd = json_object_get(cfg, "Cmd");
		out->has_cmd = json_is_array(cmd);
		out->cmd = str_array(cmd);
		json_t *ep = json_object_get(cfg, "Entrypoint");
		out->has_entrypoint = json_is_array(ep);
		out->entrypoint = str_array(ep);
		out->workdir = str_field(cfg, "WorkingDir");
		out->user = str_field(cfg, "User");
	}
	return 0;
}

void ud_image_config_release(struct ud_image_config *c)
{
	ud_platform_release(&c->platform);
	ud_strv_free(c->env);
	ud_strv_free(c->cmd);
	ud_strv_free(c->entrypoint);
	free(c->workdir);
	free(c->user);
	memset(c, 0, sizeof(*c));
}
