/* The libc functions that take a path: the path goes to the host side of
 * the container; the ones that return a path give the guest's back. libc
 * calls its own internals directly (fopen does not call open through the
 * PLT), so the entry points programs use are each wrapped. */
#include "fakechroot/fakechroot.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#define H(p) fc_host((p), hb)
#define H2(p) fc_host((p), hb2)
#define BUF char hb[FC_PATH]
#define BUF2 char hb[FC_PATH], hb2[FC_PATH]
/* The host path for a call that writes; fails with EROFS in a read-only volume. */
#define HW(p, b)                                                                                   \
	({                                                                                         \
		const char *h_ = fc_host_w((p), (b));                                              \
		if (h_ == NULL)                                                                    \
			return -1;                                                                 \
		h_;                                                                                \
	})
static bool writes(int flags)
{
	return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | __O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

/* ---- open */

#define OPEN(name)                                                                                 \
	int name(const char *p, int flags, ...)                                                    \
	{                                                                                          \
		BUF;                                                                               \
		va_list ap;                                                                        \
		va_start(ap, flags);                                                               \
		mode_t m = mode_arg(flags, ap);                                                    \
		va_end(ap);                                                                        \
		const char *h = writes(flags) ? HW(p, hb) : H(p);                                  \
		return R(int (*)(const char *, int, ...), name)(h, flags, m);                      \
	}
OPEN(open)
OPEN(open64)
#define OPENAT(name)                                                                               \
	int name(int d, const char *p, int flags, ...)                                             \
	{                                                                                          \
		BUF;                                                                               \
		va_list ap;                                                                        \
		va_start(ap, flags);                                                               \
		mode_t m = mode_arg(flags, ap);                                                    \
		va_end(ap);                                                                        \
		const char *h = writes(flags) ? HW(p, hb) : H(p);                                  \
		return R(int (*)(int, const char *, int, ...), name)(d, h, flags, m);              \
	}
OPENAT(openat)
OPENAT(openat64)

int __open_2(const char *p, int flags);
int __open_2(const char *p, int flags)
{
	BUF;
	return R(int (*)(const char *, int), __open_2)(H(p), flags);
}
int __open64_2(const char *p, int flags);
int __open64_2(const char *p, int flags)
{
	BUF;
	return R(int (*)(const char *, int), __open64_2)(H(p), flags);
}
int __openat_2(int d, const char *p, int flags);
int __openat_2(int d, const char *p, int flags)
{
	BUF;
	return R(int (*)(int, const char *, int), __openat_2)(d, H(p), flags);
}
int __openat64_2(int d, const char *p, int flags);
int __openat64_2(int d, const char *p, int flags)
{
	BUF;
	return R(int (*)(int, const char *, int), __openat64_2)(d, H(p), flags);
}
int creat(const char *p, mode_t m)
{
	BUF;
	return R(int (*)(const char *, mode_t), creat)(HW(p, hb), m);
}
int creat64(const char *p, mode_t m)
{
	BUF;
	return R(int (*)(const char *, mode_t), creat64)(HW(p, hb), m);
}
FILE *fopen(const char *p, const char *m)
{
	BUF;
	if (strpbrk(m, "wa+") && fc_host_w(p, hb) == NULL)
		return NULL;
	return R(FILE * (*)(const char *, const char *), fopen)(H(p), m);
}
FILE *fopen64(const char *p, const char *m)
{
	BUF;
	if (strpbrk(m, "wa+") && fc_host_w(p, hb) == NULL)
		return NULL;
	return R(FILE * (*)(const char *, const char *), fopen64)(H(p), m);
}
FILE *freopen(const char *p, const char *m, FILE *f)
{
	BUF;
	return R(FILE * (*)(const char *, const char *, FILE *), freopen)(H(p), m, f);
}
FILE *freopen64(const char *p, const char *m, FILE *f)
{
	BUF;
	return R(FILE * (*)(const char *, const char *, FILE *), freopen64)(H(p), m, f);
}
DIR *opendir(const char *p)
{
	BUF;
	return R(DIR * (*)(const char *), opendir)(H(p));
}

/* ---- one path, plain arguments */

#define P1(ret, name, T2, T3)                                                                      \
	ret name(const char *p, T2 a, T3 b)                                                        \
	{                                                                                          \
		BUF;                                                                               \
		return R(ret(*)(const char *, T2, T3), name)(H(p), a, b);                          \
	}
#define P0(ret, name, T2)                                                                          \
	ret name(const char *p, T2 a)                                                              \
	{                                                                                          \
		BUF;                                                                               \
		return R(ret(*)(const char *, T2), name)(H(p), a);                                 \
	}
#define PN(ret, name)                                                                              \
	ret name(const char *p)                                                                    \
	{                                                                                          \
		BUF;                                                                               \
		return R(ret(*)(const char *), name)(H(p));                                        \
	}
#define AT(ret, name, T3, T4)                                                                      \
	ret name(int d, const char *p, T3 a, T4 b)                                                 \
	{                                                                                          \
		BUF;                                                                               \
		return R(ret(*)(int, const char *, T3, T4), name)(d, H(p), a, b);                  \
	}
#define AT1(ret, name, T3)                                                                         \
	ret name(int d, const char *p, T3 a)                                                       \
	{                                                                                          \
		BUF;                                                                               \
		return R(ret(*)(int, const char *, T3), name)(d, H(p), a);                         \
	}

#define P0W(ret, name, T2)                                                                         \
	ret name(const char *p, T2 a)                                                              \
	{                                                                                          \
		BUF;                                                                               \
		return R(ret(*)(const char *, T2), name)(HW(p, hb), a);                            \
	}
#define PNW(ret, name)                                                                             \
	ret name(const char *p)                                                                    \
	{                                                                                          \
		BUF;                                                                               \
		return R(ret(*)(const char *), name)(HW(p, hb));                                   \
	}
#define AT1W(ret, name, T3)                                                                        \
	ret name(int d, const char *p, T3 a)                                                       \
	{                                                                                          \
		BUF;                                                                               \
		return R(ret(*)(int, const char *, T3), name)(d, HW(p, hb), a);                    \
	}

P0(int, stat, struct stat *)
P0(int, lstat, struct stat *)
P0(int, stat64, struct stat64 *)
P0(int, lstat64, struct stat64 *)
AT(int, fstatat, struct stat *, int)
AT(int, fstatat64, struct stat64 *, int)
P0(int, statfs, struct statfs *)
P0(int, statfs64, struct statfs64 *)
P0(int, statvfs, struct statvfs *)
P0(int, statvfs64, struct statvfs64 *)
P0(int, access, int)
P0(int, euidaccess, int)
P0(int, eaccess, int)
AT(int, faccessat, int, int)
PN(int, chdir)
P0W(int, mkdir, mode_t)
AT1W(int, mkdirat, mode_t)
PNW(int, rmdir)
PNW(int, unlink)
AT1W(int, unlinkat, int)
P0W(int, chmod, mode_t)
AT(int, fchmodat, mode_t, int)
P0(int, utime, const struct utimbuf *)
P0W(int, truncate, off_t)
P0W(int, truncate64, off64_t)
P1(int, mknod, mode_t, dev_t)
AT(int, mknodat, mode_t, dev_t)
P0W(int, mkfifo, mode_t)
AT1(int, mkfifoat, mode_t)
P0(long, pathconf, int)
P1(ssize_t, listxattr, char *, size_t)
P1(ssize_t, llistxattr, char *, size_t)
P0(int, removexattr, const char *)
P0(int, lremovexattr, const char *)

int utimes(const char *p, const struct timeval t[2])
{
	BUF;
	return R(int (*)(const char *, const struct timeval *), utimes)(H(p), t);
}
int lutimes(const char *p, const struct timeval t[2])
{
	BUF;
	return R(int (*)(const char *, const struct timeval *), lutimes)(H(p), t);
}
int utimensat(int d, const char *p, const struct timespec t[2], int f)
{
	BUF;
	return R(int (*)(int, const char *, const struct timespec *, int), utimensat)(d, H(p), t,
										      f);
}
int futimesat(int d, const char *p, const struct timeval t[2])
{
	BUF;
	return R(int (*)(int, const char *, const struct timeval *), futimesat)(d, H(p), t);
}
ssize_t getxattr(const char *p, const char *n, void *v, size_t s)
{
	BUF;
	return R(ssize_t(*)(const char *, const char *, void *, size_t), getxattr)(H(p), n, v, s);
}
ssize_t lgetxattr(const char *p, const char *n, void *v, size_t s)
{
	BUF;
	return R(ssize_t(*)(const char *, const char *, void *, size_t), lgetxattr)(H(p), n, v, s);
}
int setxattr(const char *p, const char *n, const void *v, size_t s, int f)
{
	BUF;
	return R(int (*)(const char *, const char *, const void *, size_t, int), setxattr)(H(p), n,
											   v, s, f);
}
int lsetxattr(const char *p, const char *n, const void *v, size_t s, int f)
{
	BUF;
	return R(int (*)(const char *, const char *, const void *, size_t, int),
		 lsetxattr)(H(p), n, v, s, f);
}
int statx(int d, const char *p, int f, unsigned m, struct statx *b)
{
	BUF;
	return R(int (*)(int, const char *, int, unsigned, struct statx *), statx)(d, H(p), f, m,
										   b);
}
int inotify_add_watch(int fd, const char *p, uint32_t m)
{
	BUF;
	return R(int (*)(int, const char *, uint32_t), inotify_add_watch)(fd, H(p), m);
}

/* glibc before 2.33: stat and friends are these. */
int __xstat(int v, const char *p, struct stat *b);
int __xstat(int v, const char *p, struct stat *b)
{
	BUF;
	return R(int (*)(int, const char *, struct stat *), __xstat)(v, H(p), b);
}
int __lxstat(int v, const char *p, struct stat *b);
int __lxstat(int v, const char *p, struct stat *b)
{
	BUF;
	return R(int (*)(int, const char *, struct stat *), __lxstat)(v, H(p), b);
}
int __xstat64(int v, const char *p, struct stat64 *b);
int __xstat64(int v, const char *p, struct stat64 *b)
{
	BUF;
	return R(int (*)(int, const char *, struct stat64 *), __xstat64)(v, H(p), b);
}
int __lxstat64(int v, const char *p, struct stat64 *b);
int __lxstat64(int v, const char *p, struct stat64 *b)
{
	BUF;
	return R(int (*)(int, const char *, struct stat64 *), __lxstat64)(v, H(p), b);
}
int __fxstatat(int v, int d, const char *p, struct stat *b, int f);
int __fxstatat(int v, int d, const char *p, struct stat *b, int f)
{
	BUF;
	return R(int (*)(int, int, const char *, struct stat *, int), __fxstatat)(v, d, H(p), b, f);
}
int __fxstatat64(int v, int d, const char *p, struct stat64 *b, int f);
int __fxstatat64(int v, int d, const char *p, struct stat64 *b, int f)
{
	BUF;
	return R(int (*)(int, int, const char *, struct stat64 *, int), __fxstatat64)(v, d, H(p), b,
										      f);
}

/* ---- two paths */

int rename(const char *a, const char *b)
{
	BUF2;
	return R(int (*)(const char *, const char *), rename)(HW(a, hb), HW(b, hb2));
}
int renameat(int da, const char *a, int db, const char *b)
{
	BUF2;
	return R(int (*)(int, const char *, int, const char *), renameat)(da, HW(a, hb), db,
									  HW(b, hb2));
}
int renameat2(int da, const char *a, int db, const char *b, unsigned f)
{
	BUF2;
	return R(int (*)(int, const char *, int, const char *, unsigned), renameat2)(da, H(a), db,
										     H2(b), f);
}
int link(const char *a, const char *b)
{
	BUF2;
	return R(int (*)(const char *, const char *), link)(H(a), HW(b, hb2));
}
int linkat(int da, const char *a, int db, const char *b, int f)
{
	BUF2;
	return R(int (*)(int, const char *, int, const char *, int), linkat)(da, H(a), db, H2(b),
									     f);
}
/* An absolute target is stored as the host path (the kernel follows it),
 * and readlink gives the guest's back. */
int symlink(const char *target, const char *p)
{
	BUF2;
	return R(int (*)(const char *, const char *), symlink)(H(target), HW(p, hb2));
}
int symlinkat(const char *target, int d, const char *p)
{
	BUF2;
	return R(int (*)(const char *, int, const char *), symlinkat)(H(target), d, H2(p));
}

/* ---- paths returned */

/* The link read whole (the host path is longer than the guest's, so the
 * caller's buffer may cut it), made the guest's, then cut to size. */
static ssize_t guest_link(char *tmp, ssize_t n, char *buf, size_t size)
{
	if (n < 0)
		return n;
	tmp[n] = '\0';
	if (tmp[0] == '/')
		fc_guest(tmp, FC_PATH);
	size_t g = strlen(tmp);
	if (g > size)
		g = size;
	memcpy(buf, tmp, g);
	return (ssize_t)g;
}
ssize_t readlink(const char *p, char *buf, size_t size)
{
	BUF;
	char tmp[FC_PATH];
	ssize_t n = R(ssize_t(*)(const char *, char *, size_t), readlink)(H(p), tmp, FC_PATH - 1);
	return guest_link(tmp, n, buf, size);
}
ssize_t readlinkat(int d, const char *p, char *buf, size_t size)
{
	BUF;
	char tmp[FC_PATH];
	ssize_t n = R(ssize_t(*)(int, const char *, char *, size_t), readlinkat)(d, H(p), tmp,
										 FC_PATH - 1);
	return guest_link(tmp, n, buf, size);
}
ssize_t __readlink_chk(const char *p, char *buf, size_t size, size_t bufsize);
ssize_t __readlink_chk(const char *p, char *buf, size_t size, size_t bufsize)
{
	(void)bufsize;
	return readlink(p, buf, size);
}
ssize_t __readlinkat_chk(int d, const char *p, char *buf, size_t size, size_t bufsize);
ssize_t __readlinkat_chk(int d, const char *p, char *buf, size_t size, size_t bufsize)
{
	(void)bufsize;
	return readlinkat(d, p, buf, size);
}

char *getcwd(char *buf, size_t size)
{
	char *r = R(char *(*)(char *, size_t), getcwd)(buf, size);
	/* A guest path longer than the buffer leaves the host path. */
	if (r)
		fc_guest(r, buf ? size : strlen(r) + 1);
	return r;
}
char *__getcwd_chk(char *buf, size_t size, size_t bufsize);
char *__getcwd_chk(char *buf, size_t size, size_t bufsize)
{
	(void)bufsize;
	return getcwd(buf, size);
}
char *get_current_dir_name(void)
{
	return getcwd(NULL, 0);
}

char *realpath(const char *p, char *resolved)
{
	BUF;
	char tmp[FC_PATH];
	char *r = R(char *(*)(const char *, char *), realpath)(H(p), tmp);
	if (r == NULL)
		return NULL;
	fc_guest(tmp, sizeof(tmp));
	if (resolved) {
		strcpy(resolved, tmp);
		return resolved;
	}
	return strdup(tmp);
}
char *__realpath_chk(const char *p, char *resolved, size_t size);
char *__realpath_chk(const char *p, char *resolved, size_t size)
{
	(void)size;
	return realpath(p, resolved);
}
char *canonicalize_file_name(const char *p)
{
	return realpath(p, NULL);
}

/* ---- temporary names: the template is the guest's; libc opens it itself */

static int with_template(char *tmpl, size_t suffix, int (*make)(char *, void *), void *arg)
{
	BUF;
	const char *h = H(tmpl);
	if (h == tmpl)
		return make(tmpl, arg);
	/* Fill in the host copy, then copy the random part back. */
	size_t hl = strlen(hb), tl = strlen(tmpl);
	int r = make(hb, arg);
	if (r >= 0 && tl >= 6 + suffix && hl >= 6 + suffix)
		memcpy(tmpl + tl - 6 - suffix, hb + hl - 6 - suffix, 6);
	return r;
}
static int mk_stemp(char *t, void *arg)
{
	(void)arg;
	return R(int (*)(char *), mkstemp)(t);
}
static int mk_ostemp(char *t, void *arg)
{
	return R(int (*)(char *, int), mkostemp)(t, *(int *)arg);
}
static int mk_stemps(char *t, void *arg)
{
	return R(int (*)(char *, int), mkstemps)(t, *(int *)arg);
}
static int mk_dtemp(char *t, void *arg)
{
	(void)arg;
	return R(char *(*)(char *), mkdtemp)(t) ? 0 : -1;
}
int mkstemp(char *t)
{
	return with_template(t, 0, mk_stemp, NULL);
}
int mkstemp64(char *t)
{
	return with_template(t, 0, mk_stemp, NULL);
}
int mkostemp(char *t, int flags)
{
	return with_template(t, 0, mk_ostemp, &flags);
}
int mkostemp64(char *t, int flags)
{
	return with_template(t, 0, mk_ostemp, &flags);
}
int mkstemps(char *t, int suffix)
{
	return with_template(t, suffix > 0 ? (size_t)suffix : 0, mk_stemps, &suffix);
}
char *mkdtemp(char *t)
{
	return with_template(t, 0, mk_dtemp, NULL) == 0 ? t : NULL;
}

/* ---- directory walks libc does itself */

int scandir(const char *p, struct dirent ***list, int (*sel)(const struct dirent *),
	    int (*cmp)(const struct dirent **, const struct dirent **))
{
	BUF;
	return R(int (*)(const char *, struct dirent ***, int (*)(const struct dirent *),
			 int (*)(const struct dirent **, const struct dirent **)),
		 scandir)(H(p), list, sel, cmp);
}
int nftw(const char *p, int (*fn)(const char *, const struct stat *, int, struct FTW *), int n,
	 int f)
{
	BUF;
	return R(int (*)(const char *,
			 int (*)(const char *, const struct stat *, int, struct FTW *), int, int),
		 nftw)(H(p), fn, n, f);
}
int ftw(const char *p, int (*fn)(const char *, const struct stat *, int), int n)
{
	BUF;
	return R(int (*)(const char *, int (*)(const char *, const struct stat *, int), int),
		 ftw)(H(p), fn, n);
}

/* glob: patterns are matched on the host side, the names given back as
 * the guest's. */
int glob(const char *pat, int flags, int (*errfunc)(const char *, int), glob_t *g)
{
	BUF;
	size_t before = (flags & GLOB_APPEND) ? g->gl_pathc : 0;
	int r = R(int (*)(const char *, int, int (*)(const char *, int), glob_t *),
		  glob)(H(pat), flags, errfunc, g);
	if (pat && pat[0] == '/' && (r == 0 || r == GLOB_NOMATCH))
		for (size_t i = before; i < g->gl_pathc; i++)
			fc_guest(g->gl_pathv[g->gl_offs + i],
				 strlen(g->gl_pathv[g->gl_offs + i]) + 1);
	return r;
}

/* ---- libraries loaded by path (PAM modules, plugins) */

void *dlopen(const char *p, int flags)
{
	BUF;
	return R(void *(*)(const char *, int), dlopen)(p && strchr(p, '/') ? H(p) : p, flags);
}
