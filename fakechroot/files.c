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

#define BUF char hb[FC_PATH]
#define BUF2 char hb[FC_PATH], hb2[FC_PATH]
/* The host path of (d, p) resolved in the container (fc_host_at); the
 * call fails with fc_host_at's errno when there is none: -1, or NULL
 * (HXP) for the calls that return a pointer. */
#define HXB(d, p, how, b, fail)                                                                    \
	({                                                                                         \
		const char *p_ = (p);                                                              \
		const char *h_ = fc_host_at((d), p_, (b), (how));                                  \
		if (h_ == NULL && p_ != NULL)                                                      \
			return fail;                                                               \
		h_;                                                                                \
	})
#define HX(d, p, how) HXB(d, p, how, hb, -1)
#define HX2(d, p, how) HXB(d, p, how, hb2, -1)
#define HXP(d, p, how) HXB(d, p, how, hb, NULL)
#define H(p) HX(AT_FDCWD, p, 0)
#define HN(p) HX(AT_FDCWD, p, FC_NOFOLLOW)
#define HW(p) HX(AT_FDCWD, p, FC_WRITE)
#define HWN(p) HX(AT_FDCWD, p, FC_WRITE | FC_NOFOLLOW)
/* AT_SYMLINK_NOFOLLOW in flags f -> FC_NOFOLLOW */
#define NOF(f) (((f)&AT_SYMLINK_NOFOLLOW) ? FC_NOFOLLOW : 0)
static bool writes(int flags)
{
	return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
}

/* How open's flags resolve the path: O_NOFOLLOW and O_CREAT|O_EXCL do
 * not follow a link in the last component. */
static int open_how(int flags)
{
	return (writes(flags) ? FC_WRITE : 0) |
	       ((flags & O_NOFOLLOW) || (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)
			? FC_NOFOLLOW
			: 0);
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
		const char *h = HX(AT_FDCWD, p, open_how(flags));                                  \
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
		const char *h = HX(d, p, open_how(flags));                                         \
		return R(int (*)(int, const char *, int, ...), name)(d, h, flags, m);              \
	}
OPENAT(openat)
OPENAT(openat64)

int __open_2(const char *p, int flags);
int __open_2(const char *p, int flags)
{
	BUF;
	return R(int (*)(const char *, int), __open_2)(HX(AT_FDCWD, p, open_how(flags)), flags);
}
int __open64_2(const char *p, int flags);
int __open64_2(const char *p, int flags)
{
	BUF;
	return R(int (*)(const char *, int), __open64_2)(HX(AT_FDCWD, p, open_how(flags)), flags);
}
int __openat_2(int d, const char *p, int flags);
int __openat_2(int d, const char *p, int flags)
{
	BUF;
	return R(int (*)(int, const char *, int), __openat_2)(d, HX(d, p, open_how(flags)), flags);
}
int __openat64_2(int d, const char *p, int flags);
int __openat64_2(int d, const char *p, int flags)
{
	BUF;
	return R(int (*)(int, const char *, int), __openat64_2)(d, HX(d, p, open_how(flags)),
								flags);
}
int creat(const char *p, mode_t m)
{
	BUF;
	return R(int (*)(const char *, mode_t), creat)(HW(p), m);
}
int creat64(const char *p, mode_t m)
{
	BUF;
	return R(int (*)(const char *, mode_t), creat64)(HW(p), m);
}
FILE *fopen(const char *p, const char *m)
{
	BUF;
	return R(FILE * (*)(const char *, const char *),
		 fopen)(HXP(AT_FDCWD, p, strpbrk(m, "wa+") ? FC_WRITE : 0), m);
}
FILE *fopen64(const char *p, const char *m)
{
	BUF;
	return R(FILE * (*)(const char *, const char *),
		 fopen64)(HXP(AT_FDCWD, p, strpbrk(m, "wa+") ? FC_WRITE : 0), m);
}
FILE *freopen(const char *p, const char *m, FILE *f)
{
	BUF;
	return R(FILE * (*)(const char *, const char *, FILE *),
		 freopen)(HXP(AT_FDCWD, p, strpbrk(m, "wa+") ? FC_WRITE : 0), m, f);
}
FILE *freopen64(const char *p, const char *m, FILE *f)
{
	BUF;
	return R(FILE * (*)(const char *, const char *, FILE *),
		 freopen64)(HXP(AT_FDCWD, p, strpbrk(m, "wa+") ? FC_WRITE : 0), m, f);
}
DIR *opendir(const char *p)
{
	BUF;
	return R(DIR * (*)(const char *), opendir)(HXP(AT_FDCWD, p, 0));
}

/* ---- one path, plain arguments */

#define P1(ret, name, T2, T3, how)                                                                 \
	ret name(const char *p, T2 a, T3 b)                                                        \
	{                                                                                          \
		BUF;                                                                               \
		return R(ret(*)(const char *, T2, T3), name)(HX(AT_FDCWD, p, how), a, b);          \
	}
#define P0(ret, name, T2, how)                                                                     \
	ret name(const char *p, T2 a)                                                              \
	{                                                                                          \
		BUF;                                                                               \
		return R(ret(*)(const char *, T2), name)(HX(AT_FDCWD, p, how), a);                 \
	}
#define PN(ret, name, how)                                                                         \
	ret name(const char *p)                                                                    \
	{                                                                                          \
		BUF;                                                                               \
		return R(ret(*)(const char *), name)(HX(AT_FDCWD, p, how));                        \
	}
/* *at calls whose last argument is the AT_ flags */
#define ATF(ret, name, T3, how)                                                                    \
	ret name(int d, const char *p, T3 a, int f)                                                \
	{                                                                                          \
		BUF;                                                                               \
		return R(ret(*)(int, const char *, T3, int), name)(d, HX(d, p, (how) | NOF(f)), a, \
								   f);                             \
	}
#define AT1(ret, name, T3, how)                                                                    \
	ret name(int d, const char *p, T3 a)                                                       \
	{                                                                                          \
		BUF;                                                                               \
		return R(ret(*)(int, const char *, T3), name)(d, HX(d, p, how), a);                \
	}

P0(int, stat, struct stat *, 0)
P0(int, lstat, struct stat *, FC_NOFOLLOW)
P0(int, stat64, struct stat64 *, 0)
P0(int, lstat64, struct stat64 *, FC_NOFOLLOW)
ATF(int, fstatat, struct stat *, 0)
ATF(int, fstatat64, struct stat64 *, 0)
P0(int, statfs, struct statfs *, 0)
P0(int, statfs64, struct statfs64 *, 0)
P0(int, statvfs, struct statvfs *, 0)
P0(int, statvfs64, struct statvfs64 *, 0)
P0(int, access, int, 0)
P0(int, euidaccess, int, 0)
P0(int, eaccess, int, 0)
ATF(int, faccessat, int, 0)
PN(int, chdir, 0)
P0(int, mkdir, mode_t, FC_WRITE | FC_NOFOLLOW)
AT1(int, mkdirat, mode_t, FC_WRITE | FC_NOFOLLOW)
PN(int, rmdir, FC_WRITE | FC_NOFOLLOW)
PN(int, unlink, FC_WRITE | FC_NOFOLLOW)
PN(int, remove, FC_WRITE | FC_NOFOLLOW)
AT1(int, unlinkat, int, FC_WRITE | FC_NOFOLLOW)
P0(int, chmod, mode_t, FC_WRITE)
P0(int, lchmod, mode_t, FC_WRITE | FC_NOFOLLOW)
ATF(int, fchmodat, mode_t, FC_WRITE)
P0(int, utime, const struct utimbuf *, FC_WRITE)
P0(int, truncate, off_t, FC_WRITE)
P0(int, truncate64, off64_t, FC_WRITE)
P1(int, mknod, mode_t, dev_t, FC_WRITE | FC_NOFOLLOW)
P0(int, mkfifo, mode_t, FC_WRITE | FC_NOFOLLOW)
AT1(int, mkfifoat, mode_t, FC_WRITE | FC_NOFOLLOW)
P0(long, pathconf, int, 0)
P1(ssize_t, listxattr, char *, size_t, 0)
P1(ssize_t, llistxattr, char *, size_t, FC_NOFOLLOW)
P0(int, removexattr, const char *, FC_WRITE)
P0(int, lremovexattr, const char *, FC_WRITE | FC_NOFOLLOW)
PN(int, chroot, 0)

int mknodat(int d, const char *p, mode_t m, dev_t dev)
{
	BUF;
	return R(int (*)(int, const char *, mode_t, dev_t),
		 mknodat)(d, HX(d, p, FC_WRITE | FC_NOFOLLOW), m, dev);
}
/* glibc before 2.33: mknod and mknodat are these. */
int __xmknod(int v, const char *p, mode_t m, dev_t *dev);
int __xmknod(int v, const char *p, mode_t m, dev_t *dev)
{
	BUF;
	return R(int (*)(int, const char *, mode_t, dev_t *), __xmknod)(v, HWN(p), m, dev);
}
int __xmknodat(int v, int d, const char *p, mode_t m, dev_t *dev);
int __xmknodat(int v, int d, const char *p, mode_t m, dev_t *dev)
{
	BUF;
	return R(int (*)(int, int, const char *, mode_t, dev_t *),
		 __xmknodat)(v, d, HX(d, p, FC_WRITE | FC_NOFOLLOW), m, dev);
}
int utimes(const char *p, const struct timeval t[2])
{
	BUF;
	return R(int (*)(const char *, const struct timeval *), utimes)(HW(p), t);
}
int lutimes(const char *p, const struct timeval t[2])
{
	BUF;
	return R(int (*)(const char *, const struct timeval *), lutimes)(HW(p), t);
}
int utimensat(int d, const char *p, const struct timespec t[2], int f)
{
	BUF;
	return R(int (*)(int, const char *, const struct timespec *, int),
		 utimensat)(d, HX(d, p, FC_WRITE | NOF(f)), t, f);
}
int futimesat(int d, const char *p, const struct timeval t[2])
{
	BUF;
	return R(int (*)(int, const char *, const struct timeval *),
		 futimesat)(d, HX(d, p, FC_WRITE), t);
}
ssize_t getxattr(const char *p, const char *n, void *v, size_t s)
{
	BUF;
	return R(ssize_t(*)(const char *, const char *, void *, size_t), getxattr)(H(p), n, v, s);
}
ssize_t lgetxattr(const char *p, const char *n, void *v, size_t s)
{
	BUF;
	return R(ssize_t(*)(const char *, const char *, void *, size_t), lgetxattr)(HN(p), n, v, s);
}
int setxattr(const char *p, const char *n, const void *v, size_t s, int f)
{
	BUF;
	return R(int (*)(const char *, const char *, const void *, size_t, int), setxattr)(HW(p), n,
											   v, s, f);
}
int lsetxattr(const char *p, const char *n, const void *v, size_t s, int f)
{
	BUF;
	return R(int (*)(const char *, const char *, const void *, size_t, int),
		 lsetxattr)(HW(p), n, v, s, f);
}
int statx(int d, const char *p, int f, unsigned m, struct statx *b)
{
	BUF;
	return R(int (*)(int, const char *, int, unsigned, struct statx *),
		 statx)(d, HX(d, p, NOF(f)), f, m, b);
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
	return R(int (*)(int, const char *, struct stat *), __lxstat)(v, HN(p), b);
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
	return R(int (*)(int, const char *, struct stat64 *), __lxstat64)(v, HN(p), b);
}
int __fxstatat(int v, int d, const char *p, struct stat *b, int f);
int __fxstatat(int v, int d, const char *p, struct stat *b, int f)
{
	BUF;
	return R(int (*)(int, int, const char *, struct stat *, int),
		 __fxstatat)(v, d, HX(d, p, NOF(f)), b, f);
}
int __fxstatat64(int v, int d, const char *p, struct stat64 *b, int f);
int __fxstatat64(int v, int d, const char *p, struct stat64 *b, int f)
{
	BUF;
	return R(int (*)(int, int, const char *, struct stat64 *, int),
		 __fxstatat64)(v, d, HX(d, p, NOF(f)), b, f);
}

/* ---- two paths */

int rename(const char *a, const char *b)
{
	BUF2;
	return R(int (*)(const char *, const char *),
		 rename)(HWN(a), HX2(AT_FDCWD, b, FC_WRITE | FC_NOFOLLOW));
}
int renameat(int da, const char *a, int db, const char *b)
{
	BUF2;
	return R(int (*)(int, const char *, int, const char *), renameat)(
		da, HX(da, a, FC_WRITE | FC_NOFOLLOW), db, HX2(db, b, FC_WRITE | FC_NOFOLLOW));
}
int renameat2(int da, const char *a, int db, const char *b, unsigned f)
{
	BUF2;
	return R(int (*)(int, const char *, int, const char *, unsigned), renameat2)(
		da, HX(da, a, FC_WRITE | FC_NOFOLLOW), db, HX2(db, b, FC_WRITE | FC_NOFOLLOW), f);
}
int link(const char *a, const char *b)
{
	BUF2;
	return R(int (*)(const char *, const char *),
		 link)(HN(a), HX2(AT_FDCWD, b, FC_WRITE | FC_NOFOLLOW));
}
int linkat(int da, const char *a, int db, const char *b, int f)
{
	BUF2;
	return R(int (*)(int, const char *, int, const char *, int),
		 linkat)(da, HX(da, a, (f & AT_SYMLINK_FOLLOW) ? 0 : FC_NOFOLLOW), db,
			 HX2(db, b, FC_WRITE | FC_NOFOLLOW), f);
}
/* An absolute target is stored as the host path (the kernel follows it),
 * and readlink gives the guest's back. */
int symlink(const char *target, const char *p)
{
	BUF2;
	return R(int (*)(const char *, const char *),
		 symlink)(HX(AT_FDCWD, target, FC_LEXICAL | FC_ABSONLY),
			  HX2(AT_FDCWD, p, FC_WRITE | FC_NOFOLLOW));
}
int symlinkat(const char *target, int d, const char *p)
{
	BUF2;
	return R(int (*)(const char *, int, const char *),
		 symlinkat)(HX(AT_FDCWD, target, FC_LEXICAL | FC_ABSONLY), d,
			    HX2(d, p, FC_WRITE | FC_NOFOLLOW));
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
	ssize_t n = R(ssize_t(*)(const char *, char *, size_t), readlink)(HN(p), tmp, FC_PATH - 1);
	return guest_link(tmp, n, buf, size);
}
ssize_t readlinkat(int d, const char *p, char *buf, size_t size)
{
	BUF;
	char tmp[FC_PATH];
	ssize_t n = R(ssize_t(*)(int, const char *, char *, size_t),
		      readlinkat)(d, HX(d, p, FC_NOFOLLOW), tmp, FC_PATH - 1);
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
	char *r = R(char *(*)(const char *, char *), realpath)(HXP(AT_FDCWD, p, 0), tmp);
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
		 scandir)(HX(AT_FDCWD, p, FC_ABSONLY), list, sel, cmp);
}
int nftw(const char *p, int (*fn)(const char *, const struct stat *, int, struct FTW *), int n,
	 int f)
{
	BUF;
	return R(int (*)(const char *,
			 int (*)(const char *, const struct stat *, int, struct FTW *), int, int),
		 nftw)(HX(AT_FDCWD, p, FC_ABSONLY), fn, n, f);
}
int ftw(const char *p, int (*fn)(const char *, const struct stat *, int), int n)
{
	BUF;
	return R(int (*)(const char *, int (*)(const char *, const struct stat *, int), int),
		 ftw)(HX(AT_FDCWD, p, FC_ABSONLY), fn, n);
}

/* glob: patterns are matched on the host side, the names given back as
 * the guest's. */
int glob(const char *pat, int flags, int (*errfunc)(const char *, int), glob_t *g)
{
	BUF;
	size_t before = (flags & GLOB_APPEND) ? g->gl_pathc : 0;
	int r = R(int (*)(const char *, int, int (*)(const char *, int), glob_t *),
		  glob)(HX(AT_FDCWD, pat, FC_ABSONLY), flags, errfunc, g);
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
	return R(void *(*)(const char *, int),
		 dlopen)(p && strchr(p, '/') ? HXP(AT_FDCWD, p, 0) : p, flags);
}
