/* F3/F4: the ELF interpreter and absolute run paths of every program and
 * library in the container rewritten to the container's host location,
 * with Debian's patchelf, on a copy: the original file moves to
 * .patch.orig/ unchanged and is put back exactly when the container leaves
 * F3/F4 or moves (patch.path and patch.time as 1.3.16 writes them). */
#include "elf/elf.h"
#include "engines/engines.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

char *ud_engine_patchelf(char **why);

char *ud_engine_patchelf(char **why)
{
	static const char *const names[] = {"patchelf", NULL};
	return ud_engines_tool("UDOCKER_USE_PATCHELF_EXECUTABLE", names,
			       "F3 and F4 need patchelf on PATH (apt-get install patchelf)", why);
}

/* PT_INTERP of an ELF file, or NULL. */
static char *interp_of(const struct ud_elf *e)
{
	char buf[4096];
	return ud_elf_interp(e, buf, sizeof(buf)) == 1 ? xstrdup(buf) : NULL;
}

/* DT_RPATH/DT_RUNPATH with each absolute directory not yet in root
 * prefixed by root; NULL when nothing changes. */
static char *rpath_of(const struct ud_elf *elf, const char *root)
{
	char buf[4096];
	if (ud_elf_runpath(elf, buf, sizeof(buf)) != 1)
		return NULL;
	struct ud_buf out = {0};
	bool changed = false;
	char *save = NULL;
	for (char *e = strtok_r(buf, ":", &save); e; e = strtok_r(NULL, ":", &save)) {
		bool abs = e[0] == '/' && !ud_str_has_prefix(e, root);
		ud_buf_printf(&out, "%s%s%s", out.len ? ":" : "", abs ? root : "", e);
		changed |= abs;
	}
	if (!changed) {
		ud_buf_release(&out);
		return NULL;
	}
	return ud_buf_steal(&out);
}

static struct {
	const char *root, *patchelf, *backup;
	int root_fd;
	size_t root_len;
	int done, failed;
	char *first_error;
} walk;

static int run(char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	int ws = 0;
	if (pid < 0 || waitpid(pid, &ws, 0) < 0)
		return -1;
	return WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : -1;
}

/* Copies src to a new file dst (mode), written in place: a kill leaves
 * dst, which the next walk recognises by its name and removes. */
static int copy_to(const char *src, const char *dst, mode_t mode)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	int r = out < 0 ? -1 : 0;
	char buf[1 << 16];
	ssize_t n;
	while (r == 0 && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || ud_write_all(out, buf, (size_t)n) < 0)
			r = -1;
	}
	close(in);
	if (out >= 0 && (fchmod(out, mode) < 0 || close(out) < 0))
		r = -1;
	return r;
}

static int patch_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)f;
	if (type != FTW_F || !S_ISREG(st->st_mode) || st->st_uid != getuid())
		return 0;
	/* A copy a killed setup left half patched (its patchelf may even be
	 * still at work on it: each setup patches copies of its own). */
	if (strstr(path, ".udocker-patch.") || ud_str_has_suffix(path, ".udocker-patch")) {
		unlink(path);
		return 0;
	}
	if (st->st_size < 64)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct ud_elf e;
	_cleanup_free_ char *interp = NULL, *rpath = NULL;
	if (ud_elf_open(&e, fd) == 0 && ud_elf_is_program(&e)) {
		interp = interp_of(&e);
		rpath = rpath_of(&e, walk.root);
	}
	close(fd);
	if (interp && ud_str_has_prefix(interp, walk.root))
		interp = (free(interp), NULL);
	if (interp == NULL && rpath == NULL)
		return 0;
	const char *rel = path + walk.root_len;
	_cleanup_free_ char *tmp = xasprintf("%s.udocker-patch.%d", path, (int)getpid());
	_cleanup_free_ char *bak = xasprintf("%s%s", walk.backup, rel);
	_cleanup_free_ char *bakdir = xstrdup(bak);
	*strrchr(bakdir, '/') = '\0';
	_cleanup_free_ char *newinterp = interp ? xasprintf("%s%s", walk.root, interp) : NULL;
	char *argv[8];
	size_t k = 0;
	argv[k++] = (char *)walk.patchelf;
	if (newinterp) {
		argv[k++] = (char *)"--set-interpreter";
		argv[k++] = newinterp;
	}
	if (rpath) {
		argv[k++] = (char *)"--set-rpath";
		argv[k++] = rpath;
	}
	argv[k++] = tmp;
	argv[k] = NULL;
	/* The copy is patched; the original keeps its inode in the backup (a
	 * link a killed setup made to this very file is made again). */
	struct stat bst;
	if (lstat(bak, &bst) == 0 && bst.st_ino == st->st_ino && bst.st_dev == st->st_dev)
		unlink(bak);
	unlink(tmp);
	if (copy_to(path, tmp, st->st_mode & 07777) < 0 || run(argv) < 0 ||
	    ud_mkdir_p(bakdir, 0755, NULL) < 0 || link(path, bak) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		if (walk.first_error == NULL)
			walk.first_error = xstrdup(rel);
		walk.failed++;
		return 0;
	}
	walk.done++;
	return 0;
}

static int restore_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	if (type != FTW_F)
		return 0;
	/* Back where it was in ROOT, resolved there: a link in ROOT (say, of
	 * a hostile clone) never leads an original out of it. */
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int dir = ud_root_open_parent(walk.root_fd, path + strlen(walk.backup),
						      false, false, &name, NULL);
	if (dir < 0 || renameat(AT_FDCWD, path, dir, name) < 0)
		walk.failed++;
	return 0;
}

int ud_engine_f_unpatch(const struct ud_engine_container *c, struct ud_error **err)
{
	/* The records go first: killed half way, the next setup or run sees
	 * "not patched" and finishes putting the originals back. */
	_cleanup_free_ char *pp = ud_path_join(c->dir, "patch.path");
	_cleanup_free_ char *pt = ud_path_join(c->dir, "patch.time");
	unlink(pp);
	unlink(pt);
	_cleanup_free_ char *backup = ud_path_join(c->dir, ".patch.orig");
	if (ud_is_dir(backup)) {
		memset(&walk, 0, sizeof(walk));
		walk.root = c->root;
		walk.backup = backup;
		_cleanup_close_ int root_fd = open(c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root_fd < 0)
			return ud_error_sys(err, errno, "cannot open '%s'", c->root);
		walk.root_fd = root_fd;
		if (nftw(backup, restore_one, 64, FTW_PHYS) < 0 || walk.failed)
			return ud_error_set(err, UD_ERR_IO,
					    "cannot put back %d original files from '%s'",
					    walk.failed, backup);
		if (ud_rmtree(backup, err) < 0)
			return -1;
	}
	unlink(pp);
	unlink(pt);
	return 0;
}

int ud_engine_f_patch(const struct ud_engine_container *c, struct ud_error **err)
{
	_cleanup_free_ char *pp = ud_path_join(c->dir, "patch.path");
	_cleanup_free_ char *was = ud_read_file(pp, NULL, NULL);
	if (was && strcmp(was, c->dir) == 0)
		return 0;
	/* Moved since it was patched, or a patch was killed half way: start
	 * again from the originals. */
	_cleanup_free_ char *backup = ud_path_join(c->dir, ".patch.orig");
	if ((was || ud_is_dir(backup)) && ud_engine_f_unpatch(c, err) < 0)
		return -1;
	_cleanup_free_ char *patchelf = ud_engines_need(ud_engine_patchelf, UD_EXECMODE_COUNT, err);
	if (patchelf == NULL)
		return -1;
	memset(&walk, 0, sizeof(walk));
	walk.root = c->root;
	walk.patchelf = patchelf;
	walk.backup = backup;
	walk.root_len = strlen(c->root);
	int r = nftw(c->root, patch_one, 64, FTW_PHYS);
	_cleanup_free_ char *first = walk.first_error;
	if (r < 0 || walk.failed) {
		ud_error_set(err, UD_ERR_IO, "patchelf failed on %d files in '%s' (first: %s)",
			     walk.failed, c->root, first ? first : "?");
		ud_engine_f_unpatch(c, NULL);
		return -1;
	}
	ud_log(UD_LOG_VERBOSE, "patched %d programs and libraries in %s", walk.done, c->root);
	_cleanup_free_ char *pt = ud_path_join(c->dir, "patch.time");
	_cleanup_free_ char *now = xasprintf("%lld", (long long)time(NULL));
	if (ud_write_file_atomic(pt, now, strlen(now), 0644, err) < 0 ||
	    ud_write_file_atomic(pp, c->dir, strlen(c->dir), 0644, err) < 0)
		return -1;
	return 0;
}
