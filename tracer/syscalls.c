/* What the tracer does at each system call it stops: path arguments into
 * the container, execve through the container's ELF interpreter or #!
 * interpreter, results that name host paths back into guest paths,
 * identity emulation, read-only binds, --kernel, --hostname and -p. */
#include "tracer/tracer.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>

#define TR_PATH_MAX 4096
#define TR_NR_MAX 512
#define SCRATCH 256 /* below the tracee's stack pointer and its 128-byte red zone */

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
};

enum { CALL_PATH = 1, CALL_EXIT = 2, CALL_EXEC = 4, CALL_BIND = 8 };

/* Per call number: what the tracer does with it (built once). */
static unsigned char call_kind[TR_NR_MAX];
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
			   unsigned long *scratch)
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
	unsigned long at = push(pid, scratch, host, strlen(host) + 1);
	if (at)
		*reg = at;
	return host;
}

/* The interpreter a program file asks for: "#!" line or ELF PT_INTERP. */
static char *program_interp(const char *host, bool *elf, char **interp_arg)
{
	char head[256] = {0};
	int fd = open(host, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t hn = read(fd, head, sizeof(head) - 1);
	char *interp = NULL;
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
	} else if (hn >= (ssize_t)sizeof(Elf64_Ehdr) && memcmp(head, ELFMAG, SELFMAG) == 0) {
		Elf64_Ehdr *eh = (Elf64_Ehdr *)head;
		for (int i = 0; i < eh->e_phnum && interp == NULL; i++) {
			Elf64_Phdr ph;
			off_t off = (off_t)(eh->e_phoff + (size_t)i * eh->e_phentsize);
			if (pread(fd, &ph, sizeof(ph), off) != (ssize_t)sizeof(ph))
				break;
			if (ph.p_type == PT_INTERP && ph.p_filesz < 256) {
				char ip[256] = {0};
				if (pread(fd, ip, ph.p_filesz, (off_t)ph.p_offset) > 0)
					interp = xstrdup(ip);
				*elf = true;
			}
		}
	}
	close(fd);
	return interp;
}

/* execve: ELF programs through the container's interpreter (argv[0]
 * kept with --argv0), #! scripts through theirs, static programs by
 * their host path. */
static void translate_execve(const struct tr_config *c, struct tr_tracee *t,
			     struct user_regs_struct *regs, unsigned long *scratch)
{
	pid_t pid = t->pid;
	_cleanup_free_ char *path = tr_read_string(pid, (unsigned long)regs->rdi);
	if (path == NULL)
		return;
	_cleanup_free_ char *cwd = guest_cwd(c, pid);
	_cleanup_free_ char *host = tr_resolve(c, pid, cwd, path, true);
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
	bool elf = false;
	_cleanup_free_ char *interp_arg = NULL;
	_cleanup_free_ char *interp = program_interp(host, &elf, &interp_arg);
	if (interp == NULL) {
		unsigned long at = push(pid, scratch, host, strlen(host) + 1);
		if (at)
			regs->rdi = at;
		return;
	}
	/* New argv: interp [--argv0 ARGV0 | interp_arg] PROGRAM ARGS... */
	_cleanup_free_ char *ihost = tr_resolve(c, pid, "/", interp, true);
	unsigned long new_argv[UD_ARRAY_SIZE(old_argv) + 4];
	size_t k = 0;
	new_argv[k++] = push(pid, scratch, interp, strlen(interp) + 1);
	if (elf) {
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

static bool open_writes(long nr, struct user_regs_struct *regs)
{
	unsigned long long flags = nr == SYS_open ? regs->rsi : regs->rdx;
	return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
}

bool tr_on_entry(const struct tr_config *c, struct tr_tracee *t, struct user_regs_struct *regs,
		 bool *changed)
{
	build_tables(c);
	long nr = (long)regs->orig_rax;
	if (nr < 0 || nr >= TR_NR_MAX || call_kind[nr] == 0)
		return false;
	unsigned long scratch = (regs->rsp - SCRATCH) & ~15UL;
	unsigned char kind = call_kind[nr];
	if (kind & CALL_BIND) {
		remap_bind(c, t->pid, regs, &scratch);
		*changed = true;
	}
	if (kind & CALL_EXEC) {
		translate_execve(c, t, regs, &scratch);
		*changed = true;
	}
	const struct path_call *pc = call_path[nr];
	if (pc) {
		bool writes = pc->writes ||
			      ((nr == SYS_open || nr == SYS_openat) && open_writes(nr, regs));
		bool check_ro = writes && c->any_readonly;
		bool follow = !pc->nofollow;
		if (pc->flag_arg >= 0 && (*reg_arg(regs, pc->flag_arg) & AT_SYMLINK_NOFOLLOW))
			follow = false;
		if (nr == SYS_openat && (regs->rdx & O_NOFOLLOW))
			follow = false;
		_cleanup_free_ char *h1 = translate_arg(c, t->pid, regs, pc->arg, pc->dirfd, follow,
							check_ro, &scratch);
		_cleanup_free_ char *h2 = NULL;
		if (pc->arg2 >= 0)
			h2 = translate_arg(c, t->pid, regs, pc->arg2,
					   pc->dirfd >= 0 ? pc->dirfd + 2 : -1, !pc->nofollow,
					   check_ro, &scratch);
		if (h1 || h2)
			*changed = true;
		if (check_ro &&
		    ((h1 && tr_readonly_bind(c, h1)) || (h2 && tr_readonly_bind(c, h2)))) {
			/* A read-only volume: the call is skipped and fails. */
			regs->orig_rax = (unsigned long long)-1;
			t->deny_errno = EROFS;
			return true;
		}
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
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (int nr = 0; nr < TR_NR_MAX; nr++) {
		if (call_kind[nr] == 0)
			continue;
		struct sock_filter body[16];
		size_t k = 0;
		bool only_path = call_kind[nr] == CALL_PATH;
		if (only_path && nr == SYS_newfstatat)
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
