#include "spec/spec.h"

#include <check.h>
#include <string.h>

static const char *fake_env(const char *name, void *data)
{
	(void)data;
	if (strcmp(name, "SCRATCH") == 0)
		return "/scratch";
	if (strcmp(name, "EMPTY") == 0)
		return "";
	return NULL;
}

static struct ud_spec *load(const char *text, struct ud_error **err)
{
	return ud_spec_load_string(text, strlen(text), "job.yaml", fake_env, NULL, err);
}

static void expect_error(const char *text, const char *msg)
{
	struct ud_error *err = NULL;
	struct ud_spec *s = load(text, &err);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(err);
	if (strstr(err->msg, msg) == NULL)
		ck_abort_msg("expected '%s' in '%s'", msg, err->msg);
	ud_error_free(err);
}

START_TEST(full_spec)
{
	const char *text = "version: 1\n"
			   "defaults: {execmode: auto, pull: missing, platform: linux/amd64}\n"
			   "images:\n"
			   "  base: {ref: \"docker.io/library/debian:12\", digest: "
			   "\"sha256:"
			   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}\n"
			   "volumes:\n"
			   "  data: {host: \"${SCRATCH}/data\", path: /data, readonly: true}\n"
			   "containers:\n"
			   "  analysis:\n"
			   "    image: base\n"
			   "    execmode: f3\n"
			   "    user: \"1000:1000\"\n"
			   "    env: {OMP_NUM_THREADS: \"4\", B: \"$${x}\"}\n"
			   "    volumes: [data, \"/etc/hosts:/etc/hosts:ro\"]\n"
			   "    workdir: /data\n"
			   "    entrypoint: \"\"\n"
			   "    commands:\n"
			   "      - [\"python3\", \"analyse.py\"]\n"
			   "      - \"sha256sum /data/out/* > /data/SUMS\"\n";
	struct ud_error *err = NULL;
	struct ud_spec *s = load(text, &err);
	if (s == NULL)
		ck_abort_msg("%s", err->msg);
	ck_assert_int_eq(s->version, 1);
	ck_assert_str_eq(s->def_platform, "linux/amd64");
	ck_assert_uint_eq(s->n_images, 1);
	ck_assert_str_eq(s->images[0].alias, "base");
	ck_assert_int_eq(s->images[0].pos.line, 4);
	ck_assert_str_eq(s->volumes[0].host, "/scratch/data");
	ck_assert(s->volumes[0].readonly);
	const struct ud_spec_container *c = &s->containers[0];
	ck_assert_str_eq(c->name, "analysis");
	ck_assert_str_eq(c->execmode, "F3");
	ck_assert_str_eq(c->env[1].value, "${x}");
	ck_assert_uint_eq(c->n_volumes, 2);
	ck_assert_str_eq(c->volumes[0].path, "/data");
	ck_assert_str_eq(c->volumes[1].host, "/etc/hosts");
	ck_assert(c->volumes[1].readonly);
	ck_assert_int_eq(c->entrypoint_mode, UD_ENTRYPOINT_CLEAR);
	ck_assert_uint_eq(c->n_commands, 2);
	ck_assert_str_eq(c->commands[0].argv[1], "analyse.py");
	ck_assert_str_eq(c->commands[1].shell, "sha256sum /data/out/* > /data/SUMS");
	ck_assert_ptr_nonnull(ud_spec_find_image(s, "base"));
	ud_spec_free(s);
}
END_TEST

START_TEST(errors_have_positions)
{
	expect_error(
		"version: 1\ncontainers:\n  c:\n    exemode: P1\n    image: x\n",
		"job.yaml:4:5: unknown key 'exemode' in container 'c' (did you mean 'execmode'?)");
	expect_error("version: 1\nimages:\n  x: {ref: \"${NOPE}/y\"}\n",
		     "job.yaml:3:13: image 'x': ref: variable 'NOPE' is not set");
	expect_error("version: 1\nimages:\n  x: {ref: \"${BAD\"}\n", "malformed '${'");
	expect_error("version: 3\n", "job.yaml:1:10: version: found '3', expected 1");
	expect_error("version: 1\ndefaults: {pull: sometimes}\nimages: {a: b}\n",
		     "job.yaml:2:18: defaults: pull: found 'sometimes', expected one of missing, "
		     "always, never, reuse");
	expect_error("version: 1\nimages:\n  a: &x {ref: b}\n  c: *x\n", "aliases");
	expect_error("", "empty");
	expect_error("version: 1\nversion: 1\n", "duplicate key 'version'");
	expect_error("version: 1\nimages: [a]\n",
		     "job.yaml:2:9: images: found a list, expected a mapping");
	expect_error("version: 1\ncontainers:\n  c: {image: x, workdir: rel}\n",
		     "expected an absolute path");
	expect_error("version: 1\ncontainers:\n  c: {image: x, env: {\"1A\": b}}\n",
		     "invalid variable name");
	expect_error("version: 1\ncontainers:\n  c: {image: \"a b\"}\n", "whitespace");
}
END_TEST

START_TEST(deep_nesting_refused_quickly)
{
	/* 200,000 levels of "[" and of "{a: ": refused at depth 65. */
	size_t n = 200000;
	char *flow = xmalloc(n * 4 + 64);
	char *p = flow + sprintf(flow, "version: 1\nimages: ");
	for (size_t i = 0; i < n; i++)
		p = stpcpy(p, i % 2 ? "[" : "{a: ");
	*p = '\0';
	expect_error(flow, "job.yaml:2:");
	expect_error(flow, "nested more than 64 levels deep");
	free(flow);
	/* 64 levels are fine as YAML (then refused by the schema). */
	char ok[512];
	p = ok + sprintf(ok, "version: 1\nimages: {a: ");
	for (int i = 0; i < 62; i++)
		*p++ = '[';
	for (int i = 0; i < 62; i++)
		*p++ = ']';
	strcpy(p, "}\n");
	expect_error(ok, "image 'a': found a list");
}
END_TEST

START_TEST(volume_paths_normalised_and_inside)
{
	struct ud_error *err = NULL;
	struct ud_spec *s = load("version: 1\nvolumes:\n  d: {host: /h, path: /data//x/./}\n"
				 "containers:\n  c: {image: x, volumes: [d, \"/h:/a/../b/\"]}\n",
				 &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->containers[0].volumes[0].path, "/data/x");
	ck_assert_str_eq(s->containers[0].volumes[1].path, "/b");
	ud_spec_free(s);
	expect_error("version: 1\ncontainers:\n  c: {image: x, volumes: [\"/h:/../../x\"]}\n",
		     "job.yaml:3:27: container 'c': invalid container volume path '/../../x'");
	expect_error("version: 1\nvolumes:\n  d: {host: /h, path: /a/../../x}\n"
		     "containers:\n  c: {image: x, volumes: [d]}\n",
		     "job.yaml:3:3: volume 'd': invalid container volume path");
	expect_error("version: 1\ncontainers:\n  c: {image: x, volumes: [\"/h:/x/..\"]}\n",
		     "not the container's root");
	s = ud_spec_new();
	struct ud_spec_container *c = ud_spec_add_container(s, "c", "x");
	ud_spec_container_add_volume(c, "/tmp:/../x");
	ck_assert_int_eq(ud_spec_validate(s, &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_USAGE);
	ud_error_free(err);
	ud_spec_free(s);
}
END_TEST

START_TEST(interpolation_defaults)
{
	struct ud_error *err = NULL;
	struct ud_spec *s =
		load("version: 1\nimages:\n  x: {ref: \"${NOPE:-reg}/${EMPTY:-e}/y$\"}\n", &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->images[0].ref, "reg/e/y$");
	ud_spec_free(s);
}
END_TEST

START_TEST(builder)
{
	struct ud_spec *s = ud_spec_new();
	struct ud_spec_image *img = ud_spec_add_image(s, NULL, "debian:12");
	img->pull = xstrdup("ALWAYS");
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_spec_validate(s, &err), 0);
	ck_assert_str_eq(s->images[0].pull, "always");
	img = ud_spec_add_image(s, NULL, "x");
	img->platform = xstrdup("linux//");
	ck_assert_int_eq(ud_spec_validate(s, &err), -1);
	ck_assert_ptr_nonnull(strstr(err->msg, "expected os[/arch[/variant]]"));
	ud_error_free(err);
	ud_spec_free(s);
}
END_TEST

static size_t count_lines(const char *s)
{
	size_t n = 1;
	for (; (s = strchr(s, '\n')) != NULL; s++)
		n++;
	return n;
}

START_TEST(every_error_reported)
{
	struct ud_error *err = NULL;
	/* Errors of the loader and of validation, in several sections: all
	 * of them, in file order, one per line. */
	struct ud_spec *s = load("version: 1\n"
				 "images:\n"
				 "  a: {ref: x, pul: always}\n"
				 "volumes:\n"
				 "  v: {host: /h, path: rel}\n"
				 "containers:\n"
				 "  c:\n"
				 "    image: a\n"
				 "    workdir: rel\n"
				 "    execmode: F9\n"
				 "    volumes: [nope]\n"
				 "  d: {image: x, user: \"\", image: y}\n",
				 &err);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(err->msg,
			 "job.yaml:3:15: unknown key 'pul' in image 'a' (did you mean 'pull'?)\n"
			 "job.yaml:5:3: volume 'v': container path 'rel' is relative, expected an "
			 "absolute path\n"
			 "job.yaml:9:14: container 'c': workdir: found 'rel', expected an absolute "
			 "path\n"
			 "job.yaml:10:15: container 'c': execmode: found 'F9', expected one of "
			 "auto, N1, P1, P2, F1, F2, F3, F4, R1, R2, R3, S1\n"
			 "job.yaml:11:15: container 'c': no volume named 'nope' in volumes:, "
			 "expected a volume name or HOST:CONTAINER[:ro]\n"
			 "job.yaml:12:23: container 'd': user: found '', expected NAME, UID or "
			 "UID:GID\n"
			 "job.yaml:12:27: container 'd': duplicate key 'image' (first at line 12)");
	ck_assert_int_eq(err->code, UD_ERR_INVALID);
	ud_error_free(err);
	/* What the loader could not read is not reported again by validation:
	 * a bad volume is not "no volume named", a bad image not a missing ref. */
	expect_error("version: 1\nimages:\n  a: {ref: \"${NOPE}\"}\nvolumes:\n"
		     "  v: {host: \"${NOPE}\", path: /x}\n"
		     "containers:\n  c: {image: a, volumes: [v]}\n",
		     "job.yaml:3:13: image 'a': ref: variable 'NOPE' is not set\n"
		     "job.yaml:5:14: volume 'v': host: variable 'NOPE' is not set");
	err = NULL;
	s = load("version: 1\nimages:\n  a: {ref: \"${NOPE}\"}\nvolumes:\n"
		 "  v: {host: \"${NOPE}\", path: /x}\n"
		 "containers:\n  c: {image: a, volumes: [v]}\n",
		 &err);
	ck_assert_uint_eq(count_lines(err->msg), 2);
	ud_error_free(err);
}
END_TEST

START_TEST(errors_capped_and_one_per_line)
{
	/* 200 unknown keys: 50 reported, then how many more. */
	struct ud_buf b = {0};
	ud_buf_puts(&b, "version: 1\ncontainers:\n  c:\n    image: x\n");
	for (int i = 0; i < 200; i++)
		ud_buf_printf(&b, "    zz%d: 1\n", i);
	_cleanup_free_ char *text = ud_buf_steal(&b);
	struct ud_error *err = NULL;
	ck_assert_ptr_null(load(text, &err));
	ck_assert_uint_eq(count_lines(err->msg), 51);
	ck_assert_ptr_nonnull(strstr(err->msg, "\n... and 150 more errors"));
	ck_assert_ptr_nonnull(strstr(err->msg, "job.yaml:5:5: unknown key 'zz0'"));
	ud_error_free(err);
	/* A key with a newline and an escape sequence stays on its line. */
	err = NULL;
	ck_assert_ptr_null(load("version: 1\ncontainers:\n  c: {image: x, \"a\\nb\\e[2J\": 1}\n"
				"  d: {image: x, workdir: r}\n",
				&err));
	ck_assert_uint_eq(count_lines(err->msg), 2);
	ck_assert_ptr_nonnull(strstr(err->msg, "unknown key 'a\\nb\\x1b[2J'"));
	ud_error_free(err);
}
END_TEST

START_TEST(alias_typo_is_an_error)
{
	expect_error("version: 1\nimages:\n  tools: {ref: busybox}\n"
		     "containers:\n  c: {image: tols}\n",
		     "job.yaml:5:14: container 'c': image 'tols' is not an alias in images: "
		     "(did you mean 'tools'?); for the registry's image write 'tols:latest'");
	expect_error("version: 1\nimages:\n  tools: {ref: busybox}\n"
		     "containers:\n  c: {image: toolss}\n",
		     "(did you mean 'tools'?)");
	/* Written as a reference, or farther from every alias: an image. */
	const char *fine[] = {"tols:latest", "x/tols", "debian", "tools"};
	for (size_t i = 0; i < UD_ARRAY_SIZE(fine); i++) {
		_cleanup_free_ char *text =
			xasprintf("version: 1\nimages:\n  tools: {ref: busybox}\n"
				  "containers:\n  c: {image: \"%s\"}\n",
				  fine[i]);
		struct ud_error *err = NULL;
		struct ud_spec *s = load(text, &err);
		if (s == NULL)
			ck_abort_msg("%s: %s", fine[i], err->msg);
		ud_spec_free(s);
	}
}
END_TEST

START_TEST(shell_variable_hint)
{
	expect_error("version: 1\ncontainers:\n  c:\n    image: x\n    commands:\n"
		     "      - \"for f in *; do echo ${f}; done\"\n",
		     "job.yaml:6:30: container 'c': commands: variable 'f' is not set (for the "
		     "shell's variable write $${f} or $f)");
	expect_error("version: 1\ncontainers:\n  c:\n    image: x\n    commands:\n"
		     "      - [echo, \"${f}\"]\n",
		     "job.yaml:6:17: container 'c': commands: variable 'f' is not set (for a "
		     "literal '${f}' write $${f})");
	/* Elsewhere, no hint. */
	expect_error("version: 1\ncontainers:\n  c: {image: x, workdir: \"${f}\"}\n",
		     "container 'c': workdir: variable 'f' is not set");
	struct ud_error *err = NULL;
	ck_assert_ptr_null(
		load("version: 1\ncontainers:\n  c: {image: x, workdir: \"${f}\"}\n", &err));
	ck_assert_ptr_null(strstr(err->msg, "$$"));
	ud_error_free(err);
}
END_TEST

START_TEST(examples_validate)
{
	/* As shipped: their variables have defaults. */
	const char *src = getenv("UD_TEST_SRCDIR");
	ck_assert_ptr_nonnull(src);
	unsetenv("DEMO_REGISTRY");
	unsetenv("SCRATCH");
	unsetenv("REGISTRY");
	setenv("TASK", "", 1); /* as validate and plan without --task */
	const char *files[] = {"examples/demo.yaml",	   "examples/job.yaml",
			       "examples/pull.yaml",	   "examples/hello.yaml",
			       "examples/volumes.yaml",	   "examples/two-containers.yaml",
			       "examples/slurm/array.yaml"};
	for (size_t i = 0; i < UD_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *p = ud_path_join(src, files[i]);
		struct ud_error *err = NULL;
		struct ud_spec *s = ud_spec_load_file(p, &err);
		if (s == NULL)
			ck_abort_msg("%s", err->msg);
		ud_spec_free(s);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spec");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, full_spec);
	tcase_add_test(tc, errors_have_positions);
	tcase_add_test(tc, interpolation_defaults);
	tcase_add_test(tc, deep_nesting_refused_quickly);
	tcase_add_test(tc, volume_paths_normalised_and_inside);
	tcase_add_test(tc, builder);
	tcase_add_test(tc, examples_validate);
	tcase_add_test(tc, every_error_reported);
	tcase_add_test(tc, errors_capped_and_one_per_line);
	tcase_add_test(tc, alias_typo_is_an_error);
	tcase_add_test(tc, shell_variable_hint);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
