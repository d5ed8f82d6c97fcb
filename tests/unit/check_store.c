#include "store/store.h"

#include <check.h>
#include <string.h>
#include <sys/wait.h>

static char dir[64];
static struct ud_store *st;

static void setup(void)
{
	strcpy(dir, "/tmp/check_store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct ud_store_paths p = {.top = dir, .tmp = "/tmp"};
	st = ud_store_open(&p, true, NULL);
	ck_assert_ptr_nonnull(st);
}

static void teardown(void)
{
	ud_store_free(st);
	ud_rmtree(dir, NULL);
}

/* Stores data as a blob through the writer API; returns its digest. */
static char *put_blob(const char *data)
{
	char hex[65];
	ud_sha256_hex(data, strlen(data), hex);
	char *digest = xasprintf("sha256:%s", hex);
	struct ud_blob_writer w;
	bool present = false;
	struct ud_error *err = NULL;
	ck_assert_int_eq(
		ud_store_blob_begin(st, digest, (int64_t)strlen(data), 1000, &w, &present, &err),
		0);
	if (!present) {
		ck_assert_int_eq(ud_write_all(w.fd, data, strlen(data)), 0);
		ck_assert_int_eq(ud_store_blob_commit(st, &w, &err), 0);
	}
	return digest;
}

static const char *config_json = "{\"architecture\":\"arm64\",\"os\":\"linux\",\"config\":{\"Cmd\":"
				 "[\"/bin/sh\"]},\"x\":\"pad\"}";

static char *manifest_for(char *cfg, char *l1, char *l2)
{
	return xasprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"config\":{\"digest\":\"%s\",\"size\":%d},\"layers\":[{\"digest\":\"%s\","
		"\"size\":2},{\"digest\":\"%s\",\"size\":2}]}",
		cfg, (int)strlen(config_json), l1, l2);
}

START_TEST(tag_layout_and_verify)
{
	char *cfg = put_blob(config_json), *l1 = put_blob("l1"), *l2 = put_blob("l2");
	_cleanup_free_ char *m = manifest_for(cfg, l1, l2);
	char *blobs[] = {l1, l2, cfg, NULL};
	struct ud_error *err = NULL;
	ck_assert_int_eq(
		ud_store_tag_write(st, "127.0.0.1:5000/a/b", "v1", m, strlen(m), blobs, &err), 0);
	/* What 1.3.16 writes: TAG, v2, manifest, relative links. */
	_cleanup_free_ char *tagdir = ud_store_tag_dir(st, "127.0.0.1:5000/a/b", "v1");
	_cleanup_free_ char *tagf = ud_path_join(tagdir, "TAG");
	_cleanup_free_ char *tagtext = ud_read_file(tagf, NULL, NULL);
	_cleanup_free_ char *want = xasprintf("%s/repos/127.0.0.1:5000/a/b:v1", dir);
	ck_assert_str_eq(tagtext, want);
	_cleanup_free_ char *link = ud_path_join(tagdir, l1);
	char target[512];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = '\0';
	_cleanup_free_ char *wantlink = xasprintf("../../../../../layers/%s", l1);
	ck_assert_str_eq(target, wantlink);

	struct ud_image *img = ud_store_image_open(st, "127.0.0.1:5000/a/b", "v1", &err);
	ck_assert_ptr_nonnull(img);
	ck_assert_str_eq(img->layer_ids[0], l1);
	ck_assert_str_eq(img->config, config_json);
	ud_store_image_free(img);
	int nb, nm;
	ck_assert_int_eq(ud_store_image_blobs_state(st, "127.0.0.1:5000/a/b", "v1", &nb, &nm, &err),
			 0);
	ck_assert_int_eq(nb, 3);
	ck_assert_int_eq(nm, 0);
	ck_assert_int_eq(ud_store_image_verify(st, "127.0.0.1:5000/a/b", "v1", NULL, NULL, &err),
			 0);

	/* Corrupt a layer: verify names it. */
	_cleanup_free_ char *bp = ud_store_blob_path(st, l2);
	ck_assert_int_eq(ud_write_file_atomic(bp, "XX", 2, 0644, &err), 0);
	ck_assert_int_eq(ud_store_image_verify(st, "127.0.0.1:5000/a/b", "v1", NULL, NULL, &err),
			 -1);
	ck_assert_ptr_nonnull(strstr(err->msg, l2));
	ud_error_clear(&err);
	free(cfg);
	free(l1);
	free(l2);
}
END_TEST

START_TEST(list_tag_rmi)
{
	char *cfg = put_blob(config_json), *l1 = put_blob("l1"), *l2 = put_blob("l2");
	_cleanup_free_ char *m = manifest_for(cfg, l1, l2);
	char *blobs[] = {l1, l2, cfg, NULL};
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_store_tag_write(st, "x/y", "1", m, strlen(m), blobs, &err), 0);
	ck_assert_int_eq(ud_store_image_tag(st, "x/y", "1", "z", "2", &err), 0);
	ck_assert_int_eq(ud_store_image_tag(st, "x/y", "1", "z", "2", &err), -1);
	ud_error_clear(&err);
	struct ud_image_entry *e;
	size_t n;
	ck_assert_int_eq(ud_store_list(st, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(e[0].name, "x/y");
	ck_assert_str_eq(e[1].name, "z");
	ud_store_list_free(e, n);
	ck_assert_int_eq(ud_store_image_protect(st, "z", "2", true, &err), 0);
	ck_assert_int_eq(ud_store_image_remove(st, "z", "2", false, &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_PROTECTED);
	ud_error_clear(&err);
	ck_assert_int_eq(ud_store_image_protect(st, "z", "2", false, &err), 0);
	ck_assert_int_eq(ud_store_image_remove(st, "x/y", "1", false, &err), 0);
	ck_assert(ud_store_blob_present(st, l1, 2)); /* still used by z:2 */
	ck_assert_int_eq(ud_store_image_verify(st, "z", "2", NULL, NULL, &err), 0);
	ck_assert_int_eq(ud_store_image_remove(st, "z", "2", false, &err), 0);
	ck_assert(!ud_store_blob_present(st, l1, -1));
	_cleanup_free_ char *xdir = ud_path_join(st->repos, "x");
	ck_assert(!ud_path_exists(xdir));
	free(cfg);
	free(l1);
	free(l2);
}
END_TEST

START_TEST(concurrent_blob_writers)
{
	const char *data = "shared blob content";
	char hex[65];
	ud_sha256_hex(data, strlen(data), hex);
	_cleanup_free_ char *digest = xasprintf("sha256:%s", hex);
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
				usleep(100000); /* hold the lock a while */
				if (ud_write_all(w.fd, data, strlen(data)) < 0 ||
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
	_cleanup_free_ char *partial = xasprintf("%s/.partial/%s", st->layers, digest);
	ck_assert(!ud_path_exists(partial));
}
END_TEST

START_TEST(mkrepo_and_open)
{
	_cleanup_free_ char *r = ud_path_join(dir, "newrepo");
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_store_mkrepo(r, &err), 0);
	ck_assert(ud_store_is_repo(r));
	ck_assert_int_eq(ud_store_mkrepo(r, &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_EXISTS);
	ud_error_clear(&err);
	_cleanup_free_ char *none = ud_path_join(dir, "none");
	struct ud_store_paths p = {.top = none};
	ck_assert_ptr_null(ud_store_open(&p, false, &err));
	ck_assert_ptr_nonnull(strstr(err->msg, "invalid udocker repository"));
	ud_error_clear(&err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, tag_layout_and_verify);
	tcase_add_test(tc, list_tag_rmi);
	tcase_add_test(tc, concurrent_blob_writers);
	tcase_add_test(tc, mkrepo_and_open);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
