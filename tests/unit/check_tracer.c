#include "tracer/tracer.h"

#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* A container root with links: /lib -> usr/lib, /abs -> /usr/lib (absolute),
 * /usr/lib/up -> ../../.. (climbs to the root), /etc/hostname. */
static char root[64];
static char vol[64];
static struct tr_bind binds[2];
static struct tr_config cfg;

static void touch(const char *rel)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("x\n", f);
	fclose(f);
}

static void setup(void)
{
	strcpy(root, "/tmp/check_tracer-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	strcpy(vol, "/tmp/check_tracer_vol-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(vol));
	const char *dirs[] = {"usr", "usr/lib", "etc", "mnt"};
	for (size_t i = 0; i < 4; i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", root, dirs[i]);
		ck_assert_int_eq(mkdir(p, 0755), 0);
	}
	touch("usr/lib/libc.so");
	touch("etc/hostname");
	_cleanup_free_ char *l1 = xasprintf("%s/lib", root);
	_cleanup_free_ char *l2 = xasprintf("%s/abs", root);
	_cleanup_free_ char *l3 = xasprintf("%s/usr/lib/up", root);
	ck_assert_int_eq(symlink("usr/lib", l1), 0);
	ck_assert_int_eq(symlink("/usr/lib", l2), 0);
	ck_assert_int_eq(symlink("../../..", l3), 0);
	binds[0] = (struct tr_bind){.host = vol, .guest = (char *)"/mnt/vol", .readonly = true};
	binds[0].host_len = strlen(vol);
	binds[0].guest_len = strlen("/mnt/vol");
	binds[1] = (struct tr_bind){.host = (char *)"/proc", .guest = (char *)"/proc"};
	binds[1].host_len = binds[1].guest_len = 5;
	cfg = (struct tr_config){.root = root,
				 .root_len = strlen(root),
				 .translate = true,
				 .binds = binds,
				 .n_binds = 2,
				 .any_readonly = true,
				 .fake_ids = true,
				 .fake_root = true};
}

static void teardown(void)
{
	ud_rmtree(root, NULL);
	ud_rmtree(vol, NULL);
}

static void expect_resolve(const char *cwd, const char *path, bool follow, const char *want_rel)
{
	_cleanup_free_ char *got = tr_resolve(&cfg, 0, cwd, path, follow);
	_cleanup_free_ char *want = xasprintf("%s%s", root, want_rel);
	ck_assert_str_eq(got, want);
}

START_TEST(resolve_inside_the_root)
{
	expect_resolve("/", "/etc/hostname", true, "/etc/hostname");
	expect_resolve("/etc", "hostname", true, "/etc/hostname");
	expect_resolve("/", "/lib/libc.so", true, "/usr/lib/libc.so");
	/* an absolute link stays in the container */
	expect_resolve("/", "/abs/libc.so", true, "/usr/lib/libc.so");
	/* '..' never climbs above the container's root */
	expect_resolve("/", "/../../etc/hostname", true, "/etc/hostname");
	expect_resolve("/", "/usr/lib/up/../etc/hostname", true, "/etc/hostname");
	/* the last component is not followed when asked */
	expect_resolve("/", "/abs", false, "/abs");
	expect_resolve("/", "/", true, "");
}
END_TEST

START_TEST(binds_and_back)
{
	_cleanup_free_ char *h = tr_resolve(&cfg, 0, "/", "/mnt/vol/f", true);
	_cleanup_free_ char *want = xasprintf("%s/f", vol);
	ck_assert_str_eq(h, want);
	ck_assert_ptr_nonnull(tr_readonly_bind(&cfg, h));
	_cleanup_free_ char *h2 = tr_to_host(&cfg, "/mnt/volume");
	_cleanup_free_ char *want2 = xasprintf("%s/mnt/volume", root);
	ck_assert_str_eq(h2, want2); /* a prefix of a name is not the bind */
	ck_assert_ptr_null(tr_readonly_bind(&cfg, h2));
	_cleanup_free_ char *g = tr_to_guest(&cfg, h);
	ck_assert_str_eq(g, "/mnt/vol/f");
	_cleanup_free_ char *g2 = tr_to_guest(&cfg, root);
	ck_assert_str_eq(g2, "/");
	ck_assert_ptr_null(tr_to_guest(&cfg, "/usr/bin"));
	/* /proc/self is the tracee's, not the tracer's */
	_cleanup_free_ char *p = tr_resolve(&cfg, 4242, "/", "/proc/self/status", true);
	ck_assert_str_eq(p, "/proc/4242/status");
}
END_TEST

START_TEST(root_is_slash)
{
	struct tr_config c = {.root = "/", .root_len = 1};
	_cleanup_free_ char *h = tr_to_host(&c, "/etc/passwd");
	ck_assert_str_eq(h, "/etc/passwd");
	_cleanup_free_ char *g = tr_to_guest(&c, "/etc/passwd");
	ck_assert_str_eq(g, "/etc/passwd");
}
END_TEST

/* Runs an identity call's exit on tracee t with the given result. */
static long id_call(struct tr_tracee *t, long nr, long ret, unsigned long a0, unsigned long a1,
		    unsigned long a2)
{
	struct user_regs_struct regs = {0};
	regs.orig_rax = (unsigned long long)nr;
	regs.rax = (unsigned long long)ret;
	regs.rdi = a0;
	regs.rsi = a1;
	regs.rdx = a2;
	bool changed = false;
	tr_identity_exit(&cfg, t, &regs, &changed);
	return (long)regs.rax;
}

START_TEST(identity_rules)
{
	struct tr_tracee t = {.pid = getpid()};
	cfg.uid = 0;
	cfg.gid = 0;
	tr_ids_init(&cfg, &t.ids);
	ck_assert_int_eq(id_call(&t, SYS_geteuid, 1001, 0, 0, 0), 0);
	/* chown refused by the kernel succeeds for the emulated root */
	ck_assert_int_eq(id_call(&t, SYS_chown, -EPERM, 0, 0, 0), 0);
	/* apt: setgroups, setresgid, setresuid to _apt (42), then checks */
	gid_t g = 65534;
	ck_assert_int_eq(id_call(&t, SYS_setgroups, -EPERM, 1, (unsigned long)&g, 0), 0);
	ck_assert_int_eq(id_call(&t, SYS_setresgid, -EPERM, 65534, 65534, 65534), 0);
	ck_assert_int_eq(id_call(&t, SYS_setresuid, -EPERM, 42, 42, 42), 0);
	ck_assert_int_eq(id_call(&t, SYS_getuid, 1001, 0, 0, 0), 42);
	ck_assert_int_eq(id_call(&t, SYS_getegid, 1001, 0, 0, 0), 65534);
	unsigned r = 1, e = 1, s = 1;
	ck_assert_int_eq(id_call(&t, SYS_getresuid, 0, (unsigned long)&r, (unsigned long)&e,
				 (unsigned long)&s),
			 0);
	ck_assert_uint_eq(r, 42);
	ck_assert_uint_eq(e, 42);
	ck_assert_uint_eq(s, 42);
	gid_t groups[4] = {0};
	ck_assert_int_eq(id_call(&t, SYS_getgroups, 1, 4, (unsigned long)groups, 0), 1);
	ck_assert_uint_eq(groups[0], 65534);
	/* no way back once every id was dropped; chown is refused again */
	ck_assert_int_eq(id_call(&t, SYS_setuid, -EPERM, 0, 0, 0), -EPERM);
	ck_assert_int_eq(id_call(&t, SYS_chown, -EPERM, 0, 0, 0), -EPERM);
}
END_TEST

START_TEST(identity_saved_id)
{
	struct tr_tracee t = {.pid = getpid()};
	cfg.uid = 0;
	tr_ids_init(&cfg, &t.ids);
	/* seteuid(100) keeps the saved 0: the way back is open */
	ck_assert_int_eq(
		id_call(&t, SYS_setresuid, -EPERM, (unsigned long)-1, 100, (unsigned long)-1), 0);
	ck_assert_int_eq(id_call(&t, SYS_geteuid, 0, 0, 0, 0), 100);
	ck_assert_int_eq(
		id_call(&t, SYS_setresuid, -EPERM, (unsigned long)-1, 0, (unsigned long)-1), 0);
	ck_assert_int_eq(id_call(&t, SYS_geteuid, 0, 0, 0, 0), 0);
	/* setfsuid returns the previous one */
	ck_assert_int_eq(id_call(&t, SYS_setfsuid, 0, 7, 0, 0), 0);
	ck_assert_int_eq(id_call(&t, SYS_setfsuid, 7, 8, 0, 0), 7);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tracer");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, resolve_inside_the_root);
	tcase_add_test(tc, binds_and_back);
	tcase_add_test(tc, root_is_slash);
	tcase_add_test(tc, identity_rules);
	tcase_add_test(tc, identity_saved_id);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
