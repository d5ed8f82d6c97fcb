/* libudocker-fakechroot.so: the preload library of the F modes. Loaded
 * into every process of a glibc container, it maps the paths the program
 * passes to libc onto the container's directory on the host and back, and
 * starts programs through the container's own loader.
 *
 * It is self-contained: only libc, and the real functions are found with
 * dlsym(RTLD_NEXT) at run time, so it loads into containers whose glibc is
 * older than the build host's (down to 2.17, the oldest dlsym it binds).
 *
 * Settings (environment, as udocker's libfakechroot):
 *   FAKECHROOT_BASE         the container root on the host (required)
 *   FAKECHROOT_EXCLUDE_PATH guest paths used unchanged (":"-separated)
 *   FAKECHROOT_DIR_MAP      volumes, "HOST!GUEST" pairs (":"-separated)
 *   FAKECHROOT_ELFLOADER    F1/F2: programs start through this loader
 *   FAKECHROOT_LIBRARY_ORIG the container's library path (exec keeps it)
 *   UDOCKER_RO_DIRS         read-only volumes (guest paths, ":"-separated)
 *   UDOCKER_HOSTNAME        what uname reports as the node name
 *   UDOCKER_FAKE_IDS        UID:GID to emulate (ids.c)
 */
#ifndef UD_FAKECHROOT_H
#define UD_FAKECHROOT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define FC_PATH PATH_MAX

struct fc_map {
	const char *host, *guest;
	size_t host_len, guest_len;
};

struct fc_config {
	bool on;
	const char *base;
	size_t base_len;
	struct fc_map maps[64]; /* dir map first, then the exclusions (host == guest) */
	size_t n_maps;
	const char *ro[32]; /* read-only volumes (guest paths) */
	size_t n_ro;
	const char *hostname;
	const char *loader;
	/* what exec puts back into an environment that lost it */
	const char *keep[16];
	size_t n_keep;
};

extern struct fc_config fc;

/* Looks up the real libc function `name` (aborts when it is missing). */
void *fc_real(const char *name);
/* The real function `name` of function pointer type `type`, looked up once. */
#define R(type, name)                                                                              \
	({                                                                                         \
		static __typeof__(type) f_;                                                        \
		if (f_ == NULL)                                                                    \
			f_ = (type)fc_real(#name);                                                 \
		f_;                                                                                \
	})

/* Guest path -> host path in buf, links followed (fc_host_at). Returns the path
 * to pass on: `path` itself when unchanged, else buf. NULL stays NULL;
 * NULL with errno when the path cannot be resolved. */
const char *fc_host(const char *path, char *buf);
/* fc_host relative to directory fd `d` (AT_FDCWD: the working
 * directory); `how`: FC_NOFOLLOW leaves a link in the last component
 * (lstat, unlink, rename), FC_WRITE refuses read-only volumes (EROFS).
 * Paths are resolved as in a chroot (".." and links stay inside); a
 * relative path from a directory outside the container is left as it is.
 * NULL with errno on failure (ELOOP, ENAMETOOLONG, EROFS). */
#define FC_NOFOLLOW 1
#define FC_WRITE 2
/* FC_LEXICAL: "." and ".." only, no link followed (a symlink's target);
 * FC_ABSONLY: a relative path is left as it is (glob, nftw: the names
 * they give back keep the caller's form). */
#define FC_LEXICAL 4
#define FC_ABSONLY 8
const char *fc_host_at(int d, const char *path, char *buf, int how);
/* The resolved guest path of (d, path) into g (FC_PATH bytes). */
bool fc_guest_at(int d, const char *path, char *g, int how);
/* fc_host for a call that writes: NULL with errno EROFS in a read-only
 * volume (absolute paths only). */
const char *fc_host_w(const char *path, char *buf);
/* Host path -> guest path in place (getcwd, realpath, readlink); returns
 * false when the path is outside the container. */
bool fc_guest(char *path, size_t size);

/* ids.c: "UDOCKER_FAKE_IDS=..." with the process's emulated ids, or NULL. */
const char *fc_ids_env(void);

/* exec.c: the environment a started program gets (ours put back). */
char **fc_env(char *const envp[]);

#endif
