/* load, save and import: image archives (reference §4.6) with libarchive.
 *
 * Loaded images are stored as v2 tags (manifest + sha256 blobs), which
 * udocker 1.3.16 reads as well as its own v1 layout; Docker's legacy
 * archives get a schema 2 manifest made from their config and layer tars. */
#include "store/archive_dl.h"
#include "store/store_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MT_DOCKER_LAYER_TAR "application/vnd.docker.image.rootfs.diff.tar"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/* Extracts the archive on fd into dir, refusing absolute names, "..",
 * writes through symlinks, devices and hard links out of dir. */
static int extract(int fd, const char *dir, struct ud_error **err)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	struct archive *w = archive_write_disk_new();
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						  ARCHIVE_EXTRACT_SECURE_NODOTDOT);
	int r = archive_read_open_fd(a, fd, 1 << 16);
	if (r != ARCHIVE_OK) {
		ud_error_set(err, UD_ERR_INVALID, "cannot read the archive: %s",
			     archive_error_string(a));
		goto out;
	}
	struct archive_entry *e;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		mode_t type = archive_entry_filetype(e);
		if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
			continue;
		_cleanup_free_ char *name = xstrdup(archive_entry_pathname(e));
		if (name[0] == '/' || strcmp(name, "..") == 0 || ud_str_has_prefix(name, "../") ||
		    strstr(name, "/../") || ud_str_has_suffix(name, "/..")) {
			r = ud_error_set(err, UD_ERR_INVALID,
					 "archive member '%s': absolute or '..' path refused",
					 name);
			goto out;
		}
		_cleanup_free_ char *full = ud_path_join(dir, name);
		archive_entry_set_pathname(e, full);
		const char *hl = archive_entry_hardlink(e);
		if (hl && (hl[0] == '/' || strstr(hl, ".."))) {
			r = ud_error_set(
				err, UD_ERR_INVALID,
				"archive member '%s': hard link out of the archive refused", name);
			goto out;
		}
		_cleanup_free_ char *hfull = hl ? ud_path_join(dir, hl) : NULL;
		if (hfull)
			archive_entry_set_hardlink(e, hfull);
		archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
		if (archive_write_header(w, e) != ARCHIVE_OK) {
			r = ud_error_set(err, UD_ERR_INVALID, "archive member '%s': %s", name,
					 archive_error_string(w));
			goto out;
		}
		const void *buf;
		size_t size;
		la_int64_t off;
		int dr;
		while ((dr = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(w, buf, size, off) != ARCHIVE_OK) {
				r = ud_error_set(err, UD_ERR_IO, "archive member '%s': %s", name,
						 archive_error_string(w));
				goto out;
			}
		if (dr != ARCHIVE_EOF) {
			r = ud_error_set(err, UD_ERR_INVALID, "archive member '%s': %s", name,
					 archive_error_string(a));
			goto out;
		}
		archive_write_finish_entry(w);
	}
	if (r == ARCHIVE_EOF)
		r = 0;
	else
		r = ud_error_set(err, UD_ERR_INVALID, "cannot read the archive: %s",
				 archive_error_string(a));
out:
	archive_read_free(a);
	archive_write_free(w);
	return r < 0 ? -1 : 0;
}

/* Moves (or copies) a file into layers/ under its sha256 digest. */
static char *put_blob(const struct ud_store *s, const char *path, bool move, int64_t *size,
		      struct ud_error **err)
{
	char hex[UD_SHA256_HEX_LEN + 1];
	if (ud_sha256_file(path, hex, err) < 0)
		return NULL;
	struct stat st;
	if (stat(path, &st) < 0) {
		ud_error_sys(err, errno, "cannot stat '%s'", path);
		return NULL;
	}
	if (size)
		*size = st.st_size;
	char *digest = xasprintf("sha256:%s", hex);
	struct ud_blob_writer w;
	bool present = false;
	if (ud_store_blob_begin(s, digest, st.st_size, ud_lock_default_timeout_ms(), &w, &present,
				err) < 0) {
		free(digest);
		return NULL;
	}
	if (present)
		return digest;
	int r;
	if (move && rename(path, w.partial) == 0) {
		close(w.fd);
		w.fd = open(w.partial, O_RDWR | O_CLOEXEC);
		r = w.fd >= 0 ? 0 : ud_error_sys(err, errno, "cannot open '%s'", w.partial);
	} else {
		r = ud_copy_file(path, w.partial, 0644, err);
		if (r == 0) {
			close(w.fd);
			w.fd = open(w.partial, O_RDWR | O_CLOEXEC);
		}
	}
	if (r < 0 || ud_store_blob_commit(s, &w, err) < 0) {
		if (r < 0)
			ud_store_blob_abort(&w, true);
		free(digest);
		return NULL;
	}
	return digest;
}

/* Splits "repo:tag" at the last ':' after the last '/'. */
static void split_name(const char *full, char **repo, char **tag)
{
	const char *slash = strrchr(full, '/');
	const char *colon = strrchr(slash ? slash : full, ':');
	if (colon) {
		*repo = xstrndup(full, (size_t)(colon - full));
		*tag = xstrdup(colon + 1);
	} else {
		*repo = xstrdup(full);
		*tag = xstrdup("latest");
	}
}

static char *random_name(size_t n)
{
	char buf[33];
	ud_random_hex(buf, n);
	return xstrdup(buf);
}

/* Stores one image given its manifest JSON and blob files. */
static int store_image(const struct ud_store *s, const char *repo, const char *tag,
		       const char *manifest, char *const *blobs, char ***loaded, char ***skipped,
		       struct ud_error **err)
{
	_cleanup_free_ char *both = xasprintf("%s:%s", repo, tag);
	if (ud_store_tag_exists(s, repo, tag)) {
		ud_strv_push(skipped, steal_pointer(&both));
		return 0;
	}
	if (ud_store_tag_write(s, repo, tag, manifest, strlen(manifest), blobs, err) < 0)
		return ud_error_prefix(err, "load %s", both);
	ud_strv_push(loaded, steal_pointer(&both));
	return 0;
}

static int load_docker(const struct ud_store *s, const char *dir, const char *rename_to,
		       char ***loaded, char ***skipped, struct ud_error **err)
{
	_cleanup_free_ char *mpath = ud_path_join(dir, "manifest.json");
	json_error_t je;
	_cleanup_json_ json_t *list = json_load_file(mpath, 0, &je);
	if (!json_is_array(list))
		return ud_error_set(err, UD_ERR_INVALID, "manifest.json: expected a JSON list: %s",
				    je.text);
	size_t i;
	json_t *entry;
	json_array_foreach(list, i, entry)
	{
		const char *cfg = json_string_value(json_object_get(entry, "Config"));
		json_t *layers = json_object_get(entry, "Layers");
		if (cfg == NULL || !json_is_array(layers))
			return ud_error_set(err, UD_ERR_INVALID,
					    "manifest.json[%zu]: expected Config and Layers", i);
		_cleanup_free_ char *cpath = ud_path_join(dir, cfg);
		int64_t csize;
		_cleanup_free_ char *cdig = put_blob(s, cpath, true, &csize, err);
		if (cdig == NULL)
			return ud_error_prefix(err, "manifest.json[%zu]", i);
		_cleanup_strv_ char **blobs = xcalloc(1, sizeof(char *));
		json_t *ldesc = json_array();
		size_t j;
		json_t *l;
		json_array_foreach(layers, j, l)
		{
			const char *lp = json_string_value(l);
			if (lp == NULL) {
				json_decref(ldesc);
				return ud_error_set(err, UD_ERR_INVALID,
						    "manifest.json[%zu]: invalid layer", i);
			}
			_cleanup_free_ char *p = ud_path_join(dir, lp);
			int64_t size;
			/* Copy, not move: a layer may be listed twice or be a link. */
			char *d = put_blob(s, p, false, &size, err);
			if (d == NULL) {
				json_decref(ldesc);
				return ud_error_prefix(err, "layer %s", lp);
			}
			json_array_append_new(ldesc, json_pack("{s:s,s:I,s:s}", "mediaType",
							       MT_DOCKER_LAYER_TAR, "size",
							       (json_int_t)size, "digest", d));
			if (!ud_strv_contains(blobs, d))
				ud_strv_push(&blobs, d);
			else
				free(d);
		}
		ud_strv_push(&blobs, xstrdup(cdig));
		json_t *m =
			json_pack("{s:i,s:s,s:{s:s,s:I,s:s},s:o}", "schemaVersion", 2, "mediaType",
				  UD_MT_DOCKER_MANIFEST, "config", "mediaType", MT_DOCKER_CONFIG,
				  "size", (json_int_t)csize, "digest", cdig, "layers", ldesc);
		_cleanup_free_ char *mtext = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(m);
		json_t *tags = json_object_get(entry, "RepoTags");
		size_t ntags = json_is_array(tags) ? json_array_size(tags) : 0;
		for (size_t k = 0; k < (ntags ? ntags : 1); k++) {
			_cleanup_free_ char *repo = NULL, *tag = NULL;
			const char *rt = ntags ? json_string_value(json_array_get(tags, k)) : NULL;
			if (rt)
				split_name(rt, &repo, &tag);
			else {
				repo = random_name(16);
				tag = random_name(10);
			}
			if (rename_to) {
				free(repo);
				repo = xstrdup(rename_to);
			}
			if (store_image(s, repo, tag, mtext, blobs, loaded, skipped, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int load_oci_index(const struct ud_store *s, const char *dir, json_t *index,
			  const char *rename_to, char ***loaded, char ***skipped, int depth,
			  struct ud_error **err)
{
	if (depth > 4)
		return ud_error_set(err, UD_ERR_INVALID, "index.json: indexes nested too deep");
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(index, "manifests"), i, d)
	{
		const char *digest = json_string_value(json_object_get(d, "digest"));
		if (digest == NULL || !ud_digest_valid(digest))
			return ud_error_set(err, UD_ERR_INVALID, "index.json: invalid digest");
		_cleanup_free_ char *mpath = xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
		size_t len = 0;
		_cleanup_free_ char *text = ud_read_file(mpath, &len, err);
		if (text == NULL)
			return -1;
		struct ud_manifest *m = ud_manifest_parse(text, len, NULL, err);
		if (m == NULL)
			return ud_error_prefix(err, "blob %s", digest);
		if (m->kind == UD_MANIFEST_INDEX) {
			ud_manifest_free(m);
			json_error_t je;
			_cleanup_json_ json_t *sub = json_loadb(text, len, 0, &je);
			if (load_oci_index(s, dir, sub, rename_to, loaded, skipped, depth + 1,
					   err) < 0)
				return -1;
			continue;
		}
		_cleanup_strv_ char **blobs = xcalloc(1, sizeof(char *));
		int r = 0;
		for (size_t k = 0; r == 0 && k <= m->n_layers; k++) {
			const char *bd = k < m->n_layers ? m->layers[k].digest : m->config.digest;
			if (bd == NULL || ud_strv_contains(blobs, bd))
				continue;
			_cleanup_free_ char *bp = xasprintf("%s/blobs/sha256/%s", dir, bd + 7);
			char *got = put_blob(s, bp, false, NULL, err);
			if (got == NULL || strcmp(got, bd) != 0) {
				if (got)
					ud_error_set(err, UD_ERR_DIGEST, "blob %s: digest mismatch",
						     bd);
				r = -1;
			}
			if (got)
				ud_strv_push(&blobs, got);
		}
		ud_manifest_free(m);
		if (r < 0)
			return -1;
		json_t *ann = json_object_get(d, "annotations");
		const char *full =
			json_string_value(json_object_get(ann, "io.containerd.image.name"));
		const char *ref = json_string_value(
			json_object_get(ann, "org.opencontainers.image.ref.name"));
		_cleanup_free_ char *repo = NULL, *tag = NULL;
		if (full) {
			split_name(full, &repo, &tag);
		} else if (ref && strchr(ref, ':') && strchr(ref, '/')) {
			split_name(ref, &repo, &tag);
		} else {
			repo = random_name(16);
			tag = ref ? xstrdup(ref) : random_name(10);
		}
		if (rename_to) {
			free(repo);
			repo = xstrdup(rename_to);
		}
		if (store_image(s, repo, tag, text, blobs, loaded, skipped, err) < 0)
			return -1;
	}
	return 0;
}

/* Removes what a load or import killed half way left in layers/.partial
 * (entries older than an hour: a running load is younger). */
static void clean_stale(const char *pdir)
{
	DIR *d = opendir(pdir);
	if (d == NULL)
		return;
	struct dirent *de;
	time_t now = time(NULL);
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if ((!ud_str_has_prefix(de->d_name, "udocker-") &&
		     !ud_str_has_prefix(de->d_name, "import-")) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    now - st.st_mtime < 3600)
			continue;
		_cleanup_free_ char *p = ud_path_join(pdir, de->d_name);
		ud_rmtree(p, NULL);
	}
	closedir(d);
}

char **ud_store_load(const struct ud_store *s, int fd, const char *name, char ***skipped,
		     struct ud_error **err)
{
	if (ud_archive_load(err) < 0)
		return NULL;
	_cleanup_free_ char *pdir = ud_path_join(s->layers, ".partial");
	if (ud_mkdir_p(pdir, 0755, err) < 0)
		return NULL;
	clean_stale(pdir);
	_cleanup_free_ char *tmp = ud_mkdtemp(pdir, "load", err);
	if (tmp == NULL)
		return NULL;
	char **loaded = xcalloc(1, sizeof(char *));
	*skipped = xcalloc(1, sizeof(char *));
	struct ud_lock gc = {.fd = -1};
	int r = ud_store_gc_lock(s, true, &gc, err);
	if (r == 0)
		r = extract(fd, tmp, err);
	if (r == 0) {
		_cleanup_free_ char *layout = ud_path_join(tmp, "oci-layout");
		_cleanup_free_ char *manifest = ud_path_join(tmp, "manifest.json");
		_cleanup_free_ char *index = ud_path_join(tmp, "index.json");
		if (ud_path_exists(layout)) {
			json_error_t je;
			_cleanup_json_ json_t *idx = json_load_file(index, 0, &je);
			r = idx ? load_oci_index(s, tmp, idx, name, &loaded, skipped, 0, err)
				: ud_error_set(err, UD_ERR_INVALID, "index.json: %s", je.text);
		} else if (ud_path_exists(manifest)) {
			r = load_docker(s, tmp, name, &loaded, skipped, err);
		} else {
			r = ud_error_set(
				err, UD_ERR_INVALID,
				"not an image archive: no oci-layout and no manifest.json");
		}
	}
	ud_lock_release(&gc);
	ud_rmtree(tmp, NULL);
	if (r < 0) {
		ud_strv_free(loaded);
		ud_strv_free(*skipped);
		*skipped = NULL;
		return NULL;
	}
	return loaded;
}

/* ------------------------------------------------------------------ save */

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

/* ---------------------------------------------------------------- import */

char *ud_store_import(const struct ud_store *s, const char *tarball, int fd, const char *name,
		      const char *tag, const char *platform, bool move, struct ud_error **err)
{
	if (ud_archive_load(err) < 0)
		return NULL;
	if (ud_store_tag_exists(s, name, tag)) {
		ud_error_set(err, UD_ERR_EXISTS, "tag already exists in repo: %s:%s", name, tag);
		return NULL;
	}
	_cleanup_free_ char *pdir = ud_path_join(s->layers, ".partial");
	if (ud_mkdir_p(pdir, 0755, err) < 0)
		return NULL;
	clean_stale(pdir);
	char id[65];
	ud_random_hex(id, 64);
	_cleanup_free_ char *tmp = xasprintf("%s/import-%s", pdir, id);
	int r = 0;
	if (tarball && strcmp(tarball, "-") != 0) {
		if (!(move && rename(tarball, tmp) == 0))
			r = ud_copy_file(tarball, tmp, 0644, err);
	} else {
		int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (out < 0)
			r = ud_error_sys(err, errno, "cannot create '%s'", tmp);
		char buf[1 << 16];
		ssize_t n;
		while (r == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 || ud_write_all(out, buf, (size_t)n) < 0)
				r = ud_error_sys(err, errno, "cannot write '%s'", tmp);
		}
		if (out >= 0 && (fsync(out) < 0 || close(out) < 0) && r == 0)
			r = ud_error_sys(err, errno, "cannot write '%s'", tmp);
	}
	if (r == 0 && ud_store_tar_check(tmp, err) < 0)
		r = ud_error_prefix(err, "import: not a tar archive");
	char hex[UD_SHA256_HEX_LEN + 1];
	struct stat st;
	if (r == 0 && (ud_sha256_file(tmp, hex, err) < 0 || stat(tmp, &st) < 0))
		r = -1;
	struct ud_platform plat = {0};
	if (r == 0) {
		if (platform)
			r = ud_platform_parse(platform, &plat, err);
		else
			ud_platform_host(&plat);
	}
	_cleanup_free_ char *layer = xasprintf("%s/%s.layer", s->layers, id);
	_cleanup_free_ char *jpath = xasprintf("%s/%s.json", s->layers, id);
	if (r == 0) {
		json_t *cfg = json_pack("{s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:b,s:b,s:b,s:n,s:n,s:b,s:b,"
					"s:b,s:n,s:n,s:s,s:n,s:s,"
					"s:n,s:b,s:s,s:n,s:n}",
					"Hostname", "Domainname", "User", "Memory", "MemorySwap",
					"CpusShares", "Cpuset", "AttachStdin", 0, "AttachStdout", 0,
					"AttachStderr", 0, "PortSpecs", "ExposedPorts", "Tty", 0,
					"OpenStdin", 0, "StdinOnce", 0, "Env", "Cmd", "Image", "",
					"Volumes", "WorkingDir", "", "Entrypoint", "NetworkDisable",
					0, "MacAddress", "", "OnBuild", "Labels");
		_cleanup_free_ char *diff = xasprintf("sha256:%s", hex);
		json_t *meta = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:{s:s,s:[s]},s:O,s:O}", "id",
					 id, "comment", "created by udocker", "created",
					 "1970-01-01T00:00:00.000000000Z", "architecture",
					 plat.arch, "os", plat.os, "size", (json_int_t)st.st_size,
					 "rootfs", "type", "layers", "diff_ids", diff, "config",
					 cfg, "container_config", cfg);
		char ts[64];
		time_t now = time(NULL);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S.000000000Z", gmtime(&now));
		json_object_set_new(meta, "created", json_string(ts));
		if (plat.variant)
			json_object_set_new(meta, "variant", json_string(plat.variant));
		json_decref(cfg);
		_cleanup_free_ char *text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(meta);
		r = ud_write_file_atomic(jpath, text, strlen(text), 0644, err);
		if (r == 0 && rename(tmp, layer) < 0)
			r = ud_error_sys(err, errno, "cannot rename '%s'", tmp);
	}
	ud_platform_release(&plat);
	_cleanup_free_ char *dir = ud_store_tag_dir(s, name, tag);
	if (r == 0)
		r = ud_mkdir_p(dir, 0755, err);
	const char *suffixes[] = {"layer", "json"};
	for (size_t i = 0; r == 0 && i < 2; i++) {
		_cleanup_free_ char *lname = xasprintf("%s.%s", id, suffixes[i]);
		_cleanup_free_ char *target = ud_path_join(s->layers, lname);
		_cleanup_free_ char *link = ud_path_join(dir, lname);
		_cleanup_free_ char *rel = ud_store_relpath(dir, target);
		r = ud_symlink_atomic(rel, link, err);
	}
	if (r == 0) {
		_cleanup_free_ char *anc = xasprintf("[\"%s\"]", id);
		_cleanup_free_ char *ap = ud_path_join(dir, "ancestry");
		_cleanup_free_ char *v1 = ud_path_join(dir, "v1");
		_cleanup_free_ char *repo = ud_path_join(s->repos, name);
		_cleanup_free_ char *tagtext = xasprintf("%s:%s", repo, tag);
		_cleanup_free_ char *tp = ud_path_join(dir, "TAG");
		r = ud_write_file_atomic(ap, anc, strlen(anc), 0644, err);
		if (r == 0)
			r = ud_write_file_atomic(v1, "", 0, 0644, err);
		if (r == 0)
			r = ud_write_file_atomic(tp, tagtext, strlen(tagtext), 0644, err);
	}
	if (r < 0) {
		unlink(tmp);
		unlink(layer);
		unlink(jpath);
		ud_rmtree(dir, NULL);
		return NULL;
	}
	return xstrdup(id);
}
