/* store/: repositories laid out by hand exactly as udocker 1.3.16 writes
 * them (v2 pulls, v1 loads and imports) are read, listed, verified,
 * tagged, removed; what the store writes is compared byte for byte with
 * what 1.3.16 writes; load/save/import round trips; blob writers racing. */
#include "store/archive_dl.h"
#include "store/store.h"
#include "store/store_private.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>

static char dir[64];
static struct ud_store *st;

static void setup(void)
{
	strcpy(dir, "/tmp/check_store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct ud_store_paths p = {.top = dir, .tmp = dir};
	st = ud_store_open(&p, true, NULL);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(ud_archive_load(NULL), 0);
}

static void teardown(void)
{
	ud_store_free(st);
	ud_rmtree(dir, NULL);
}

/* ------------------------------------------------------------- helpers */

static char *path_in(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *path_in(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *rel = xvasprintf(fmt, ap);
	va_end(ap);
	return ud_path_join(dir, rel);
}

static void write_file(const char *path, const void *data, size_t len)
{
	_cleanup_free_ char *copy = xstrdup(path);
	*strrchr(copy, '/') = '\0';
	ck_assert_int_eq(ud_mkdir_p(copy, 0755, NULL), 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ud_write_all(fd, data, len), 0);
	close(fd);
}

static char *read_text(const char *path)
{
	return ud_read_file(path, NULL, NULL);
}

static char *read_link(const char *path)
{
	char buf[4096];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

static char *sha256_of_file(const char *path)
{
	char hex[65];
	ck_assert_int_eq(ud_sha256_file(path, hex, NULL), 0);
	return xasprintf("sha256:%s", hex);
}

static char *sha256_of(const char *data, size_t len)
{
	char hex[65];
	ud_sha256_hex(data, len, hex);
	return xasprintf("sha256:%s", hex);
}

static int64_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* A tar member for write_tar(): type 'f' file, 'd' directory, 'l'
 * symlink (to link), 'h' hard link (to link). */
struct member {
	char type;
	const char *name;
	const char *data;
	const char *link;
	size_t len; /* of data; 0: strlen(data) */
};

static void write_tar(const char *path, const struct member *m, size_t n, bool gzip)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (gzip) {
		ck_assert_int_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
		/* No time in the gzip header: the same members, the same digest. */
		ck_assert_int_eq(archive_write_set_options(a, "gzip:!timestamp"), ARCHIVE_OK);
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(archive_write_open_fd(a, fd), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_mtime(e, 1700000000, 0);
		size_t len = m[i].len ? m[i].len : m[i].data ? strlen(m[i].data) : 0;
		switch (m[i].type) {
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, m[i].link);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_hardlink(e, m[i].link);
			break;
		default:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, (la_int64_t)len);
		}
		ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
		if (m[i].type == 'f' && len)
			ck_assert_int_eq(archive_write_data(a, m[i].data, len), (la_ssize_t)len);
		archive_entry_free(e);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	close(fd);
}

/* Adds an archive member whose content is the file at path. */
static struct member file_member(const char *name, const char *path)
{
	size_t len = 0;
	struct member m = {'f', xstrdup(name), ud_read_file(path, &len, NULL), NULL, len};
	ck_assert_ptr_nonnull(m.data);
	return m;
}

static void free_members(struct member *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)m[i].name);
		free((char *)m[i].data);
	}
}

/* A small gzip layer with one file; path under dir. */
static char *make_layer(const char *name, const char *file, const char *content)
{
	char *p = path_in("src/%s.tar.gz", name);
	_cleanup_free_ char *srcdir = path_in("src");
	ud_mkdir_p(srcdir, 0755, NULL);
	struct member m[] = {{'d', "etc", NULL, NULL, 0}, {'f', file, content, NULL, 0}};
	write_tar(p, m, 2, true);
	return p;
}

/* Copies a file into layers/ as 1.3.16 stores a v2 blob; returns its
 * digest. */
static char *hand_blob(const char *src)
{
	char *digest = sha256_of_file(src);
	_cleanup_free_ char *dst = path_in("layers/%s", digest);
	ck_assert_int_eq(ud_copy_file(src, dst, 0644, NULL), 0);
	return digest;
}

static char *hand_blob_text(const char *text)
{
	_cleanup_free_ char *p = path_in("src/blob-%d", rand());
	write_file(p, text, strlen(text));
	return hand_blob(p);
}

static size_t components(const char *name)
{
	size_t n = 1;
	for (const char *c = name; *c; c++)
		n += *c == '/';
	return n;
}

/* 1.3.16's link target from repos/<name>/<tag>/ to layers/<file>. */
static char *link_target_1316(const char *name, const char *file)
{
	struct ud_buf b = {0};
	for (size_t i = 0; i < components(name) + 2; i++)
		ud_buf_puts(&b, "../");
	ud_buf_printf(&b, "layers/%s", file);
	return ud_buf_steal(&b);
}

static char *tag_dir(const char *name, const char *tag)
{
	return path_in("repos/%s/%s", name, tag);
}

static void hand_link(const char *name, const char *tag, const char *link, const char *file)
{
	_cleanup_free_ char *d = tag_dir(name, tag);
	_cleanup_free_ char *l = ud_path_join(d, link);
	_cleanup_free_ char *t = link_target_1316(name, file);
	ck_assert_int_eq(symlink(t, l), 0);
}

static void hand_tagfile(const char *name, const char *tag)
{
	_cleanup_free_ char *d = tag_dir(name, tag);
	_cleanup_free_ char *p = ud_path_join(d, "TAG");
	_cleanup_free_ char *text = xasprintf("%s/repos/%s:%s", dir, name, tag);
	write_file(p, text, strlen(text));
}

static void hand_file(const char *name, const char *tag, const char *file, const char *text)
{
	_cleanup_free_ char *d = tag_dir(name, tag);
	_cleanup_free_ char *p = ud_path_join(d, file);
	write_file(p, text, strlen(text));
}

static const char *config_amd64 =
	"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],"
	"\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
static const char *config_arm64 = "{\"architecture\":\"arm64\",\"os\":\"linux\"}";
static const char *config_arm =
	"{\"architecture\":\"arm\",\"variant\":\"v7\",\"os\":\"linux\",\"config\":{}}";

struct v2_image {
	char *cfg, *l1, *l2;
	char *manifest;
};

static void v2_image_free(struct v2_image *im)
{
	free(im->cfg);
	free(im->l1);
	free(im->l2);
	free(im->manifest);
}

static char *manifest_text(const char *cfg, int64_t cfg_size, char *const *layers,
			   const int64_t *sizes)
{
	struct ud_buf b = {0};
	ud_buf_printf(&b,
		      "{\"schemaVersion\":2,\"mediaType\":\"application/"
		      "vnd.docker.distribution.manifest.v2+json\",\"config\":{\"mediaType\":"
		      "\"application/vnd.docker.container.image.v1+json\",\"size\":%lld,"
		      "\"digest\":\"%s\"},\"layers\":[",
		      (long long)cfg_size, cfg);
	for (size_t i = 0; layers[i]; i++)
		ud_buf_printf(&b,
			      "%s{\"mediaType\":\"application/"
			      "vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":%lld,"
			      "\"digest\":\"%s\"}",
			      i ? "," : "", (long long)sizes[i], layers[i]);
	ud_buf_puts(&b, "]}");
	return ud_buf_steal(&b);
}

/* A v2 pull exactly as 1.3.16 lays it out: blobs in layers/, TAG, v2,
 * manifest, a link per layer and for the config. */
static void hand_v2(const char *name, const char *tag, struct v2_image *im, const char *config,
		    const char *seed)
{
	_cleanup_free_ char *a = xasprintf("%s-a", seed), *b = xasprintf("%s-b", seed);
	_cleanup_free_ char *la = make_layer(a, "etc/a", seed);
	_cleanup_free_ char *lb = make_layer(b, "etc/b", "shared");
	im->cfg = hand_blob_text(config);
	im->l1 = hand_blob(la);
	im->l2 = hand_blob(lb);
	char *layers[] = {im->l1, im->l2, NULL};
	int64_t sizes[] = {file_size(la), file_size(lb)};
	im->manifest = manifest_text(im->cfg, (int64_t)strlen(config), layers, sizes);
	_cleanup_free_ char *d = tag_dir(name, tag);
	ck_assert_int_eq(ud_mkdir_p(d, 0755, NULL), 0);
	hand_file(name, tag, "v2", "");
	hand_file(name, tag, "manifest", im->manifest);
	hand_link(name, tag, im->l1, im->l1);
	hand_link(name, tag, im->l2, im->l2);
	hand_link(name, tag, im->cfg, im->cfg);
	hand_tagfile(name, tag);
}

struct v1_image {
	char id1[65], id2[65], cfghex[65];
};

/* A docker-save load as 1.3.16 lays it out: layers/<id>.layer and
 * <id>.json, the config as layers/<hex>.json linked as container.json,
 * ancestry top first, v1. */
static void hand_v1(const char *name, const char *tag, struct v1_image *im)
{
	ud_random_hex(im->id1, 64);
	ud_random_hex(im->id2, 64);
	_cleanup_free_ char *la = make_layer("v1a", "etc/v1a", "one");
	_cleanup_free_ char *lb = make_layer("v1b", "etc/v1b", "two");
	_cleanup_free_ char *p1 = path_in("layers/%s.layer", im->id1);
	_cleanup_free_ char *p2 = path_in("layers/%s.layer", im->id2);
	ck_assert_int_eq(ud_copy_file(la, p1, 0644, NULL), 0);
	ck_assert_int_eq(ud_copy_file(lb, p2, 0644, NULL), 0);
	_cleanup_free_ char *j1 = path_in("layers/%s.json", im->id1);
	_cleanup_free_ char *j2 = path_in("layers/%s.json", im->id2);
	_cleanup_free_ char *t1 = xasprintf("{\"id\":\"%s\"}", im->id1);
	_cleanup_free_ char *t2 = xasprintf("{\"id\":\"%s\",\"parent\":\"%s\"}", im->id2, im->id1);
	write_file(j1, t1, strlen(t1));
	write_file(j2, t2, strlen(t2));
	ud_sha256_hex(config_arm, strlen(config_arm), im->cfghex);
	_cleanup_free_ char *cp = path_in("layers/%s.json", im->cfghex);
	write_file(cp, config_arm, strlen(config_arm));
	_cleanup_free_ char *d = tag_dir(name, tag);
	ck_assert_int_eq(ud_mkdir_p(d, 0755, NULL), 0);
	hand_file(name, tag, "v1", "");
	_cleanup_free_ char *anc = xasprintf("[\"%s\", \"%s\"]", im->id2, im->id1);
	hand_file(name, tag, "ancestry", anc);
	const char *ids[] = {im->id1, im->id2};
	for (int i = 0; i < 2; i++) {
		_cleanup_free_ char *l = xasprintf("%s.layer", ids[i]);
		_cleanup_free_ char *j = xasprintf("%s.json", ids[i]);
		hand_link(name, tag, l, l);
		hand_link(name, tag, j, j);
	}
	_cleanup_free_ char *cj = xasprintf("%s.json", im->cfghex);
	hand_link(name, tag, "container.json", cj);
	hand_tagfile(name, tag);
}

/* Stores data as a blob through the writer API; returns its digest. */
static char *put_blob(const char *data)
{
	char *digest = sha256_of(data, strlen(data));
	struct ud_blob_writer w;
	bool present = false;
	struct ud_error *err = NULL;
	ck_assert_int_eq(
		ud_store_blob_begin(st, digest, (int64_t)strlen(data), 1000, &w, &present, &err),
		0);
	if (!present) {
		ck_assert_int_eq(w.offset, 0);
		ck_assert_int_eq(ud_write_all(w.fd, data, strlen(data)), 0);
		ck_assert_int_eq(ud_store_blob_commit(st, &w, &err), 0);
	}
	return digest;
}

static void collect_cb(const char *what, void *data)
{
	ud_strv_push((char ***)data, xstrdup(what));
}

static bool dir_has_temporaries(const char *d)
{
	_cleanup_free_ char *cmd =
		xasprintf("find '%s' -name '.*' -o -name '*.tmp-*' | grep -q .", d);
	return system(cmd) == 0;
}

static bool dir_empty(const char *d)
{
	_cleanup_free_ char *cmd = xasprintf("test -z \"$(ls -A '%s' 2>/dev/null)\"", d);
	return system(cmd) == 0;
}

/* --------------------------------------------------------------- repo */

START_TEST(mkrepo_and_open)
{
	_cleanup_free_ char *r = ud_path_join(dir, "newrepo");
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_store_mkrepo(r, &err), 0);
	ck_assert(ud_store_is_repo(r));
	const char *subs[] = {"repos", "layers", "containers", "bin", "lib", "doc"};
	for (size_t i = 0; i < 6; i++) {
		_cleanup_free_ char *p = ud_path_join(r, subs[i]);
		ck_assert(ud_is_dir(p));
	}
	ck_assert_int_eq(ud_store_mkrepo(r, &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_EXISTS);
	ud_error_clear(&err);
	_cleanup_free_ char *none = ud_path_join(dir, "none");
	struct ud_store_paths p = {.top = none};
	ck_assert_ptr_null(ud_store_open(&p, false, &err));
	ck_assert_ptr_nonnull(strstr(err->msg, "invalid udocker repository"));
	ud_error_clear(&err);
	/* 1.3.16 does not need doc/; overrides are honoured. */
	_cleanup_free_ char *doc = ud_path_join(r, "doc");
	ck_assert_int_eq(rmdir(doc), 0);
	_cleanup_free_ char *layers = ud_path_join(dir, "elsewhere-layers");
	ck_assert_int_eq(ud_mkdir_p(layers, 0755, NULL), 0);
	struct ud_store_paths p2 = {.top = r, .layers = layers};
	struct ud_store *s2 = ud_store_open(&p2, false, &err);
	ck_assert_ptr_nonnull(s2);
	ck_assert_str_eq(s2->layers, layers);
	ud_store_free(s2);
}
END_TEST

/* ------------------------------------------------------- 1.3.16 layouts */

START_TEST(read_v2_layout_of_1316)
{
	struct v2_image im;
	hand_v2("quay.io/org/img", "1.0", &im, config_amd64, "x");
	struct v2_image im2;
	hand_v2("busybox", "latest", &im2, config_arm, "y");
	struct ud_error *err = NULL;

	struct ud_image_entry *e;
	size_t n;
	ck_assert_int_eq(ud_store_list_images(st, UD_LIST_LINKS | UD_LIST_PLATFORM, &e, &n, &err),
			 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(e[0].name, "busybox");
	ck_assert_str_eq(e[0].tag, "latest");
	ck_assert_str_eq(e[0].platform, "linux/arm/v7");
	ck_assert_str_eq(e[1].name, "quay.io/org/img");
	ck_assert_str_eq(e[1].tag, "1.0");
	ck_assert(!e[1].protected);
	ck_assert_str_eq(e[1].platform, "linux/amd64");
	_cleanup_free_ char *d = tag_dir("quay.io/org/img", "1.0");
	ck_assert_str_eq(e[1].dir, d);
	ck_assert_uint_eq(e[1].n_links, 3);
	for (size_t i = 0; i < 3; i++) {
		_cleanup_free_ char *p = path_in("layers/%s", e[1].links[i].name);
		ck_assert_int_eq(e[1].links[i].size, file_size(p));
	}
	ud_store_list_free(e, n);

	struct ud_image *img = ud_store_image_open(st, "quay.io/org/img", "1.0", &err);
	ck_assert_ptr_nonnull(img);
	ck_assert(!img->v1);
	ck_assert_uint_eq(ud_strv_len(img->layer_ids), 2);
	ck_assert_str_eq(img->layer_ids[0], im.l1);
	ck_assert_str_eq(img->layer_ids[1], im.l2);
	_cleanup_free_ char *f0 = ud_path_join(d, im.l1);
	ck_assert_str_eq(img->layer_files[0], f0);
	ck_assert_str_eq(img->config, config_amd64);
	ck_assert_str_eq(img->config_id, im.cfg);
	ck_assert_uint_eq(img->manifest_len, strlen(im.manifest));
	json_t *cfg = ud_store_image_config_json(img, &err);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_str_eq(json_string_value(json_object_get(cfg, "architecture")), "amd64");
	json_decref(cfg);
	_cleanup_free_ char *plat = ud_store_image_platform(img);
	ck_assert_str_eq(plat, "linux/amd64");
	ud_store_image_free(img);

	int nb, nm;
	ck_assert_int_eq(ud_store_image_blobs_state(st, "quay.io/org/img", "1.0", &nb, &nm, &err),
			 0);
	ck_assert_int_eq(nb, 3);
	ck_assert_int_eq(nm, 0);

	_cleanup_strv_ char **ok = xcalloc(1, sizeof(char *));
	ck_assert_int_eq(ud_store_image_verify(st, "quay.io/org/img", "1.0", collect_cb, &ok, &err),
			 0);
	ck_assert_uint_eq(ud_strv_len(ok), 3);
	ck_assert_str_eq(ok[0], im.l1);
	ck_assert_str_eq(ok[1], im.l2);
	ck_assert_str_eq(ok[2], im.cfg);

	img = ud_store_image_open(st, "nothere", "latest", &err);
	ck_assert_ptr_null(img);
	ck_assert_int_eq(err->code, UD_ERR_NOT_FOUND);
	ud_error_clear(&err);
	v2_image_free(&im);
	v2_image_free(&im2);
}
END_TEST

START_TEST(read_v1_layout_of_1316)
{
	struct v1_image im;
	hand_v1("loaded/img", "v1", &im);
	struct ud_error *err = NULL;
	struct ud_image *img = ud_store_image_open(st, "loaded/img", "v1", &err);
	ck_assert_ptr_nonnull(img);
	ck_assert(img->v1);
	ck_assert_str_eq(img->layer_ids[0], im.id1); /* base first */
	ck_assert_str_eq(img->layer_ids[1], im.id2);
	ck_assert_ptr_null(img->layer_ids[2]);
	ck_assert(ud_str_has_suffix(img->layer_files[0], ".layer"));
	ck_assert_str_eq(img->config, config_arm);
	ck_assert_str_eq(img->config_id, "container.json");
	ud_store_image_free(img);

	struct ud_image_entry *e;
	size_t n;
	ck_assert_int_eq(ud_store_list_images(st, UD_LIST_LINKS | UD_LIST_PLATFORM, &e, &n, &err),
			 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(e[0].platform, "linux/arm/v7");
	ck_assert_uint_eq(e[0].n_links, 5);
	bool found = false;
	for (size_t i = 0; i < e[0].n_links; i++)
		found |= strcmp(e[0].links[i].name, "container.json") == 0 &&
			 e[0].links[i].size == (int64_t)strlen(config_arm);
	ck_assert(found);
	ud_store_list_free(e, n);

	_cleanup_strv_ char **ok = xcalloc(1, sizeof(char *));
	ck_assert_int_eq(ud_store_image_verify(st, "loaded/img", "v1", collect_cb, &ok, &err), 0);
	ck_assert_uint_eq(ud_strv_len(ok), 2);
	ck_assert_str_eq(ok[0], im.id1);

	/* Metadata whose parent disagrees with ancestry. */
	_cleanup_free_ char *j2 = path_in("layers/%s.json", im.id2);
	_cleanup_free_ char *bad = xasprintf("{\"id\":\"%s\",\"parent\":\"%s\"}", im.id2, im.id2);
	write_file(j2, bad, strlen(bad));
	ck_assert_int_eq(ud_store_image_verify(st, "loaded/img", "v1", NULL, NULL, &err), -1);
	ck_assert_ptr_nonnull(strstr(err->msg, "ancestry and layers do not match"));
	ud_error_clear(&err);

	/* Without container.json the config is the top layer's json. */
	_cleanup_free_ char *cj = path_in("repos/loaded/img/v1/container.json");
	ck_assert_int_eq(unlink(cj), 0);
	img = ud_store_image_open(st, "loaded/img", "v1", &err);
	ck_assert_ptr_nonnull(img);
	ck_assert_str_eq(img->config, bad);
	ud_store_image_free(img);

	/* A layer that is not a tar archive. */
	_cleanup_free_ char *p1 = path_in("layers/%s.layer", im.id1);
	write_file(p1, "garbage", 7);
	write_file(j2, "{}", 2);
	_cleanup_free_ char *j2b = xasprintf("{\"parent\":\"%s\"}", im.id1);
	write_file(j2, j2b, strlen(j2b));
	ck_assert_int_eq(ud_store_image_verify(st, "loaded/img", "v1", NULL, NULL, &err), -1);
	ck_assert_ptr_nonnull(strstr(err->msg, "layer tar verify failed"));
	ck_assert_ptr_nonnull(strstr(err->msg, im.id1));
	ud_error_clear(&err);
}
END_TEST

START_TEST(read_schema1_layout)
{
	_cleanup_free_ char *la = make_layer("s1a", "etc/a", "a");
	_cleanup_free_ char *lb = make_layer("s1b", "etc/b", "b");
	_cleanup_free_ char *da = hand_blob(la), *db = hand_blob(lb);
	/* fsLayers are top first. */
	_cleanup_free_ char *m = xasprintf(
		"{\"schemaVersion\":1,\"name\":\"old\",\"tag\":\"s1\",\"architecture\":\"amd64\","
		"\"fsLayers\":[{\"blobSum\":\"%s\"},{\"blobSum\":\"%s\"}],\"history\":[{"
		"\"v1Compatibility\":\"{\\\"architecture\\\":\\\"amd64\\\",\\\"os\\\":"
		"\\\"linux\\\"}"
		"\"},{\"v1Compatibility\":\"{}\"}]}",
		db, da);
	_cleanup_free_ char *d = tag_dir("old", "s1");
	ck_assert_int_eq(ud_mkdir_p(d, 0755, NULL), 0);
	hand_file("old", "s1", "v2", "");
	hand_file("old", "s1", "manifest", m);
	hand_link("old", "s1", da, da);
	hand_link("old", "s1", db, db);
	hand_tagfile("old", "s1");
	struct ud_error *err = NULL;
	struct ud_image *img = ud_store_image_open(st, "old", "s1", &err);
	ck_assert_ptr_nonnull(img);
	ck_assert_str_eq(img->layer_ids[0], da);
	ck_assert_str_eq(img->layer_ids[1], db);
	ck_assert_ptr_null(img->config_file);
	ck_assert_ptr_nonnull(strstr(img->config, "linux"));
	_cleanup_free_ char *plat = ud_store_image_platform(img);
	ck_assert_str_eq(plat, "linux/amd64");
	ud_store_image_free(img);
	ck_assert_int_eq(ud_store_image_verify(st, "old", "s1", NULL, NULL, &err), 0);
}
END_TEST

START_TEST(verify_detects_damage)
{
	struct v2_image im;
	hand_v2("dmg", "1", &im, config_amd64, "d");
	struct ud_error *err = NULL;
	_cleanup_free_ char *f2 = path_in("layers/%s", im.l2);
	_cleanup_free_ char *keep = path_in("src/keep");
	ck_assert_int_eq(ud_copy_file(f2, keep, 0644, NULL), 0);

	/* Same size, other content. */
	_cleanup_free_ char *orig = read_text(f2);
	size_t len = (size_t)file_size(f2);
	orig[len / 2] ^= 0x55;
	write_file(f2, orig, len);
	ck_assert_int_eq(ud_store_image_verify(st, "dmg", "1", NULL, NULL, &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_DIGEST);
	ck_assert_ptr_nonnull(strstr(err->msg, "chksum failed"));
	ck_assert_ptr_nonnull(strstr(err->msg, im.l2));
	ud_error_clear(&err);
	int nb, nm;
	ck_assert_int_eq(ud_store_image_blobs_state(st, "dmg", "1", &nb, &nm, &err), 0);
	ck_assert_int_eq(nm, 1);

	/* Truncated. */
	write_file(f2, "x", 1);
	ck_assert_int_eq(ud_store_image_verify(st, "dmg", "1", NULL, NULL, &err), -1);
	ck_assert_ptr_nonnull(strstr(err->msg, "size mismatch"));
	ud_error_clear(&err);

	/* The blob is gone: a dangling link. */
	ck_assert_int_eq(unlink(f2), 0);
	ck_assert_int_eq(ud_store_image_verify(st, "dmg", "1", NULL, NULL, &err), -1);
	ck_assert_ptr_nonnull(strstr(err->msg, "layer data file not found"));
	ud_error_clear(&err);
	ck_assert_int_eq(ud_copy_file(keep, f2, 0644, NULL), 0);
	ck_assert_int_eq(ud_store_image_verify(st, "dmg", "1", NULL, NULL, &err), 0);

	/* The link is gone. */
	_cleanup_free_ char *link = path_in("repos/dmg/1/%s", im.l1);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(ud_store_image_verify(st, "dmg", "1", NULL, NULL, &err), -1);
	ck_assert_ptr_nonnull(strstr(err->msg, "does not exist in repo"));
	ck_assert_ptr_nonnull(strstr(err->msg, im.l1));
	ud_error_clear(&err);
	hand_link("dmg", "1", im.l1, im.l1);

	/* A damaged config blob is found too (1.3.16 skipped configs). */
	_cleanup_free_ char *fc = path_in("layers/%s", im.cfg);
	_cleanup_free_ char *cfg = read_text(fc);
	cfg[2] = 'A';
	write_file(fc, cfg, strlen(cfg));
	ck_assert_int_eq(ud_store_image_verify(st, "dmg", "1", NULL, NULL, &err), -1);
	ck_assert_ptr_nonnull(strstr(err->msg, im.cfg));
	ud_error_clear(&err);

	/* The store-wide helper. */
	struct v2_image ok;
	hand_v2("fine", "1", &ok, config_arm, "f");
	char **fail = NULL;
	ck_assert_int_eq(ud_store_verify_all(st, &fail, &err), 1);
	ck_assert_uint_eq(ud_strv_len(fail), 1);
	ck_assert_ptr_nonnull(strstr(fail[0], "dmg:1"));
	ud_strv_free(fail);
	v2_image_free(&im);
	v2_image_free(&ok);
}
END_TEST

/* ------------------------------------------------------------- writing */

START_TEST(tag_write_matches_1316)
{
	struct ud_error *err = NULL;
	char *cfg = put_blob(config_amd64), *l1 = put_blob("l1"), *l2 = put_blob("l2");
	char *blobs[] = {l1, l2, cfg, NULL};
	int64_t sizes[] = {2, 2};
	char *layers[] = {l1, l2, NULL};
	_cleanup_free_ char *m = manifest_text(cfg, (int64_t)strlen(config_amd64), layers, sizes);
	const char *names[] = {"busybox", "127.0.0.1:5000/test/busybox", "a/b/c/d/e"};
	for (size_t k = 0; k < UD_ARRAY_SIZE(names); k++) {
		const char *name = names[k];
		ck_assert_int_eq(ud_store_tag_write(st, name, "latest", m, strlen(m), blobs, &err),
				 0);
		_cleanup_free_ char *d = tag_dir(name, "latest");
		_cleanup_free_ char *tagf = ud_path_join(d, "TAG");
		_cleanup_free_ char *tagtext = read_text(tagf);
		_cleanup_free_ char *want = xasprintf("%s/repos/%s:latest", dir, name);
		ck_assert_str_eq(tagtext, want);
		_cleanup_free_ char *v2 = ud_path_join(d, "v2");
		ck_assert_int_eq(file_size(v2), 0);
		_cleanup_free_ char *mp = ud_path_join(d, "manifest");
		_cleanup_free_ char *mt = read_text(mp);
		ck_assert_str_eq(mt, m);
		for (size_t i = 0; blobs[i]; i++) {
			_cleanup_free_ char *l = ud_path_join(d, blobs[i]);
			_cleanup_free_ char *t = read_link(l);
			_cleanup_free_ char *wt = link_target_1316(name, blobs[i]);
			ck_assert_str_eq(t, wt);
		}
		ck_assert(!dir_has_temporaries(d));
		ck_assert(ud_store_tag_exists(st, name, "latest"));
		struct ud_image *img = ud_store_image_open(st, name, "latest", &err);
		ck_assert_ptr_nonnull(img);
		ud_store_image_free(img);
	}
	_cleanup_free_ char *bb = tag_dir("busybox", "latest");
	_cleanup_free_ char *bl = ud_path_join(bb, l1);
	_cleanup_free_ char *bt = read_link(bl);
	_cleanup_free_ char *want3 = xasprintf("../../../layers/%s", l1);
	ck_assert_str_eq(bt, want3);

	/* A changed tag: stale links go (quirk 11). */
	char *l3 = put_blob("l3");
	char *blobs2[] = {l1, l3, cfg, NULL};
	char *layers2[] = {l1, l3, NULL};
	_cleanup_free_ char *m2 = manifest_text(cfg, (int64_t)strlen(config_amd64), layers2, sizes);
	ck_assert_int_eq(ud_store_tag_write(st, "busybox", "latest", m2, strlen(m2), blobs2, &err),
			 0);
	_cleanup_free_ char *stale = ud_path_join(bb, l2);
	_cleanup_free_ char *fresh = ud_path_join(bb, l3);
	ck_assert(!ud_path_exists(stale));
	ck_assert(ud_path_exists(fresh));
	ck_assert_int_eq(ud_store_image_verify(st, "busybox", "latest", NULL, NULL, &err), 0);

	/* A v1 tag pulled over as v2 loses its v1 files. */
	struct v1_image v1;
	hand_v1("was/v1", "t", &v1);
	ck_assert_int_eq(ud_store_tag_write(st, "was/v1", "t", m2, strlen(m2), blobs2, &err), 0);
	_cleanup_free_ char *wd = tag_dir("was/v1", "t");
	const char *gone[] = {"v1", "ancestry", "container.json"};
	for (size_t i = 0; i < 3; i++) {
		_cleanup_free_ char *p = ud_path_join(wd, gone[i]);
		ck_assert_msg(!ud_path_exists(p), "%s left", gone[i]);
	}
	struct ud_image *img = ud_store_image_open(st, "was/v1", "t", &err);
	ck_assert_ptr_nonnull(img);
	ck_assert(!img->v1);
	ud_store_image_free(img);

	/* Refused: paths out of repos/, bad blobs. */
	ck_assert_int_eq(ud_store_tag_write(st, "../x", "t", m2, strlen(m2), blobs2, &err), -1);
	ud_error_clear(&err);
	ck_assert_int_eq(ud_store_tag_write(st, "x", "../t", m2, strlen(m2), blobs2, &err), -1);
	ud_error_clear(&err);
	char *badblobs[] = {"../../etc", NULL};
	ck_assert_int_eq(ud_store_tag_write(st, "x", "t", m2, strlen(m2), badblobs, &err), -1);
	ud_error_clear(&err);
	free(cfg);
	free(l1);
	free(l2);
	free(l3);
}
END_TEST

START_TEST(list_is_fast)
{
	struct v2_image im;
	hand_v2("base", "0", &im, config_amd64, "p");
	struct ud_error *err = NULL;
	for (int i = 0; i < 100; i++) {
		_cleanup_free_ char *name = xasprintf("reg.example:5000/team%d/img", i % 10);
		_cleanup_free_ char *tag = xasprintf("t%d", i);
		ck_assert_int_eq(ud_store_image_tag(st, "base", "0", name, tag, &err), 0);
	}
	double best = 1e9;
	for (int k = 0; k < 5; k++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		struct ud_image_entry *e;
		size_t n;
		ck_assert_int_eq(ud_store_list(st, &e, &n, &err), 0);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ck_assert_uint_eq(n, 101);
		ud_store_list_free(e, n);
		double ms =
			(double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		if (ms < best)
			best = ms;
	}
	fprintf(stderr, "list of 101 tags: %.3f ms\n", best);
#if defined(__SANITIZE_ADDRESS__)
	ck_assert(best < 50);
#else
	ck_assert(best < 10);
#endif
	v2_image_free(&im);
}
END_TEST

START_TEST(rmi_keeps_shared_layers)
{
	struct v2_image a, b;
	hand_v2("org/a", "1", &a, config_amd64, "a");
	hand_v2("org/b", "1", &b, config_arm, "b"); /* shares its second layer with a */
	ck_assert_str_eq(a.l2, b.l2);
	struct v1_image v1;
	hand_v1("org/sub/v1", "x", &v1);
	struct v2_image nested;
	hand_v2("org/b/1/deeper", "z", &nested, config_arm64, "n");
	struct ud_error *err = NULL;
	/* A verified marker that must go with its blob. */
	ck_assert(ud_store_blob_good(st, a.l1, -1, true));
	_cleanup_free_ char *marker = path_in("layers/.verified/%s", a.l1);
	ck_assert(ud_path_exists(marker));

	ck_assert_int_eq(ud_store_image_protect(st, "org/a", "1", true, &err), 0);
	ck_assert_int_eq(ud_store_image_remove(st, "org/a", "1", false, &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_PROTECTED);
	ud_error_clear(&err);
	ck_assert_int_eq(ud_store_image_protect(st, "org/a", "1", false, &err), 0);

	ck_assert_int_eq(ud_store_image_remove(st, "org/a", "1", false, &err), 0);
	ck_assert(!ud_store_blob_present(st, a.l1, -1));
	ck_assert(!ud_store_blob_present(st, a.cfg, -1));
	ck_assert(ud_store_blob_present(st, a.l2, -1)); /* still used by org/b:1 */
	ck_assert(!ud_path_exists(marker));
	_cleanup_free_ char *adir = path_in("repos/org/a");
	ck_assert(!ud_path_exists(adir));
	ck_assert_int_eq(ud_store_image_verify(st, "org/b", "1", NULL, NULL, &err), 0);

	/* org/b:1's directory is on the path of org/b/1/deeper:z: kept. */
	ck_assert_int_eq(ud_store_image_remove(st, "org/b", "1", false, &err), 0);
	ck_assert(!ud_store_tag_exists(st, "org/b", "1"));
	ck_assert_int_eq(ud_store_image_verify(st, "org/b/1/deeper", "z", NULL, NULL, &err), 0);
	ck_assert(ud_store_blob_present(st, a.l2, -1)); /* nested uses it too */
	ck_assert(!ud_store_blob_present(st, b.cfg, -1));
	struct ud_image_entry *e;
	size_t n;
	ck_assert_int_eq(ud_store_list(st, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ud_store_list_free(e, n);

	/* v1 layer files, their json and the config go with the last user. */
	ck_assert_int_eq(ud_store_image_remove(st, "org/sub/v1", "x", false, &err), 0);
	_cleanup_free_ char *l1 = path_in("layers/%s.layer", v1.id1);
	_cleanup_free_ char *j1 = path_in("layers/%s.json", v1.id1);
	_cleanup_free_ char *cj = path_in("layers/%s.json", v1.cfghex);
	ck_assert(!ud_path_exists(l1));
	ck_assert(!ud_path_exists(j1));
	ck_assert(!ud_path_exists(cj));
	ck_assert_int_eq(ud_store_image_remove(st, "org/b/1/deeper", "z", false, &err), 0);
	ck_assert(!ud_store_blob_present(st, a.l2, -1));
	_cleanup_free_ char *org = path_in("repos/org");
	ck_assert(!ud_path_exists(org));
	/* Only the hidden bookkeeping is left. */
	_cleanup_free_ char *cmd = xasprintf("test -z \"$(ls '%s/layers')\"", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(ud_store_image_remove(st, "org/a", "1", false, &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_NOT_FOUND);
	ud_error_clear(&err);
	v2_image_free(&a);
	v2_image_free(&b);
	v2_image_free(&nested);
}
END_TEST

START_TEST(tag_and_protect)
{
	struct v1_image v1;
	hand_v1("loaded", "1", &v1);
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_store_image_tag(st, "loaded", "1", "copy/of/it", "2", &err), 0);
	_cleanup_free_ char *d = tag_dir("copy/of/it", "2");
	/* container.json keeps its name (quirk 22), targets fit the depth. */
	_cleanup_free_ char *cj = ud_path_join(d, "container.json");
	_cleanup_free_ char *t = read_link(cj);
	_cleanup_free_ char *cjf = xasprintf("%s.json", v1.cfghex);
	_cleanup_free_ char *want = link_target_1316("copy/of/it", cjf);
	ck_assert_str_eq(t, want);
	_cleanup_free_ char *tagf = ud_path_join(d, "TAG");
	_cleanup_free_ char *tt = read_text(tagf);
	_cleanup_free_ char *wtt = xasprintf("%s/repos/copy/of/it:2", dir);
	ck_assert_str_eq(tt, wtt);
	_cleanup_free_ char *anc_src = path_in("repos/loaded/1/ancestry");
	_cleanup_free_ char *anc_dst = ud_path_join(d, "ancestry");
	_cleanup_free_ char *a1 = read_text(anc_src), *a2 = read_text(anc_dst);
	ck_assert_str_eq(a1, a2);
	ck_assert_int_eq(ud_store_image_verify(st, "copy/of/it", "2", NULL, NULL, &err), 0);

	ck_assert_int_eq(ud_store_image_tag(st, "loaded", "1", "copy/of/it", "2", &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_EXISTS);
	ud_error_clear(&err);
	ck_assert_int_eq(ud_store_image_tag(st, "nothere", "1", "x", "2", &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_NOT_FOUND);
	ud_error_clear(&err);
	ck_assert_int_eq(ud_store_image_tag(st, "loaded", "1", "bad//name", "2", &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_USAGE);
	ud_error_clear(&err);
	/* The directory of "copy/of:it" is on copy/of/it:2's path. */
	ck_assert_int_eq(ud_store_image_tag(st, "loaded", "1", "copy/of", "it", &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_EXISTS);
	ud_error_clear(&err);

	ck_assert_int_eq(ud_store_image_protect(st, "loaded", "1", true, &err), 0);
	_cleanup_free_ char *prot = path_in("repos/loaded/1/PROTECT");
	ck_assert_int_eq(file_size(prot), 0);
	ck_assert_int_eq(ud_store_image_tag(st, "loaded", "1", "other", "1", &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_PROTECTED);
	ud_error_clear(&err);
	struct ud_image_entry *e;
	size_t n;
	ck_assert_int_eq(ud_store_list(st, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(e[1].name, "loaded");
	ck_assert(e[1].protected);
	ck_assert(!e[0].protected);
	ud_store_list_free(e, n);
	ck_assert_int_eq(ud_store_image_protect(st, "loaded", "1", false, &err), 0);
	ck_assert(!ud_path_exists(prot));
	/* Quirk 17: unprotect of a missing image is an error. */
	ck_assert_int_eq(ud_store_image_protect(st, "nothere", "1", false, &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_NOT_FOUND);
	ud_error_clear(&err);
}
END_TEST

/* ------------------------------------------------------------- blobs */

START_TEST(concurrent_blob_writers)
{
	const char *data = "shared blob content";
	_cleanup_free_ char *digest = sha256_of(data, strlen(data));
	pid_t kids[4];
	for (int i = 0; i < 4; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			struct ud_blob_writer w;
			bool present;
			if (ud_store_blob_begin(st, digest, (int64_t)strlen(data), 10000, &w,
						&present, NULL) < 0)
				_exit(1);
			if (!present) {
				/* Written in two halves while others wait. */
				size_t half = strlen(data) / 2;
				if (ud_write_all(w.fd, data, half) < 0)
					_exit(2);
				usleep(100000);
				if (ud_write_all(w.fd, data + half, strlen(data) - half) < 0 ||
				    ud_store_blob_commit(st, &w, NULL) < 0)
					_exit(2);
				_exit(10); /* wrote it */
			}
			_exit(11); /* found it present */
		}
	}
	int wrote = 0, found = 0;
	for (int i = 0; i < 4; i++) {
		int status;
		waitpid(kids[i], &status, 0);
		ck_assert(WIFEXITED(status));
		wrote += WEXITSTATUS(status) == 10;
		found += WEXITSTATUS(status) == 11;
	}
	ck_assert_int_eq(wrote, 1);
	ck_assert_int_eq(found, 3);
	ck_assert(ud_store_blob_present(st, digest, (int64_t)strlen(data)));
	ck_assert_int_eq(ud_store_blob_verify(st, digest, NULL), 0);
	_cleanup_free_ char *pdir = path_in("layers/.partial");
	ck_assert(dir_empty(pdir));
	/* The only entries of layers/ that 1.3.16 sees: the blob. */
	_cleanup_free_ char *cmd = xasprintf("test \"$(ls '%s/layers')\" = '%s'", dir, digest);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(blob_partials)
{
	const char *data = "0123456789abcdef";
	_cleanup_free_ char *digest = sha256_of(data, strlen(data));
	struct ud_error *err = NULL;
	struct ud_blob_writer w;
	bool present;
	/* An interrupted download: a prefix stays for resuming. */
	ck_assert_int_eq(ud_store_blob_begin(st, digest, 16, 0, &w, &present, &err), 0);
	ck_assert(!present);
	ck_assert_int_eq(ud_write_all(w.fd, data, 6), 0);
	ud_store_blob_abort(&w, false);
	ck_assert(!ud_store_blob_present(st, digest, -1));
	ck_assert_int_eq(ud_store_blob_begin(st, digest, 16, 0, &w, &present, &err), 0);
	ck_assert_int_eq(w.offset, 6);
	/* Another process cannot take the blob meanwhile. */
	pid_t pid = fork();
	if (pid == 0) {
		struct ud_blob_writer w2;
		bool p2;
		struct ud_error *e2 = NULL;
		int r = ud_store_blob_begin(st, digest, 16, 0, &w2, &p2, &e2);
		_exit(r < 0 && e2->code == UD_ERR_LOCKED && strstr(e2->msg, "pid") ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(ud_write_all(w.fd, data + 6, 10), 0);
	ck_assert_int_eq(ud_store_blob_commit(st, &w, &err), 0);
	ck_assert_int_eq(ud_store_blob_verify(st, digest, &err), 0);
	ck_assert(ud_store_blob_present(st, digest, 16));
	ck_assert(!ud_store_blob_present(st, digest, 15));
	/* Present: begin says so and opens nothing. */
	ck_assert_int_eq(ud_store_blob_begin(st, digest, 16, 0, &w, &present, &err), 0);
	ck_assert(present);
	ck_assert_int_eq(w.fd, -1);

	/* Discard: the partial is gone. */
	_cleanup_free_ char *d2 = sha256_of("other", 5);
	ck_assert_int_eq(ud_store_blob_begin(st, d2, 5, 0, &w, &present, &err), 0);
	ck_assert_int_eq(ud_write_all(w.fd, "othxx", 5), 0);
	ud_store_blob_abort(&w, true);
	_cleanup_free_ char *p2 = path_in("layers/.partial/%s", d2);
	ck_assert(!ud_path_exists(p2));
	/* A partial longer than the blob is started again. */
	write_file(p2, "0123456789", 10);
	ck_assert_int_eq(ud_store_blob_begin(st, d2, 5, 0, &w, &present, &err), 0);
	ck_assert_int_eq(w.offset, 0);
	ud_store_blob_abort(&w, true);
	ck_assert_int_eq(ud_store_blob_verify(st, "sha256:../../x", &err), -1);
	ud_error_clear(&err);
}
END_TEST

START_TEST(stale_partials_cleaned)
{
	/* A fresh process (the cleaning runs once per process). */
	_cleanup_free_ char *old = sha256_of("old", 3), *young = sha256_of("young", 5);
	_cleanup_free_ char *po = path_in("layers/.partial/%s", old);
	_cleanup_free_ char *py = path_in("layers/.partial/%s", young);
	write_file(po, "ol", 2);
	write_file(py, "yo", 2);
	struct timeval tv[2] = {{time(NULL) - 2 * 86400, 0}, {time(NULL) - 2 * 86400, 0}};
	ck_assert_int_eq(utimes(po, tv), 0);
	_cleanup_free_ char *d = put_blob("new one");
	ck_assert(!ud_path_exists(po));
	ck_assert(ud_path_exists(py));
}
END_TEST

/* ------------------------------------------------------------- archives */

static int open_read(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

static char **load_file(struct ud_store *s, const char *path, const char *name, char ***skipped,
			struct ud_error **err)
{
	int fd = open_read(path);
	char **r = ud_store_load(s, fd, name, skipped, err);
	close(fd);
	return r;
}

static struct ud_store *second_store(void)
{
	_cleanup_free_ char *top = path_in("second");
	struct ud_store_paths p = {.top = top, .tmp = top};
	struct ud_store *s = ud_store_open(&p, true, NULL);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* Lists an archive's members (as `tar tf`). */
static char *tar_list(const char *path)
{
	_cleanup_free_ char *cmd = xasprintf("tar tf '%s' | sort", path);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	struct ud_buf b = {0};
	char line[1024];
	while (fgets(line, sizeof(line), f))
		ud_buf_puts(&b, line);
	pclose(f);
	return ud_buf_steal(&b);
}

static char *tar_member(const char *path, const char *member)
{
	_cleanup_free_ char *cmd = xasprintf("tar xOf '%s' '%s'", path, member);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	struct ud_buf b = {0};
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		ud_buf_append(&b, buf, n);
	pclose(f);
	return ud_buf_steal(&b);
}

START_TEST(save_load_round_trip)
{
	struct v2_image im;
	hand_v2("127.0.0.1:5000/test/busybox", "1", &im, config_amd64, "s");
	struct v1_image v1;
	hand_v1("imported/x", "2", &v1);
	/* An image whose layer repeats. */
	char *layers[] = {im.l1, im.l2, im.l1, NULL};
	_cleanup_free_ char *f1 = path_in("layers/%s", im.l1), *f2 = path_in("layers/%s", im.l2);
	int64_t sizes[] = {file_size(f1), file_size(f2), file_size(f1)};
	_cleanup_free_ char *m =
		manifest_text(im.cfg, (int64_t)strlen(config_amd64), layers, sizes);
	char *blobs[] = {im.l1, im.l2, im.cfg, NULL};
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_store_tag_write(st, "rep", "eat", m, strlen(m), blobs, &err), 0);

	_cleanup_free_ char *out = path_in("saved.tar");
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	char *names[] = {"127.0.0.1:5000/test/busybox", "imported/x", "rep", NULL};
	char *tags[] = {"1", "2", "eat", NULL};
	ck_assert_int_eq(ud_store_save(st, names, tags, fd, &err), 0);
	close(fd);

	/* What docker load expects. */
	_cleanup_free_ char *list = tar_list(out);
	_cleanup_free_ char *cfgname = xasprintf("%s.json\n", im.cfg + 7);
	ck_assert_ptr_nonnull(strstr(list, cfgname));
	ck_assert_ptr_nonnull(strstr(list, "manifest.json\n"));
	ck_assert_ptr_nonnull(strstr(list, "repositories\n"));
	_cleanup_free_ char *l1tar = xasprintf("%s/layer.tar\n", im.l1 + 7);
	_cleanup_free_ char *l1ver = xasprintf("%s/VERSION", im.l1 + 7);
	ck_assert_ptr_nonnull(strstr(list, l1tar));
	_cleanup_free_ char *ver = tar_member(out, l1ver);
	ck_assert_str_eq(ver, "1.0");
	_cleanup_free_ char *mj = tar_member(out, "manifest.json");
	json_error_t je;
	json_t *mlist = json_loads(mj, 0, &je);
	ck_assert(json_is_array(mlist));
	ck_assert_uint_eq(json_array_size(mlist), 3);
	json_t *rep = json_array_get(mlist, 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(rep, "RepoTags"), 0)),
			 "rep:eat");
	/* Every layer, also the repeated one (quirk 15). */
	ck_assert_uint_eq(json_array_size(json_object_get(rep, "Layers")), 3);
	json_decref(mlist);
	_cleanup_free_ char *rj = tar_member(out, "repositories");
	json_t *repos = json_loads(rj, 0, &je);
	/* The top layer, as docker writes it (quirk 15). */
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(repos, "127.0.0.1:5000/test/busybox"), "1")),
			 im.l2 + 7);
	ck_assert_str_eq(
		json_string_value(json_object_get(json_object_get(repos, "imported/x"), "2")),
		v1.id2);
	json_decref(repos);

	/* Back in. */
	struct ud_store *s2 = second_store();
	char **skipped = NULL;
	char **loaded = load_file(s2, out, NULL, &skipped, &err);
	ck_assert_msg(loaded != NULL, "%s", err ? err->msg : "");
	ck_assert_uint_eq(ud_strv_len(loaded), 3);
	ck_assert_uint_eq(ud_strv_len(skipped), 0);
	ck_assert(ud_strv_contains(loaded, "127.0.0.1:5000/test/busybox:1"));
	ck_assert(ud_strv_contains(loaded, "imported/x:2"));
	ck_assert(ud_strv_contains(loaded, "rep:eat"));
	ud_strv_free(loaded);
	ud_strv_free(skipped);
	char **fail = NULL;
	ck_assert_int_eq(ud_store_verify_all(s2, &fail, &err), 0);
	ud_strv_free(fail);
	struct ud_image *img = ud_store_image_open(s2, "127.0.0.1:5000/test/busybox", "1", &err);
	ck_assert_ptr_nonnull(img);
	ck_assert_str_eq(img->config, config_amd64);
	ck_assert_str_eq(img->layer_ids[0], im.l1); /* the same blobs */
	ck_assert_str_eq(img->layer_ids[1], im.l2);
	ck_assert_ptr_nonnull(strstr(img->manifest, "tar.gzip"));
	ud_store_image_free(img);
	img = ud_store_image_open(s2, "imported/x", "2", &err);
	ck_assert_ptr_nonnull(img);
	ck_assert_str_eq(img->config, config_arm);
	ck_assert_uint_eq(ud_strv_len(img->layer_ids), 2);
	ud_store_image_free(img);
	img = ud_store_image_open(s2, "rep", "eat", &err);
	ck_assert_uint_eq(ud_strv_len(img->layer_ids), 3);
	ud_store_image_free(img);

	/* Again: all there, skipped. With a name: renamed. */
	loaded = load_file(s2, out, NULL, &skipped, &err);
	ck_assert_ptr_nonnull(loaded);
	ck_assert_uint_eq(ud_strv_len(loaded), 0);
	ck_assert_uint_eq(ud_strv_len(skipped), 3);
	ud_strv_free(loaded);
	ud_strv_free(skipped);
	loaded = load_file(s2, out, "renamed/img", &skipped, &err);
	ck_assert_ptr_nonnull(loaded);
	ck_assert(ud_strv_contains(loaded, "renamed/img:1"));
	ck_assert(ud_strv_contains(loaded, "renamed/img:2"));
	ud_strv_free(loaded);
	ud_strv_free(skipped);
	_cleanup_free_ char *pdir = ud_path_join(s2->layers, ".partial");
	ck_assert(dir_empty(pdir));

	/* A missing image: an error, nothing half written by the store. */
	char *bad[] = {"nothere", NULL};
	char *badt[] = {"1", NULL};
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ck_assert_int_eq(ud_store_save(st, bad, badt, fd, &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_NOT_FOUND);
	ud_error_clear(&err);
	close(fd);
	ud_store_free(s2);
	v2_image_free(&im);
}
END_TEST

/* A docker save archive of the legacy layout, made by hand: an
 * uncompressed layer, a second layer.tar that is a symlink to it (as
 * docker writes repeated layers), RepoTags null, names in repositories. */
START_TEST(load_docker_legacy)
{
	struct member lm[] = {{'f', "hello", "world", NULL, 0}};
	_cleanup_free_ char *lt = path_in("src/layer.tar");
	_cleanup_free_ char *srcdir = path_in("src");
	ud_mkdir_p(srcdir, 0755, NULL);
	write_tar(lt, lm, 1, false);
	const char *ida = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	const char *idb = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	_cleanup_free_ char *cfghex = sha256_of(config_amd64, strlen(config_amd64));
	_cleanup_free_ char *cfgname = xasprintf("%s.json", cfghex + 7);
	_cleanup_free_ char *mj = xasprintf("[{\"Config\":\"%s\",\"RepoTags\":null,\"Layers\":[\"%"
					    "s/layer.tar\",\"%s/layer.tar\"]}]",
					    cfgname, ida, idb);
	_cleanup_free_ char *repos = xasprintf("{\"legacy/img\":{\"v7\":\"%s\"}}", idb);
	_cleanup_free_ char *la = xasprintf("%s/layer.tar", ida);
	_cleanup_free_ char *lb = xasprintf("%s/layer.tar", idb);
	_cleanup_free_ char *ja = xasprintf("%s/json", ida);
	_cleanup_free_ char *linkb = xasprintf("../%s/layer.tar", ida);
	struct member am[] = {file_member(cfgname, "/dev/null"),
			      {'f', xstrdup("manifest.json"), xstrdup(mj), NULL, 0},
			      {'f', xstrdup("repositories"), xstrdup(repos), NULL, 0},
			      file_member(la, lt),
			      {'f', xstrdup(ja), xstrdup("{}"), NULL, 0}};
	free((char *)am[0].data);
	am[0].data = xstrdup(config_amd64);
	_cleanup_free_ char *arch = path_in("legacy.tar");
	struct member all[7];
	memcpy(all, am, sizeof(am));
	all[5] = (struct member){'d', idb, NULL, NULL, 0};
	all[6] = (struct member){'l', lb, NULL, linkb, 0};
	write_tar(arch, all, 7, false);
	free_members(am, 5);

	struct ud_error *err = NULL;
	char **skipped = NULL;
	char **loaded = load_file(st, arch, NULL, &skipped, &err);
	ck_assert_msg(loaded != NULL, "%s", err ? err->msg : "");
	ck_assert_uint_eq(ud_strv_len(loaded), 1);
	ck_assert_str_eq(loaded[0], "legacy/img:v7");
	ud_strv_free(loaded);
	ud_strv_free(skipped);
	struct ud_image *img = ud_store_image_open(st, "legacy/img", "v7", &err);
	ck_assert_ptr_nonnull(img);
	_cleanup_free_ char *ld = sha256_of_file(lt);
	ck_assert_str_eq(img->layer_ids[0], ld);
	ck_assert_str_eq(img->layer_ids[1], ld);
	ck_assert_ptr_nonnull(strstr(img->manifest, "diff.tar\""));
	ud_store_image_free(img);
	ck_assert_int_eq(ud_store_image_verify(st, "legacy/img", "v7", NULL, NULL, &err), 0);
	_cleanup_free_ char *pdir = path_in("layers/.partial");
	ck_assert(dir_empty(pdir));
}
END_TEST

/* An OCI archive: a nested index with the host's platform, another one
 * and an attestation; names from io.containerd.image.name. */
START_TEST(load_oci_archive)
{
	_cleanup_free_ char *layer = make_layer("oci", "etc/oci", "oci");
	_cleanup_free_ char *ld = sha256_of_file(layer);
	_cleanup_free_ char *cd = sha256_of(config_amd64, strlen(config_amd64));
	_cleanup_free_ char *m = xasprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
		"\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"application/"
		"vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":%lld}]}",
		cd, strlen(config_amd64), ld, (long long)file_size(layer));
	_cleanup_free_ char *md = sha256_of(m, strlen(m));
	struct ud_platform host;
	ud_platform_host(&host);
	const char *other_arch = strcmp(host.arch, "s390x") == 0 ? "ppc64le" : "s390x";
	_cleanup_free_ char *missing = sha256_of("absent", 6);
	_cleanup_free_ char *idx = xasprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
		"\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"digest\":\"%s\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"%"
		"s\"}},"
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\","
		"\"size\":%zu,\"platform\":{\"os\":\"linux\",\"architecture\":\"%s\"}},"
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\","
		"\"size\":1,\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"},"
		"\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}}]}",
		missing, other_arch, md, strlen(m), host.arch, missing);
	ud_platform_release(&host);
	_cleanup_free_ char *xd = sha256_of(idx, strlen(idx));
	_cleanup_free_ char *top = xasprintf(
		"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
		"vnd.oci.image.index.v1+json\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":{"
		"\"io.containerd.image.name\":\"docker.io/library/busybox:1.36\","
		"\"org.opencontainers.image.ref.name\":\"1.36\"}}]}",
		xd, strlen(idx));
	_cleanup_free_ char *bl = xasprintf("blobs/sha256/%s", ld + 7);
	_cleanup_free_ char *bc = xasprintf("blobs/sha256/%s", cd + 7);
	_cleanup_free_ char *bm = xasprintf("blobs/sha256/%s", md + 7);
	_cleanup_free_ char *bx = xasprintf("blobs/sha256/%s", xd + 7);
	struct member am[] = {{'f', xstrdup("oci-layout"),
			       xstrdup("{\"imageLayoutVersion\":\"1.0.0\"}"), NULL, 0},
			      {'f', xstrdup("index.json"), xstrdup(top), NULL, 0},
			      file_member(bl, layer),
			      {'f', xstrdup(bc), xstrdup(config_amd64), NULL, 0},
			      {'f', xstrdup(bm), xstrdup(m), NULL, 0},
			      {'f', xstrdup(bx), xstrdup(idx), NULL, 0}};
	_cleanup_free_ char *arch = path_in("oci.tar");
	write_tar(arch, am, 6, false);

	struct ud_error *err = NULL;
	char **skipped = NULL;
	char **loaded = load_file(st, arch, NULL, &skipped, &err);
	ck_assert_msg(loaded != NULL, "%s", err ? err->msg : "");
	ck_assert_uint_eq(ud_strv_len(loaded), 1);
	/* As docker load names it: Docker Hub's implicit parts left out. */
	ck_assert_str_eq(loaded[0], "busybox:1.36");
	ud_strv_free(loaded);
	ud_strv_free(skipped);
	struct ud_image *img = ud_store_image_open(st, "busybox", "1.36", &err);
	ck_assert_ptr_nonnull(img);
	ck_assert_str_eq(img->manifest, m); /* byte for byte */
	ck_assert_str_eq(img->layer_ids[0], ld);
	ud_store_image_free(img);
	ck_assert_int_eq(ud_store_image_verify(st, "busybox", "1.36", NULL, NULL, &err), 0);

	/* Docker >= 25: manifest.json's RepoTags name it as docker load does. */
	_cleanup_free_ char *mj =
		xasprintf("[{\"Config\":\"blobs/sha256/%s\",\"RepoTags\":[\"busybox:d25\"],"
			  "\"Layers\":[\"blobs/sha256/%s\"]}]",
			  cd + 7, ld + 7);
	struct member d25[7];
	memcpy(d25, am, sizeof(am));
	d25[6] = (struct member){'f', "manifest.json", mj, NULL, 0};
	_cleanup_free_ char *arch25 = path_in("docker25.tar");
	write_tar(arch25, d25, 7, false);
	loaded = load_file(st, arch25, NULL, &skipped, &err);
	ck_assert_msg(loaded != NULL, "%s", err ? err->msg : "");
	ck_assert_uint_eq(ud_strv_len(loaded), 1);
	ck_assert_str_eq(loaded[0], "busybox:d25");
	ud_strv_free(loaded);
	ud_strv_free(skipped);

	/* Only a tag in ref.name: a random repository unless named. */
	free((char *)am[1].data);
	am[1].data = xasprintf(
		"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
		"vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":{"
		"\"org.opencontainers.image.ref.name\":\"3.1\"}}]}",
		md, strlen(m));
	_cleanup_free_ char *arch2 = path_in("oci2.tar");
	write_tar(arch2, am, 6, false);
	loaded = load_file(st, arch2, NULL, &skipped, &err);
	ck_assert_ptr_nonnull(loaded);
	ck_assert_uint_eq(ud_strv_len(loaded), 1);
	ck_assert_uint_eq(strlen(loaded[0]), 16 + 4);
	ck_assert(ud_str_has_suffix(loaded[0], ":3.1"));
	ud_strv_free(loaded);
	ud_strv_free(skipped);
	loaded = load_file(st, arch2, "tools/entry", &skipped, &err);
	ck_assert_ptr_nonnull(loaded);
	ck_assert_str_eq(loaded[0], "tools/entry:3.1");
	ud_strv_free(loaded);
	ud_strv_free(skipped);

	/* A blob whose content is not its digest. */
	free((char *)am[3].data);
	am[3].data = xstrdup("{\"tampered\":true}");
	_cleanup_free_ char *arch3 = path_in("oci3.tar");
	write_tar(arch3, am, 6, false);
	loaded = load_file(st, arch3, "x", &skipped, &err);
	ck_assert_ptr_null(loaded);
	ck_assert_int_eq(err->code, UD_ERR_DIGEST);
	ud_error_clear(&err);
	free_members(am, 6);
	_cleanup_free_ char *pdir = path_in("layers/.partial");
	ck_assert(dir_empty(pdir));
}
END_TEST

START_TEST(load_refuses_hostile_archives)
{
	_cleanup_free_ char *canary = path_in("outside");
	_cleanup_free_ char *secret = path_in("secret");
	write_file(secret, "do not read", 11);
	struct {
		struct member m[3];
		size_t n;
	} cases[] = {
		{{{'f', "../../../../outside", "x", NULL, 0}}, 1},
		{{{'f', "/tmp/udocker-check-store-abs", "x", NULL, 0}}, 1},
		{{{'l', "ln", NULL, dir, 0}, {'f', "ln/outside", "x", NULL, 0}}, 2},
		{{{'l', "ln", NULL, "../../../..", 0}, {'f', "ln/outside", "x", NULL, 0}}, 2},
		{{{'h', "hl", NULL, "../../../../secret", 0}}, 1},
		/* A manifest naming a symlink to a file outside. */
		{{{'l', "cfg.json", NULL, secret, 0},
		  {'f', "manifest.json", "[{\"Config\":\"cfg.json\",\"Layers\":[]}]", NULL, 0}},
		 2},
		{{{'f', "manifest.json", "[{\"Config\":\"../../../../secret\",\"Layers\":[]}]",
		   NULL, 0}},
		 1},
	};
	for (size_t i = 0; i < UD_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *arch = path_in("evil%zu.tar", i);
		write_tar(arch, cases[i].m, cases[i].n, false);
		struct ud_error *err = NULL;
		char **skipped = NULL;
		char **loaded = load_file(st, arch, NULL, &skipped, &err);
		ck_assert_msg(loaded == NULL, "case %zu loaded", i);
		ck_assert_ptr_nonnull(err);
		ud_error_clear(&err);
		ck_assert_msg(!ud_path_exists(canary), "case %zu wrote outside", i);
		ck_assert(!ud_path_exists("/tmp/udocker-check-store-abs"));
		_cleanup_free_ char *pdir = path_in("layers/.partial");
		ck_assert_msg(dir_empty(pdir), "case %zu left files", i);
	}
	/* Not an archive; no image in it. */
	_cleanup_free_ char *junk = path_in("junk.tar");
	write_file(junk, "not a tarball", 13);
	struct ud_error *err = NULL;
	char **skipped = NULL;
	ck_assert_ptr_null(load_file(st, junk, NULL, &skipped, &err));
	ud_error_clear(&err);
	struct member none[] = {{'f', "readme", "hi", NULL, 0}};
	write_tar(junk, none, 1, false);
	ck_assert_ptr_null(load_file(st, junk, NULL, &skipped, &err));
	ck_assert_ptr_nonnull(strstr(err->msg, "not an image archive"));
	ud_error_clear(&err);
	/* Names from the archive that would leave repos/. */
	struct member badname[] = {
		{'f', "c.json", "{}", NULL, 0},
		{'f', "manifest.json",
		 "[{\"Config\":\"c.json\",\"RepoTags\":[\"../../x:1\"],\"Layers\":[]}]", NULL, 0}};
	write_tar(junk, badname, 2, false);
	ck_assert_ptr_null(load_file(st, junk, NULL, &skipped, &err));
	ck_assert_ptr_nonnull(strstr(err->msg, "invalid image name"));
	ud_error_clear(&err);
	_cleanup_free_ char *x = path_in("x");
	ck_assert(!ud_path_exists(x));
}
END_TEST

START_TEST(import_rootfs)
{
	struct member fs[] = {{'d', "bin", NULL, NULL, 0}, {'f', "bin/sh", "#!", NULL, 0}};
	_cleanup_free_ char *tarball = path_in("rootfs.tar");
	write_tar(tarball, fs, 2, false);
	_cleanup_free_ char *digest = sha256_of_file(tarball);
	int64_t size = file_size(tarball);
	struct ud_error *err = NULL;
	_cleanup_free_ char *id =
		ud_store_import(st, tarball, -1, "imp/fs", "1", "linux/arm/v7", false, &err);
	ck_assert_msg(id != NULL, "%s", err ? err->msg : "");
	ck_assert_uint_eq(strlen(id), 64);
	ck_assert_uint_eq(strspn(id, "0123456789abcdef"), 64);
	ck_assert(ud_path_exists(tarball)); /* copied */

	/* The 1.3.16 v1 layout. */
	_cleanup_free_ char *d = tag_dir("imp/fs", "1");
	_cleanup_free_ char *anc = ud_path_join(d, "ancestry");
	_cleanup_free_ char *at = read_text(anc);
	_cleanup_free_ char *wat = xasprintf("[\"%s\"]", id);
	ck_assert_str_eq(at, wat);
	_cleanup_free_ char *v1 = ud_path_join(d, "v1");
	ck_assert_int_eq(file_size(v1), 0);
	_cleanup_free_ char *ln = xasprintf("%s.layer", id), *jn = xasprintf("%s.json", id);
	_cleanup_free_ char *ll = ud_path_join(d, ln), *jl = ud_path_join(d, jn);
	_cleanup_free_ char *lt = read_link(ll), *jt = read_link(jl);
	_cleanup_free_ char *wlt = link_target_1316("imp/fs", ln);
	_cleanup_free_ char *wjt = link_target_1316("imp/fs", jn);
	ck_assert_str_eq(lt, wlt);
	ck_assert_str_eq(jt, wjt);
	_cleanup_free_ char *stored = path_in("layers/%s", ln);
	_cleanup_free_ char *sd = sha256_of_file(stored);
	ck_assert_str_eq(sd, digest);
	_cleanup_free_ char *tagf = ud_path_join(d, "TAG");
	_cleanup_free_ char *tt = read_text(tagf);
	_cleanup_free_ char *wtt = xasprintf("%s/repos/imp/fs:1", dir);
	ck_assert_str_eq(tt, wtt);

	/* The metadata. */
	struct ud_image *img = ud_store_image_open(st, "imp/fs", "1", &err);
	ck_assert_ptr_nonnull(img);
	json_t *meta = ud_store_image_config_json(img, &err);
	ck_assert_ptr_nonnull(meta);
	ck_assert_str_eq(json_string_value(json_object_get(meta, "id")), id);
	ck_assert_str_eq(json_string_value(json_object_get(meta, "comment")), "created by udocker");
	ck_assert_str_eq(json_string_value(json_object_get(meta, "architecture")), "arm");
	ck_assert_str_eq(json_string_value(json_object_get(meta, "variant")), "v7");
	ck_assert_str_eq(json_string_value(json_object_get(meta, "os")), "linux");
	ck_assert_int_eq(json_integer_value(json_object_get(meta, "size")), size);
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(json_object_get(meta, "rootfs"), "diff_ids"), 0)),
			 digest);
	const char *created = json_string_value(json_object_get(meta, "created"));
	ck_assert(ud_str_has_suffix(created, ".000000000Z"));
	ck_assert(json_is_object(json_object_get(meta, "config")));
	ck_assert(json_equal(json_object_get(meta, "config"),
			     json_object_get(meta, "container_config")));
	ck_assert(json_is_null(json_object_get(json_object_get(meta, "config"), "Cmd")));
	json_decref(meta);
	ud_store_image_free(img);
	ck_assert_int_eq(ud_store_image_verify(st, "imp/fs", "1", NULL, NULL, &err), 0);

	/* The tag exists. */
	ck_assert_ptr_null(ud_store_import(st, tarball, -1, "imp/fs", "1", NULL, false, &err));
	ck_assert_int_eq(err->code, UD_ERR_EXISTS);
	ud_error_clear(&err);

	/* --mv: renamed; from a descriptor; not a tar: the tarball is put back. */
	_cleanup_free_ char *id2 =
		ud_store_import(st, tarball, -1, "imp/fs", "2", NULL, true, &err);
	ck_assert_ptr_nonnull(id2);
	ck_assert(!ud_path_exists(tarball));
	_cleanup_free_ char *l2 = path_in("layers/%s.layer", id2);
	int fd = open_read(l2);
	_cleanup_free_ char *id3 = ud_store_import(st, "-", fd, "imp/fs", "3", NULL, false, &err);
	close(fd);
	ck_assert_ptr_nonnull(id3);
	img = ud_store_image_open(st, "imp/fs", "3", &err);
	_cleanup_free_ char *plat = ud_store_image_platform(img);
	_cleanup_free_ char *want = xasprintf("linux/%s", ud_host_arch());
	ck_assert(ud_str_has_prefix(plat, want));
	ud_store_image_free(img);
	_cleanup_free_ char *junk = path_in("junk.tar");
	write_file(junk, "not a tarball", 13);
	ck_assert_ptr_null(ud_store_import(st, junk, -1, "imp/junk", "1", NULL, true, &err));
	ck_assert_ptr_nonnull(strstr(err->msg, "not a tar archive"));
	ud_error_clear(&err);
	ck_assert_int_eq(file_size(junk), 13);
	ck_assert(!ud_store_tag_exists(st, "imp/junk", "1"));
	_cleanup_free_ char *jdir = path_in("repos/imp/junk");
	ck_assert(!ud_path_exists(jdir));
	_cleanup_free_ char *pdir = path_in("layers/.partial");
	ck_assert(dir_empty(pdir));
	ck_assert_ptr_null(ud_store_import(st, junk, -1, "imp/x", "1", "linux//", false, &err));
	ud_error_clear(&err);
}
END_TEST

/* ------------------------------------------- extraction's directory cache */

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	for (struct dirent *de; (de = readdir(d)) != NULL;)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Applies the layers of members (n[i] members each) in order to dir/root;
 * returns the last result, stats summed; no fd may stay open. */
static int extract_layers(const struct member *m, const size_t *n, size_t layers,
			  struct ud_extract_stats *stats)
{
	_cleanup_free_ char *root = path_in("root");
	ck_assert_int_eq(ud_mkdir_p(root, 0755, NULL), 0);
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
	int fds = count_fds();
	int64_t total = 0;
	int r = 0;
	for (size_t i = 0; i < layers && r == 0; m += n[i], i++) {
		_cleanup_free_ char *tar = path_in("layer-%zu.tar", i);
		write_tar(tar, m, n[i], false);
		struct ud_error *err = NULL;
		r = ud_store_extract_layer(rootfd, tar, 0, &total, stats, &err);
		ck_assert_msg(r == 0, "%s", err ? err->msg : "");
	}
	ck_assert_int_eq(count_fds(), fds);
	close(rootfd);
	return r;
}

/* Applies one layer of n members; returns its stats. */
static struct ud_extract_stats extract_one(const struct member *m, size_t n)
{
	struct ud_extract_stats stats = {0};
	ck_assert_int_eq(extract_layers(m, &n, 1, &stats), 0);
	return stats;
}

static bool is_file(const char *rel)
{
	_cleanup_free_ char *p = path_in("root/%s", rel);
	struct stat sb;
	return lstat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static bool is_absent(const char *rel)
{
	_cleanup_free_ char *p = path_in("%s", rel);
	struct stat sb;
	return lstat(p, &sb) < 0 && errno == ENOENT;
}

/* A directory replaced by a symlink (out of the root, to "..") is not
 * reached through the directory fd the entry before it opened. */
START_TEST(extract_symlink_replaces_cached_dir)
{
	_cleanup_free_ char *out = path_in("outside");
	ck_assert_int_eq(mkdir(out, 0755), 0);
	struct member m[] = {
		{'d', "a/", NULL, NULL, 0},   {'f', "a/keep", "1", NULL, 0},
		{'l', "a", NULL, out, 0},     {'f', "a/x", "2", NULL, 0},
		{'d', "b/", NULL, NULL, 0},   {'d', "b/c/", NULL, NULL, 0},
		{'l', "b", NULL, "..", 0},    {'f', "b/y", "3", NULL, 0},
		{'f', "b/c/z", "4", NULL, 0},
	};
	struct ud_extract_stats stats = extract_one(m, sizeof(m) / sizeof(m[0]));
	ck_assert_int_eq(stats.skipped, 3); /* a/x, b/y, b/c/z */
	ck_assert(is_absent("outside/x"));
	ck_assert(is_absent("y"));
	ck_assert(is_absent("c"));
	ck_assert(is_absent("root/y"));
	_cleanup_free_ char *a = path_in("root/a");
	_cleanup_free_ char *t = read_link(a);
	ck_assert_str_eq(t, out);
}
END_TEST

/* a/b/c, then a whiteout of a, then a/b/d: d lands in a new a/b. */
START_TEST(extract_whiteout_of_cached_ancestor)
{
	struct member m[] = {
		{'d', "a/", NULL, NULL, 0},   {'d', "a/b/", NULL, NULL, 0},
		{'f', "a/b/c", "1", NULL, 0}, {'f', ".wh.a", NULL, NULL, 0},
		{'f', "a/b/d", "2", NULL, 0}, {'d', "e/f/", NULL, NULL, 0},
		{'f', "e/f/g", "3", NULL, 0}, {'f', "e/.wh.f", NULL, NULL, 0},
		{'f', "e/f/h", "4", NULL, 0},
	};
	struct ud_extract_stats stats = extract_one(m, sizeof(m) / sizeof(m[0]));
	ck_assert_int_eq(stats.whiteouts, 2);
	ck_assert(is_absent("root/a/b/c"));
	ck_assert(is_file("a/b/d"));
	ck_assert(is_absent("root/e/f/g"));
	ck_assert(is_file("e/f/h"));
}
END_TEST

/* A directory, then a file of the same name, then a member below it:
 * skipped, not written into the removed directory. */
START_TEST(extract_file_replaces_cached_dir)
{
	struct member m[] = {
		{'d', "a/", NULL, NULL, 0},   {'d', "a/b/", NULL, NULL, 0},
		{'f', "a/b/y", "1", NULL, 0}, {'f', "a", "file", NULL, 0},
		{'f', "a/b/x", "2", NULL, 0},
	};
	struct ud_extract_stats stats = extract_one(m, sizeof(m) / sizeof(m[0]));
	ck_assert_int_eq(stats.skipped, 1);
	ck_assert(is_file("a"));
	_cleanup_free_ char *p = path_in("root/a");
	_cleanup_free_ char *text = read_text(p);
	ck_assert_str_eq(text, "file");
}
END_TEST

/* An opaque marker removes the lower directory the member before it
 * walked through; the member after it recreates it. */
START_TEST(extract_opaque_under_cached_dir)
{
	struct member m[] = {
		{'f', "a/b/old", "1", NULL, 0},
		{'f', "a/b/x", "2", NULL, 0},
		{'f', "a/.wh..wh..opq", NULL, NULL, 0},
		{'f', "a/b/y", "3", NULL, 0},
	};
	size_t n[] = {1, 3};
	struct ud_extract_stats stats = {0};
	ck_assert_int_eq(extract_layers(m, n, 2, &stats), 0);
	ck_assert_int_eq(stats.whiteouts, 1);
	ck_assert(is_absent("root/a/b/old"));
	ck_assert(is_file("a/b/y"));
}
END_TEST

/* Paths deeper than the cache holds: walked, whiteouts applied, no fd
 * kept. */
START_TEST(extract_deeper_than_cache)
{
	enum { DEPTH = 80 };
	struct member m[2 * DEPTH + 3];
	char *names[2 * DEPTH + 3];
	struct ud_buf b = {0};
	size_t n = 0;
	for (int i = 0; i < DEPTH; i++) {
		ud_buf_printf(&b, "d%d/", i);
		names[n] = xstrdup(b.data);
		m[n++] = (struct member){'d', names[n - 1], NULL, NULL, 0};
		names[n] = xasprintf("%sf", b.data);
		m[n++] = (struct member){'f', names[n - 1], "x", NULL, 0};
	}
	_cleanup_free_ char *wh = xstrdup(b.data);
	strcpy(strstr(wh, "d70/"), ".wh.d70"); /* removes d70 and below */
	names[n] = wh;
	m[n++] = (struct member){'f', wh, NULL, NULL, 0};
	names[n] = xasprintf("%sg", b.data);
	m[n++] = (struct member){'f', names[n - 1], "y", NULL, 0};
	struct ud_extract_stats stats = extract_one(m, n);
	ck_assert_int_eq(stats.files, DEPTH + 1);
	ck_assert_int_eq(stats.whiteouts, 1);
	_cleanup_free_ char *f69 = xstrdup(b.data), *f79 = xasprintf("%sf", b.data);
	*strstr(f69, "d70/") = '\0';
	_cleanup_free_ char *f69f = xasprintf("%sf", f69);
	_cleanup_free_ char *g = xasprintf("%sg", b.data);
	ck_assert(is_file(f69f));
	ck_assert(is_file(g));	  /* its directories made again */
	ck_assert(!is_file(f79)); /* gone with d70 */
	for (size_t i = 0; i < n; i++)
		if (names[i] != wh)
			free(names[i]);
	free(b.data);
}
END_TEST

/* The execmode file becomes the enum when the container is loaded: N1
 * without one, UD_EXECMODE_COUNT for a name that is no mode. */
START_TEST(container_execmode)
{
	_cleanup_free_ char *root = path_in("containers/c-mode/ROOT");
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_mkdir_p(root, 0700, &err), 0);
	struct ud_container *c = ud_store_container_get(st, "c-mode", &err);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->execmode, UD_EXECMODE_N1);
	ud_store_container_free(c);
	ck_assert_int_eq(ud_store_container_set_execmode(st, "c-mode", UD_EXECMODE_F3, false, &err),
			 0);
	_cleanup_free_ char *file = path_in("containers/c-mode/execmode");
	_cleanup_free_ char *text = read_text(file);
	ck_assert_str_eq(text, "F3");
	c = ud_store_container_get(st, "c-mode", &err);
	ck_assert_int_eq(c->execmode, UD_EXECMODE_F3);
	ud_store_container_free(c);
	write_file(file, "P2\n", 3); /* as a hand edit leaves it */
	c = ud_store_container_get(st, "c-mode", &err);
	ck_assert_int_eq(c->execmode, UD_EXECMODE_P2);
	ud_store_container_free(c);
	write_file(file, "f3", 2); /* any case, as the spec and setup take it */
	c = ud_store_container_get(st, "c-mode", &err);
	ck_assert_int_eq(c->execmode, UD_EXECMODE_F3);
	ud_store_container_free(c);
	write_file(file, "Z9", 2);
	c = ud_store_container_get(st, "c-mode", &err);
	ck_assert_int_eq(c->execmode, UD_EXECMODE_COUNT);
	ud_store_container_free(c);
}
END_TEST

/* An automatic choice stays readable by udocker 1.3.16: N1 (which it does
 * not know) only in execmode.auto; an explicit setting replaces it. */
START_TEST(container_execmode_auto)
{
	_cleanup_free_ char *root = path_in("containers/c-auto/ROOT");
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_mkdir_p(root, 0700, &err), 0);
	_cleanup_free_ char *file = path_in("containers/c-auto/execmode");
	_cleanup_free_ char *autof = path_in("containers/c-auto/execmode.auto");
	ck_assert_int_eq(ud_store_container_set_execmode(st, "c-auto", UD_EXECMODE_F3, false, &err),
			 0);
	ck_assert_int_eq(ud_store_container_set_execmode(st, "c-auto", UD_EXECMODE_N1, true, &err),
			 0);
	ck_assert_int_eq(access(file, F_OK), -1);
	_cleanup_free_ char *a = read_text(autof);
	ck_assert_str_eq(a, "N1");
	struct ud_container *c = ud_store_container_get(st, "c-auto", &err);
	ck_assert_int_eq(c->execmode, UD_EXECMODE_N1);
	ud_store_container_free(c);
	ck_assert_int_eq(ud_store_container_set_execmode(st, "c-auto", UD_EXECMODE_P1, true, &err),
			 0);
	_cleanup_free_ char *p1 = read_text(file);
	ck_assert_str_eq(p1, "P1");
	ck_assert_int_eq(ud_store_container_set_execmode(st, "c-auto", UD_EXECMODE_P2, false, &err),
			 0);
	ck_assert_int_eq(access(autof, F_OK), -1);
	c = ud_store_container_get(st, "c-auto", &err);
	ck_assert_int_eq(c->execmode, UD_EXECMODE_P2);
	ud_store_container_free(c);
}
END_TEST

/* ---------------------------------------------------------- image files */

/* A v2 image name:1 of the layers of members (n[i] each), uncompressed. */
static void squash_image(const char *name, const struct member *m, const size_t *n, size_t layers)
{
	char *digests[8] = {0};
	int64_t sizes[8];
	ck_assert_uint_lt(layers, 8);
	for (size_t i = 0; i < layers; m += n[i], i++) {
		_cleanup_free_ char *tar = path_in("src-%s-%zu.tar", name, i);
		_cleanup_free_ char *srcdir = path_in("src");
		ud_mkdir_p(srcdir, 0755, NULL);
		write_tar(tar, m, n[i], false);
		digests[i] = hand_blob(tar);
		sizes[i] = file_size(tar);
	}
	_cleanup_free_ char *cfg = hand_blob_text(config_amd64);
	_cleanup_free_ char *man =
		manifest_text(cfg, (int64_t)strlen(config_amd64), digests, sizes);
	_cleanup_free_ char *d = tag_dir(name, "1");
	ck_assert_int_eq(ud_mkdir_p(d, 0755, NULL), 0);
	hand_file(name, "1", "v2", "");
	hand_file(name, "1", "manifest", man);
	for (size_t i = 0; i < layers; i++) {
		hand_link(name, "1", digests[i], digests[i]);
		free(digests[i]);
	}
	hand_link(name, "1", cfg, cfg);
	hand_tagfile(name, "1");
}

/* The file path of the image-backed container over image (upper: its
 * upper directory or NULL), or NULL with *code. */
static char *squash_read(const char *image, const char *upper, const char *path, int *code)
{
	struct ud_container c = {.id = "c",
				 .rootfs = UD_ROOTFS_SQUASH,
				 .image_file = (char *)image,
				 .upper = (char *)upper};
	struct ud_error *err = NULL;
	size_t len = 0;
	char *text = ud_store_container_read_file(&c, path, 1 << 20, &len, &err);
	*code = err ? (int)err->code : 0;
	ud_error_free(err);
	return text;
}

static void squash_expect(const char *image, const char *upper, const char *path, const char *want)
{
	int code;
	_cleanup_free_ char *got = squash_read(image, upper, path, &code);
	if (want == NULL)
		ck_assert_msg(got == NULL && code == UD_ERR_NOT_FOUND, "%s: '%s' (code %d)", path,
			      got ? got : "(null)", code);
	else
		ck_assert_msg(got && strcmp(got, want) == 0, "%s: '%s', not '%s' (code %d)", path,
			      got ? got : "(null)", want, code);
}

static void count_progress(int64_t done, int64_t total, void *data)
{
	ck_assert_int_le(done, total);
	(*(int *)data)++;
}

START_TEST(squash_build_applies_layers)
{
	const struct member m[] = {
		/* layer 1 */
		{'d', "etc", NULL, NULL, 0},
		{'f', "etc/passwd", "root:x:0:0::/root:/bin/sh\n", NULL, 0},
		{'f', "keep", "layer1\n", NULL, 0},
		{'f', "gone", "gone\n", NULL, 0},
		{'d', "opq", NULL, NULL, 0},
		{'f', "opq/old", "old\n", NULL, 0},
		{'f', "x", "file\n", NULL, 0},
		{'l', "esc", NULL, "../../../../etc/passwd", 0},
		{'l', "abs", NULL, "/etc/passwd", 0},
		{'l', "loop", NULL, "loop", 0},
		/* layer 2 */
		{'h', "hl", NULL, "gone", 0},
		{'f', ".wh.gone", "", NULL, 0},
		{'h', "hl2", NULL, "gone", 0},
		{'f', "opq/new", "new\n", NULL, 0},
		{'f', "opq/.wh..wh..opq", "", NULL, 0},
		{'d', "x", NULL, NULL, 0},
		{'f', "x/in", "in\n", NULL, 0},
		{'f', "esc/through", "no\n", NULL, 0},
		/* layer 3 */
		{'l', "x", NULL, "keep", 0},
		{'f', "x/again", "no\n", NULL, 0},
		{'f', "./a//b/../c", "dotdot\n", NULL, 0},
		{'f', "/a//d", "slashes\n", NULL, 0},
	};
	const size_t n[] = {10, 8, 4};
	squash_image("sq", m, n, 3);
	int calls = 0;
	char *image = NULL;
	struct ud_error *err = NULL;
	ck_assert_msg(ud_store_squash_build(st, "sq", "1", count_progress, &calls, &image, &err) ==
			      0,
		      "%s", err ? err->msg : "");
	ck_assert_int_gt(calls, 0);
	_cleanup_free_ char *partial = path_in("squash/.partial");
	ck_assert(dir_empty(partial));
	squash_expect(image, NULL, "/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	squash_expect(image, NULL, "/keep", "layer1\n");
	squash_expect(image, NULL, "/gone", NULL);
	squash_expect(image, NULL, "/hl", "gone\n"); /* linked before the whiteout */
	squash_expect(image, NULL, "/hl2", NULL);    /* after it: nothing to link */
	squash_expect(image, NULL, "/opq/old", NULL);
	squash_expect(image, NULL, "/opq/new", "new\n");
	squash_expect(image, NULL, "/x", "layer1\n"); /* file, dir, then a symlink */
	squash_expect(image, NULL, "/x/in", NULL);
	squash_expect(image, NULL, "/esc", "root:x:0:0::/root:/bin/sh\n"); /* stays inside */
	squash_expect(image, NULL, "/abs", "root:x:0:0::/root:/bin/sh\n");
	squash_expect(image, NULL, "/etc/through", NULL);
	squash_expect(image, NULL, "/a/c", NULL); /* ".." skipped */
	squash_expect(image, NULL, "/a/d", "slashes\n");
	int code;
	ck_assert_ptr_null(squash_read(image, NULL, "/loop", &code));
	ck_assert_int_ne(code, UD_ERR_NOT_FOUND);
	ck_assert_ptr_null(squash_read(image, NULL, "/etc", &code));
	ck_assert_int_eq(code, UD_ERR_INVALID);

	/* The upper directory over it: its files first; a .wh. file, a
	 * character device 0:0 or an opaque directory hide the image's. */
	_cleanup_free_ char *upper = path_in("upper");
	_cleanup_free_ char *uetc = path_in("upper/etc");
	_cleanup_free_ char *uopq = path_in("upper/opq");
	ck_assert_int_eq(ud_mkdir_p(uetc, 0755, NULL), 0);
	ck_assert_int_eq(ud_mkdir_p(uopq, 0755, NULL), 0);
	_cleanup_free_ char *upw = path_in("upper/etc/passwd");
	write_file(upw, "user:x:1000:1000::/home/user:/bin/sh\n", 37);
	_cleanup_free_ char *uwh = path_in("upper/.wh.keep");
	write_file(uwh, "", 0);
	squash_expect(image, upper, "/abs", "user:x:1000:1000::/home/user:/bin/sh\n");
	squash_expect(image, upper, "/keep", NULL);
	squash_expect(image, upper, "/opq/new", "new\n");
	ck_assert_int_eq(setxattr(uopq, "user.overlay.opaque", "y", 1, 0), 0);
	squash_expect(image, upper, "/opq/new", NULL);
	if (geteuid() == 0) {
		_cleanup_free_ char *dev = path_in("upper/abs");
		ck_assert_int_eq(mknod(dev, S_IFCHR | 0600, makedev(0, 0)), 0);
		squash_expect(image, upper, "/abs", NULL);
	}

	/* Built once: the second call reuses the file without progress. */
	calls = 0;
	char *again = NULL;
	ck_assert_int_eq(ud_store_squash_build(st, "sq", "1", count_progress, &calls, &again, &err),
			 0);
	ck_assert_str_eq(again, image);
	ck_assert_int_eq(calls, 0);
	free(again);
	free(image);
}
END_TEST

START_TEST(squash_build_refuses_bad_layers)
{
	const struct member m[] = {
		{'d', "etc", NULL, NULL, 0},
		{'f', "etc/.wh..", "", NULL, 0},
	};
	const size_t n[] = {2};
	squash_image("bad", m, n, 1);
	char *image = NULL;
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_store_squash_build(st, "bad", "1", NULL, NULL, &image, &err), -1);
	ck_assert_ptr_nonnull(strstr(err->msg, "member 'etc/.wh..': whiteout of '.' refused"));
	ud_error_free(err);
	err = NULL;
	_cleanup_free_ char *partial = path_in("squash/.partial");
	ck_assert(dir_empty(partial));
	/* The cap, over all layers, data of files later removed included. */
	char big[4096];
	memset(big, 'z', sizeof(big));
	const struct member m2[] = {
		{'f', "a", big, NULL, sizeof(big)},
		{'f', ".wh.a", "", NULL, 0},
		{'f', "b", big, NULL, sizeof(big)},
	};
	const size_t n2[] = {1, 2};
	squash_image("cap", m2, n2, 2);
	st->max_layer_size = 8192;
	ck_assert_int_eq(ud_store_squash_build(st, "cap", "1", NULL, NULL, &image, &err), -1);
	ck_assert_ptr_nonnull(strstr(err->msg, "with the layers before it exceeds the limit of "
					       "8192 bytes"));
	ud_error_free(err);
	st->max_layer_size = 0;
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, mkrepo_and_open);
	tcase_add_test(tc, read_v2_layout_of_1316);
	tcase_add_test(tc, read_v1_layout_of_1316);
	tcase_add_test(tc, read_schema1_layout);
	tcase_add_test(tc, verify_detects_damage);
	tcase_add_test(tc, tag_write_matches_1316);
	tcase_add_test(tc, list_is_fast);
	tcase_add_test(tc, rmi_keeps_shared_layers);
	tcase_add_test(tc, tag_and_protect);
	tcase_add_test(tc, concurrent_blob_writers);
	tcase_add_test(tc, blob_partials);
	tcase_add_test(tc, stale_partials_cleaned);
	tcase_add_test(tc, save_load_round_trip);
	tcase_add_test(tc, load_docker_legacy);
	tcase_add_test(tc, load_oci_archive);
	tcase_add_test(tc, load_refuses_hostile_archives);
	tcase_add_test(tc, import_rootfs);
	tcase_add_test(tc, container_execmode);
	tcase_add_test(tc, container_execmode_auto);
	tcase_add_test(tc, extract_symlink_replaces_cached_dir);
	tcase_add_test(tc, squash_build_applies_layers);
	tcase_add_test(tc, squash_build_refuses_bad_layers);
	tcase_add_test(tc, extract_whiteout_of_cached_ancestor);
	tcase_add_test(tc, extract_file_replaces_cached_dir);
	tcase_add_test(tc, extract_opaque_under_cached_dir);
	tcase_add_test(tc, extract_deeper_than_cache);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
