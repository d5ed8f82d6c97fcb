/* The calls a program can make without a libc function of their own:
 * syscall(SYS_openat2, ...) and the other path-taking numbers get their
 * paths translated as the libc wrappers do; and the libc entry points
 * that only newer glibc has (execveat) or that take a path libc opens
 * itself (tmpfile's /tmp). */
#include "fakechroot/fakechroot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

extern char **environ;

/* A path argument of a system call: where the path and its directory fd
 * are, how it resolves, which argument holds AT_ flags (AT_SYMLINK_NOFOLLOW
 * or AT_SYMLINK_FOLLOW when `follow_flag`). */
struct sys_path {
	signed char dfd, path, flags;
	bool follow_flag;
	int how;
};

struct sys_entry {
	long nr;
	struct sys_path p[2];
};

#define NONE                                                                                       \
	{                                                                                          \
		-1, -1, -1, false, 0                                                               \
	}
#define W FC_WRITE
#define NF FC_NOFOLLOW
/* The path-taking system calls of the current x86_64 table (and their
 * generic equivalents elsewhere); open, openat, openat2 and the exec
 * calls are done apart. */
static const struct sys_entry table[] = {
#ifdef SYS_stat
	{SYS_stat, {{-1, 0, -1, false, 0}, NONE}},
	{SYS_lstat, {{-1, 0, -1, false, NF}, NONE}},
	{SYS_access, {{-1, 0, -1, false, 0}, NONE}},
	{SYS_creat, {{-1, 0, -1, false, W}, NONE}},
	{SYS_mkdir, {{-1, 0, -1, false, W | NF}, NONE}},
	{SYS_rmdir, {{-1, 0, -1, false, W | NF}, NONE}},
	{SYS_unlink, {{-1, 0, -1, false, W | NF}, NONE}},
	{SYS_rename, {{-1, 0, -1, false, W | NF}, {-1, 1, -1, false, W | NF}}},
	{SYS_link, {{-1, 0, -1, false, NF}, {-1, 1, -1, false, W | NF}}},
	{SYS_symlink, {{-1, 0, -1, false, FC_LEXICAL | FC_ABSONLY}, {-1, 1, -1, false, W | NF}}},
	{SYS_readlink, {{-1, 0, -1, false, NF}, NONE}},
	{SYS_chmod, {{-1, 0, -1, false, W}, NONE}},
	{SYS_chown, {{-1, 0, -1, false, W}, NONE}},
	{SYS_lchown, {{-1, 0, -1, false, W | NF}, NONE}},
	{SYS_utime, {{-1, 0, -1, false, W}, NONE}},
	{SYS_utimes, {{-1, 0, -1, false, W}, NONE}},
	{SYS_mknod, {{-1, 0, -1, false, W | NF}, NONE}},
	{SYS_futimesat, {{0, 1, -1, false, W}, NONE}},
	{SYS_inotify_add_watch, {{-1, 1, -1, false, 0}, NONE}},
#endif
	{SYS_truncate, {{-1, 0, -1, false, W}, NONE}},
	{SYS_chdir, {{-1, 0, -1, false, 0}, NONE}},
	{SYS_chroot, {{-1, 0, -1, false, 0}, NONE}},
	{SYS_statfs, {{-1, 0, -1, false, 0}, NONE}},
	{SYS_setxattr, {{-1, 0, -1, false, W}, NONE}},
	{SYS_lsetxattr, {{-1, 0, -1, false, W | NF}, NONE}},
	{SYS_getxattr, {{-1, 0, -1, false, 0}, NONE}},
	{SYS_lgetxattr, {{-1, 0, -1, false, NF}, NONE}},
	{SYS_listxattr, {{-1, 0, -1, false, 0}, NONE}},
	{SYS_llistxattr, {{-1, 0, -1, false, NF}, NONE}},
	{SYS_removexattr, {{-1, 0, -1, false, W}, NONE}},
	{SYS_lremovexattr, {{-1, 0, -1, false, W | NF}, NONE}},
	{SYS_mkdirat, {{0, 1, -1, false, W | NF}, NONE}},
	{SYS_mknodat, {{0, 1, -1, false, W | NF}, NONE}},
	{SYS_fchownat, {{0, 1, 4, false, W}, NONE}},
	{SYS_newfstatat, {{0, 1, 3, false, 0}, NONE}},
	{SYS_unlinkat, {{0, 1, -1, false, W | NF}, NONE}},
	{SYS_renameat, {{0, 1, -1, false, W | NF}, {2, 3, -1, false, W | NF}}},
	{SYS_renameat2, {{0, 1, -1, false, W | NF}, {2, 3, -1, false, W | NF}}},
	{SYS_linkat, {{0, 1, 4, true, 0}, {2, 3, -1, false, W | NF}}},
	{SYS_symlinkat, {{-1, 0, -1, false, FC_LEXICAL | FC_ABSONLY}, {1, 2, -1, false, W | NF}}},
	{SYS_readlinkat, {{0, 1, -1, false, NF}, NONE}},
	{SYS_fchmodat, {{0, 1, -1, false, W}, NONE}},
	{SYS_fchmodat2, {{0, 1, 3, false, W}, NONE}},
	{SYS_faccessat, {{0, 1, -1, false, 0}, NONE}},
	{SYS_faccessat2, {{0, 1, 3, false, 0}, NONE}},
	{SYS_utimensat, {{0, 1, 3, false, W}, NONE}},
	{SYS_statx, {{0, 1, 2, false, 0}, NONE}},
	{SYS_name_to_handle_at, {{0, 1, 4, true, 0}, NONE}},
	{SYS_fanotify_mark, {{3, 4, -1, false, 0}, NONE}},
	{SYS_swapon, {{-1, 0, -1, false, W}, NONE}},
	{SYS_swapoff, {{-1, 0, -1, false, W}, NONE}},
	{SYS_acct, {{-1, 0, -1, false, W}, NONE}},
	{SYS_umount2, {{-1, 0, -1, false, 0}, NONE}},
	{SYS_mount, {{-1, 1, -1, false, 0}, NONE}},
	{SYS_pivot_root, {{-1, 0, -1, false, 0}, {-1, 1, -1, false, 0}}},
};

typedef long (*syscall_fn)(long, ...);

static int open_how(long flags)
{
	return ((flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) ? FC_WRITE : 0) |
	       ((flags & O_NOFOLLOW) || (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)
			? FC_NOFOLLOW
			: 0);
}

/* openat2's struct open_how starts with the open flags (a u64). */
static int openat2_how(long how_ptr, long size)
{
	uint64_t flags;
	if (how_ptr == 0 || size < (long)sizeof(flags))
		return 0;
	memcpy(&flags, (const void *)how_ptr, sizeof(flags));
	return open_how((long)flags);
}

static int dfd_of(const long *a, int i)
{
	return i < 0 ? AT_FDCWD : (int)a[i];
}

int execveat(int d, const char *p, char *const argv[], char *const envp[], int flags);
int execveat(int d, const char *p, char *const argv[], char *const envp[], int flags)
{
	if (!fc.on || p[0] == '\0')
		return (int)R(syscall_fn, syscall)(SYS_execveat, d, p, argv, envp, flags);
	/* The program by its guest path, so it starts as execve starts it. */
	char g[FC_PATH];
	if (!fc_guest_at(d, p, g, (flags & AT_SYMLINK_NOFOLLOW) ? FC_NOFOLLOW : 0))
		return p[0] == '/'
			       ? -1
			       : (int)R(syscall_fn, syscall)(SYS_execveat, d, p, argv, envp, flags);
	return execve(g, argv, envp);
}

int open_by_handle_at(int mount_fd, struct file_handle *handle, int flags)
{
	/* A handle reaches any file of the file system, the host's too. */
	(void)mount_fd, (void)handle, (void)flags;
	if (!fc.on)
		return (int)R(syscall_fn, syscall)(SYS_open_by_handle_at, mount_fd, handle, flags);
	errno = EPERM;
	return -1;
}

int name_to_handle_at(int d, const char *p, struct file_handle *handle, int *mount_id, int flags)
{
	char hb[FC_PATH];
	const char *h = fc_host_at(d, p, hb, (flags & AT_SYMLINK_FOLLOW) ? 0 : FC_NOFOLLOW);
	if (h == NULL && p != NULL)
		return -1;
	return (int)R(syscall_fn, syscall)(SYS_name_to_handle_at, d, h, handle, mount_id, flags);
}

int fanotify_mark(int fd, unsigned int flags, uint64_t mask, int d, const char *p);
int fanotify_mark(int fd, unsigned int flags, uint64_t mask, int d, const char *p)
{
	char hb[FC_PATH];
	const char *h = fc_host_at(d, p, hb, 0);
	if (h == NULL && p != NULL)
		return -1;
	return R(int (*)(int, unsigned int, uint64_t, int, const char *),
		 fanotify_mark)(fd, flags, mask, d, h);
}

/* tmpfile opens in P_tmpdir ("/tmp") itself: the container's /tmp. */
FILE *tmpfile(void)
{
	if (!fc.on)
		return R(FILE * (*)(void), tmpfile)();
	char hb[FC_PATH];
	const char *h = fc_host_at(AT_FDCWD, "/tmp", hb, FC_WRITE);
	if (h == NULL)
		return NULL;
	int fd = R(int (*)(const char *, int, ...), open)(h, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	if (fd < 0) {
		char t[FC_PATH];
		if (snprintf(t, sizeof(t), "%s/tmpfXXXXXX", h) >= (int)sizeof(t))
			return NULL;
		fd = R(int (*)(char *, int), mkostemp)(t, O_CLOEXEC);
		if (fd < 0)
			return NULL;
		R(int (*)(const char *), unlink)(t);
	}
	/* libc's tmpfile gives a descriptor without FD_CLOEXEC. */
	fcntl(fd, F_SETFD, 0);
	FILE *f = fdopen(fd, "w+");
	if (f == NULL)
		close(fd);
	return f;
}
FILE *tmpfile64(void)
{
	return tmpfile();
}

long syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	syscall_fn real = R(syscall_fn, syscall);
	if (!fc.on)
		return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	char hb[2][FC_PATH];
	switch (nr) {
#ifdef SYS_open
	case SYS_open: {
		const char *h = fc_host_at(AT_FDCWD, (const char *)a[0], hb[0], open_how(a[1]));
		if (h == NULL && a[0])
			return -1;
		return real(nr, (long)h, a[1], a[2]);
	}
	case SYS_execve:
		if (a[0] == 0)
			break;
		return execve((const char *)a[0], (char *const *)a[1], (char *const *)a[2]);
#endif
	case SYS_openat: {
		const char *h = fc_host_at((int)a[0], (const char *)a[1], hb[0], open_how(a[2]));
		if (h == NULL && a[1])
			return -1;
		return real(nr, a[0], (long)h, a[2], a[3]);
	}
	case SYS_openat2: {
		/* RESOLVE_BENEATH / RESOLVE_IN_ROOT (0x08, 0x10) keep the path
		 * under its dirfd (inside the container) themselves, and would
		 * refuse or re-root the host path we made of it. */
		uint64_t resolve = 0;
		if (a[2] && a[3] >= 24)
			memcpy(&resolve, (const char *)a[2] + 16, sizeof(resolve));
		if (resolve & 0x18)
			return real(nr, a[0], a[1], a[2], a[3]);
		const char *h =
			fc_host_at((int)a[0], (const char *)a[1], hb[0], openat2_how(a[2], a[3]));
		if (h == NULL && a[1])
			return -1;
		return real(nr, a[0], (long)h, a[2], a[3]);
	}
	case SYS_execveat:
		if (a[1] == 0)
			break;
		return execveat((int)a[0], (const char *)a[1], (char *const *)a[2],
				(char *const *)a[3], (int)a[4]);
	case SYS_open_by_handle_at:
		errno = EPERM;
		return -1;
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (table[i].nr != nr)
			continue;
		for (int k = 0; k < 2; k++) {
			const struct sys_path *sp = &table[i].p[k];
			if (sp->path < 0 || a[sp->path] == 0)
				continue;
			int how = sp->how;
			if (sp->flags >= 0 && sp->follow_flag &&
			    !(a[sp->flags] & AT_SYMLINK_FOLLOW))
				how |= FC_NOFOLLOW;
			if (sp->flags >= 0 && !sp->follow_flag &&
			    (a[sp->flags] & AT_SYMLINK_NOFOLLOW))
				how |= FC_NOFOLLOW;
			const char *h = fc_host_at(dfd_of(a, sp->dfd), (const char *)a[sp->path],
						   hb[k], how);
			if (h == NULL)
				return -1;
			a[sp->path] = (long)h;
		}
		break;
	}
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
