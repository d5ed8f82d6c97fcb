#include "engines/engines.h"

#include <check.h>
#include <elf.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
	ck_assert(!ud_engine_available(UD_EXECMODE_COUNT, &why));
	ck_assert_ptr_nonnull(strstr(why, "not one this version knows"));
	free(why);
}
END_TEST

static void put(const char *path, const char *text)
{
	struct ud_error *err = NULL;
	ck_assert_msg(ud_write_file_atomic(path, text, strlen(text), 0644, &err) == 0, "%s",
		      err ? err->msg : "");
}

/* The engines' files about a container are in the directory the caller
 * gives, wherever ROOT is: nothing is looked for beside ROOT. */
START_TEST(container_files_in_its_directory)
{
	char top[] = "/tmp/check-engines-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(top));
	_cleanup_free_ char *dir = ud_path_join(top, "cdir");
	_cleanup_free_ char *elsewhere = ud_path_join(top, "elsewhere");
	_cleanup_free_ char *root = ud_path_join(elsewhere, "ROOT");
	_cleanup_free_ char *bin = ud_path_join(root, "bin");
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(mkdir(elsewhere, 0700), 0);
	ck_assert_int_eq(mkdir(root, 0700), 0);
	ck_assert_int_eq(mkdir(bin, 0700), 0);
	const struct ud_engine_container c = {.dir = dir, .root = root};

	/* setup --nvidia's marker: in dir only. */
	_cleanup_free_ char *beside = ud_path_join(elsewhere, "nvidia");
	put(beside, "");
	ck_assert(!ud_engine_nvidia_mode(&c));
	_cleanup_free_ char *marker = ud_path_join(dir, "nvidia");
	put(marker, "");
	ck_assert(ud_engine_nvidia_mode(&c));

	/* The setup lock. */
	struct ud_error *err = NULL;
	struct ud_lock lock = {.fd = -1};
	ck_assert_int_eq(ud_engine_setup_lock(&c, &lock, &err), 0);
	ud_lock_release(&lock);
	_cleanup_free_ char *lockfile = ud_path_join(dir, ".setup.lock");
	ck_assert(ud_path_exists(lockfile));
	_cleanup_free_ char *lock_beside = ud_path_join(elsewhere, ".setup.lock");
	ck_assert(!ud_path_exists(lock_beside));

	/* Leaving F3: the originals in dir/.patch.orig go back into ROOT, the
	 * records in dir go, and the links converted for root.path (in dir)
	 * become container paths again. */
	_cleanup_free_ char *orig_bin = ud_path_join(dir, ".patch.orig/bin");
	ck_assert_int_eq(ud_mkdir_p(orig_bin, 0755, &err), 0);
	_cleanup_free_ char *orig = ud_path_join(orig_bin, "prog");
	put(orig, "original");
	_cleanup_free_ char *prog = ud_path_join(bin, "prog");
	put(prog, "patched");
	_cleanup_free_ char *pp = ud_path_join(dir, "patch.path");
	_cleanup_free_ char *pt = ud_path_join(dir, "patch.time");
	_cleanup_free_ char *rp = ud_path_join(dir, "root.path");
	put(pp, dir);
	put(pt, "1");
	put(rp, root);
	_cleanup_free_ char *link = ud_path_join(root, "l");
	ck_assert_int_eq(symlink(prog, link), 0);
	ck_assert_msg(ud_engine_setup(&c, UD_EXECMODE_F3, UD_EXECMODE_N1, &err) == 0, "%s",
		      err ? err->msg : "");
	_cleanup_free_ char *text = ud_read_file(prog, NULL, NULL);
	ck_assert_str_eq(text, "original");
	ck_assert(!ud_path_exists(pp));
	ck_assert(!ud_path_exists(pt));
	ck_assert(!ud_path_exists(rp));
	_cleanup_free_ char *orig_dir = ud_path_join(dir, ".patch.orig");
	ck_assert(!ud_path_exists(orig_dir));
	char target[256];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = '\0';
	ck_assert_str_eq(target, "/bin/prog");
	ck_assert_int_eq(ud_rmtree(top, NULL), 0);
}
END_TEST

/* A root whose libc.so.6 is the bytes given. */
static char *root_with_libc(const void *data, size_t len)
{
	char tmpl[] = "/tmp/check_engines.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	char *root = xstrdup(tmpl);
	_cleanup_free_ char *lib = xasprintf("%s/lib", root);
	ck_assert_int_eq(mkdir(lib, 0755), 0);
	_cleanup_free_ char *libc = xasprintf("%s/lib/libc.so.6", root);
	int fd = open(libc, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return root;
}

/* The container's glibc version comes from a file of the image: section
 * tables and version records pointing anywhere are not followed. */
START_TEST(container_glibc_of_hostile_libc)
{
	/* The host's own libc: its version. */
	int in = open("/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		fprintf(stderr, "check_engines: skipped: no /lib/x86_64-linux-gnu/libc.so.6\n");
		return;
	}
	struct stat st;
	ck_assert_int_eq(fstat(in, &st), 0);
	_cleanup_free_ char *data = xmalloc((size_t)st.st_size);
	ck_assert_int_eq(pread(in, data, (size_t)st.st_size, 0), st.st_size);
	close(in);
	_cleanup_free_ char *good = root_with_libc(data, (size_t)st.st_size);
	unsigned major, minor;
	ck_assert_int_eq(sscanf(gnu_get_libc_version(), "%u.%u", &major, &minor), 2);
	ck_assert_uint_eq(ud_engine_container_glibc(good), major * 1000 + minor);
	/* A section table whose end wraps around to inside the file. */
	unsigned char img[4096] = {0};
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_DYN;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 0xffff;
	eh->e_shoff = (Elf64_Off)0 - (Elf64_Off)0xffff * sizeof(Elf64_Shdr) + 64;
	_cleanup_free_ char *wrap = root_with_libc(img, sizeof(img));
	ck_assert_uint_eq(ud_engine_container_glibc(wrap), 0);
	/* A verdef record cut by the end of the file. */
	eh->e_shoff = 64;
	eh->e_shnum = 2;
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + 64);
	sh[0] = (Elf64_Shdr){.sh_type = SHT_GNU_verdef,
			     .sh_offset = sizeof(img) - 16,
			     .sh_size = 16,
			     .sh_link = 1,
			     .sh_info = 1};
	sh[1] = (Elf64_Shdr){.sh_type = SHT_STRTAB, .sh_offset = 512, .sh_size = 16};
	memcpy(img + 512, "\0GLIBC_2.99", 12);
	Elf64_Verdef vd = {.vd_version = 1, .vd_cnt = 1, .vd_aux = 0};
	memcpy(img + sizeof(img) - 16, &vd, 16);
	_cleanup_free_ char *cut = root_with_libc(img, sizeof(img));
	ck_assert_uint_eq(ud_engine_container_glibc(cut), 0);
	/* A name at the end of the file without its NUL. */
	sh[0] = (Elf64_Shdr){.sh_type = SHT_GNU_verdef,
			     .sh_offset = 256,
			     .sh_size = sizeof(Elf64_Verdef) + sizeof(Elf64_Verdaux),
			     .sh_link = 1,
			     .sh_info = 1};
	sh[1] = (Elf64_Shdr){.sh_type = SHT_STRTAB, .sh_offset = sizeof(img) - 11, .sh_size = 11};
	vd.vd_aux = sizeof(Elf64_Verdef);
	Elf64_Verdaux va = {.vda_name = 1};
	memcpy(img + 256, &vd, sizeof(vd));
	memcpy(img + 256 + sizeof(vd), &va, sizeof(va));
	memcpy(img + sizeof(img) - 11, "\0GLIBC_2.99", 11);
	_cleanup_free_ char *nonul = root_with_libc(img, sizeof(img));
	ck_assert_uint_eq(ud_engine_container_glibc(nonul), 0);
	const char *roots[] = {good, wrap, cut, nonul};
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(ud_rmtree(roots[i], NULL), 0);
}
END_TEST

/* A missing working directory is made only for a caller that asks
 * (UD_PREPARE_WORKDIR). */
START_TEST(prepare_makes_workdir_only_when_asked)
{
	char tmpl[] = "/tmp/check_engines.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	char *argv[] = {"/bin/true", NULL};
	struct ud_run_request r = {.root = tmpl, .workdir = "/new/dir", .argv = argv};
	_cleanup_free_ char *made = xasprintf("%s/new", tmpl);
	struct ud_error *err = NULL;
	ck_assert_int_eq(ud_engine_prepare(&r, 0, NULL, &err), 0);
	ck_assert_int_ne(access(made, F_OK), 0);
	ck_assert_int_eq(ud_engine_prepare(&r, UD_PREPARE_WORKDIR, NULL, &err), 0);
	ck_assert_int_eq(access(made, F_OK), 0);
	ck_assert_int_eq(ud_rmtree(tmpl, NULL), 0);
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
	tcase_add_test(tc, container_files_in_its_directory);
	tcase_add_test(tc, container_glibc_of_hostile_libc);
	tcase_add_test(tc, prepare_makes_workdir_only_when_asked);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
