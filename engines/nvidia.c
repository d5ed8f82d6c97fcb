/* setup --nvidia (reference §6): the host's NVIDIA driver libraries and
 * tools copied into the container, refused when they need a newer glibc
 * than the container has. Where to look is settable, so hosts with the
 * driver in other places (and the tests, with stand-in files) can say:
 *   UDOCKER_NVIDIA_LIBDIRS  host library directories (":"-separated;
 *                           default /usr/lib/x86_64-linux-gnu:/usr/lib64,
 *                           plus those of LD_LIBRARY_PATH)
 *   UDOCKER_NVIDIA_BINDIR   host directory of nvidia-smi & co. (/usr/bin)
 *   UDOCKER_NVIDIA_ETCDIR   host directory of vulkan/ and OpenCL/ (/etc)
 * The container gets the marker file `nvidia` in its directory. */
#include "elf/elf.h"
#include "engines/engines.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

static const char *const lib_prefixes[] = {"libOpenCL.",
					   "libcuda.",
					   "libnvcuvid.",
					   "libnvidia-cfg.",
					   "libnvidia-compiler.",
					   "libnvidia-encode.",
					   "libnvidia-fatbinaryloader.",
					   "libnvidia-fbc.",
					   "libnvidia-ifr.",
					   "libnvidia-ml.",
					   "libnvidia-opencl.",
					   "libnvidia-ptxjitcompiler.",
					   "libnvidia-tls."};
static const char *const tools[] = {"nvidia-bug-report.sh",   "nvidia-cuda-mps-control",
				    "nvidia-cuda-mps-server", "nvidia-debugdump",
				    "nvidia-installer",	      "nvidia-persistenced",
				    "nvidia-settings",	      "nvidia-smi",
				    "nvidia-uninstall",	      "nvidia-xconfig"};
static const char *const etc_files[] = {"vulkan/icd.d/nvidia_icd.json",
					"OpenCL/vendors/nvidia.icd"};

bool ud_engine_nvidia_mode(const struct ud_engine_container *c)
{
	_cleanup_free_ char *m = ud_path_join(c->dir, "nvidia");
	return ud_path_exists(m);
}

static bool is_nvidia_lib(const char *name)
{
	for (size_t i = 0; i < UD_ARRAY_SIZE(lib_prefixes); i++)
		if (ud_str_has_prefix(name, lib_prefixes[i]))
			return true;
	return false;
}

/* ---------------------------------------------------- glibc versions */

static void glibc_max(const char *name, void *arg)
{
	unsigned *best = arg, major, minor;
	if (sscanf(name, "GLIBC_%u.%u", &major, &minor) == 2 && major < 1000 && minor < 1000 &&
	    major * 1000 + minor > *best)
		*best = major * 1000 + minor;
}

/* The highest GLIBC_M.N an ELF file (fd, closed here) needs (verneed) or
 * defines (verdef), as M*1000+N; 0 when none. */
static unsigned glibc_version_fd(int fd, bool defined)
{
	if (fd < 0)
		return 0;
	struct ud_elf e;
	unsigned best = 0;
	if (ud_elf_open(&e, fd) == 0)
		(void)ud_elf_versions(&e, defined, glibc_max, &best);
	close(fd);
	return best;
}

static unsigned glibc_version(const char *path, bool defined)
{
	return glibc_version_fd(open(path, O_RDONLY | O_CLOEXEC), defined);
}

/* The container's libc, resolved in its root (root_fd). */
static unsigned container_glibc(int root_fd)
{
	const char *const libcs[] = {"/lib/x86_64-linux-gnu/libc.so.6",
				     "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6",
				     "/usr/lib64/libc.so.6", "/lib/libc.so.6"};
	for (size_t i = 0; i < UD_ARRAY_SIZE(libcs); i++) {
		/* A FIFO there is refused, not waited on. */
		unsigned v = glibc_version_fd(ud_root_open_regular(root_fd, libcs[i], NULL), true);
		if (v)
			return v;
	}
	return 0;
}

unsigned ud_engine_container_glibc(const char *root)
{
	_cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return root_fd < 0 ? 0 : container_glibc(root_fd);
}

/* ---------------------------------------------------------- copying */

struct copy {
	char *src, *dst; /* host path, container path */
};

static void add_copy(struct copy **list, size_t *n, const char *src, const char *dst)
{
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = (struct copy){xstrdup(src), xstrdup(dst)};
}

static void collect_libs(const char *dir, const char *sub, const char *dest, struct copy **list,
			 size_t *n)
{
	_cleanup_free_ char *from = sub ? ud_path_join(dir, sub) : xstrdup(dir);
	DIR *d = opendir(from);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!is_nvidia_lib(de->d_name))
			continue;
		_cleanup_free_ char *src = ud_path_join(from, de->d_name);
		_cleanup_free_ char *rel =
			sub ? ud_path_join(sub, de->d_name) : xstrdup(de->d_name);
		_cleanup_free_ char *dst = ud_path_join(dest, rel);
		add_copy(list, n, src, dst);
	}
	closedir(d);
}

/* A host library directory holds the driver when libcuda or
 * libnvidia-cfg is there. */
static bool has_driver(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	struct dirent *de;
	bool found = false;
	while (!found && (de = readdir(d)) != NULL)
		found = ud_str_has_prefix(de->d_name, "libcuda.so") ||
			ud_str_has_prefix(de->d_name, "libnvidia-cfg.so");
	closedir(d);
	return found;
}

/* Into the container root open at root_fd: every directory on the way is
 * resolved in the root, and what is at c->dst replaced (not followed). */
static int copy_one(int root_fd, const struct copy *c, struct ud_error **err)
{
	struct stat st;
	if (lstat(c->src, &st) < 0)
		return ud_error_sys(err, errno, "'%s'", c->src);
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int dir = ud_root_open_parent(root_fd, c->dst, false, true, &name, err);
	if (dir < 0)
		return -1;
	if (unlinkat(dir, name, 0) < 0 && errno != ENOENT)
		return ud_error_sys(err, errno, "cannot replace '%s' in the container", c->dst);
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlink(c->src, target, sizeof(target) - 1);
		if (n < 0)
			return ud_error_sys(err, errno, "'%s'", c->src);
		target[n] = '\0';
		if (symlinkat(target, dir, name) < 0)
			return ud_error_sys(err, errno, "'%s'", c->dst);
		return 0;
	}
	mode_t mode = (st.st_mode & 07777) | S_IRUSR | S_IWUSR;
	return ud_root_copy_file(root_fd, c->src, c->dst, mode, err);
}

int ud_engine_nvidia_setup(const struct ud_engine_container *c, bool force, struct ud_error **err)
{
	const char *root = c->root;
	/* The host's driver directories. */
	const char *env_dirs = getenv("UDOCKER_NVIDIA_LIBDIRS");
	struct ud_buf dirs = {0};
	ud_buf_puts(&dirs,
		    env_dirs && *env_dirs ? env_dirs : "/usr/lib/x86_64-linux-gnu:/usr/lib64");
	const char *llp = getenv("LD_LIBRARY_PATH");
	if ((env_dirs == NULL || *env_dirs == '\0') && llp && *llp)
		ud_buf_printf(&dirs, ":%s", llp);
	_cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		ud_buf_release(&dirs);
		return ud_error_sys(err, errno, "cannot open the container root '%s'", root);
	}
	/* Container paths, resolved in the root (an image's symlink there
	 * never leads the copies out of it). */
	const char *const dests[] = {"/usr/lib/x86_64-linux-gnu", "/usr/lib64"};
	_cleanup_free_ char *dest = NULL;
	for (size_t i = 0; i < UD_ARRAY_SIZE(dests) && dest == NULL; i++) {
		int d = ud_root_open(root_fd, dests[i], O_PATH | O_DIRECTORY, 0, NULL);
		if (d >= 0) {
			close(d);
			dest = xstrdup(dests[i]);
		}
	}
	struct copy *list = NULL;
	size_t n = 0;
	int rc = 0;
	char *save = NULL;
	_cleanup_free_ char *into = xstrdup(dest ? dest : dests[0]);
	for (char *d = strtok_r(dirs.data, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (!has_driver(d))
			continue;
		collect_libs(d, NULL, into, &list, &n);
		collect_libs(d, "tls", into, &list, &n);
	}
	size_t n_libs = n;
	unsigned have = container_glibc(root_fd);
	if (n_libs == 0)
		rc = ud_error_set(err, UD_ERR_NOT_FOUND,
				  "host nvidia libraries not found (looked in %s; set "
				  "UDOCKER_NVIDIA_LIBDIRS)",
				  env_dirs && *env_dirs ? env_dirs
							: "/usr/lib/x86_64-linux-gnu:/usr/lib64");
	else if (have == 0)
		rc = ud_error_set(
			err, UD_ERR_UNSUPPORTED,
			"the container has no glibc (libc.so.6) for the nvidia libraries");
	else if (dest == NULL)
		rc = ud_error_set(err, UD_ERR_NOT_FOUND,
				  "destination dir for nvidia libs not found in '%s'", root);
	ud_buf_release(&dirs);
	/* The tools and the ICD files, where the host has them. */
	const char *bindir = getenv("UDOCKER_NVIDIA_BINDIR");
	const char *etcdir = getenv("UDOCKER_NVIDIA_ETCDIR");
	for (size_t i = 0; rc == 0 && i < UD_ARRAY_SIZE(tools); i++) {
		_cleanup_free_ char *src = ud_path_join(bindir ? bindir : "/usr/bin", tools[i]);
		_cleanup_free_ char *dst = xasprintf("/usr/bin/%s", tools[i]);
		if (ud_path_exists(src))
			add_copy(&list, &n, src, dst);
	}
	for (size_t i = 0; rc == 0 && i < UD_ARRAY_SIZE(etc_files); i++) {
		_cleanup_free_ char *src = ud_path_join(etcdir ? etcdir : "/etc", etc_files[i]);
		_cleanup_free_ char *dst = xasprintf("/etc/%s", etc_files[i]);
		if (ud_path_exists(src))
			add_copy(&list, &n, src, dst);
	}
	/* Nothing is copied unless all of it can be. */
	for (size_t i = 0; rc == 0 && i < n_libs; i++) {
		unsigned need = glibc_version(list[i].src, false);
		if (need > have)
			rc = ud_error_set(
				err, UD_ERR_UNSUPPORTED,
				"host nvidia library '%s' needs glibc %u.%u, the container "
				"has %u.%u: use a newer image",
				list[i].src, need / 1000, need % 1000, have / 1000, have % 1000);
	}
	for (size_t i = 0; rc == 0 && !force && i < n; i++) {
		_cleanup_close_ int there =
			ud_root_open(root_fd, list[i].dst, O_PATH | O_NOFOLLOW, 0, NULL);
		if (there >= 0)
			rc = ud_error_set(err, UD_ERR_EXISTS,
					  "nvidia installation already exists, use --force to "
					  "overwrite (%s)",
					  list[i].dst);
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = copy_one(root_fd, &list[i], err);
	for (size_t i = 0; i < n; i++) {
		free(list[i].src);
		free(list[i].dst);
	}
	free(list);
	if (rc < 0)
		return -1;
	_cleanup_free_ char *marker = ud_path_join(c->dir, "nvidia");
	if (ud_write_file_atomic(marker, "", 0, 0644, err) < 0)
		return -1;
	ud_log(UD_LOG_INFO, "nvidia mode set: %zu files copied", n);
	return 0;
}
