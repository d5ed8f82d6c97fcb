/* load: `docker save` archives (legacy and Docker >= 25 OCI layouts) and
 * OCI image archives (reference §4.6) with libarchive.
 *
 * Loaded images are stored as v2 tags (manifest + sha256 blobs), which
 * udocker 1.3.16 reads as well as its own v1 layout: blobs are shared with
 * pulled images and verify by digest. Docker's legacy archives get a
 * schema 2 manifest made from their config and layer tars; OCI manifests
 * are kept byte for byte. */
#include "store/archive_dl.h"
#include "store/store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#define MT_DOCKER_LAYER_TAR "application/vnd.docker.image.rootfs.diff.tar"
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/* Names and texts from the archive, for messages (control bytes escaped). */
static char *esc(const char *text)
{
	return ud_str_escape(text, 256);
}

static bool member_name_safe(const char *name)
{
	if (name[0] == '/')
		return false;
	for (const char *c = name; *c;) {
		size_t len = strcspn(c, "/");
		if (len == 2 && c[0] == '.' && c[1] == '.')
			return false;
		c += len;
		if (*c == '/')
			c++;
	}
	return true;
}

/* The directory holding path resolves (symlinks followed) inside dir,
 * which is a real path. */
static bool inside(const char *dir, const char *path)
{
	_cleanup_free_ char *parent = xstrdup(path);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	char real[PATH_MAX];
	size_t n = strlen(dir);
	return realpath(parent, real) && strncmp(real, dir, n) == 0 &&
	       (real[n] == '\0' || real[n] == '/');
}

/* The decompressed archive read so far is over max_size (> 0): -1. */
static int over_cap(struct archive *a, int64_t max_size, struct ud_error **err)
{
	if (max_size <= 0 || archive_filter_bytes(a, 0) <= max_size)
		return 0;
	return ud_error_set(err, UD_ERR_INVALID,
			    "decompressed size of the archive exceeds the limit of %lld bytes "
			    "(UDOCKER_MAX_LAYER_SIZE, udocker.conf max_layer_size)",
			    (long long)max_size);
}

/* Extracts the archive on fd into dir (a real path): regular files, directories and
 * symlinks only; absolute names, "..", writes through symlinks and hard
 * links leaving dir are refused. Symlinks are kept, and resolved (inside
 * dir only) when a member is used. More than max_size (> 0) bytes of
 * decompressed archive is an error. */
static int extract(int fd, const char *dir, int64_t max_size, struct ud_error **err)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	struct archive *w = archive_write_disk_new();
	/* Member names are made absolute below: NOABSOLUTEPATHS cannot be set. */
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						  ARCHIVE_EXTRACT_SECURE_NODOTDOT);
	int r = archive_read_open_fd(a, fd, 1 << 16);
	if (r != ARCHIVE_OK) {
		_cleanup_free_ char *why = esc(archive_error_string(a));
		r = ud_error_set(err, UD_ERR_INVALID, "cannot read the archive: %s", why);
		goto out;
	}
	struct archive_entry *e;
	while ((r = ud_archive_next_header(a, &e)) == ARCHIVE_OK) {
		if ((r = over_cap(a, max_size, err)) < 0)
			goto out;
		mode_t type = archive_entry_filetype(e);
		const char *hl = archive_entry_hardlink(e);
		if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && hl == NULL)
			continue;
		_cleanup_free_ char *name = xstrdup(archive_entry_pathname(e));
		_cleanup_free_ char *ename = esc(name);
		if (!member_name_safe(name)) {
			r = ud_error_set(err, UD_ERR_INVALID,
					 "archive member '%s': absolute or '..' path refused",
					 ename);
			goto out;
		}
		if (hl && !member_name_safe(hl)) {
			r = ud_error_set(
				err, UD_ERR_INVALID,
				"archive member '%s': hard link out of the archive refused", ename);
			goto out;
		}
		_cleanup_free_ char *full = ud_path_join(dir, name);
		archive_entry_set_pathname(e, full);
		_cleanup_free_ char *hfull = hl ? ud_path_join(dir, hl) : NULL;
		if (hfull && !inside(dir, hfull)) {
			r = ud_error_set(err, UD_ERR_INVALID,
					 "archive member '%s': hard link through a symlink refused",
					 ename);
			goto out;
		}
		if (hfull)
			archive_entry_set_hardlink(e, hfull);
		archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
		if (archive_write_header(w, e) != ARCHIVE_OK) {
			_cleanup_free_ char *why = esc(archive_error_string(w));
			r = ud_error_set(err, UD_ERR_INVALID, "archive member '%s' refused: %s",
					 ename, why);
			goto out;
		}
		const void *buf;
		size_t size;
		la_int64_t off;
		int dr;
		while ((dr = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
			if ((r = over_cap(a, max_size, err)) < 0)
				goto out;
			if (archive_write_data_block(w, buf, size, off) != ARCHIVE_OK) {
				_cleanup_free_ char *why = esc(archive_error_string(w));
				r = ud_error_set(err, UD_ERR_IO, "archive member '%s': %s", ename,
						 why);
				goto out;
			}
		}
		if (dr != ARCHIVE_EOF) {
			_cleanup_free_ char *why = esc(archive_error_string(a));
			r = ud_error_set(err, UD_ERR_INVALID, "archive member '%s': %s", ename,
					 why);
			goto out;
		}
		if (archive_write_finish_entry(w) != ARCHIVE_OK) {
			_cleanup_free_ char *why = esc(archive_error_string(w));
			r = ud_error_set(err, UD_ERR_IO, "archive member '%s': %s", ename, why);
			goto out;
		}
	}
	if (r == ARCHIVE_EOF) {
		r = over_cap(a, max_size, err);
	} else {
		_cleanup_free_ char *why = esc(archive_error_string(a));
		r = ud_error_set(err, UD_ERR_INVALID, "cannot read the archive: %s", why);
	}
out:
	archive_read_free(a);
	archive_write_free(w);
	return r < 0 ? -1 : 0;
}

struct load {
	const struct ud_store *s;
	char *dir; /* the extracted archive, real path */
	const char *rename_to;
	char **loaded, **skipped;
	json_t *stored;	  /* real path of a member -> its digest */
	json_t *repotags; /* Docker >= 25: config digest -> RepoTags of manifest.json */
};

/* The real path of member rel, which must stay inside the archive (its
 * symlinks are followed, but only within it) and be a regular file. */
static char *member_path(const struct load *L, const char *rel, struct ud_error **err)
{
	_cleanup_free_ char *p = ud_path_join(L->dir, rel);
	char real[PATH_MAX];
	struct stat st;
	size_t n = strlen(L->dir);
	_cleanup_free_ char *erel = esc(rel);
	if (!member_name_safe(rel) || realpath(p, real) == NULL || strncmp(real, L->dir, n) != 0 ||
	    real[n] != '/') {
		ud_error_set(err, UD_ERR_INVALID,
			     "archive member '%s': missing or outside the archive", erel);
		return NULL;
	}
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
		ud_error_set(err, UD_ERR_INVALID, "archive member '%s': not a regular file", erel);
		return NULL;
	}
	return xstrdup(real);
}

/* Stores member rel as a blob (checking its digest when expect is set);
 * returns the digest. A member used twice is stored once. */
static char *put_member(struct load *L, const char *rel, const char *expect, int64_t *size,
			struct ud_error **err)
{
	_cleanup_free_ char *real = member_path(L, rel, err);
	if (real == NULL)
		return NULL;
	struct stat st;
	const char *known = json_string_value(json_object_get(L->stored, real));
	if (known && stat(real, &st) == 0) {
		if (expect && strcmp(expect, known) != 0) {
			ud_error_set(err, UD_ERR_DIGEST, "blob %s: digest mismatch (content is %s)",
				     expect, known);
			return NULL;
		}
		if (size)
			*size = st.st_size;
		return xstrdup(known);
	}
	char *d = ud_store_blob_put_file(L->s, real, expect, size, err);
	if (d == NULL)
		return NULL;
	json_object_set_new(L->stored, real, json_string(d));
	return d;
}

/* An archive's image name as *repo and *tag (allocated): Docker Hub's
 * implicit parts left out as `docker load` shows them
 * ("docker.io/library/x:1" and "docker.io/x:1" (skopeo, podman) are
 * "x:1"), so the name a Docker user types finds the image; then split at
 * the last ':' after the last '/'; no tag: latest. */
static void split_name(const char *full, char **repo, char **tag)
{
	static const char *const hub[] = {"docker.io/library/", "docker.io/",
					  "index.docker.io/library/", "index.docker.io/"};
	for (size_t i = 0; i < UD_ARRAY_SIZE(hub); i++)
		if (ud_str_has_prefix(full, hub[i]) && full[strlen(hub[i])] != '\0') {
			full += strlen(hub[i]);
			break;
		}
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

/* Stores one image under repo:tag (repo replaced by the NAME given to
 * load); an existing tag is left alone and reported as skipped. */
static int store_image(struct load *L, const char *repo, const char *tag, const char *manifest,
		       size_t len, char *const *blobs, struct ud_error **err)
{
	const char *name = L->rename_to ? L->rename_to : repo;
	_cleanup_free_ char *both = xasprintf("%s:%s", name, tag);
	if (!ud_store_name_valid(name) || !ud_store_tag_valid(tag)) {
		_cleanup_free_ char *eboth = esc(both);
		return ud_error_set(err, UD_ERR_INVALID, "invalid image name in the archive: '%s'",
				    eboth);
	}
	if (ud_store_tag_exists(L->s, name, tag)) {
		ud_strv_push(&L->skipped, steal_pointer(&both));
		return 0;
	}
	if (ud_store_tag_write(L->s, name, tag, manifest, len, blobs, err) < 0)
		return ud_error_prefix(err, "load %s", both);
	ud_strv_push(&L->loaded, steal_pointer(&both));
	return 0;
}

/* Media type of a layer file from its first bytes. */
static const char *layer_media_type(const struct load *L, const char *digest)
{
	_cleanup_free_ char *p = ud_store_blob_path(L->s, digest);
	unsigned char magic[2] = {0, 0};
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && read(fd, magic, 2) == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
		return MT_DOCKER_LAYER_GZIP;
	return MT_DOCKER_LAYER_TAR;
}

/* ------------------------------------------------------------ docker save */

/* Name for an entry without RepoTags: the `repositories` file maps
 * repo -> tag -> top layer id. */
static bool name_from_repositories(json_t *repos, const char *top, char **repo, char **tag)
{
	const char *rk, *tk;
	json_t *tags, *id;
	json_object_foreach(repos, rk, tags)
	{
		json_object_foreach(tags, tk, id)
		{
			if (ud_str_eq(json_string_value(id), top)) {
				*repo = xstrdup(rk);
				*tag = xstrdup(tk);
				return true;
			}
		}
	}
	return false;
}

static int load_docker(struct load *L, struct ud_error **err)
{
	_cleanup_free_ char *mpath = ud_path_join(L->dir, "manifest.json");
	_cleanup_free_ char *rpath = ud_path_join(L->dir, "repositories");
	json_error_t je;
	_cleanup_json_ json_t *list = json_load_file(mpath, 0, &je);
	if (!json_is_array(list)) {
		_cleanup_free_ char *why = esc(list ? "wrong type" : je.text);
		return ud_error_set(err, UD_ERR_INVALID, "manifest.json: expected a JSON list: %s",
				    why);
	}
	_cleanup_json_ json_t *repos = json_load_file(rpath, 0, &je);
	size_t i;
	json_t *entry;
	json_array_foreach(list, i, entry)
	{
		const char *cfg = json_string_value(json_object_get(entry, "Config"));
		json_t *layers = json_object_get(entry, "Layers");
		if (cfg == NULL || !json_is_array(layers))
			return ud_error_set(err, UD_ERR_INVALID,
					    "manifest.json[%zu]: expected Config and Layers", i);
		int64_t csize = 0;
		_cleanup_free_ char *cdig = put_member(L, cfg, NULL, &csize, err);
		if (cdig == NULL)
			return ud_error_prefix(err, "manifest.json[%zu]", i);
		_cleanup_strv_ char **blobs = xcalloc(1, sizeof(char *));
		_cleanup_json_ json_t *ldesc = json_array();
		size_t j;
		json_t *l;
		const char *top = NULL;
		json_array_foreach(layers, j, l)
		{
			const char *lp = json_string_value(l);
			if (lp == NULL)
				return ud_error_set(err, UD_ERR_INVALID,
						    "manifest.json[%zu]: invalid layer", i);
			int64_t size = 0;
			char *d = put_member(L, lp, NULL, &size, err);
			if (d == NULL) {
				_cleanup_free_ char *elp = esc(lp);
				return ud_error_prefix(err, "layer %s", elp);
			}
			json_array_append_new(ldesc, json_pack("{s:s,s:I,s:s}", "mediaType",
							       layer_media_type(L, d), "size",
							       (json_int_t)size, "digest", d));
			if (!ud_strv_contains(blobs, d))
				ud_strv_push(&blobs, d);
			else
				free(d);
			top = lp;
		}
		ud_strv_push(&blobs, xstrdup(cdig));
		_cleanup_json_ json_t *m =
			json_pack("{s:i,s:s,s:{s:s,s:I,s:s},s:O}", "schemaVersion", 2, "mediaType",
				  UD_MT_DOCKER_MANIFEST, "config", "mediaType", MT_DOCKER_CONFIG,
				  "size", (json_int_t)csize, "digest", cdig, "layers", ldesc);
		_cleanup_free_ char *mtext = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_t *tags = json_object_get(entry, "RepoTags");
		size_t ntags = json_is_array(tags) ? json_array_size(tags) : 0;
		for (size_t k = 0; k < (ntags ? ntags : 1); k++) {
			_cleanup_free_ char *repo = NULL, *tag = NULL;
			const char *rt = ntags ? json_string_value(json_array_get(tags, k)) : NULL;
			/* The top layer's directory is its id in `repositories`. */
			_cleanup_free_ char *topid = top ? xstrndup(top, strcspn(top, "/")) : NULL;
			if (rt) {
				split_name(rt, &repo, &tag);
			} else if (!(topid && name_from_repositories(repos, topid, &repo, &tag))) {
				repo = random_name(16);
				tag = random_name(10);
			}
			if (store_image(L, repo, tag, mtext, strlen(mtext), blobs, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* --------------------------------------------------------------------- OCI */

static char *blob_member(const char *digest)
{
	return xasprintf("blobs/sha256/%s", digest + 7);
}

static bool is_attestation(json_t *desc)
{
	json_t *ann = json_object_get(desc, "annotations");
	const char *ref_type = json_string_value(json_object_get(ann, "vnd.docker.reference.type"));
	const char *os =
		json_string_value(json_object_get(json_object_get(desc, "platform"), "os"));
	return ref_type != NULL || ud_str_eq(os, "unknown");
}

/* The names an index entry gives its image, in order of preference:
 * manifest.json's RepoTags (Docker >= 25 archives: the names `docker
 * load` shows), io.containerd.image.name, org.opencontainers.image.ref.name
 * (a full name, or a tag alone with a random repository as 1.3.16 does). */
static char **names_of(const struct load *L, json_t *ann, const char *config_digest)
{
	char **names = xcalloc(1, sizeof(char *));
	json_t *rt = json_object_get(L->repotags, config_digest);
	size_t i;
	json_t *v;
	json_array_foreach(rt, i, v)
	{
		if (json_string_value(v))
			ud_strv_push(&names, xstrdup(json_string_value(v)));
	}
	if (names[0])
		return names;
	const char *full = json_string_value(json_object_get(ann, "io.containerd.image.name"));
	const char *ref =
		json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
	if (full)
		ud_strv_push(&names, xstrdup(full));
	else if (ref && (strchr(ref, '/') || strchr(ref, ':')))
		ud_strv_push(&names, xstrdup(ref));
	else if (ref) {
		_cleanup_free_ char *repo = random_name(16);
		ud_strv_push(&names, xasprintf("%s:%s", repo, ref));
	} else {
		_cleanup_free_ char *repo = random_name(16), *tag = random_name(10);
		ud_strv_push(&names, xasprintf("%s:%s", repo, tag));
	}
	return names;
}

static int load_oci_manifest(struct load *L, const char *digest, json_t *ann, int depth,
			     struct ud_error **err);

/* An index nested in index.json is one image with several platforms:
 * the manifest for this host when the archive has it, else the first one
 * the archive has. */
static int load_oci_nested(struct load *L, const char *text, size_t len, json_t *ann, int depth,
			   struct ud_error **err)
{
	json_error_t je;
	_cleanup_json_ json_t *idx = json_loadb(text, len, 0, &je);
	struct ud_platform host;
	ud_platform_host(&host);
	const char *pick = NULL, *first = NULL;
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(idx, "manifests"), i, d)
	{
		const char *dig = json_string_value(json_object_get(d, "digest"));
		if (dig == NULL || !ud_digest_valid(dig) || is_attestation(d))
			continue;
		_cleanup_free_ char *rel = blob_member(dig);
		_cleanup_free_ char *p = member_path(L, rel, NULL);
		if (p == NULL)
			continue;
		if (first == NULL)
			first = dig;
		json_t *pj = json_object_get(d, "platform");
		struct ud_platform have = {
			.os = (char *)json_string_value(json_object_get(pj, "os")),
			.arch = (char *)json_string_value(json_object_get(pj, "architecture")),
			.variant = (char *)json_string_value(json_object_get(pj, "variant"))};
		if (pick == NULL && have.os && have.arch && ud_platform_match(&host, &have))
			pick = dig;
	}
	ud_platform_release(&host);
	if (pick == NULL)
		pick = first;
	if (pick == NULL)
		return ud_error_set(err, UD_ERR_INVALID,
				    "no image manifest of the index is in the archive");
	return load_oci_manifest(L, pick, ann, depth + 1, err);
}

static int load_oci_manifest(struct load *L, const char *digest, json_t *ann, int depth,
			     struct ud_error **err)
{
	if (depth > 4)
		return ud_error_set(err, UD_ERR_INVALID, "indexes nested too deep");
	_cleanup_free_ char *rel = blob_member(digest);
	_cleanup_free_ char *mpath = member_path(L, rel, err);
	if (mpath == NULL)
		return -1;
	size_t len = 0;
	_cleanup_free_ char *text = ud_read_file(mpath, &len, err);
	if (text == NULL)
		return -1;
	char hex[UD_SHA256_HEX_LEN + 1];
	ud_sha256_hex(text, len, hex);
	if (strcmp(hex, digest + 7) != 0)
		return ud_error_set(err, UD_ERR_DIGEST, "manifest %s: digest mismatch", digest);
	struct ud_manifest *m = ud_manifest_parse(text, len, NULL, err);
	if (m == NULL)
		return ud_error_prefix(err, "manifest %s", digest);
	if (m->kind == UD_MANIFEST_INDEX) {
		ud_manifest_free(m);
		return load_oci_nested(L, text, len, ann, depth, err);
	}
	if (m->kind != UD_MANIFEST_IMAGE) {
		ud_manifest_free(m);
		return ud_error_set(err, UD_ERR_UNSUPPORTED,
				    "manifest %s: schema 1 in an OCI archive", digest);
	}
	_cleanup_strv_ char **blobs = xcalloc(1, sizeof(char *));
	int r = 0;
	for (size_t k = 0; r == 0 && k <= m->n_layers; k++) {
		const char *bd = k < m->n_layers ? m->layers[k].digest : m->config.digest;
		if (bd == NULL || !ud_digest_valid(bd)) {
			_cleanup_free_ char *ebd = esc(bd);
			r = ud_error_set(err, UD_ERR_UNSUPPORTED,
					 "manifest %s: unsupported blob digest '%s'", digest, ebd);
			break;
		}
		if (ud_strv_contains(blobs, bd))
			continue;
		_cleanup_free_ char *brel = blob_member(bd);
		char *got = put_member(L, brel, bd, NULL, err);
		if (got == NULL)
			r = -1;
		else
			ud_strv_push(&blobs, got);
	}
	_cleanup_strv_ char **names = r == 0 ? names_of(L, ann, m->config.digest) : NULL;
	ud_manifest_free(m);
	for (size_t i = 0; r == 0 && names[i]; i++) {
		_cleanup_free_ char *repo = NULL, *tag = NULL;
		split_name(names[i], &repo, &tag);
		r = store_image(L, repo, tag, text, len, blobs, err);
	}
	return r;
}

static int load_oci(struct load *L, struct ud_error **err)
{
	_cleanup_free_ char *ipath = ud_path_join(L->dir, "index.json");
	_cleanup_free_ char *mpath = ud_path_join(L->dir, "manifest.json");
	json_error_t je;
	_cleanup_json_ json_t *idx = json_load_file(ipath, 0, &je);
	if (!json_is_object(idx)) {
		_cleanup_free_ char *why = esc(idx ? "not a JSON object" : je.text);
		return ud_error_set(err, UD_ERR_INVALID, "index.json: %s", why);
	}
	/* Docker >= 25 writes manifest.json too: its RepoTags, by config. */
	_cleanup_json_ json_t *list = json_load_file(mpath, 0, &je);
	size_t i;
	json_t *d;
	json_array_foreach(list, i, d)
	{
		const char *cfg = json_string_value(json_object_get(d, "Config"));
		json_t *tags = json_object_get(d, "RepoTags");
		if (cfg && ud_str_has_prefix(cfg, "blobs/sha256/") && json_is_array(tags)) {
			_cleanup_free_ char *cd = xasprintf("sha256:%s", cfg + 13);
			json_object_set(L->repotags, cd, tags);
		}
	}
	size_t n = 0;
	json_array_foreach(json_object_get(idx, "manifests"), i, d)
	{
		const char *digest = json_string_value(json_object_get(d, "digest"));
		if (digest == NULL || !ud_digest_valid(digest))
			return ud_error_set(err, UD_ERR_INVALID, "index.json: invalid digest");
		if (is_attestation(d))
			continue;
		if (load_oci_manifest(L, digest, json_object_get(d, "annotations"), 0, err) < 0)
			return ud_error_prefix(err, "index.json[%zu]", i);
		n++;
	}
	if (n == 0)
		return ud_error_set(err, UD_ERR_INVALID, "index.json: no image manifest");
	return 0;
}

/* ------------------------------------------------------------------ load */

char **ud_store_load(const struct ud_store *s, int fd, const char *name, char ***skipped,
		     struct ud_error **err)
{
	*skipped = NULL;
	if (name && !ud_store_name_valid(name)) {
		ud_error_set(err, UD_ERR_USAGE, "invalid image name '%s'", name);
		return NULL;
	}
	if (ud_archive_load(err) < 0)
		return NULL;
	/* Under layers/: members become blobs by hard link, without a copy. */
	_cleanup_free_ char *pdir = ud_path_join(s->layers, ".partial");
	if (ud_mkdir_p(pdir, 0755, err) < 0)
		return NULL;
	ud_store_clean_stale_tmp(pdir);
	_cleanup_free_ char *tmp = ud_mkdtemp(pdir, "load", err);
	if (tmp == NULL)
		return NULL;
	/* Ours while it exists: the sweep of a concurrent load leaves it. */
	_cleanup_lock_ struct ud_lock owner = {.fd = -1};
	if (!ud_store_owner_lock(tmp, "loading images", &owner, err)) {
		ud_rmtree(tmp, NULL);
		return NULL;
	}
	struct load L = {.s = s,
			 .rename_to = name,
			 .loaded = xcalloc(1, sizeof(char *)),
			 .skipped = xcalloc(1, sizeof(char *)),
			 .stored = json_object(),
			 .repotags = json_object()};
	char real[PATH_MAX];
	L.dir = xstrdup(realpath(tmp, real) ? real : tmp);
	/* Blobs are unused until their tag is written: keep rmi off them. */
	_cleanup_lock_ struct ud_lock gc = {.fd = -1};
	int r = ud_store_gc_lock(s, true, &gc, err);
	if (r == 0)
		r = extract(fd, L.dir, s->max_layer_size, err);
	if (r == 0) {
		_cleanup_free_ char *layout = ud_path_join(L.dir, "oci-layout");
		_cleanup_free_ char *manifest = ud_path_join(L.dir, "manifest.json");
		if (ud_path_exists(layout))
			r = load_oci(&L, err);
		else if (ud_path_exists(manifest))
			r = load_docker(&L, err);
		else
			r = ud_error_set(
				err, UD_ERR_INVALID,
				"not an image archive: no oci-layout and no manifest.json");
	}
	ud_lock_release(&gc);
	ud_rmtree(tmp, NULL);
	ud_store_owner_unlock(tmp, &owner);
	free(L.dir);
	json_decref(L.stored);
	json_decref(L.repotags);
	if (r < 0) {
		ud_strv_free(L.loaded);
		ud_strv_free(L.skipped);
		return NULL;
	}
	*skipped = L.skipped;
	return L.loaded;
}
