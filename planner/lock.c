/* Lock files: the digest every image reference of a spec resolved to, for
 * its platform, written beside the spec (FILE.lock, JSON) so that every
 * node of a batch job runs exactly the same images. */
#include "planner/planner.h"

#include <jansson.h>
#include <string.h>

char *ud_lockfile_path(const char *spec_path)
{
	return xasprintf("%s.lock", spec_path);
}

void ud_lockfile_free(struct ud_lockfile *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->entries[i].ref);
		free(l->entries[i].platform);
		free(l->entries[i].digest);
	}
	free(l->entries);
	free(l);
}

void ud_lockfile_add(struct ud_lockfile *l, const char *ref, const char *platform,
		     const char *digest)
{
	ud_array_grow(l->entries, l->n);
	l->entries[l->n++] =
		(struct ud_lock_entry){xstrdup(ref), xstrdup(platform), xstrdup(digest)};
}

const char *ud_lockfile_digest(const struct ud_lockfile *l, const char *ref, const char *platform)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (strcmp(l->entries[i].ref, ref) == 0 &&
		    strcmp(l->entries[i].platform, platform) == 0)
			return l->entries[i].digest;
	return NULL;
}

static bool is_digest(const char *d)
{
	if (d == NULL || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return false;
	return strspn(d + 7, "0123456789abcdef") == 64;
}

int ud_lockfile_load(const char *path, struct ud_lockfile **out, struct ud_error **err)
{
	*out = NULL;
	if (!ud_path_exists(path))
		return 0;
	size_t len = 0;
	_cleanup_free_ char *text = ud_read_small_file(path, UD_USER_FILE_MAX_BYTES, &len, err);
	if (text == NULL)
		return ud_error_prefix(err, "lock file");
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	if (root == NULL)
		return ud_error_set(err, UD_ERR_INVALID, "lock file '%s': line %d: %s", path,
				    je.line, je.text);
	json_t *images = json_object_get(root, "images");
	int rc = 0;
	struct ud_lockfile *l = xcalloc(1, sizeof(*l));
	if (json_integer_value(json_object_get(root, "version")) != 1 || !json_is_array(images))
		rc = ud_error_set(err, UD_ERR_INVALID,
				  "lock file '%s': expected {\"version\": 1, \"images\": [...]}",
				  path);
	size_t i;
	json_t *e;
	json_array_foreach(images, i, e)
	{
		const char *ref = json_string_value(json_object_get(e, "ref"));
		const char *plat = json_string_value(json_object_get(e, "platform"));
		const char *dig = json_string_value(json_object_get(e, "digest"));
		if (rc == 0 && (ref == NULL || plat == NULL || !is_digest(dig))) {
			rc = ud_error_set(err, UD_ERR_INVALID,
					  "lock file '%s': entry %zu: expected ref, platform and a "
					  "sha256 digest",
					  path, i + 1);
			break;
		}
		if (rc == 0)
			ud_lockfile_add(l, ref, plat, dig);
	}
	json_decref(root);
	if (rc < 0) {
		ud_lockfile_free(l);
		return -1;
	}
	*out = l;
	return 0;
}

int ud_lockfile_write(const char *path, const struct ud_lockfile *l, struct ud_error **err)
{
	json_t *images = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(images, json_pack("{s:s,s:s,s:s}", "ref", l->entries[i].ref,
							"platform", l->entries[i].platform,
							"digest", l->entries[i].digest));
	json_t *root = json_pack("{s:i,s:o}", "version", 1, "images", images);
	char *text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	_cleanup_free_ char *body = xasprintf("%s\n", text);
	free(text);
	return ud_write_file_atomic(path, body, strlen(body), 0644, err);
}
