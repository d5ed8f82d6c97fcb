#include "oci/oci.h"

#include <check.h>
#include <string.h>

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

START_TEST(docker_manifest)
{
	const char *j =
		"{\"schemaVersion\":2,\"mediaType\":\"" UD_MT_DOCKER_MANIFEST "\","
		"\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
		"\"size\":10,\"digest\":\"" D1 "\"},"
		"\"layers\":[{\"size\":20,\"digest\":\"" D2 "\"},"
		"{\"size\":30,\"digest\":\"" D3 "\"}]}";
	struct ud_error *err = NULL;
	struct ud_manifest *m = ud_manifest_parse(j, strlen(j), NULL, &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->kind, UD_MANIFEST_IMAGE);
	ck_assert_str_eq(m->config.digest, D1);
	ck_assert_uint_eq(m->n_layers, 2);
	ck_assert_str_eq(m->layers[1].digest, D3);
	ck_assert_int_eq(m->layers[1].size, 30);
	ud_manifest_free(m);
}
END_TEST

/* An image with a part we cannot run is refused at parse time, naming the
 * media type; known types (and none) pass. */
static struct ud_manifest *with_types(const char *config, const char *layer, struct ud_error **err)
{
	char *j = xasprintf("{\"schemaVersion\":2,\"config\":{%s%s%s\"size\":1,\"digest\":\"" D1
			    "\"},\"layers\":[{\"size\":2,\"digest\":\"" D2
			    "\"},{%s%s%s\"size\":3,\"digest\":\"" D3 "\"}]}",
			    config ? "\"mediaType\":\"" : "", config ? config : "",
			    config ? "\"," : "", layer ? "\"mediaType\":\"" : "",
			    layer ? layer : "", layer ? "\"," : "");
	struct ud_manifest *m = ud_manifest_parse(j, strlen(j), UD_MT_OCI_MANIFEST, err);
	free(j);
	return m;
}

START_TEST(media_types)
{
	static const char *const ok[] = {NULL, "application/vnd.oci.image.layer.v1.tar",
					 "application/vnd.oci.image.layer.v1.tar+gzip",
					 "application/vnd.oci.image.layer.v1.tar+zstd",
					 "application/vnd.docker.image.rootfs.diff.tar.gzip"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct ud_error *err = NULL;
		struct ud_manifest *m =
			with_types("application/vnd.oci.image.config.v1+json", ok[i], &err);
		ck_assert_msg(m != NULL, "%s refused", ok[i] ? ok[i] : "no media type");
		ud_manifest_free(m);
	}
	static const char *const bad[][2] = {
		{"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "foreign layer"},
		{"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		 "non-distributable"},
		{"application/vnd.oci.image.layer.v1.tar+bzip2", "compression is not supported"},
		{"application/x-not-a-layer", "not a layer type"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ud_error *err = NULL;
		struct ud_manifest *m = with_types(NULL, bad[i][0], &err);
		ck_assert_ptr_null(m);
		ck_assert_ptr_nonnull(strstr(err->msg, "layer 2 of 2"));
		ck_assert_ptr_nonnull(strstr(err->msg, bad[i][0]));
		ck_assert_msg(strstr(err->msg, bad[i][1]) != NULL, "%s", err->msg);
		ud_error_free(err);
	}
	struct ud_error *err = NULL;
	struct ud_manifest *m = with_types("application/vnd.cncf.helm.config.v1+json", NULL, &err);
	ck_assert_ptr_null(m);
	ck_assert_ptr_nonnull(strstr(err->msg, "application/vnd.cncf.helm.config.v1+json"));
	ck_assert_ptr_nonnull(strstr(err->msg, "not a container image"));
	ud_error_free(err);
}
END_TEST

START_TEST(oci_index_select)
{
	const char *j =
		"{\"schemaVersion\":2,\"manifests\":["
		"{\"digest\":\"" D1 "\",\"size\":1},"
		"{\"digest\":\"" D2 "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":"
		"\"arm64\",\"variant\":\"v8\"}},"
		"{\"digest\":\"" D3 "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":"
		"\"amd64\"}}]}";
	struct ud_error *err = NULL;
	struct ud_manifest *m = ud_manifest_parse(j, strlen(j), UD_MT_OCI_INDEX, &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->kind, UD_MANIFEST_INDEX);
	ck_assert_str_eq(m->media_type, UD_MT_OCI_INDEX);
	struct ud_platform p;
	ck_assert_int_eq(ud_platform_parse("linux/ARM64", &p, &err), 0);
	const struct ud_descriptor *d = ud_manifest_select(m, &p);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->digest, D2);
	ud_platform_release(&p);
	ck_assert_int_eq(ud_platform_parse("linux/x86_64", &p, &err), 0);
	ck_assert_str_eq(p.arch, "amd64");
	ck_assert_str_eq(ud_manifest_select(m, &p)->digest, D3);
	ud_platform_release(&p);
	ck_assert_int_eq(ud_platform_parse("linux/s390x", &p, &err), 0);
	ck_assert_ptr_null(ud_manifest_select(m, &p));
	ud_platform_release(&p);
	ud_manifest_free(m);
}
END_TEST

START_TEST(schema1_and_errors)
{
	const char *j = "{\"schemaVersion\":1,\"fsLayers\":[{\"blobSum\":\"" D1 "\"},"
			"{\"blobSum\":\"" D2 "\"}],\"history\":[{\"v1Compatibility\":\"{}\"}]}";
	struct ud_error *err = NULL;
	struct ud_manifest *m = ud_manifest_parse(j, strlen(j), NULL, &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->kind, UD_MANIFEST_SCHEMA1);
	ck_assert_str_eq(m->layers[0].digest, D2); /* base first */
	ck_assert_str_eq(m->schema1_config, "{}");
	ud_manifest_free(m);

	ck_assert_ptr_null(ud_manifest_parse("{nope", 5, NULL, &err));
	ck_assert_int_eq(err->code, UD_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err->msg, "not valid JSON"));
	ud_error_clear(&err);
	ck_assert_ptr_null(ud_manifest_parse("{\"schemaVersion\":2}", 19, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err->msg, "layers section missing"));
	ud_error_clear(&err);
	const char *bad =
		"{\"layers\":[{\"digest\":\"md5:x\"}],\"config\":{\"digest\":\"" D1 "\"}}";
	ck_assert_ptr_null(ud_manifest_parse(bad, strlen(bad), NULL, &err));
	ck_assert_ptr_nonnull(strstr(err->msg, "layers[0]"));
	ud_error_clear(&err);
	struct ud_platform p;
	ck_assert_int_eq(ud_platform_parse("linux//x", &p, &err), -1);
	ud_error_clear(&err);
	ck_assert_int_eq(ud_platform_parse("a/b/c/d", &p, &err), -1);
	ud_error_clear(&err);
}
END_TEST

START_TEST(image_config)
{
	const char *j = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":"
			"[\"PATH=/bin\"],\"Cmd\":[\"/bin/sh\"],\"WorkingDir\":\"/w\",\"User\":"
			"\"1000:1000\",\"Entrypoint\":null}}";
	struct ud_image_config c;
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_image_config_parse(j, strlen(j), &c, &err), 0);
	ck_assert_str_eq(c.env[0], "PATH=/bin");
	ck_assert(c.has_cmd);
	ck_assert(!c.has_entrypoint);
	ck_assert_str_eq(c.workdir, "/w");
	ck_assert_str_eq(c.user, "1000:1000");
	_cleanup_free_ char *p = ud_platform_format(&c.platform);
	ck_assert_str_eq(p, "linux/amd64");
	ud_image_config_release(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("oci");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, docker_manifest);
	tcase_add_test(tc, media_types);
	tcase_add_test(tc, oci_index_select);
	tcase_add_test(tc, schema1_and_errors);
	tcase_add_test(tc, image_config);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
