#include "common/common.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char *tmpdir(void)
{
	char *t = xstrdup("/tmp/check_common-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t));
	return t;
}

START_TEST(error_context)
{
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_error_set(&err, UD_ERR_DIGEST, "blob %s: digest mismatch", "sha256:ab"),
			 -1);
	ud_error_set(&err, UD_ERR_IO, "second error is dropped");
	ud_error_prefix(&err, "pull '%s'", "debian:12");
	ck_assert_str_eq(err->msg, "pull 'debian:12': blob sha256:ab: digest mismatch");
	ck_assert_int_eq(err->code, UD_ERR_DIGEST);
	ud_error_clear(&err);
	ck_assert_ptr_null(err);
	ud_error_sys(&err, ENOENT, "cannot open '%s'", "x");
	ck_assert_str_eq(err->msg, "cannot open 'x': No such file or directory");
	ck_assert_int_eq(err->sys, ENOENT);
	ud_error_free(err);
}
END_TEST

START_TEST(path_normalize)
{
	static const char *const cases[][2] = {{"/data//x/./", "/data/x"},
					       {"/", "/"},
					       {"//", "/"},
					       {"/a/../b", "/b"},
					       {"/a/b/..", "/a"},
					       {"/a/..", "/"},
					       {"/..", NULL},
					       {"/../../x", NULL},
					       {"/a/../../x", NULL},
					       {"/a/...", "/a/..."},
					       {"rel", NULL},
					       {"/.a/./b.", "/.a/b."}};
	for (size_t i = 0; i < UD_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *n = ud_path_normalize(cases[i][0]);
		if (cases[i][1] == NULL)
			ck_assert_msg(n == NULL, "%s -> %s", cases[i][0], n);
		else
			ck_assert_msg(n && strcmp(n, cases[i][1]) == 0, "%s -> %s", cases[i][0],
				      n ? n : "NULL");
	}
}
END_TEST

START_TEST(read_small_file)
{
	struct ud_error *err = NULL;
	ck_assert_ptr_null(ud_read_small_file("/dev/zero", 16, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err->msg, "character device"));
	ud_error_free(err);
	err = NULL;
	ck_assert_ptr_null(ud_read_small_file("/", 16, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err->msg, "a directory"));
	ud_error_free(err);
	err = NULL;
	char dir[] = "/tmp/ud-check-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	_cleanup_free_ char *f = ud_path_join(dir, "f");
	ck_assert_int_eq(ud_write_file_atomic(f, "0123456789", 10, 0600, NULL), 0);
	ck_assert_ptr_null(ud_read_small_file(f, 9, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err->msg, "expected at most 9"));
	ud_error_free(err);
	err = NULL;
	size_t len = 0;
	_cleanup_free_ char *text = ud_read_small_file(f, 10, &len, &err);
	ck_assert_str_eq(text, "0123456789");
	ck_assert_uint_eq(len, 10);
	_cleanup_free_ char *missing = ud_path_join(dir, "none");
	ck_assert_ptr_null(ud_read_small_file(missing, 10, NULL, &err));
	ck_assert_int_eq(err->code, UD_ERR_NOT_FOUND);
	ud_error_free(err);
	ck_assert_int_eq(ud_rmtree(dir, NULL), 0);
}
END_TEST

START_TEST(strings_and_paths)
{
	_cleanup_free_ char *a = ud_path_join("/a/", "/b");
	ck_assert_str_eq(a, "/a/b");
	_cleanup_free_ char *b = ud_path_join("/", "x");
	ck_assert_str_eq(b, "/x");
	ck_assert(ud_str_has_prefix("sha256:x", "sha256:"));
	ck_assert(ud_str_has_suffix("a.layer", ".layer"));
	ck_assert_uint_eq(ud_str_distance("exemode", "execmode"), 1);
	ck_assert_uint_eq(ud_str_distance("", "abc"), 3);
	_cleanup_strv_ char **v = NULL;
	ud_strv_push(&v, xstrdup("x"));
	ud_strv_push(&v, xstrdup("y"));
	ck_assert_uint_eq(ud_strv_len(v), 2);
	ck_assert(ud_strv_contains(v, "y"));
	struct ud_buf buf = {0};
	ud_buf_printf(&buf, "%d-%s", 7, "z");
	ud_buf_puts(&buf, "!");
	_cleanup_free_ char *s = ud_buf_steal(&buf);
	ck_assert_str_eq(s, "7-z!");
}
END_TEST

START_TEST(atomic_write_and_rmtree)
{
	_cleanup_free_ char *d = tmpdir();
	_cleanup_free_ char *f = ud_path_join(d, "file");
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_write_file_atomic(f, "hello", 5, 0600, &err), 0);
	size_t len = 0;
	_cleanup_free_ char *got = ud_read_file(f, &len, &err);
	ck_assert_str_eq(got, "hello");
	ck_assert_uint_eq(len, 5);
	struct stat st;
	ck_assert_int_eq(stat(f, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	_cleanup_free_ char *sub = ud_path_join(d, "a/b/c");
	ck_assert_int_eq(ud_mkdir_p(sub, 0755, &err), 0);
	chmod(sub, 0500); /* unwritable dirs are made writable to remove them */
	_cleanup_free_ char *link = ud_path_join(d, "a/link");
	ck_assert_int_eq(symlink("/etc", link), 0);
	ck_assert_int_eq(ud_symlink_atomic("/usr", link, &err), 0);
	ck_assert_int_eq(ud_rmtree(d, &err), 0);
	ck_assert(!ud_path_exists(d));
	ck_assert(ud_is_dir("/etc")); /* symlink not followed */
	ck_assert_int_eq(ud_rmtree("/tmp", &err), -1);
	ud_error_free(err);
}
END_TEST

START_TEST(sha256_vectors)
{
	char hex[65];
	ud_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	struct ud_sha256 *c = ud_sha256_new();
	ud_sha256_update(c, "a", 1);
	struct ud_sha256 *c2 = ud_sha256_dup(c);
	ud_sha256_update(c2, "bc", 2);
	ud_sha256_final_hex(c2, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ud_sha256_free(c);
	ud_sha256_free(c2);
	ck_assert(ud_digest_valid(
		"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	ck_assert(!ud_digest_valid("sha256:BA7816"));
}
END_TEST

START_TEST(lock_contention_names_holder)
{
	_cleanup_free_ char *d = tmpdir();
	_cleanup_free_ char *path = ud_path_join(d, "locks/x.lock");
	struct ud_error *err = NULL;
	int pipefd[2];
	ck_assert_int_eq(pipe(pipefd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct ud_lock l;
		if (ud_lock_acquire(&l, path, "test holder", 0, NULL) < 0)
			_exit(1);
		(void)!write(pipefd[1], "x", 1);
		sleep(2);
		ud_lock_release(&l);
		_exit(0);
	}
	char c;
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	struct ud_lock l;
	ck_assert_int_eq(ud_lock_acquire(&l, path, "me", 100, &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_LOCKED);
	ck_assert_ptr_nonnull(strstr(err->msg, "test holder"));
	ud_error_clear(&err);
	ck_assert_int_eq(ud_lock_acquire(&l, path, "me", 5000, &err), 0);
	ud_lock_release(&l);
	int status;
	waitpid(pid, &status, 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ud_rmtree(d, NULL);
}
END_TEST

START_TEST(shared_locks)
{
	_cleanup_free_ char *d = tmpdir();
	_cleanup_free_ char *path = ud_path_join(d, "gc");
	struct ud_error *err = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		struct ud_lock l;
		if (ud_lock_acquire_mode(&l, path, "reader", 0, true, NULL) < 0)
			_exit(1);
		sleep(2);
		_exit(0);
	}
	usleep(300000);
	struct ud_lock a;
	ck_assert_int_eq(ud_lock_acquire_mode(&a, path, "reader 2", 0, true, &err), 0);
	ud_lock_release(&a);
	ck_assert_int_eq(ud_lock_acquire(&a, path, "writer", 0, &err), -1);
	ck_assert_int_eq(err->code, UD_ERR_LOCKED);
	ud_error_clear(&err);
	ck_assert_int_eq(ud_lock_acquire(&a, path, "writer", 5000, &err), 0);
	ud_lock_release(&a);
	int status;
	waitpid(pid, &status, 0);
	ud_rmtree(d, NULL);
}
END_TEST

START_TEST(random_ids)
{
	char u[37], h[17];
	ud_uuid(u);
	ck_assert_uint_eq(strlen(u), 36);
	ck_assert_int_eq(u[14], '4');
	ud_random_hex(h, 16);
	ck_assert_uint_eq(strspn(h, "0123456789abcdef"), 16);
	ck_assert_str_ne(ud_host_arch(), "");
}
END_TEST

START_TEST(escape_for_terminal)
{
	const struct {
		const char *in;
		size_t max;
		const char *want;
	} cases[] = {
		{"plain tag", 0, "plain tag"},
		{"a\nb\tc\rd\\e", 0, "a\\nb\\tc\\rd\\\\e"},
		{"\x1b[2J\x07", 0, "\\x1b[2J\\x07"},
		{"caf\xc3\xa9", 0, "caf\xc3\xa9"},
		{"\xc2\x9b"
		 "31m",
		 0, "\\xc2\\x9b31m"}, /* C1 CSI */
		{"\xff\xc3", 0, "\\xff\\xc3"},
		{"\x7f", 0, "\\x7f"},
		{"abcdef", 3, "abc..."},
		{NULL, 0, ""},
	};
	for (size_t i = 0; i < UD_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = ud_str_escape(cases[i].in, cases[i].max);
		ck_assert_str_eq(got, cases[i].want);
	}
}
END_TEST

/* Both ways of resolving inside a root: openat2 and the component walk. */
static void root_helpers(bool fast)
{
	ud_root_use_openat2(fast);
	char tmpl[] = "/tmp/ud-root-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	_cleanup_free_ char *root = ud_path_join(tmpl, "ROOT");
	_cleanup_free_ char *host = ud_path_join(tmpl, "host");
	ck_assert_int_eq(mkdir(root, 0755), 0);
	ck_assert_int_eq(mkdir(host, 0755), 0);
	_cleanup_free_ char *l1 = ud_path_join(root, "abs");
	_cleanup_free_ char *l2 = ud_path_join(root, "rel");
	_cleanup_free_ char *l3 = ud_path_join(root, "self");
	_cleanup_free_ char *l4 = ud_path_join(root, "loop");
	ck_assert_int_eq(symlink(host, l1), 0);
	ck_assert_int_eq(symlink("../../../../../../../../../../../..", l2), 0);
	_cleanup_free_ char *selfdir = ud_path_join(root, "real");
	ck_assert_int_eq(symlink(selfdir, l3), 0); /* as the F modes write them */
	ck_assert_int_eq(symlink("loop", l4), 0);
	int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rfd, 0);
	struct ud_error *err = NULL;
	/* Absolute and climbing links stay inside. */
	ck_assert_int_eq(ud_root_write_file(rfd, "/abs/x", "1", 1, 0644, &err), 0);
	_cleanup_free_ char *rel_host = xasprintf("rel%s/y", host);
	ck_assert_int_eq(ud_root_write_file(rfd, rel_host, "2", 1, 0644, &err), 0);
	int d = ud_root_mkdir_p(rfd, "rel/../abs/sub/dir", 0755, &err);
	ck_assert_int_ge(d, 0);
	close(d);
	_cleanup_free_ char *name = NULL;
	d = ud_root_open_parent(rfd, "/abs/sub/file", true, true, &name, &err);
	ck_assert_int_ge(d, 0);
	ck_assert_int_eq(mknodat(d, name, S_IFREG | 0644, 0), 0);
	close(d);
	_cleanup_free_ char *hx = ud_path_join(host, "x");
	_cleanup_free_ char *hy = ud_path_join(host, "y");
	_cleanup_free_ char *hs = ud_path_join(host, "sub");
	ck_assert(!ud_path_exists(hx));
	ck_assert(!ud_path_exists(hy));
	ck_assert(!ud_path_exists(hs));
	_cleanup_free_ char *in_x = xasprintf("%s%s/x", root, host);
	_cleanup_free_ char *in_y = xasprintf("%s%s/y", root, host);
	_cleanup_free_ char *in_f = xasprintf("%s%s/sub/file", root, host);
	ck_assert(ud_is_file(in_x));
	ck_assert(ud_is_file(in_y));
	ck_assert(ud_is_file(in_f));
	_cleanup_free_ char *res = ud_root_resolve(rfd, "abs/sub/dir/..", &err);
	_cleanup_free_ char *want = xasprintf("%s/sub", host);
	ck_assert_str_eq(res, want);
	/* A link naming the root's host path means the path below it. */
	ck_assert_int_eq(ud_root_write_file(rfd, "/self/z", "3", 1, 0644, &err), 0);
	_cleanup_free_ char *in_z = ud_path_join(selfdir, "z");
	ck_assert(ud_is_file(in_z));
	/* O_NOFOLLOW and loops. */
	ck_assert_int_lt(ud_root_open(rfd, "abs", O_RDONLY | O_NOFOLLOW, 0, &err), 0);
	ud_error_clear(&err);
	ck_assert_int_lt(ud_root_open(rfd, "loop/x", O_RDONLY, 0, &err), 0);
	ck_assert_int_eq(err->sys, ELOOP);
	ud_error_clear(&err);
	int fd = ud_root_open(rfd, "/abs/x", O_RDONLY, 0, &err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	free(steal_pointer(&name));
	ck_assert_int_lt(ud_root_open_parent(rfd, "a/..", false, false, &name, &err), 0);
	ud_error_clear(&err);
	close(rfd);
	ck_assert_int_eq(ud_rmtree(tmpl, NULL), 0);
	ud_root_use_openat2(true);
}

START_TEST(root_openat2)
{
	root_helpers(true);
}
END_TEST

START_TEST(root_walk)
{
	root_helpers(false);
}
END_TEST

/* Edge cases of the resolution, each the same with openat2 and with the
 * walk: what ud_root_open gives (the file it opened, or errno). */
struct root_case {
	const char *path;
	int flags;
	const char *want; /* the file in ROOT it must open, NULL: fails */
	int err;	  /* the errno when it fails */
};

static void root_edges(bool fast)
{
	ud_root_use_openat2(fast);
	char tmpl[] = "/tmp/ud-redge-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	_cleanup_free_ char *root = ud_path_join(tmpl, "ROOT");
	ck_assert_int_eq(mkdir(root, 0755), 0);
	int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rfd, 0);
	ck_assert_int_eq(mkdirat(rfd, "real", 0755), 0);
	ck_assert_int_eq(mkdirat(rfd, "real/sub", 0755), 0);
	ck_assert_int_eq(mkdirat(rfd, "real/sub/deeper", 0755), 0);
	ck_assert_int_eq(mknodat(rfd, "real/f", S_IFREG | 0644, 0), 0);
	ck_assert_int_eq(mknodat(rfd, "real/sub/f2", S_IFREG | 0644, 0), 0);
	ck_assert_int_eq(symlinkat("loopb", rfd, "loopa"), 0);
	ck_assert_int_eq(symlinkat("loopa", rfd, "loopb"), 0);
	ck_assert_int_eq(symlinkat("self", rfd, "self"), 0);
	/* c0 -> c1 -> ... -> c39 -> real: 40 links; d0 .. d40: 41. */
	for (int i = 0; i < 41; i++) {
		char name[16], next[16];
		snprintf(name, sizeof(name), "c%d", i);
		snprintf(next, sizeof(next), "c%d", i + 1);
		if (i < 40)
			ck_assert_int_eq(symlinkat(i == 39 ? "real" : next, rfd, name), 0);
		snprintf(name, sizeof(name), "d%d", i);
		snprintf(next, sizeof(next), "d%d", i + 1);
		ck_assert_int_eq(symlinkat(i == 40 ? "real" : next, rfd, name), 0);
	}
	ck_assert_int_eq(symlinkat("/real/sub/deeper", rfd, "deep"), 0);
	ck_assert_int_eq(symlinkat("/", rfd, "toroot"), 0);
	ck_assert_int_eq(symlinkat("../..", rfd, "real/up"), 0);
	ck_assert_int_eq(symlinkat("real", rfd, "ldir"), 0);
	ck_assert_int_eq(symlinkat("/nowhere/x", rfd, "dang"), 0);
	/* The longest target Linux allows (PATH_MAX - 1 bytes). */
	struct ud_buf lt = {0};
	while (lt.len < PATH_MAX - 1 - strlen("real/"))
		ud_buf_puts(&lt, "./");
	ud_buf_puts(&lt, "real/");
	ck_assert_uint_eq(lt.len, PATH_MAX - 1);
	ck_assert_int_eq(symlinkat(lt.data, rfd, "long"), 0);
	ud_buf_release(&lt);
	const struct root_case cases[] = {
		{"loopa/x", O_RDONLY, NULL, ELOOP},
		{"loopa", O_RDONLY, NULL, ELOOP},
		{"self/x", O_RDONLY, NULL, ELOOP},
		{"c0/f", O_RDONLY, "real/f", 0},
		{"d0/f", O_RDONLY, NULL, ELOOP},
		{"deep/../f2", O_RDONLY, "real/sub/f2", 0},
		{"deep/../../../../../real/f", O_RDONLY, "real/f", 0},
		{"toroot", O_PATH | O_DIRECTORY, ".", 0},
		{"toroot/real/f", O_RDONLY, "real/f", 0},
		{"toroot/../../real/f", O_RDONLY, "real/f", 0},
		{"real/up/real/up/real/f", O_RDONLY, "real/f", 0},
		{"long/f", O_RDONLY, "real/f", 0},
		{"real/f/", O_RDONLY, NULL, ENOTDIR},
		{"ldir/", O_PATH | O_NOFOLLOW, "real", 0},
		{"ldir", O_PATH | O_NOFOLLOW, "ldir", 0},
		{"real//sub///f2", O_RDONLY, "real/sub/f2", 0},
		{"", O_PATH | O_DIRECTORY, ".", 0},
		{"/", O_PATH | O_DIRECTORY, ".", 0},
		{"..", O_PATH | O_DIRECTORY, ".", 0},
		{"dang", O_RDONLY, NULL, ENOENT},
		{"real/f", O_RDONLY | O_DIRECTORY, NULL, ENOTDIR},
	};
	for (size_t i = 0; i < UD_ARRAY_SIZE(cases); i++) {
		const struct root_case *c = &cases[i];
		struct ud_error *err = NULL;
		int fd = ud_root_open(rfd, c->path, c->flags, 0, &err);
		if (c->want == NULL) {
			ck_assert_msg(fd < 0, "%s: '%s' opened", fast ? "openat2" : "walk",
				      c->path);
			ck_assert_msg(err->sys == c->err, "%s: '%s': errno %d, want %d",
				      fast ? "openat2" : "walk", c->path, err->sys, c->err);
			ud_error_free(err);
			continue;
		}
		ck_assert_msg(fd >= 0, "%s: '%s': %s", fast ? "openat2" : "walk", c->path,
			      err ? err->msg : "?");
		struct stat got, want;
		ck_assert_int_eq(fstat(fd, &got), 0);
		ck_assert_int_eq(fstatat(rfd, c->want, &want, AT_SYMLINK_NOFOLLOW), 0);
		ck_assert_msg(got.st_ino == want.st_ino, "%s: '%s' is not ROOT/%s",
			      fast ? "openat2" : "walk", c->path, c->want);
		close(fd);
	}
	/* mkdir_p and open_parent on the same edges. */
	struct ud_error *err = NULL;
	ck_assert_int_lt(ud_root_mkdir_p(rfd, "loopa/new", 0755, &err), 0);
	ck_assert_int_eq(err->sys, ELOOP);
	ud_error_clear(&err);
	int d = ud_root_mkdir_p(rfd, "dang/made", 0755, &err);
	ck_assert_int_ge(d, 0);
	close(d);
	struct stat st;
	ck_assert_int_eq(fstatat(rfd, "nowhere/x/made", &st, 0), 0);
	_cleanup_free_ char *name = NULL;
	ck_assert_int_lt(ud_root_open_parent(rfd, "toroot", true, false, &name, &err), 0);
	ud_error_clear(&err);
	ck_assert_int_lt(ud_root_open_parent(rfd, "", true, false, &name, &err), 0);
	ud_error_clear(&err);
	d = ud_root_open_parent(rfd, "real/sub/", false, false, &name, &err);
	ck_assert_int_ge(d, 0);
	ck_assert_str_eq(name, "sub");
	close(d);
	/* Reads: a FIFO is refused at once, a file above the cap too. */
	ck_assert_int_eq(mkfifoat(rfd, "real/fifo", 0644), 0);
	ck_assert_int_eq(symlinkat("/real/fifo", rfd, "tofifo"), 0);
	ck_assert_ptr_null(ud_root_read_file(rfd, "tofifo", 100, NULL, &err));
	ck_assert_int_eq(err->code, UD_ERR_INVALID);
	ud_error_clear(&err);
	ck_assert_int_eq(ud_root_write_file(rfd, "real/sub/text", "hello", 5, 0644, &err), 0);
	size_t len = 0;
	_cleanup_free_ char *text = ud_root_read_file(rfd, "c0/sub/text", 5, &len, &err);
	ck_assert_str_eq(text, "hello");
	ck_assert_uint_eq(len, 5);
	ck_assert_ptr_null(ud_root_read_file(rfd, "real/sub/text", 4, NULL, &err));
	ud_error_clear(&err);
	ck_assert_ptr_null(ud_root_read_file(rfd, "real/missing", 4, NULL, &err));
	ck_assert_int_eq(err->code, UD_ERR_NOT_FOUND);
	ud_error_clear(&err);
	close(rfd);
	ck_assert_int_eq(ud_rmtree(tmpl, NULL), 0);
	ud_root_use_openat2(true);
}

START_TEST(root_edges_openat2)
{
	root_edges(true);
}
END_TEST

START_TEST(root_edges_walk)
{
	root_edges(false);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, error_context);
	tcase_add_test(tc, strings_and_paths);
	tcase_add_test(tc, path_normalize);
	tcase_add_test(tc, read_small_file);
	tcase_add_test(tc, atomic_write_and_rmtree);
	tcase_add_test(tc, sha256_vectors);
	tcase_add_test(tc, lock_contention_names_holder);
	tcase_add_test(tc, shared_locks);
	tcase_add_test(tc, random_ids);
	tcase_add_test(tc, escape_for_terminal);
	tcase_add_test(tc, root_openat2);
	tcase_add_test(tc, root_walk);
	tcase_add_test(tc, root_edges_openat2);
	tcase_add_test(tc, root_edges_walk);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
