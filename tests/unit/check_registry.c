#include "registry/http.h"

#include <check.h>
#include <string.h>
#include <sys/stat.h>

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void ref_ok(const char *text, const char *reg, const char *domain, const char *path,
		   const char *tag, const char *local, const char *local_tag, bool hub)
{
	struct ud_ref r;
	struct ud_error *err = NULL;
	if (ud_ref_parse(text, reg, &r, &err) < 0)
		ck_abort_msg("%s: %s", text, err->msg);
	ck_assert_str_eq(r.domain, domain);
	ck_assert_str_eq(r.path, path);
	if (tag)
		ck_assert_str_eq(r.tag, tag);
	else
		ck_assert_ptr_null(r.tag);
	ck_assert_str_eq(r.local_name, local);
	ck_assert_str_eq(r.local_tag, local_tag);
	ck_assert_int_eq(r.hub, hub);
	ud_ref_release(&r);
}

static void ref_bad(const char *text, const char *msg)
{
	struct ud_ref r;
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_ref_parse(text, NULL, &r, &err), -1);
	if (strstr(err->msg, msg) == NULL)
		ck_abort_msg("%s: expected '%s' in '%s'", text, msg, err->msg);
	ud_error_free(err);
}

START_TEST(references)
{
	ref_ok("debian", NULL, UD_DOCKER_HUB, "library/debian", "latest", "debian", "latest", true);
	ref_ok("debian:12", NULL, UD_DOCKER_HUB, "library/debian", "12", "debian", "12", true);
	ref_ok("docker.io/debian:12", NULL, UD_DOCKER_HUB, "library/debian", "12",
	       "docker.io/debian", "12", true);
	ref_ok("user/app", NULL, UD_DOCKER_HUB, "user/app", "latest", "user/app", "latest", true);
	ref_ok("127.0.0.1:5000/test/busybox:1.0", NULL, "127.0.0.1:5000", "test/busybox", "1.0",
	       "127.0.0.1:5000/test/busybox", "1.0", false);
	ref_ok("localhost/x", NULL, "localhost", "x", "latest", "localhost/x", "latest", false);
	ref_ok("quay.io/org/img", NULL, "quay.io", "org/img", "latest", "quay.io/org/img", "latest",
	       false);
	ref_ok("ubuntu@sha256:" HEX, NULL, UD_DOCKER_HUB, "library/ubuntu", NULL, "ubuntu",
	       "sha256:" HEX, true);
	ref_ok("h:5000/a/b:t@sha256:" HEX, NULL, "h:5000", "a/b", "t", "h:5000/a/b", "sha256:" HEX,
	       false);
	ref_ok("test/busybox", "http://127.0.0.1:5000", "127.0.0.1:5000", "test/busybox", "latest",
	       "test/busybox", "latest", false);
	/* udocker 1.3.16: one-component names without a host are library/ ones
	 * at --registry too (a Docker Hub mirror serves them so). */
	ref_ok("busybox", "https://reg.example", "reg.example", "library/busybox", "latest",
	       "busybox", "latest", false);
	ref_ok("127.0.0.1:5000/busybox", "https://reg.example", "127.0.0.1:5000", "busybox",
	       "latest", "127.0.0.1:5000/busybox", "latest", false);
	ref_ok("docker.io/busybox", "https://reg.example", UD_DOCKER_HUB, "library/busybox",
	       "latest", "docker.io/busybox", "latest", true);
	struct ud_ref r;
	ck_assert_int_eq(ud_ref_parse("x", "http://127.0.0.1:5000", &r, NULL), 0);
	ck_assert_str_eq(r.scheme, "http");
	_cleanup_free_ char *f = ud_ref_format(&r);
	ck_assert_str_eq(f, "127.0.0.1:5000/library/x:latest");
	ud_ref_release(&r);
	ref_bad("", "empty image reference");
	ref_bad("Debian", "must be lowercase");
	ref_bad("x@sha256:12", "bad digest");
	ref_bad("x:-t", "bad tag");
	ref_bad("a//b", "invalid image reference");
	ref_bad("a b", "invalid image reference");
	ref_bad("-x", "invalid image reference");
}
END_TEST

static void hub_ok(const char *text, const char *reg, const char *hub, const char *domain,
		   const char *scheme, const char *path, bool is_hub)
{
	struct ud_ref r;
	struct ud_error *err = NULL;
	if (ud_ref_parse_hub(text, reg, hub, &r, &err) < 0)
		ck_abort_msg("%s: %s", text, err->msg);
	const char *want[] = {domain, scheme ? scheme : "(auto)", path, is_hub ? "hub" : "-"};
	const char *got[] = {r.domain, r.scheme ? r.scheme : "(auto)", r.path, r.hub ? "hub" : "-"};
	for (size_t i = 0; i < UD_ARRAY_SIZE(want); i++)
		if (strcmp(want[i], got[i]) != 0)
			ck_abort_msg("%s: field %zu is '%s', expected '%s'", text, i, got[i],
				     want[i]);
	ud_ref_release(&r);
}

/* dockerio_registry_url: Docker Hub's names go to the mirror, others not. */
START_TEST(hub_mirror)
{
	const char *m = "http://127.0.0.1:5000";
	hub_ok("debian:12", NULL, m, "127.0.0.1:5000", "http", "library/debian", false);
	hub_ok("docker.io/bash:4.4", NULL, m, "127.0.0.1:5000", "http", "library/bash", false);
	hub_ok("index.docker.io/u/app", NULL, m, "127.0.0.1:5000", "http", "u/app", false);
	hub_ok("registry-1.docker.io/x", NULL, m, "127.0.0.1:5000", "http", "library/x", false);
	hub_ok("quay.io/org/img", NULL, m, "quay.io", NULL, "org/img", false);
	/* --registry takes names without a host; docker.io/ ones stay the mirror's. */
	hub_ok("debian", "https://reg.example", m, "reg.example", "https", "library/debian", false);
	hub_ok("docker.io/debian", "https://reg.example", m, "127.0.0.1:5000", "http",
	       "library/debian", false);
	/* The default written out is Docker Hub itself. */
	hub_ok("docker.io/debian", NULL, "https://registry-1.docker.io", UD_DOCKER_HUB, "https",
	       "library/debian", true);
	hub_ok("docker.io/debian", NULL, NULL, UD_DOCKER_HUB, NULL, "library/debian", true);
	struct ud_ref r;
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_ref_parse_hub("docker.io/x", NULL, "ftp://m", &r, &err), -1);
	ck_assert_ptr_nonnull(strstr(err->msg, "invalid registry URL 'ftp://m'"));
	ud_error_free(err);
}
END_TEST

START_TEST(challenges)
{
	ck_assert_int_eq(ud_curl_load(NULL), 0);
	struct ud_challenge ch;
	ck_assert_int_eq(ud_challenge_parse("Bearer realm=\"https://auth.example/token\", "
					    "service=\"reg\",scope=\"repository:a/b:pull,push\"",
					    &ch),
			 0);
	ck_assert_str_eq(ch.scheme, "Bearer");
	ck_assert_str_eq(ch.realm, "https://auth.example/token");
	ck_assert_str_eq(ch.service, "reg");
	ck_assert_str_eq(ch.scope, "repository:a/b:pull,push");
	ud_challenge_release(&ch);
	ck_assert_int_eq(ud_challenge_parse("Basic realm=\"Registry Realm\"", &ch), 0);
	ck_assert_str_eq(ch.scheme, "Basic");
	ck_assert_str_eq(ch.realm, "Registry Realm");
	ud_challenge_release(&ch);
	ck_assert_int_eq(ud_challenge_parse("Bearer realm=\"x\",error=\"insufficient_scope\"", &ch),
			 0);
	ck_assert_str_eq(ch.error, "insufficient_scope");
	ud_challenge_release(&ch);
	ck_assert(ud_http_is_loopback("127.0.0.1:5000"));
	ck_assert(ud_http_is_loopback("localhost"));
	ck_assert(ud_http_is_loopback("[::1]:5000"));
	ck_assert(!ud_http_is_loopback("10.0.0.1:5000"));
	ck_assert(ud_http_same_host("http://a:1/x", "http://a:1/y"));
	ck_assert(!ud_http_same_host("http://a:1/x", "http://a:2/x"));
	ck_assert(!ud_http_same_host("https://127.0.0.1/x", "https://localhost/x"));
}
END_TEST

START_TEST(origins_and_urls)
{
	ck_assert_int_eq(ud_curl_load(NULL), 0);
	struct ud_registry_options o = {0};
	struct ud_registry_client *c = ud_registry_client_new(&o, NULL);
	ck_assert_ptr_nonnull(c);
	/* Credentials: same host and port, and never from https to http. */
	ck_assert(ud_http_same_origin("https://r:5000", "https://r:5000/v2/x"));
	ck_assert(ud_http_same_origin("http://r:5000", "https://r:5000/v2/x"));
	ck_assert(!ud_http_same_origin("https://r:5000", "http://r:5000/v2/x"));
	ck_assert(!ud_http_same_origin("https://r:5000", "https://r:5001/v2/x"));
	ck_assert(!ud_http_same_origin("http://127.0.0.1:5000", "http://localhost:5000/x"));
	ck_assert(!ud_http_same_origin("file:///etc", "file:///etc/passwd"));
	ck_assert(!ud_http_same_origin(NULL, "https://r/x"));
	/* Only http and https URLs are requested; nothing else reaches libcurl. */
	const char *bad[] = {"file:///etc/passwd", "ftp://r/x", "gopher://r/", "r/x", NULL};
	for (size_t i = 0; bad[i]; i++) {
		CURL *h = curl_easy_init();
		struct curl_slist *hdrs = NULL;
		struct ud_error *err = NULL;
		ck_assert_int_eq(ud_http_setup(c, h, bad[i], true, "Basic x", bad[i], &hdrs, &err),
				 -1);
		ck_assert_ptr_nonnull(strstr(err->msg, "only http and https"));
		ck_assert_ptr_null(hdrs);
		ud_error_free(err);
		curl_easy_cleanup(h);
	}
	/* Authorization is attached for its origin only. */
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	ck_assert_int_eq(ud_http_setup(c, h, "http://other:1/x", false, "Basic x", "http://r:1",
				       &hdrs, NULL),
			 0);
	ck_assert_ptr_null(hdrs);
	ck_assert_int_eq(
		ud_http_setup(c, h, "http://r:1/x", false, "Basic x", "http://r:1", &hdrs, NULL),
		0);
	ck_assert_ptr_nonnull(hdrs);
	ck_assert_str_eq(hdrs->data, "Authorization: Basic x");
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	ud_registry_client_free(c);
}
END_TEST

START_TEST(debug_masking)
{
	const char *l1 = "Uses proxy env variable http_proxy == 'http://u:s3cret@p:3128'";
	char *m = ud_http_mask_urls(l1, strlen(l1));
	ck_assert_str_eq(m, "Uses proxy env variable http_proxy == 'http://u:<hidden>@p:3128'");
	free(m);
	const char *l2 = "GET /b?X-Amz-Signature=abc&n=1&access_token=xyz HTTP/1.1";
	m = ud_http_mask_urls(l2, strlen(l2));
	ck_assert_str_eq(m, "GET /b?X-Amz-Signature=<hidden>&n=1&access_token=<hidden> HTTP/1.1");
	free(m);
	const char *l3 = "GET /v2/x/tags/list?n=100&last=a%40b HTTP/1.1";
	m = ud_http_mask_urls(l3, strlen(l3));
	ck_assert_str_eq(m, l3);
	free(m);
}
END_TEST

START_TEST(keystore)
{
	char dir[] = "/tmp/check_registry-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	_cleanup_free_ char *ks = ud_path_join(dir, "keystore");
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_keystore_put(ks, "https://127.0.0.1:5001", "tester", "p:w", &err), 0);
	ck_assert_int_eq(ud_keystore_put(ks, "https://registry-1.docker.io", "u", "x", &err), 0);
	struct stat st;
	ck_assert_int_eq(stat(ks, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	_cleanup_free_ char *text = ud_read_file(ks, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"auth\": \"dGVzdGVyOnA6dw==\""));
	char *u = NULL, *p = NULL;
	ck_assert_int_eq(ud_keystore_get(ks, "127.0.0.1:5001", &u, &p), 0);
	ck_assert_str_eq(u, "tester");
	ck_assert_str_eq(p, "p:w");
	free(u);
	free(p);
	ck_assert_int_eq(ud_keystore_delete(ks, "https://127.0.0.1:5001", &err), 0);
	ck_assert_int_eq(ud_keystore_get(ks, "https://127.0.0.1:5001", &u, &p), -1);
	ck_assert_int_eq(ud_keystore_delete(ks, "https://127.0.0.1:5001", &err), -1);
	ud_error_clear(&err);
	chmod(ks, 0644);
	ck_assert_int_eq(ud_keystore_put(ks, "https://x", "a", "b", &err), -1);
	ck_assert_ptr_nonnull(strstr(err->msg, "readable by others"));
	ud_error_clear(&err);
	chmod(ks, 0600);
	ck_assert_int_eq(ud_keystore_delete_all(ks, &err), 0);
	ck_assert(!ud_path_exists(ks));
	ud_rmtree(dir, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, references);
	tcase_add_test(tc, hub_mirror);
	tcase_add_test(tc, challenges);
	tcase_add_test(tc, origins_and_urls);
	tcase_add_test(tc, debug_masking);
	tcase_add_test(tc, keystore);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
