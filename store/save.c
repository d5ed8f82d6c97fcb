/* save: a `docker save` archive in Docker's legacy layout (reference
 * §4.6) that `docker load` and our load read: <config sha256>.json, one
 * <layer id>/ folder per layer (layer.tar as stored, json, VERSION),
 * manifest.json and repositories. */
#include "store/archive_dl.h"
#include "store/store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int add_file(struct archive *a, const char *name, const char *path, const char *data,
		    size_t len, struct ud_error **err)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, time(NULL), 0);
	int fd = -1;
	if (path) {
		struct stat st;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			archive_entry_free(e);
			if (fd >= 0)
				close(fd);
			return ud_error_sys(err, errno, "cannot read '%s'", path);
		}
		archive_entry_set_size(e, st.st_size);
	} else {
		archive_entry_set_size(e, (la_int64_t)len);
	}
	int r = archive_write_header(a, e) == ARCHIVE_OK ? 0 : -1;
	archive_entry_free(e);
	if (r == 0 && path) {
		char buf[1 << 16];
		ssize_t n;
		while (r == 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			if (archive_write_data(a, buf, (size_t)n) != n)
				r = -1;
	} else if (r == 0 && len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len) {
		r = -1;
	}
	if (fd >= 0)
		close(fd);
	if (r < 0)
		return ud_error_set(err, UD_ERR_IO, "writing '%s' to the archive: %s", name,
				    archive_error_string(a));
	return 0;
}

static int add_dir(struct archive *a, const char *name)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFDIR);
	archive_entry_set_perm(e, 0755);
	archive_entry_set_mtime(e, time(NULL), 0);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : -1;
}

int ud_store_save(const struct ud_store *s, char *const *names, char *const *tags, int fd,
		  struct ud_error **err)
{
	if (ud_archive_load(err) < 0)
		return -1;
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		ud_error_set(err, UD_ERR_IO, "cannot write the archive: %s",
			     archive_error_string(a));
		archive_write_free(a);
		return -1;
	}
	json_t *manifest = json_array();
	json_t *repositories = json_object();
	_cleanup_strv_ char **written = xcalloc(1, sizeof(char *));
	int r = 0;
	for (size_t i = 0; r == 0 && names[i]; i++) {
		struct ud_image *img = ud_store_image_open(s, names[i], tags[i], err);
		if (img == NULL) {
			r = -1;
			break;
		}
		if (img->config == NULL) {
			r = ud_error_set(err, UD_ERR_UNSUPPORTED,
					 "image %s:%s has no config (schema 1): cannot save",
					 names[i], tags[i]);
			ud_store_image_free(img);
			break;
		}
		char chex[UD_SHA256_HEX_LEN + 1];
		ud_sha256_hex(img->config, strlen(img->config), chex);
		_cleanup_free_ char *cname = xasprintf("%s.json", chex);
		if (!ud_strv_contains(written, cname)) {
			r = add_file(a, cname, NULL, img->config, strlen(img->config), err);
			ud_strv_push(&written, xstrdup(cname));
		}
		json_t *layers = json_array();
		_cleanup_free_ char *parent = NULL;
		for (size_t k = 0; r == 0 && img->layer_ids[k]; k++) {
			const char *lid = img->layer_ids[k];
			const char *hex = ud_str_has_prefix(lid, "sha256:") ? lid + 7 : lid;
			_cleanup_free_ char *ldir = xasprintf("%s/", hex);
			_cleanup_free_ char *ltar = xasprintf("%s/layer.tar", hex);
			if (!ud_strv_contains(written, ldir)) {
				_cleanup_free_ char *meta =
					parent ? xasprintf("{\"id\":\"%s\",\"parent\":\"%s\"}", hex,
							   parent)
					       : xasprintf("{\"id\":\"%s\"}", hex);
				_cleanup_free_ char *jname = xasprintf("%s/json", hex);
				_cleanup_free_ char *vname = xasprintf("%s/VERSION", hex);
				if (add_dir(a, ldir) < 0 ||
				    add_file(a, ltar, img->layer_files[k], NULL, 0, err) < 0 ||
				    add_file(a, jname, NULL, meta, strlen(meta), err) < 0 ||
				    add_file(a, vname, NULL, "1.0", 3, err) < 0)
					r = ud_error_set(err, UD_ERR_IO, "writing layer %s", hex);
				ud_strv_push(&written, xstrdup(ldir));
			}
			/* Every layer is listed, also a repeated one (quirk 15). */
			json_array_append_new(layers, json_string(ltar));
			free(parent);
			parent = xstrdup(hex);
		}
		_cleanup_free_ char *rt = xasprintf("%s:%s", names[i], tags[i]);
		json_array_append_new(manifest, json_pack("{s:s,s:[s],s:o}", "Config", cname,
							  "RepoTags", rt, "Layers", layers));
		json_t *repo = json_object_get(repositories, names[i]);
		if (repo == NULL) {
			repo = json_object();
			json_object_set_new(repositories, names[i], repo);
		}
		/* The top layer, as docker writes it (quirk 15). */
		if (parent)
			json_object_set_new(repo, tags[i], json_string(parent));
		ud_store_image_free(img);
	}
	if (r == 0) {
		_cleanup_free_ char *mt = json_dumps(manifest, JSON_COMPACT);
		_cleanup_free_ char *rt = json_dumps(repositories, JSON_COMPACT);
		r = add_file(a, "manifest.json", NULL, mt, strlen(mt), err);
		if (r == 0)
			r = add_file(a, "repositories", NULL, rt, strlen(rt), err);
	}
	json_decref(manifest);
	json_decref(repositories);
	if (archive_write_close(a) != ARCHIVE_OK && r == 0)
		r = ud_error_set(err, UD_ERR_IO, "cannot write the archive: %s",
				 archive_error_string(a));
	archive_write_free(a);
	return r;
}
