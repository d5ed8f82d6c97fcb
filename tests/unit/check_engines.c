#include "engines/engines.h"

#include <check.h>
#include <signal.h>
#include <string.h>

static char *sh_argv[] = {"/bin/sh", "-c", NULL, NULL};

static int run_sh(const char *script, int *status, struct ud_error **err)
{
	sh_argv[2] = (char *)script;
	struct ud_spawn s = {.path = "/bin/sh", .argv = sh_argv, .env = environ};
	return ud_spawn_run(&s, status, err);
}

START_TEST(spawn_status_and_signals)
{
	int status = -1;
	ck_assert_int_eq(run_sh("exit 7", &status, NULL), 0);
	ck_assert_int_eq(status, 7);
	ck_assert_int_eq(run_sh("kill -TERM $$", &status, NULL), 0);
	ck_assert_int_eq(status, 128 + SIGTERM);
	/* What the caller ignores and blocks, the child does not. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ck_assert_int_eq(run_sh("grep -q '^SigIgn:\t0*$' /proc/self/status && "
				"grep -q '^SigBlk:\t0*$' /proc/self/status",
				&status, NULL),
			 0);
	ck_assert_int_eq(status, 0);
	/* The caller's own state is back as it was. */
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	ck_assert(sigismember(&now, SIGUSR1));
	ck_assert(!sigismember(&now, SIGTERM));
}
END_TEST

START_TEST(spawn_reports_exec_failure)
{
	char *argv[] = {"/nonexistent/prog", NULL};
	struct ud_spawn s = {.path = argv[0], .argv = argv, .env = environ};
	struct ud_error *err = NULL;
	int status = -1;
	ck_assert_int_eq(ud_spawn_run(&s, &status, &err), -1);
	ck_assert_ptr_nonnull(strstr(err->msg, "cannot execute /nonexistent/prog"));
	ud_error_free(err);
}
END_TEST

START_TEST(host_path_prefix_is_a_directory)
{
	struct ud_bind b[] = {{.host = "/h/data", .path = "/data"},
			      {.host = "/h/deep", .path = "/data/deep"}};
	struct ud_run_request r = {.root = "/R", .binds = b, .n_binds = 2};
	char *p = ud_engine_host_path(&r, "/data2");
	ck_assert_str_eq(p, "/R/data2");
	free(p);
	p = ud_engine_host_path(&r, "/data");
	ck_assert_str_eq(p, "/h/data");
	free(p);
	p = ud_engine_host_path(&r, "/data/x");
	ck_assert_str_eq(p, "/h/data/x");
	free(p);
	p = ud_engine_host_path(&r, "/data/deep/y");
	ck_assert_str_eq(p, "/h/deep/y");
	free(p);
}
END_TEST

START_TEST(modes_round_trip)
{
	for (int m = 0; m < UD_EXECMODE_COUNT; m++)
		ck_assert_int_eq(ud_execmode_parse(ud_execmode_name((enum ud_execmode)m)), m);
	ck_assert_int_eq(ud_execmode_parse("auto"), -1);
	ck_assert_int_eq(ud_execmode_parse("n1"), -1);
	char *why = NULL;
	ck_assert(!ud_engine_available("X9", &why));
	ck_assert_ptr_nonnull(strstr(why, "not built"));
	free(why);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engines");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, spawn_status_and_signals);
	tcase_add_test(tc, spawn_reports_exec_failure);
	tcase_add_test(tc, host_path_prefix_is_a_directory);
	tcase_add_test(tc, modes_round_trip);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
