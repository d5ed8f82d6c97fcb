/* F1-F2: the command runs as an ordinary process with
 * libudocker-fakechroot.so preloaded (fakechroot/), started through the
 * container's own ELF loader so the host's loader and libraries never mix
 * in. F2 also patches the container's loader so it ignores the host's
 * LD_LIBRARY_PATH and default directories (reference §5.4).
 *
 * Container files (as 1.3.16): root.path (the ROOT the absolute symlinks
 * were converted for), ld.so.orig (F2: the loader before patching). */
#include "elf/elf.h"
#include "engines/engines.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

char *ud_engine_fakechroot_lib(char **why);

char *ud_engine_fakechroot_lib(char **why)
{
	static const char *const names[] = {"libudocker-fakechroot.so",
					    "../lib/udocker/libudocker-fakechroot.so", NULL};
	char *p = ud_engines_beside_self(names, R_OK);
	if (p == NULL && why)
		*why = xstrdup("the F modes' library libudocker-fakechroot.so is not installed "
			       "beside udocker (nor in ../lib/udocker)");
	/* The loader splits LD_PRELOAD at spaces and colons. */
	if (p && strpbrk(p, " \t:")) {
		if (why)
			*why = xasprintf(
				"the F modes' library is at '%s', a path with a space or "
				"':', where the loader's LD_PRELOAD splits it: move udocker "
				"to a directory without them",
				p);
		free(p);
		p = NULL;
	}
	return p;
}

static bool is_f(int mode)
{
	return mode >= UD_EXECMODE_F1 && mode <= UD_EXECMODE_F4;
}

/* ------------------------------------------------------ the container */

/* Opens a host file to read its head: a FIFO or device is never opened
 * for real (no wait for a writer). -1 when it is not a regular file. */
static int open_head(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The ELF interpreter a program file (fd, closed here) asks for, or NULL
 * (static, not ELF, malformed). *is_program: whether it is an ELF program
 * at all (of any class). */
static char *elf_interp_fd(int fd, bool *is_program)
{
	struct ud_elf e;
	char buf[4096];
	char *interp = NULL;
	bool program = fd >= 0 && ud_elf_open(&e, fd) == 0 && ud_elf_is_program(&e);
	if (program && ud_elf_interp(&e, buf, sizeof(buf)) == 1)
		interp = xstrdup(buf);
	if (is_program)
		*is_program = program;
	if (fd >= 0)
		close(fd);
	return interp;
}

static char *elf_interp(const char *path)
{
	return elf_interp_fd(open_head(path), NULL);
}

/* Whether the host file is an ELF program without an interpreter: its
 * system calls would never reach the preload library. */
static bool elf_static(const char *path)
{
	bool is_program = false;
	_cleanup_free_ char *interp = elf_interp_fd(open_head(path), &is_program);
	if (!is_program)
		return false;
	/* The container's loader run by name (ld.so --list) preloads us. */
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	return interp == NULL && strncmp(base, "ld-", 3) != 0;
}

/* The container's loader (guest path) for F modes: that of its /bin/sh,
 * which must be glibc's. */
static char *container_loader(const char *root, struct ud_error **err)
{
	const char *const probes[] = {"/bin/sh", "/usr/bin/env", "/bin/ls", "/usr/bin/ls"};
	/* Resolved in the root: an image's link never makes this read a host
	 * file, a FIFO is not waited on. */
	_cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; root_fd >= 0 && i < UD_ARRAY_SIZE(probes); i++) {
		char *interp = elf_interp_fd(ud_root_open_regular(root_fd, probes[i], NULL), NULL);
		if (interp == NULL)
			continue;
		/* F3/F4: the programs name the loader by its host path. */
		size_t n = strlen(root);
		if (strncmp(interp, root, n) == 0 && interp[n] == '/')
			memmove(interp, interp + n, strlen(interp + n) + 1);
		if (strstr(interp, "ld-musl")) {
			ud_error_set(err, UD_ERR_UNSUPPORTED,
				     "the F modes support glibc containers; this one uses musl "
				     "(%s): use P1 or N1",
				     interp);
			free(interp);
			return NULL;
		}
		return interp;
	}
	ud_error_set(err, UD_ERR_UNSUPPORTED,
		     "the F modes need a dynamically linked glibc container; %s/bin/sh is "
		     "static or missing: use P1 or N1",
		     root);
	return NULL;
}

bool ud_engine_f_can_run(const char *root)
{
	struct ud_error *e = NULL;
	char *ld = container_loader(root, &e);
	ud_error_free(e);
	free(ld);
	return ld != NULL;
}

/* ------------------------------------------------ absolute symlinks */

/* In F modes an absolute symlink in ROOT must name the host path (the
 * kernel follows it), elsewhere the container path: converted on entering
 * and leaving, and again when the container moved. The walk goes through
 * directory fds opened with O_NOFOLLOW and replaces each link relative to
 * its directory: it never leaves ROOT through a symlink. */
struct convert {
	const char *from, *to;
	size_t from_len, to_len;
	int errors;
};

/* The new target of an absolute link, or NULL to keep it. from "" prefixes
 * every absolute target with to (a killed setup may have done some). */
static char *converted(const struct convert *cv, const char *target)
{
	if (target[0] != '/')
		return NULL;
	bool done_already = cv->to_len && strncmp(target, cv->to, cv->to_len) == 0 &&
			    (target[cv->to_len] == '/' || target[cv->to_len] == '\0');
	char *next = NULL;
	if (cv->from_len && strncmp(target, cv->from, cv->from_len) == 0 &&
	    (target[cv->from_len] == '/' || target[cv->from_len] == '\0'))
		next = xasprintf("%s%s", cv->to, target + cv->from_len);
	else if (cv->from_len == 0 && !done_already)
		next = xasprintf("%s%s", cv->to, target);
	if (next && next[0] == '\0') {
		free(next);
		next = xstrdup("/");
	}
	return next;
}

static int convert_dir(struct convert *cv, int dfd, const char *path, struct ud_error **err)
{
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return ud_error_sys(err, errno, "cannot read '%s'", path);
	}
	int ret = 0;
	struct dirent *de;
	while (ret == 0 && (de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		struct stat st;
		if (!strcmp(name, ".") || !strcmp(name, "..") ||
		    fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_free_ char *subpath = ud_path_join(path, name);
			if (sub >= 0)
				ret = convert_dir(cv, sub, subpath, err);
			continue;
		}
		if (!S_ISLNK(st.st_mode))
			continue;
		if (ud_str_has_suffix(name, ".udocker-link")) {
			unlinkat(dirfd(d), name, 0); /* a killed conversion's temporary link */
			continue;
		}
		char target[4096];
		ssize_t n = readlinkat(dirfd(d), name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		_cleanup_free_ char *next = converted(cv, target);
		if (next == NULL)
			continue;
		_cleanup_free_ char *tmp = xasprintf("%.200s.udocker-link", name);
		unlinkat(dirfd(d), tmp, 0);
		if (symlinkat(next, dirfd(d), tmp) < 0 ||
		    renameat(dirfd(d), tmp, dirfd(d), name) < 0) {
			unlinkat(dirfd(d), tmp, 0);
			cv->errors++;
		}
	}
	closedir(d);
	return ret;
}

static int convert_links(const char *root, const char *from, const char *to, struct ud_error **err)
{
	struct convert cv = {from, to, strlen(from), strlen(to), 0};
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ud_error_sys(err, errno, "cannot walk '%s'", root);
	if (convert_dir(&cv, fd, root, err) < 0)
		return -1;
	if (cv.errors)
		return ud_error_set(err, UD_ERR_IO, "%d symlinks in '%s' could not be converted",
				    cv.errors, root);
	return 0;
}

/* Makes the absolute symlinks name host paths of ROOT where they are. */
static int links_for_here(const struct ud_engine_container *c, struct ud_error **err)
{
	_cleanup_free_ char *rp = ud_path_join(c->dir, "root.path");
	_cleanup_free_ char *was = ud_read_file(rp, NULL, NULL);
	if (was && strcmp(was, c->root) == 0)
		return 0;
	if (convert_links(c->root, was ? was : "", c->root, err) < 0)
		return -1;
	return ud_write_file_atomic(rp, c->root, strlen(c->root), 0644, err);
}

/* Back to container paths (leaving the F modes). */
static int links_for_container(const struct ud_engine_container *c, struct ud_error **err)
{
	_cleanup_free_ char *rp = ud_path_join(c->dir, "root.path");
	_cleanup_free_ char *was = ud_read_file(rp, NULL, NULL);
	if (was == NULL)
		return 0;
	if (convert_links(c->root, was, "", err) < 0)
		return -1;
	unlink(rp);
	return 0;
}

/* ------------------------------------------------------ F2's loader */

/* Replaces every occurrence of `from` by `to` (same length) in data. */
static size_t replace_all(char *data, size_t len, const char *from, const char *to, size_t n)
{
	size_t count = 0;
	for (char *p = data; (p = memmem(p, len - (size_t)(p - data), from, n)) != NULL; p += n) {
		memcpy(p, to, n);
		count++;
	}
	return count;
}

/* The container's loader as a path in its root with no symlink left
 * (resolved in the root: an image's link never leads the patch out). */
static char *loader_in_root(int root_fd, const char *root, struct ud_error **err)
{
	_cleanup_free_ char *ld = container_loader(root, err);
	if (ld == NULL)
		return NULL;
	char *res = ud_root_resolve(root_fd, ld, err);
	if (res == NULL)
		ud_error_prefix(err, "container loader '%s'", ld);
	return res;
}

/* Reads the file at path in the root; its mode in *mode. */
static char *read_in_root(int root_fd, const char *path, size_t *len, mode_t *mode,
			  struct ud_error **err)
{
	_cleanup_close_ int fd = ud_root_open(root_fd, path, O_RDONLY | O_NOFOLLOW, 0, err);
	struct stat st;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		ud_error_sys(err, errno, "'%s'", path);
		return NULL;
	}
	*mode = st.st_mode & 07777;
	_cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d", fd);
	return ud_read_file(proc, len, err);
}

/* F2's copy of the original loader (ld.so.orig beside ROOT): a symlink
 * there (a hostile clone) is refused, never read. */
static char *read_loader_copy(const char *orig, size_t *len, struct ud_error **err)
{
	_cleanup_close_ int fd = ud_open_store_file(orig, O_RDONLY, 0, "loader copy", err);
	return fd < 0 ? NULL : ud_read_small_fd(fd, orig, 64u << 20, len, err);
}

/* The container root open (O_PATH) in *root_fd and its loader's path in
 * *ld (caller closes and frees); -1 with *err. */
static int open_loader(const char *root, int *root_fd, char **ld, struct ud_error **err)
{
	*root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*root_fd < 0)
		return ud_error_sys(err, errno, "cannot open '%s'", root);
	*ld = loader_in_root(*root_fd, root, err);
	return *ld ? 0 : -1;
}

static int patch_loader(const struct ud_engine_container *c, struct ud_error **err)
{
	_cleanup_close_ int root_fd = -1;
	_cleanup_free_ char *ld = NULL;
	if (open_loader(c->root, &root_fd, &ld, err) < 0)
		return -1;
	_cleanup_free_ char *orig = ud_path_join(c->dir, "ld.so.orig");
	size_t len = 0;
	mode_t mode = 0755;
	_cleanup_free_ char *cur = read_in_root(root_fd, ld, &len, &mode, err);
	if (cur == NULL)
		return -1;
	_cleanup_free_ char *data =
		ud_path_exists(orig) ? read_loader_copy(orig, &len, err) : steal_pointer(&cur);
	if (data == NULL)
		return -1;
	if (!ud_path_exists(orig) && ud_write_file_atomic(orig, data, len, 0644, err) < 0)
		return -1;
	/* The loader's own search: no ld.so.cache or preload file, no
	 * default directories, and LD_LIBRARY_REAL instead of the host's
	 * LD_LIBRARY_PATH. */
	replace_all(data, len, "\0/etc/ld.so", "\0/\0\0\0\0\0\0\0\0\0", 11);
	replace_all(data, len, "\0/lib", "\0/\0\0\0", 5);
	replace_all(data, len, "\0/usr", "\0/\0\0\0", 5);
	if (replace_all(data, len, "\0LD_LIBRARY_PATH\0", "\0LD_LIBRARY_REAL\0", 17) == 0)
		return ud_error_set(err, UD_ERR_UNSUPPORTED,
				    "'%s' does not look like glibc's loader (no LD_LIBRARY_PATH)",
				    ld);
	return ud_root_write_file(root_fd, ld, data, len, mode, err);
}

static int restore_loader(const struct ud_engine_container *c, struct ud_error **err)
{
	_cleanup_free_ char *orig = ud_path_join(c->dir, "ld.so.orig");
	if (!ud_path_exists(orig))
		return 0;
	_cleanup_close_ int root_fd = -1;
	_cleanup_free_ char *ld = NULL;
	if (open_loader(c->root, &root_fd, &ld, err) < 0)
		return -1;
	size_t len = 0, cur_len = 0;
	mode_t mode = 0755;
	_cleanup_free_ char *data = read_loader_copy(orig, &len, err);
	_cleanup_free_ char *cur = data ? read_in_root(root_fd, ld, &cur_len, &mode, err) : NULL;
	if (cur == NULL || ud_root_write_file(root_fd, ld, data, len, mode, err) < 0)
		return ud_error_prefix(err, "restoring the loader of '%s'", c->root);
	unlink(orig);
	return 0;
}

static bool patched_mode(int mode)
{
	return mode == UD_EXECMODE_F3 || mode == UD_EXECMODE_F4;
}

int ud_engine_f_setup(const struct ud_engine_container *c, int old, enum ud_execmode mode,
		      struct ud_error **err)
{
	bool was_f2 = old == UD_EXECMODE_F2;
	if (was_f2 && mode != UD_EXECMODE_F2 && restore_loader(c, err) < 0)
		return -1;
	if (patched_mode(old) && !patched_mode(mode) && ud_engine_f_unpatch(c, err) < 0)
		return -1;
	if (!is_f(mode))
		return is_f(old) ? links_for_container(c, err) : 0;
	_cleanup_free_ char *ld = container_loader(c->root, err);
	if (ld == NULL || links_for_here(c, err) < 0)
		return -1;
	int r = mode == UD_EXECMODE_F2 ? patch_loader(c, err)
		: patched_mode(mode)   ? ud_engine_f_patch(c, err)
				       : 0;
	/* Failed: a container that stays in a non-F mode gets its links back. */
	if (r < 0 && !is_f(old))
		links_for_container(c, NULL);
	return r;
}

/* ------------------------------------------------------------ run */

static void env_put(char ***env, const char *name, const char *value)
{
	size_t n = strlen(name);
	for (size_t i = 0; *env && (*env)[i]; i++) {
		if (strncmp((*env)[i], name, n) == 0 && (*env)[i][n] == '=') {
			free((*env)[i]);
			(*env)[i] = xasprintf("%s=%s", name, value);
			return;
		}
	}
	ud_strv_push(env, xasprintf("%s=%s", name, value));
}

/* The container's library directories, as host paths, ':'-joined. */
static char *library_path(const char *root)
{
	struct ud_buf b = {0};
	const char *const dirs[] = {"/lib/x86_64-linux-gnu",
				    "/usr/lib/x86_64-linux-gnu",
				    "/usr/local/lib",
				    "/lib64",
				    "/usr/lib64",
				    "/lib",
				    "/usr/lib"};
	for (size_t i = 0; i < UD_ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *d = xasprintf("%s%s", root, dirs[i]);
		if (ud_is_dir(d))
			ud_buf_printf(&b, "%s%s", b.len ? ":" : "", d);
	}
	return ud_buf_steal(&b);
}

/* Host path of a guest path: through the binds, else under root. */
/* argv for the first program: dynamic ELF through the loader (F1/F2),
 * a #! script through its interpreter. */
static char **first_argv(const struct ud_run_request *r, const char *loader, const char *guest,
			 const char *argv0, int depth, bool *loaded)
{
	char **v = NULL;
	_cleanup_free_ char *host = ud_engine_host_path(r, guest);
	char head[256] = {0};
	/* As the kernel: a few #! levels, then the program runs as it is
	 * (and fails with ELOOP). */
	int fd = depth < 4 ? open_head(host) : -1;
	if (fd >= 0) {
		(void)!read(fd, head, sizeof(head) - 1);
		close(fd);
	}
	if (head[0] == '#' && head[1] == '!') {
		head[strcspn(head, "\n")] = '\0';
		char *s = head + 2 + strspn(head + 2, " \t");
		size_t n = strcspn(s, " \t");
		_cleanup_free_ char *interp = xstrndup(s, n);
		s += n;
		s += strspn(s, " \t");
		char *const one[] = {interp, *s ? s : NULL, NULL};
		char **iv = first_argv(r, loader, interp, interp, depth + 1, loaded);
		for (size_t i = 0; iv[i]; i++)
			ud_strv_push(&v, xstrdup(iv[i]));
		ud_strv_free(iv);
		if (one[1])
			ud_strv_push(&v, xstrdup(one[1]));
		ud_strv_push(&v, xstrdup(guest));
		return v;
	}
	/* Patched programs (F3/F4) name the container's loader themselves. */
	_cleanup_free_ char *interp = elf_interp(host);
	if (interp && loader && !ud_str_has_prefix(interp, r->root)) {
		char *ld = xasprintf("%s%s", r->root, loader);
		ud_strv_push(&v, ld);
		*loaded = true;
		/* A loader older than glibc 2.33 gives the program its path. */
		if (ud_elf_loader_takes_argv0(ld)) {
			ud_strv_push(&v, xstrdup("--argv0"));
			ud_strv_push(&v, xstrdup(argv0));
		}
	}
	ud_strv_push(&v, steal_pointer(&host));
	return v;
}

int ud_engine_f_run(enum ud_execmode mode, const struct ud_run_request *r, int *status,
		    struct ud_error **err)
{
	_cleanup_free_ char *lib = ud_engines_need(ud_engine_fakechroot_lib, mode, err);
	if (lib == NULL)
		return -1;
	_cleanup_free_ char *loader = container_loader(r->root, err);
	if (loader == NULL)
		return -1;
	{
		/* Links and (F3/F4) programs for where the container is now:
		 * redone when it moved, by one run at a time. */
		const struct ud_engine_container c = {.dir = r->dir, .root = r->root};
		_cleanup_lock_ struct ud_lock lock = {.fd = -1};
		if (ud_engine_setup_lock(&c, &lock, err) < 0 || links_for_here(&c, err) < 0 ||
		    (patched_mode(mode) && ud_engine_f_patch(&c, err) < 0))
			return -1;
	}
	_cleanup_free_ char *exe = NULL;
	if (ud_engine_prepare(r, UD_PREPARE_MOUNTPOINTS | UD_PREPARE_WORKDIR | UD_PREPARE_COMMAND,
			      &exe, err) < 0)
		return -1;
	_cleanup_free_ char *wd = ud_engine_host_path(r, r->workdir ? r->workdir : "/");
	/* The environment of the F modes (reference §5.4). */
	_cleanup_(ud_strv_freep) char **env = ud_strv_dup(r->env);
	_cleanup_free_ char *libpath = library_path(r->root);
	struct ud_buf exclude = {0}, map = {0}, ro = {0};
	for (size_t i = 0; i < r->n_binds; i++) {
		const struct ud_bind *b = &r->binds[i];
		if (strcmp(b->host, b->path) == 0)
			ud_buf_printf(&exclude, "%s%s", exclude.len ? ":" : "", b->path);
		else
			ud_buf_printf(&map, "%s%s!%s", map.len ? ":" : "", b->host, b->path);
		if (b->readonly)
			ud_buf_printf(&ro, "%s%s", ro.len ? ":" : "", b->path);
	}
	env_put(&env, "FAKECHROOT_BASE", r->root);
	env_put(&env, "LD_PRELOAD", lib);
	env_put(&env, "LD_LIBRARY_PATH", libpath);
	if (exclude.len)
		env_put(&env, "FAKECHROOT_EXCLUDE_PATH", exclude.data);
	if (map.len)
		env_put(&env, "FAKECHROOT_DIR_MAP", map.data);
	if (ro.len)
		env_put(&env, "UDOCKER_RO_DIRS", ro.data);
	if (r->hostname)
		env_put(&env, "UDOCKER_HOSTNAME", r->hostname);
	/* F1, F2: every program through the loader; F4: those not patched
	 * (new since the setup); F3: none. */
	_cleanup_free_ char *ldhost = xasprintf("%s%s", r->root, loader);
	if (mode != UD_EXECMODE_F3)
		env_put(&env, "FAKECHROOT_ELFLOADER", ldhost);
	if (mode == UD_EXECMODE_F2) {
		env_put(&env, "LD_LIBRARY_REAL", libpath);
		env_put(&env, "FAKECHROOT_LIBRARY_ORIG", libpath);
	}
	_cleanup_free_ char *ids = xasprintf("%u:%u", (unsigned)r->uid, (unsigned)r->gid);
	if (r->uid != getuid() || r->gid != getgid())
		env_put(&env, "UDOCKER_FAKE_IDS", ids);
	env_put(&env, "PWD", r->workdir ? r->workdir : "/");
	ud_buf_release(&exclude);
	ud_buf_release(&map);
	ud_buf_release(&ro);
	bool loaded = false; /* the container's loader runs it */
	_cleanup_(ud_strv_freep) char **argv =
		first_argv(r, mode == UD_EXECMODE_F3 ? NULL : loader, exe, r->argv[0], 0, &loaded);
	for (size_t i = 1; r->argv[i]; i++)
		ud_strv_push(&argv, xstrdup(r->argv[i]));
	/* Without the loader in front the program itself gets argv[0]. */
	_cleanup_free_ char *prog = xstrdup(argv[0]);
	if (!loaded && elf_static(prog))
		return ud_error_set(err, UD_ERR_UNSUPPORTED,
				    "%s: '%s' is statically linked: the preload library cannot "
				    "translate its paths (use P1 or N1)",
				    ud_execmode_name(mode), exe);
	if (!loaded) {
		free(argv[0]);
		argv[0] = xstrdup(r->argv[0]);
	}
	struct ud_spawn s = {.path = prog, .argv = argv, .env = env, .dir = wd};
	return ud_spawn_run(&s, status, err);
}
