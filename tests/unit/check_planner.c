#include "engines/engines.h"
#include "planner/planner.h"
#include "spec/spec.h"
#include "store/store.h"

#include <check.h>
#include <string.h>

static char dir[64];
static struct ud_store *st;

static void setup(void)
{
	strcpy(dir, "/tmp/check_planner-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct ud_store_paths p = {.top = dir};
	st = ud_store_open(&p, true, NULL);
}

static void teardown(void)
{
	ud_store_free(st);
	ud_rmtree(dir, NULL);
}

/* Host capabilities made by hand: the planner reads them, never the host. */
static struct ud_host_probe all_caps = {
	.userns = true, .ptrace = true, .seccomp = true, .seccomp_listener = true};

static struct ud_plan *plan_on(const char *text, const struct ud_host_probe *host,
			       struct ud_error **err)
{
	struct ud_spec *s = ud_spec_load_string(text, strlen(text), "job.yaml", NULL, NULL, err);
	ck_assert_ptr_nonnull(s);
	struct ud_planner_options o = {.host = host};
	struct ud_plan *p = ud_planner_plan(s, st, &o, err);
	ud_spec_free(s);
	return p;
}

static struct ud_plan *plan_for(const char *text, struct ud_error **err)
{
	return plan_on(text, &all_caps, err);
}

/* A tag whose blobs are all in the store. */
static void store_image(const char *name, const char *tag)
{
	const char *cfg = "{}";
	char hex[65];
	ud_sha256_hex(cfg, 2, hex);
	_cleanup_free_ char *d = xasprintf("sha256:%s", hex);
	_cleanup_free_ char *path = ud_store_blob_path(st, d);
	ck_assert_int_eq(ud_write_file_atomic(path, cfg, 2, 0644, NULL), 0);
	_cleanup_free_ char *m =
		xasprintf("{\"schemaVersion\":2,\"config\":{\"digest\":\"%s\",\"size\":2},"
			  "\"layers\":[]}",
			  d);
	char *blobs[] = {d, NULL};
	ck_assert_int_eq(ud_store_tag_write(st, name, tag, m, strlen(m), blobs, NULL), 0);
}

START_TEST(run_blocked_by_missing_host_paths)
{
	struct ud_error *err = NULL;
	_cleanup_free_ char *spec = xasprintf("version: 1\n"
					      "containers:\n"
					      "  one:\n"
					      "    image: \"reg.example:5000/x/a:1\"\n"
					      "    volumes: [\"%s/made:/m\", \"%s/no/such:/x\"]\n"
					      "    commands: [\"true\"]\n",
					      dir, dir);
	/* made is missing too: the first missing path is reported. */
	struct ud_plan *p = plan_for(spec, &err);
	ck_assert_uint_eq(p->n_steps, 4);
	ck_assert_int_eq(p->steps[3].kind, UD_STEP_RUN);
	ck_assert_int_eq(p->steps[3].state, UD_STEP_BLOCKED);
	ck_assert_ptr_nonnull(strstr(p->steps[3].reason, "invalid host volume path"));
	ck_assert_ptr_nonnull(strstr(p->steps[3].reason, "/made' (for /m)"));
	ck_assert_str_eq(p->steps[3].where, "job.yaml:5:15");
	ud_plan_free(p);

	/* An earlier container's create: true volume makes it, and its
	 * commands may write below it; an env file there is fine too. */
	_cleanup_free_ char *two = xasprintf(
		"version: 1\n"
		"volumes:\n"
		"  made: {host: \"%s/made\", path: /m, create: true}\n"
		"containers:\n"
		"  first: {image: x/a, volumes: [made], commands: [\"true\"]}\n"
		"  second:\n"
		"    image: x/a\n"
		"    volumes: [\"%s/made:/m:ro\", \"%s/made/sub:/s\"]\n"
		"    env_file: [\"%s/made/job.env\"]\n"
		"    commands: [\"true\"]\n"
		"  third: {image: x/a, env_file: [\"%s/none.env\"], commands: [\"true\"]}\n",
		dir, dir, dir, dir, dir);
	p = plan_for(two, &err);
	ck_assert_ptr_nonnull(p);
	int runs = 0;
	for (size_t i = 0; i < p->n_steps; i++) {
		if (p->steps[i].kind != UD_STEP_RUN)
			continue;
		runs++;
		if (strcmp(p->steps[i].name, "third") == 0) {
			ck_assert_int_eq(p->steps[i].state, UD_STEP_BLOCKED);
			ck_assert_ptr_nonnull(strstr(p->steps[i].reason, "none.env'"));
		} else {
			ck_assert_int_eq(p->steps[i].state, UD_STEP_TODO);
		}
	}
	ck_assert_int_eq(runs, 3);
	ud_plan_free(p);
}
END_TEST

START_TEST(states_and_reasons)
{
	struct ud_error *err = NULL;
	const char *spec = "version: 1\n"
			   "images:\n"
			   "  a: {ref: \"reg.example:5000/x/a:1\"}\n"
			   "  b: {ref: \"reg.example:5000/x/b:1\", pull: never}\n"
			   "  c: {ref: \"reg.example:5000/x/c:1\", pull: always}\n"
			   "containers:\n"
			   "  one: {image: a}\n"
			   "  two: {image: \"reg.example:5000/x/a:1\"}\n";
	struct ud_plan *p = plan_for(spec, &err);
	ck_assert_ptr_nonnull(p);
	/* The same image is pulled once; each container gets create + setup. */
	ck_assert_uint_eq(p->n_steps, 7);
	ck_assert_int_eq(p->steps[3].kind, UD_STEP_CREATE);
	ck_assert_int_eq(p->steps[4].kind, UD_STEP_SETUP);
	ck_assert_int_eq(p->steps[4].container.mode, UD_EXECMODE_N1);
	ck_assert_int_eq(p->steps[0].state, UD_STEP_TODO);
	ck_assert_ptr_nonnull(strstr(p->steps[0].reason, "not in the store"));
	ck_assert_uint_eq(ud_strv_len(p->steps[0].used_by), 3);
	ck_assert_int_eq(p->steps[1].state, UD_STEP_BLOCKED);
	ck_assert(ud_plan_blocked(p));
	ck_assert_str_eq(p->steps[0].where, "job.yaml:3:3");
	_cleanup_free_ char *json = ud_plan_render_json(p);
	ck_assert_ptr_nonnull(strstr(json, "\"state\": \"blocked\""));
	_cleanup_free_ char *text = ud_plan_render_text(p);
	ck_assert_ptr_nonnull(strstr(text, "7 steps: 6 to do, 0 present, 1 blocked"));
	ud_plan_free(p);

	store_image("reg.example:5000/x/a", "1");
	store_image("reg.example:5000/x/b", "1");
	store_image("reg.example:5000/x/c", "1");
	p = plan_for(spec, &err);
	ck_assert_int_eq(p->steps[0].state, UD_STEP_PRESENT);
	ck_assert_int_eq(p->steps[1].state, UD_STEP_PRESENT);
	ck_assert_int_eq(p->steps[2].state, UD_STEP_TODO); /* always */
	ud_plan_free(p);

	/* A missing blob makes the step to do again. */
	const char *cfg = "{}";
	char hex[65];
	ud_sha256_hex(cfg, 2, hex);
	_cleanup_free_ char *d = xasprintf("sha256:%s", hex);
	_cleanup_free_ char *path = ud_store_blob_path(st, d);
	unlink(path);
	p = plan_for(spec, &err);
	ck_assert_int_eq(p->steps[0].state, UD_STEP_TODO);
	ck_assert_ptr_nonnull(strstr(p->steps[0].reason, "1 of 1 blobs missing"));
	ud_plan_free(p);
}
END_TEST

/* auto follows the host capabilities the caller passes: without user
 * namespaces (this host has them) the pick is P1, for the reason given. */
START_TEST(auto_follows_passed_host_caps)
{
	unsetenv("UDOCKER_USE_PROOT_EXECUTABLE");
	struct ud_host_probe no_userns = {
		.userns = false,
		.userns_why = (char *)"hand-made: no user namespaces",
		.ptrace = true,
		.seccomp = true,
		.seccomp_listener = true,
	};
	const char *spec = "version: 1\n"
			   "containers:\n"
			   "  one: {image: \"reg.example:5000/x/a:1\"}\n"
			   "  two: {image: \"reg.example:5000/x/a:1\", execmode: N1}\n";
	struct ud_error *err = NULL;
	struct ud_plan *p = plan_on(spec, &no_userns, &err);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->n_steps, 5);
	ck_assert_int_eq(p->steps[2].kind, UD_STEP_SETUP);
	ck_assert_int_eq(p->steps[2].container.mode, UD_EXECMODE_P1);
	ck_assert_ptr_nonnull(strstr(p->steps[2].reason, "hand-made: no user namespaces"));
	/* An explicit N1 is blocked for the same reason. */
	ck_assert_int_eq(p->steps[4].kind, UD_STEP_SETUP);
	ck_assert_int_eq(p->steps[4].state, UD_STEP_BLOCKED);
	ck_assert_ptr_nonnull(strstr(p->steps[4].reason, "hand-made: no user namespaces"));
	ud_plan_free(p);
	/* The same spec on a host with them: N1. */
	p = plan_on(spec, &all_caps, &err);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->steps[2].container.mode, UD_EXECMODE_N1);
	ud_plan_free(p);
	/* No host capabilities given: an error, not a probe. */
	ck_assert_ptr_null(plan_on(spec, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err->msg, "no host probe"));
	ud_error_free(err);
}
END_TEST

START_TEST(pins_and_bad_references)
{
	struct ud_error *err = NULL;
	struct ud_plan *p = plan_for(
		"version: 1\nimages:\n  a: {ref: \"h:1/x\", digest: "
		"\"sha256:0000000000000000000000000000000000000000000000000000000000000000\"}\n",
		&err);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->steps[0].pull.local_tag,
			 "sha256:0000000000000000000000000000000000000000000000000000000000000000");
	ud_plan_free(p);
	p = plan_for("version: 1\nimages:\n  a: {ref: \"Bad/Name\"}\n", &err);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(err->msg, "job.yaml:3:3"));
	ck_assert_ptr_nonnull(strstr(err->msg, "lowercase"));
	ud_error_free(err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("planner");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, states_and_reasons);
	tcase_add_test(tc, run_blocked_by_missing_host_paths);
	tcase_add_test(tc, pins_and_bad_references);
	tcase_add_test(tc, auto_follows_passed_host_caps);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
