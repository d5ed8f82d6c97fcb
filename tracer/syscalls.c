/* What the tracer does at each system call it stops: path arguments into
 * the container, execve through the container's ELF interpreter or #!
 * interpreter, results that name host paths back into guest paths,
 * identity emulation, read-only binds, --kernel, --hostname and -p. */
#include "elf/elf.h"
#include "tracer/tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>

#define TR_PATH_MAX 4096
#define TR_NR_MAX 512
#define X32_BIT 0x40000000UL

/* Calls newer than some build hosts' headers (numbers of x86_64). */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fspick
#define SYS_fspick 433
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#define SYS_getxattrat 464
#define SYS_listxattrat 465
#define SYS_removexattrat 466
#endif
#ifndef SYS_open_tree_attr
#define SYS_open_tree_attr 467
#endif
#ifndef SYS_file_getattr
#define SYS_file_getattr 468
#define SYS_file_setattr 469
#endif
#define OPENAT2_RESOLVE_SCOPED 0x18 /* RESOLVE_BENEATH | RESOLVE_IN_ROOT */
#define SCRATCH 256		    /* below the tracee's stack pointer and its 128-byte red zone */

/* Which path arguments a call has and how they are looked up. */
struct path_call {
	int nr;
	signed char arg, arg2; /* path arguments (arg2: -1 when none) */
	signed char dirfd;     /* dirfd of arg (arg2's is dirfd + 2), or -1 */
	bool nofollow;	       /* the last component is never followed */
	signed char flag_arg;  /* argument holding AT_SYMLINK_NOFOLLOW, or -1 */
	bool writes;	       /* changes the file system (refused in read-only binds) */
};

static const struct path_call path_calls[] = {
	{SYS_open, 0, -1, -1, false, -1, false},
	{SYS_openat, 1, -1, 0, false, -1, false},
	{SYS_creat, 0, -1, -1, false, -1, true},
	{SYS_stat, 0, -1, -1, false, -1, false},
	{SYS_lstat, 0, -1, -1, true, -1, false},
	{SYS_newfstatat, 1, -1, 0, false, 3, false},
	{SYS_statx, 1, -1, 0, false, 2, false},
	{SYS_access, 0, -1, -1, false, -1, false},
	{SYS_faccessat, 1, -1, 0, false, -1, false},
	{SYS_faccessat2, 1, -1, 0, false, 3, false},
	{SYS_chdir, 0, -1, -1, false, -1, false},
	{SYS_chroot, 0, -1, -1, false, -1, false},
	{SYS_mkdir, 0, -1, -1, true, -1, true},
	{SYS_mkdirat, 1, -1, 0, true, -1, true},
	{SYS_rmdir, 0, -1, -1, true, -1, true},
	{SYS_unlink, 0, -1, -1, true, -1, true},
	{SYS_unlinkat, 1, -1, 0, true, -1, true},
	{SYS_rename, 0, 1, -1, true, -1, true},
	{SYS_renameat, 1, 3, 0, true, -1, true},
	{SYS_renameat2, 1, 3, 0, true, -1, true},
	{SYS_link, 0, 1, -1, true, -1, true},
	{SYS_linkat, 1, 3, 0, true, -1, true},
	{SYS_symlink, 1, -1, -1, true, -1, true},
	{SYS_symlinkat, 2, -1, 1, true, -1, true},
	{SYS_readlink, 0, -1, -1, true, -1, false},
	{SYS_readlinkat, 1, -1, 0, true, -1, false},
	{SYS_chmod, 0, -1, -1, false, -1, true},
	{SYS_fchmodat, 1, -1, 0, false, -1, true},
	{SYS_chown, 0, -1, -1, false, -1, true},
	{SYS_lchown, 0, -1, -1, true, -1, true},
	{SYS_fchownat, 1, -1, 0, false, 4, true},
	{SYS_utime, 0, -1, -1, false, -1, true},
	{SYS_utimes, 0, -1, -1, false, -1, true},
	{SYS_utimensat, 1, -1, 0, false, 3, true},
	{SYS_futimesat, 1, -1, 0, false, -1, true},
	{SYS_truncate, 0, -1, -1, false, -1, true},
	{SYS_mknod, 0, -1, -1, true, -1, true},
	{SYS_mknodat, 1, -1, 0, true, -1, true},
	{SYS_statfs, 0, -1, -1, false, -1, false},
	{SYS_getxattr, 0, -1, -1, false, -1, false},
	{SYS_lgetxattr, 0, -1, -1, true, -1, false},
	{SYS_setxattr, 0, -1, -1, false, -1, true},
	{SYS_lsetxattr, 0, -1, -1, true, -1, true},
	{SYS_listxattr, 0, -1, -1, false, -1, false},
	{SYS_llistxattr, 0, -1, -1, true, -1, false},
	{SYS_removexattr, 0, -1, -1, false, -1, true},
	{SYS_lremovexattr, 0, -1, -1, true, -1, true},
	{SYS_mount, 1, -1, -1, false, -1, false},
	{SYS_umount2, 0, -1, -1, false, -1, false},
	{SYS_inotify_add_watch, 1, -1, -1, false, -1, false},
	{SYS_name_to_handle_at, 1, -1, 0, false, 4, false},
	{SYS_openat2, 1, -1, 0, false, -1, false},
	{SYS_fchmodat2, 1, -1, 0, false, 3, true},
	{SYS_setxattrat, 1, -1, 0, false, 2, true},
	{SYS_getxattrat, 1, -1, 0, false, 2, false},
	{SYS_listxattrat, 1, -1, 0, false, 2, false},
	{SYS_removexattrat, 1, -1, 0, false, 2, true},
	{SYS_file_getattr, 1, -1, 0, false, 4, false},
	{SYS_file_setattr, 1, -1, 0, false, 4, true},
	{SYS_fanotify_mark, 4, -1, 3, false, -1, false},
	{SYS_mount_setattr, 1, -1, 0, false, 2, false},
	{SYS_open_tree, 1, -1, 0, false, 2, false},
	{SYS_open_tree_attr, 1, -1, 0, false, 2, false},
	{SYS_move_mount, 1, 3, 0, false, -1, false},
	{SYS_fspick, 1, -1, 0, false, 2, false},
	{SYS_quotactl, 1, -1, -1, false, -1, false},
	{SYS_swapon, 0, -1, -1, false, -1, true},
	{SYS_swapoff, 0, -1, -1, false, -1, true},
	{SYS_pivot_root, 0, 1, -1, false, -1, true},
	{SYS_acct, 0, -1, -1, false, -1, true},
	{SYS_uselib, 0, -1, -1, false, -1, false},
};

/* Calls that cannot be translated: refused (the filter answers them in
 * P1). open_by_handle_at bypasses paths; io_uring opens files with no
 * system call at all; programs fall back to the plain calls. */
static const struct {
	int nr, err;
} denied_calls[] = {
	{SYS_open_by_handle_at, EPERM},
	{SYS_io_uring_setup, ENOSYS},
};

enum {
	CALL_PATH = 1,
	CALL_EXIT = 2,
	CALL_EXEC = 4,
	CALL_BIND = 8,	  /* -p port remapping */
	CALL_SOCK = 16,	  /* AF_UNIX addresses into the container */
	CALL_SPECIAL = 32 /* some forms refused: fsconfig paths, quota files, bpf pins */
};

/* Per call number: what the tracer does with it (built once). */
static unsigned char call_kind[TR_NR_MAX];
static int call_deny[TR_NR_MAX]; /* errno of a refused call, or 0 */
static const struct path_call *call_path[TR_NR_MAX];

static void build_tables(const struct tr_config *c)
{
	static bool built;
	if (built)
		return;
	built = true;
	if (c->translate) {
		for (size_t i = 0; i < UD_ARRAY_SIZE(path_calls); i++) {
			call_kind[path_calls[i].nr] |= CALL_PATH;
			call_path[path_calls[i].nr] = &path_calls[i];
		}
		call_kind[SYS_execve] |= CALL_EXEC;
		call_kind[SYS_execveat] |= CALL_EXEC;
		static const int sock_in[] = {SYS_bind, SYS_connect, SYS_sendto, SYS_sendmsg,
					      SYS_sendmmsg};
		static const int sock_out[] = {SYS_getsockname, SYS_getpeername, SYS_accept,
					       SYS_accept4,	SYS_recvfrom,	 SYS_recvmsg};
		for (size_t i = 0; i < UD_ARRAY_SIZE(sock_in); i++)
			call_kind[sock_in[i]] |= CALL_SOCK;
		for (size_t i = 0; i < UD_ARRAY_SIZE(sock_out); i++)
			call_kind[sock_out[i]] |= CALL_EXIT;
		call_kind[SYS_fsconfig] |= CALL_SPECIAL;
		call_kind[SYS_quotactl] |= CALL_SPECIAL;
		call_kind[SYS_bpf] |= CALL_SPECIAL;
		for (size_t i = 0; i < UD_ARRAY_SIZE(denied_calls); i++)
			call_deny[denied_calls[i].nr] = denied_calls[i].err;
		call_kind[SYS_getcwd] |= CALL_EXIT;
		call_kind[SYS_readlink] |= CALL_EXIT;
		call_kind[SYS_readlinkat] |= CALL_EXIT;
	}
	if (c->kernel || c->hostname)
		call_kind[SYS_uname] |= CALL_EXIT;
	for (size_t i = 0; c->fake_ids && tr_identity_calls[i] >= 0; i++)
		call_kind[tr_identity_calls[i]] |= CALL_EXIT;
	for (size_t i = 0; c->fake_root && tr_ownership_calls[i] >= 0; i++)
		call_kind[tr_ownership_calls[i]] |= CALL_EXIT;
	if (c->n_ports)
		call_kind[SYS_bind] |= CALL_BIND;
}

void tr_tables_init(const struct tr_config *c)
{
	build_tables(c);
}

/* ------------------------------------------------------ tracee memory */

/* Puts a copy of data below *scratch in the tracee; returns its address or 0. */
static unsigned long push(pid_t pid, unsigned long *scratch, const void *data, size_t len)
{
	*scratch -= (len + 15) & ~15UL;
	return tr_write_mem(pid, *scratch, data, len) == 0 ? *scratch : 0;
}

static char *guest_cwd(const struct tr_config *c, pid_t pid)
{
	char link[64], host[TR_PATH_MAX];
	snprintf(link, sizeof(link), "/proc/%d/cwd", pid);
	ssize_t n = readlink(link, host, sizeof(host) - 1);
	if (n <= 0)
		return xstrdup("/");
	host[n] = '\0';
	char *g = tr_to_guest(c, host);
	return g ? g : xstrdup("/");
}

static unsigned long long *reg_arg(struct user_regs_struct *regs, int i)
{
	switch (i) {
	case 0:
		return &regs->rdi;
	case 1:
		return &regs->rsi;
	case 2:
		return &regs->rdx;
	case 3:
		return &regs->r10;
	case 4:
		return &regs->r8;
	default:
		return &regs->r9;
	}
}

/* ------------------------------------------------------------ entry */

/* Rewrites one path argument. Returns the host path it now names, or
 * NULL when it was left alone. */
static char *translate_arg(const struct tr_config *c, pid_t pid, struct user_regs_struct *regs,
			   int arg, int dirfd_arg, bool follow_last, bool must_know,
			   unsigned long *scratch, int *err)
{
	unsigned long long *reg = reg_arg(regs, arg);
	if (*reg == 0)
		return NULL;
	_cleanup_free_ char *path = tr_read_string(pid, (unsigned long)*reg);
	if (path == NULL || path[0] == '\0')
		return NULL;
	/* One name looked up in a directory without following it: the kernel
	 * resolves that inside the container already (find, rm -r, tar). */
	if (!must_know && path[0] != '/' && !follow_last && strchr(path, '/') == NULL &&
	    strcmp(path, "..") != 0)
		return NULL;
	_cleanup_free_ char *cwd = NULL;
	if (path[0] != '/' && dirfd_arg >= 0 && (int)*reg_arg(regs, dirfd_arg) != AT_FDCWD) {
		/* Relative to a directory fd: the guest path of that directory. */
		char link[64], dir[TR_PATH_MAX];
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, (int)*reg_arg(regs, dirfd_arg));
		ssize_t n = readlink(link, dir, sizeof(dir) - 1);
		if (n <= 0)
			return NULL; /* not a directory fd we can name: the kernel decides */
		dir[n] = '\0';
		cwd = tr_to_guest(c, dir);
		if (cwd == NULL)
			return NULL;
		/* The result is absolute: the dirfd argument no longer matters. */
	} else if (path[0] != '/') {
		cwd = guest_cwd(c, pid);
	}
	char *host = tr_resolve(c, pid, cwd ? cwd : "/", path, follow_last);
	if (host == NULL) {
		*err = EACCES; /* another process's /proc/PID links */
		return NULL;
	}
	unsigned long at = push(pid, scratch, host, strlen(host) + 1);
	if (at)
		*reg = at;
	return host;
}

/* The interpreter a program file asks for: "#!" line or ELF PT_INTERP.
 * *bad: an ELF file whose program headers or interpreter the kernel
 * refuses (what it would do with one we cannot read is not guessed). */
static char *program_interp(const char *host, bool *elf, char **interp_arg, bool *bad)
{
	char head[256] = {0};
	int fd = open(host, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t hn = read(fd, head, sizeof(head) - 1);
	char *interp = NULL;
	struct ud_elf e;
	if (hn > 2 && head[0] == '#' && head[1] == '!') {
		head[strcspn(head, "\n")] = '\0';
		char *s = head + 2;
		s += strspn(s, " \t");
		size_t n = strcspn(s, " \t");
		interp = xstrndup(s, n);
		s += n;
		s += strspn(s, " \t");
		if (*s)
			*interp_arg = xstrdup(s);
	} else if (ud_elf_open(&e, fd) == 0) {
		char ip[UD_ELF_INTERP_MAX];
		int r = ud_elf_interp(&e, ip, sizeof(ip));
		if (r == 1) {
			interp = xstrdup(ip);
			*elf = true;
		}
		*bad = r < 0;
	}
	close(fd);
	return interp;
}

/* The guest path a tracee's fd names, or NULL (outside the container). */
static char *fd_guest(const struct tr_config *c, pid_t pid, int fd, char **host)
{
	char link[64], dir[TR_PATH_MAX];
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, fd);
	ssize_t n = readlink(link, dir, sizeof(dir) - 1);
	if (n <= 0)
		return NULL;
	dir[n] = '\0';
	if (host)
		*host = xstrdup(dir);
	return tr_to_guest(c, dir);
}

/* execveat becomes an execve of the absolute guest path it names.
 * Returns 0, -1 to leave it to the kernel, or an errno to refuse it. */
static int execveat_as_execve(const struct tr_config *c, pid_t pid, struct user_regs_struct *regs,
			      unsigned long *scratch)
{
	_cleanup_free_ char *path = tr_read_string(pid, (unsigned long)regs->rsi);
	if (path == NULL)
		return -1;
	int dirfd = (int)regs->rdi, flags = (int)regs->r8;
	_cleanup_free_ char *guest = NULL, *fdhost = NULL;
	if (path[0] == '\0' && (flags & AT_EMPTY_PATH)) {
		guest = fd_guest(c, pid, dirfd, &fdhost);
		if (guest == NULL) {
			/* A memfd, say: a static program runs traced as it is;
			 * one with an interpreter would get the host's. */
			bool elf = false, bad = false;
			_cleanup_free_ char *arg = NULL, *interp = NULL;
			char link[64];
			snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, dirfd);
			interp = program_interp(link, &elf, &arg, &bad);
			return interp ? EPERM : bad ? ENOEXEC : -1;
		}
	} else if (path[0] != '/' && dirfd != AT_FDCWD) {
		_cleanup_free_ char *dir = fd_guest(c, pid, dirfd, NULL);
		if (dir == NULL)
			return EPERM; /* a directory outside the container */
		guest = tr_join(dir, path);
	} else if (path[0] != '/') {
		_cleanup_free_ char *cwd = guest_cwd(c, pid);
		guest = tr_join(cwd, path);
	} else {
		guest = xstrdup(path);
	}
	if (flags & AT_SYMLINK_NOFOLLOW) {
		_cleanup_free_ char *h = tr_resolve(c, pid, "/", guest, false);
		struct stat st;
		if (h == NULL)
			return EACCES;
		if (lstat(h, &st) == 0 && S_ISLNK(st.st_mode))
			return ELOOP;
	}
	unsigned long at = push(pid, scratch, guest, strlen(guest) + 1);
	if (at == 0)
		return EFAULT;
	regs->orig_rax = SYS_execve;
	regs->rdi = at;
	regs->rsi = regs->rdx;
	regs->rdx = regs->r10;
	return 0;
}

/* ud_elf_loader_takes_argv0 reads the whole loader: asked once per loader
 * file (the execve of the tracing thread only comes here), not at every
 * execve of the container. */
static bool loader_takes_argv0(const char *path)
{
	static struct {
		bool valid, answer;
		dev_t dev;
		ino_t ino;
		char path[PATH_MAX];
	} last;
	struct stat st;
	if (stat(path, &st) < 0)
		return ud_elf_loader_takes_argv0(path);
	if (last.valid && last.dev == st.st_dev && last.ino == st.st_ino &&
	    strcmp(last.path, path) == 0)
		return last.answer;
	bool answer = ud_elf_loader_takes_argv0(path);
	if (strlen(path) < sizeof(last.path)) {
		strcpy(last.path, path);
		last.dev = st.st_dev;
		last.ino = st.st_ino;
		last.answer = answer;
		last.valid = true;
	}
	return answer;
}

/* execve: ELF programs through the container's interpreter (argv[0]
 * kept with --argv0), #! scripts through theirs, static programs by
 * their host path. Returns 0 or an errno to refuse the call with. */
static int translate_execve(const struct tr_config *c, struct tr_tracee *t,
			    struct user_regs_struct *regs, unsigned long *scratch)
{
	pid_t pid = t->pid;
	if (regs->orig_rax == SYS_execveat) {
		int r = execveat_as_execve(c, pid, regs, scratch);
		if (r != 0)
			return r < 0 ? 0 : r;
	}
	_cleanup_free_ char *path = tr_read_string(pid, (unsigned long)regs->rdi);
	if (path == NULL)
		return 0;
	_cleanup_free_ char *cwd = guest_cwd(c, pid);
	_cleanup_free_ char *host = tr_resolve(c, pid, cwd, path, true);
	if (host == NULL)
		return EACCES;
	char *exe = tr_to_guest(c, host);
	if (exe) {
		free(t->exe);
		t->exe = exe;
	}
	unsigned long argv_addr = (unsigned long)regs->rsi;
	unsigned long old_argv[256];
	size_t argc = 0;
	while (argv_addr && argc < UD_ARRAY_SIZE(old_argv) - 1 &&
	       tr_read_mem(pid, argv_addr + 8 * argc, &old_argv[argc], 8) == 0 && old_argv[argc])
		argc++;
	bool elf = false, bad = false;
	_cleanup_free_ char *interp_arg = NULL;
	_cleanup_free_ char *interp = program_interp(host, &elf, &interp_arg, &bad);
	if (bad)
		return ENOEXEC;
	if (interp == NULL) {
		unsigned long at = push(pid, scratch, host, strlen(host) + 1);
		if (at)
			regs->rdi = at;
		return 0;
	}
	/* New argv: interp [--argv0 ARGV0 | interp_arg] PROGRAM ARGS... */
	_cleanup_free_ char *ihost = tr_resolve(c, pid, "/", interp, true);
	if (ihost == NULL)
		return EACCES;
	unsigned long new_argv[UD_ARRAY_SIZE(old_argv) + 4];
	size_t k = 0;
	new_argv[k++] = push(pid, scratch, interp, strlen(interp) + 1);
	/* A loader older than glibc 2.33 gives the program its path. */
	if (elf && loader_takes_argv0(ihost)) {
		new_argv[k++] = push(pid, scratch, "--argv0", 8);
		new_argv[k++] = argc > 0 ? old_argv[0] : (unsigned long)regs->rdi;
	} else if (interp_arg) {
		new_argv[k++] = push(pid, scratch, interp_arg, strlen(interp_arg) + 1);
	}
	new_argv[k++] = (unsigned long)regs->rdi; /* the program, as the guest named it */
	for (size_t i = 1; i < argc; i++)
		new_argv[k++] = old_argv[i];
	new_argv[k++] = 0;
	unsigned long at = push(pid, scratch, new_argv, k * 8);
	unsigned long iat = push(pid, scratch, ihost, strlen(ihost) + 1);
	if (at && iat) {
		regs->rsi = at;
		regs->rdi = iat;
	}
	return 0;
}

/* -p: a bind to a published container port binds the host port. */
static void remap_bind(const struct tr_config *c, pid_t pid, struct user_regs_struct *regs,
		       unsigned long *scratch)
{
	unsigned char sa[28];
	size_t len = regs->rdx < sizeof(sa) ? (size_t)regs->rdx : sizeof(sa);
	if (len < 4 || tr_read_mem(pid, regs->rsi, sa, len) < 0)
		return;
	unsigned short family = (unsigned short)(sa[0] | sa[1] << 8);
	if (family != 2 /* AF_INET */ && family != 10 /* AF_INET6 */)
		return;
	unsigned short port = (unsigned short)(sa[2] << 8 | sa[3]);
	for (size_t i = 0; i < c->n_ports; i++) {
		if (c->ports[i][0] != port)
			continue;
		sa[2] = (unsigned char)(c->ports[i][1] >> 8);
		sa[3] = (unsigned char)(c->ports[i][1] & 0xff);
		unsigned long at = push(pid, scratch, sa, len);
		if (at)
			regs->rsi = at;
		return;
	}
}

/* ------------------------------------------------------------ sockets */

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)

/* An AF_UNIX address naming a file: *out names its host path instead.
 * Returns -1 when left alone (another family, abstract, unnamed), 0 when
 * *out is set, or the errno to refuse the call with (ENAMETOOLONG when
 * the host path does not fit sun_path: never truncated). */
static int unix_addr(const struct tr_config *c, pid_t pid, unsigned long addr, unsigned long len,
		     bool creates, struct sockaddr_un *out, socklen_t *out_len)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	if (addr == 0 || len <= SUN_OFF || len > sizeof(sa) || tr_read_mem(pid, addr, &sa, len) < 0)
		return -1;
	if (sa.sun_family != AF_UNIX || sa.sun_path[0] == '\0')
		return -1;
	char path[sizeof(sa.sun_path) + 1] = {0};
	memcpy(path, sa.sun_path, len - SUN_OFF);
	_cleanup_free_ char *cwd = path[0] == '/' ? NULL : guest_cwd(c, pid);
	/* bind creates the last component; connect and sendto follow it. */
	_cleanup_free_ char *host = tr_resolve(c, pid, cwd ? cwd : "/", path, !creates);
	if (host == NULL)
		return EACCES;
	if (creates && tr_readonly_bind(c, host))
		return EROFS;
	size_t n = strlen(host);
	if (n >= sizeof(out->sun_path))
		return ENAMETOOLONG;
	memset(out, 0, sizeof(*out));
	out->sun_family = AF_UNIX;
	memcpy(out->sun_path, host, n + 1);
	*out_len = (socklen_t)(SUN_OFF + n + 1);
	return 0;
}

/* The destination of one message: rewritten in m (its copy is pushed). */
static int unix_msg(const struct tr_config *c, pid_t pid, struct msghdr *m, unsigned long *scratch)
{
	struct sockaddr_un sa;
	socklen_t sl;
	int r = unix_addr(c, pid, (unsigned long)m->msg_name, m->msg_namelen, false, &sa, &sl);
	if (r != 0)
		return r;
	unsigned long at = push(pid, scratch, &sa, sl);
	if (at == 0)
		return EFAULT;
	m->msg_name = (void *)at;
	m->msg_namelen = sl;
	return 0;
}

/* bind, connect, sendto, sendmsg, sendmmsg: socket files in the container.
 * Returns 0 or the errno to refuse the call with. */
static int translate_sockaddr(const struct tr_config *c, pid_t pid, long nr,
			      struct user_regs_struct *regs, unsigned long *scratch)
{
	struct sockaddr_un sa;
	socklen_t sl;
	int r;
	if (nr == SYS_bind || nr == SYS_connect || nr == SYS_sendto) {
		unsigned long long *addr = nr == SYS_sendto ? &regs->r8 : &regs->rsi;
		unsigned long long *len = nr == SYS_sendto ? &regs->r9 : &regs->rdx;
		r = unix_addr(c, pid, (unsigned long)*addr, (unsigned long)*len, nr == SYS_bind,
			      &sa, &sl);
		if (r != 0)
			return r < 0 ? 0 : r;
		unsigned long at = push(pid, scratch, &sa, sl);
		if (at == 0)
			return EFAULT;
		*addr = at;
		*len = sl;
		return 0;
	}
	if (nr == SYS_sendmsg) {
		struct msghdr m;
		if (tr_read_mem(pid, (unsigned long)regs->rsi, &m, sizeof(m)) < 0)
			return 0;
		r = unix_msg(c, pid, &m, scratch);
		if (r != 0)
			return r < 0 ? 0 : r;
		unsigned long at = push(pid, scratch, &m, sizeof(m));
		if (at == 0)
			return EFAULT;
		regs->rsi = at;
		return 0;
	}
	/* sendmmsg: at most 32 messages per call (it may send fewer). */
	struct mmsghdr v[32];
	size_t n = regs->rdx < UD_ARRAY_SIZE(v) ? (size_t)regs->rdx : UD_ARRAY_SIZE(v);
	if (n == 0 || tr_read_mem(pid, (unsigned long)regs->rsi, v, n * sizeof(*v)) < 0)
		return 0;
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		r = unix_msg(c, pid, &v[i].msg_hdr, scratch);
		if (r > 0 && i == 0)
			return r;
		if (r > 0) {
			n = i; /* these go now, the refused one fails on its own */
			break;
		}
		any |= r == 0;
	}
	if (!any && n == (size_t)regs->rdx)
		return 0;
	unsigned long at = push(pid, scratch, v, n * sizeof(*v));
	if (at == 0)
		return EFAULT;
	regs->rsi = at;
	regs->rdx = n;
	return 0;
}

/* Where the address a call gives back is, in the tracee: the buffer and
 * the socklen_t the kernel sets to its whole length. 0, or -1 when the
 * call gives none back. */
static int returned_addr(pid_t pid, long nr, const struct user_regs_struct *regs,
			 unsigned long *addr, unsigned long *lenp)
{
	if (nr == SYS_recvfrom) {
		*addr = (unsigned long)regs->r8;
		*lenp = (unsigned long)regs->r9;
	} else if (nr == SYS_recvmsg) {
		struct msghdr m;
		if (regs->rsi == 0 || tr_read_mem(pid, (unsigned long)regs->rsi, &m, sizeof(m)) < 0)
			return -1;
		*addr = (unsigned long)m.msg_name;
		*lenp = (unsigned long)regs->rsi + offsetof(struct msghdr, msg_namelen);
	} else {
		*addr = (unsigned long)regs->rsi;
		*lenp = (unsigned long)regs->rdx;
	}
	return *addr && *lenp ? 0 : -1;
}

/* getsockname, getpeername, accept, accept4, recvfrom, recvmsg: a socket
 * file's host path back into the guest path (t->sock_len: the caller's
 * buffer size). A path the caller's buffer cut is left as it is. */
static void fix_sockname(const struct tr_config *c, struct tr_tracee *t, long nr,
			 struct user_regs_struct *regs, bool *changed)
{
	unsigned long addr, lenp;
	socklen_t got;
	if (returned_addr(t->pid, nr, regs, &addr, &lenp) < 0 ||
	    tr_read_mem(t->pid, lenp, &got, sizeof(got)) < 0 || got > t->sock_len)
		return;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	size_t n = got;
	if (n > sizeof(sa))
		n = sizeof(sa);
	if (n <= SUN_OFF || tr_read_mem(t->pid, addr, &sa, n) < 0 || sa.sun_family != AF_UNIX ||
	    sa.sun_path[0] == '\0')
		return;
	char path[sizeof(sa.sun_path) + 1] = {0};
	memcpy(path, sa.sun_path, n - SUN_OFF);
	_cleanup_free_ char *g = tr_to_guest(c, path);
	if (g == NULL || strlen(g) >= sizeof(sa.sun_path))
		return;
	memset(sa.sun_path, 0, sizeof(sa.sun_path));
	memcpy(sa.sun_path, g, strlen(g));
	socklen_t full = (socklen_t)(SUN_OFF + strlen(g) + 1);
	size_t w = full < t->sock_len ? full : t->sock_len;
	if (tr_write_mem(t->pid, addr, &sa, w) == 0 &&
	    tr_write_mem(t->pid, lenp, &full, sizeof(full)) == 0)
		*changed = true;
}

static bool open_writes(long nr, struct user_regs_struct *regs, unsigned long long flags)
{
	if (nr == SYS_open)
		flags = regs->rsi;
	else if (nr == SYS_openat)
		flags = regs->rdx;
	return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
}

/* A call through another ABI (i386 int 0x80, x32): nothing here knows its
 * numbers or argument layout, so it is refused. P1's filter refuses those
 * itself; P2 asks the kernel (Linux 5.3), else looks at the code segment
 * (which misses an int 0x80 of a 64-bit program). */
static bool foreign_abi(const struct tr_config *c, pid_t pid, const struct user_regs_struct *regs)
{
	if ((long long)regs->orig_rax >= 0 && (regs->orig_rax & X32_BIT))
		return true;
	if (c->seccomp)
		return false;
	unsigned char info[88] = {0};
	if (ptrace((enum __ptrace_request)0x420e /* PTRACE_GET_SYSCALL_INFO */, pid,
		   (void *)sizeof(info), info) > 0 &&
	    info[0] == 1 /* PTRACE_SYSCALL_INFO_ENTRY */) {
		unsigned arch;
		memcpy(&arch, info + 4, sizeof(arch));
		return arch != AUDIT_ARCH_X86_64;
	}
	return regs->cs == 0x23; /* the 32-bit user code segment */
}

/* The call is skipped; its result at the exit is -err. */
static bool deny(struct tr_tracee *t, struct user_regs_struct *regs, bool *changed, int err)
{
	regs->orig_rax = (unsigned long long)-1;
	t->deny_errno = err;
	*changed = true;
	return true;
}

/* fsconfig's path forms, quotactl's quota file, bpf's pinned objects. */
static int special_refused(long nr, const struct user_regs_struct *regs)
{
	if (nr == SYS_fsconfig && (regs->rsi == 3 || regs->rsi == 4)) /* FSCONFIG_SET_PATH* */
		return EPERM;
	if (nr == SYS_quotactl && ((unsigned)regs->rdi >> 8) == 0x800002) /* Q_QUOTAON */
		return EPERM;
	if (nr == SYS_bpf && (regs->rdi == 6 || regs->rdi == 7)) /* BPF_OBJ_PIN, BPF_OBJ_GET */
		return EPERM;
	return 0;
}

bool tr_on_entry(const struct tr_config *c, struct tr_tracee *t, struct user_regs_struct *regs,
		 bool *changed)
{
	build_tables(c);
	if (c->translate && foreign_abi(c, t->pid, regs))
		return deny(t, regs, changed, ENOSYS);
	long nr = (long)regs->orig_rax;
	if (nr < 0 || nr >= TR_NR_MAX)
		return false;
	if (call_deny[nr])
		return deny(t, regs, changed, call_deny[nr]);
	if (call_kind[nr] == 0)
		return false;
	unsigned long scratch = (regs->rsp - SCRATCH) & ~15UL;
	unsigned char kind = call_kind[nr];
	int err = (kind & CALL_SPECIAL) ? special_refused(nr, regs) : 0;
	if (err)
		return deny(t, regs, changed, err);
	if (kind & CALL_BIND) {
		remap_bind(c, t->pid, regs, &scratch);
		*changed = true;
	}
	if (kind & CALL_SOCK) {
		err = translate_sockaddr(c, t->pid, nr, regs, &scratch);
		if (err)
			return deny(t, regs, changed, err);
		*changed = true;
	}
	if (nr == SYS_getsockname || nr == SYS_getpeername || nr == SYS_accept ||
	    nr == SYS_accept4 || nr == SYS_recvfrom || nr == SYS_recvmsg) {
		unsigned long addr, lenp;
		socklen_t sl = 0;
		if (returned_addr(t->pid, nr, regs, &addr, &lenp) < 0 ||
		    tr_read_mem(t->pid, lenp, &sl, sizeof(sl)))
			sl = 0;
		t->sock_len = sl;
	}
	if (kind & CALL_EXEC) {
		err = translate_execve(c, t, regs, &scratch);
		if (err)
			return deny(t, regs, changed, err);
		*changed = true;
	}
	const struct path_call *pc = call_path[nr];
	if (pc) {
		unsigned long long how[3] = {0}; /* openat2's struct open_how */
		if (nr == SYS_openat2) {
			if (tr_read_mem(t->pid, (unsigned long)regs->rdx, how, sizeof(how)) < 0)
				return false; /* the kernel reports the bad address */
			/* Scoped lookups stay below their directory: the kernel's. */
			if (how[2] & OPENAT2_RESOLVE_SCOPED)
				return (kind & CALL_EXIT) != 0;
		}
		bool writes =
			pc->writes || ((nr == SYS_open || nr == SYS_openat || nr == SYS_openat2) &&
				       open_writes(nr, regs, how[0]));
		bool check_ro = writes && c->any_readonly;
		bool follow = !pc->nofollow;
		if (pc->flag_arg >= 0 && (*reg_arg(regs, pc->flag_arg) & AT_SYMLINK_NOFOLLOW))
			follow = false;
		if (nr == SYS_openat && (regs->rdx & O_NOFOLLOW))
			follow = false;
		if (nr == SYS_openat2 && (how[0] & O_NOFOLLOW))
			follow = false;
		int e1 = 0, e2 = 0;
		_cleanup_free_ char *h1 = translate_arg(c, t->pid, regs, pc->arg, pc->dirfd, follow,
							check_ro, &scratch, &e1);
		_cleanup_free_ char *h2 = NULL;
		if (pc->arg2 >= 0)
			h2 = translate_arg(c, t->pid, regs, pc->arg2,
					   pc->dirfd >= 0 ? pc->dirfd + 2 : -1, !pc->nofollow,
					   check_ro, &scratch, &e2);
		/* mount's source is a path too for bind mounts and moves. */
		if (nr == SYS_mount && (regs->r10 & (MS_BIND | MS_MOVE)) && !e1) {
			_cleanup_free_ char *h0 =
				translate_arg(c, t->pid, regs, 0, -1, true, false, &scratch, &e1);
			*changed |= h0 != NULL;
		}
		if (e1 || e2)
			return deny(t, regs, changed, e1 ? e1 : e2);
		if (h1 || h2)
			*changed = true;
		if (check_ro &&
		    ((h1 && tr_readonly_bind(c, h1)) || (h2 && tr_readonly_bind(c, h2))))
			return deny(t, regs, changed, EROFS); /* a read-only volume */
	}
	return (kind & CALL_EXIT) != 0;
}

/* ------------------------------------------------------------ exit */

const char *tr_exe_of(pid_t pid);

static void fix_readlink(const struct tr_config *c, struct tr_tracee *t,
			 struct user_regs_struct *regs, bool *changed)
{
	long nr = (long)regs->orig_rax, ret = (long)regs->rax;
	int pa = nr == SYS_readlink ? 0 : 1;
	unsigned long buf = (unsigned long)*reg_arg(regs, pa + 1);
	size_t size = (size_t)*reg_arg(regs, pa + 2);
	/* The path argument now names the host path the tracer put there. */
	_cleanup_free_ char *link = tr_read_string(t->pid, (unsigned long)*reg_arg(regs, pa));
	if (link == NULL || !ud_str_has_prefix(link, "/proc/"))
		return;
	char target[TR_PATH_MAX] = {0};
	if ((size_t)ret >= sizeof(target) || tr_read_mem(t->pid, buf, target, (size_t)ret) < 0)
		return;
	int who = 0;
	char tail[32] = "";
	const char *guest = NULL;
	_cleanup_free_ char *conv = NULL;
	if (sscanf(link, "/proc/%d/%31s", &who, tail) == 2 && strcmp(tail, "exe") == 0)
		guest = tr_exe_of(who);
	else if (sscanf(link, "/proc/%d/%31s", &who, tail) == 2 && strcmp(tail, "root") == 0)
		guest = "/";
	if (guest == NULL && (conv = tr_to_guest(c, target)) != NULL)
		guest = conv;
	if (guest == NULL)
		return;
	size_t n = strlen(guest);
	if (n > size)
		n = size;
	if (tr_write_mem(t->pid, buf, guest, n) == 0) {
		regs->rax = n;
		*changed = true;
	}
}

static void fix_uname(const struct tr_config *c, pid_t pid, struct user_regs_struct *regs)
{
	struct utsname u;
	if (c->kernel) {
		char rel[sizeof(u.release)] = {0};
		snprintf(rel, sizeof(rel), "%s", c->kernel);
		tr_write_mem(pid, (unsigned long)regs->rdi + offsetof(struct utsname, release), rel,
			     sizeof(rel));
	}
	if (c->hostname) {
		char node[sizeof(u.nodename)] = {0};
		snprintf(node, sizeof(node), "%s", c->hostname);
		tr_write_mem(pid, (unsigned long)regs->rdi + offsetof(struct utsname, nodename),
			     node, sizeof(node));
	}
}

void tr_on_exit(const struct tr_config *c, struct tr_tracee *t, struct user_regs_struct *regs,
		bool *changed)
{
	long nr = (long)regs->orig_rax;
	long ret = (long)regs->rax;
	if (t->deny_errno) {
		regs->rax = (unsigned long long)-t->deny_errno;
		t->deny_errno = 0;
		*changed = true;
		return;
	}
	switch (nr) {
	case SYS_readlink:
	case SYS_readlinkat:
		if (ret > 0 && c->translate)
			fix_readlink(c, t, regs, changed);
		return;
	case SYS_uname:
		if (ret == 0)
			fix_uname(c, t->pid, regs);
		return;
	case SYS_getsockname:
	case SYS_getpeername:
	case SYS_accept:
	case SYS_accept4:
	case SYS_recvfrom:
	case SYS_recvmsg:
		if (ret >= 0 && c->translate)
			fix_sockname(c, t, nr, regs, changed);
		return;
	case SYS_getcwd:
		if (ret > 0 && c->translate) {
			_cleanup_free_ char *host =
				tr_read_string(t->pid, (unsigned long)regs->rdi);
			_cleanup_free_ char *g = host ? tr_to_guest(c, host) : NULL;
			if (g && strlen(g) + 1 <= (size_t)regs->rsi &&
			    tr_write_mem(t->pid, (unsigned long)regs->rdi, g, strlen(g) + 1) == 0) {
				regs->rax = strlen(g) + 1;
				*changed = true;
			}
		}
		return;
	default:
		break;
	}
	tr_identity_exit(c, t, regs, changed);
}

/* ------------------------------------------------------------ P1 filter */

#define STMT(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))
#define LOAD_ARG(i) STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args) + 8 * (i))
#define AT_FDCWD_LOW ((unsigned)AT_FDCWD) /* low word of the sign-extended dirfd */

/* The body that decides a call with a dirfd: fstat-like forms (flag
 * AT_EMPTY_PATH in argument `empty`) need no stop at all; a relative
 * lookup in a directory fd goes to the seccomp listener (notify.c: a
 * cheap round trip that mostly lets it go on); the rest stops for the
 * tracer. `create` (openat): these flags always stop for the tracer. */
static size_t dirfd_body(struct sock_filter *f, int empty, int create, bool notify)
{
	size_t n = 0;
	unsigned lookup = notify ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_TRACE;
	if (empty >= 0) {
		f[n++] = LOAD_ARG(empty);
		f[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, 0, 1);
		f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	if (create >= 0) {
		f[n++] = LOAD_ARG(create);
		f[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, O_CREAT | __O_TMPFILE, 0, 1);
		f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
	}
	f[n++] = LOAD_ARG(0);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AT_FDCWD_LOW, 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
	f[n++] = STMT(BPF_RET | BPF_K, lookup);
	return n;
}

int tr_install_filter(const struct tr_config *c, int *listener)
{
	build_tables(c);
	struct sock_filter f[12 * TR_NR_MAX + 8];
	size_t n = 0;
	/* Another ABI (i386 int 0x80, x32 numbers): refused, never run
	 * untranslated. With nothing to translate (inside R2/R3) let go. */
	unsigned foreign = c->translate ? SECCOMP_RET_ERRNO | ENOSYS : SECCOMP_RET_ALLOW;
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = STMT(BPF_RET | BPF_K, foreign);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	f[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, (unsigned)X32_BIT, 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, foreign);
	for (int nr = 0; nr < TR_NR_MAX; nr++) {
		if (call_kind[nr] == 0 && call_deny[nr] == 0)
			continue;
		struct sock_filter body[16];
		size_t k = 0;
		bool only_path = call_kind[nr] == CALL_PATH;
		if (call_deny[nr]) {
			body[k++] =
				STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)call_deny[nr]);
		} else if ((call_kind[nr] == CALL_SOCK && nr == SYS_sendto) ||
			   (call_kind[nr] == CALL_EXIT && nr == SYS_recvfrom)) {
			/* sendto on a connected socket, recvfrom not asking
			 * for the sender (no address): never stop. */
			body[k++] = LOAD_ARG(4);
			body[k++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3);
			body[k++] = STMT(BPF_LD | BPF_W | BPF_ABS,
					 offsetof(struct seccomp_data, args) + 8 * 4 + 4);
			body[k++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1);
			body[k++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
			body[k++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
		} else if (only_path && nr == SYS_newfstatat)
			k = dirfd_body(body, 3, -1, listener != NULL);
		else if (only_path && nr == SYS_statx)
			k = dirfd_body(body, 2, -1, listener != NULL);
		else if (only_path && nr == SYS_openat)
			k = dirfd_body(body, -1, 2, listener != NULL);
		else
			body[k++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
		/* if nr matches: the body, else the next test */
		f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, (unsigned char)k);
		memcpy(f + n, body, k * sizeof(*body));
		n += k;
	}
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {(unsigned short)n, f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	if (listener) {
		*listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
					 SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (*listener >= 0)
			return 0;
		/* Kernels before 5.0: the same filter without the listener. */
		return tr_install_filter(c, NULL);
	}
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}
