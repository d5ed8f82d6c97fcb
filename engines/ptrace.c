/* The built-in PRoot-class engine (x86_64): runs the command under ptrace
 * and translates the paths of file system calls into the container root,
 * resolving symlinks inside the root (absolute ones included). execve of
 * ELF programs goes through the container's own ELF interpreter and #!
 * scripts through their interpreter in the container. --user=root is
 * emulated: identity calls report 0 and ownership changes succeed.
 *
 * P1 installs a seccomp filter so only the calls it rewrites stop the
 * tracee; P2 (or PROOT_NO_SECCOMP) stops at every call. Forks, vforks and
 * clones are followed. */
#include "engines/engines.h"

#if defined(__x86_64__)

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/utsname.h>
#include <sys/wait.h>

int ud_engine_ptrace_run(const char *mode, const struct ud_run_request *r, int *status,
			 struct ud_error **err);

#define PATH_MAX_ 4096
#define SCRATCH 256 /* below the tracee's stack pointer and its 128-byte red zone */

struct ctx {
	const struct ud_run_request *r;
	bool root; /* emulate uid 0 */
};

/* The guest path each traced process last executed, for /proc/PID/exe
 * (the kernel would name the container's ELF interpreter). */
static struct {
	pid_t pid;
	char *guest;
} exes[256];

static void exe_set(pid_t pid, const char *guest)
{
	size_t slot = 0;
	for (size_t i = 0; i < UD_ARRAY_SIZE(exes); i++) {
		if (exes[i].pid == pid || exes[i].pid == 0) {
			slot = i;
			break;
		}
		slot = (size_t)pid % UD_ARRAY_SIZE(exes);
	}
	free(exes[slot].guest);
	exes[slot].pid = pid;
	exes[slot].guest = xstrdup(guest);
}

static const char *exe_get(pid_t pid)
{
	for (size_t i = 0; i < UD_ARRAY_SIZE(exes); i++)
		if (exes[i].pid == pid)
			return exes[i].guest;
	return NULL;
}

/* ------------------------------------------------------- path translation */

/* Maps a canonical guest path to the host: the longest bind prefix, else
 * under the root. */
static char *to_host(const struct ctx *c, const char *guest)
{
	const struct ud_bind *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < c->r->n_binds; i++) {
		const struct ud_bind *b = &c->r->binds[i];
		size_t n = strlen(b->path);
		if (strncmp(guest, b->path, n) == 0 && (guest[n] == '\0' || guest[n] == '/') &&
		    n > best_len) {
			best = b;
			best_len = n;
		}
	}
	if (best)
		return xasprintf("%s%s", best->host, guest + best_len);
	return strcmp(guest, "/") == 0 ? xstrdup(c->r->root) : xasprintf("%s%s", c->r->root, guest);
}

/* Host path -> guest path (for getcwd); NULL when outside the container. */
static char *to_guest(const struct ctx *c, const char *host)
{
	for (size_t i = 0; i < c->r->n_binds; i++) {
		const struct ud_bind *b = &c->r->binds[i];
		size_t n = strlen(b->host);
		if (strncmp(host, b->host, n) == 0 && (host[n] == '\0' || host[n] == '/'))
			return xasprintf("%s%s", b->path, host + n);
	}
	size_t n = strlen(c->r->root);
	if (strncmp(host, c->r->root, n) == 0 && (host[n] == '\0' || host[n] == '/'))
		return xstrdup(host[n] ? host + n : "/");
	return NULL;
}

/* The tracee whose path is being resolved: /proc/self is its, not ours. */
static pid_t current_pid;

/* Resolves a guest path (absolute, or relative to the guest cwd) component
 * by component, following symlinks inside the container; follow_last
 * decides for the final component. Returns the host path. */
static char *resolve(const struct ctx *c, const char *cwd, const char *path, bool follow_last)
{
	char *pending = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", cwd, path);
	struct ud_buf cur = {0};
	ud_buf_puts(&cur, "");
	int hops = 0;
	char *p = pending;
	while (*p) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		size_t n = strcspn(p, "/");
		bool last = p[n] == '\0' || p[n + strspn(p + n, "/")] == '\0';
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(cur.data, '/');
			if (slash) {
				*slash = '\0';
				cur.len = (size_t)(slash - cur.data);
			}
			p += n;
			continue;
		}
		size_t keep = cur.len;
		ud_buf_puts(&cur, "/");
		if (current_pid > 0 && strcmp(cur.data, "/proc/") == 0 &&
		    ((n == 4 && strncmp(p, "self", 4) == 0) ||
		     (n == 11 && strncmp(p, "thread-self", 11) == 0))) {
			if (n == 4)
				ud_buf_printf(&cur, "%d", (int)current_pid);
			else
				ud_buf_printf(&cur, "%d/task/%d", (int)current_pid,
					      (int)current_pid);
			p += n;
			continue;
		}
		ud_buf_append(&cur, p, n);
		p += n;
		if (last && !follow_last)
			break;
		_cleanup_free_ char *host = to_host(c, cur.data);
		char target[PATH_MAX_];
		ssize_t tl = readlink(host, target, sizeof(target) - 1);
		if (tl <= 0 || ++hops > 40)
			continue;
		target[tl] = '\0';
		/* Replace the component by the link's target and go on. */
		char *rest = xasprintf("%s/%s", target, p);
		if (target[0] == '/') {
			cur.len = 0;
			cur.data[0] = '\0';
		} else {
			cur.len = keep;
			cur.data[keep] = '\0';
		}
		free(pending);
		pending = rest;
		p = pending;
	}
	char *host = to_host(c, cur.len ? cur.data : "/");
	ud_buf_release(&cur);
	free(pending);
	return host;
}

/* ------------------------------------------------------ tracee memory */

static char *read_string(pid_t pid, unsigned long addr)
{
	char buf[PATH_MAX_];
	size_t got = 0;
	while (got < sizeof(buf) - 1) {
		struct iovec local = {buf + got, 256}, remote = {(void *)(addr + got), 256};
		/* Stay within the current page so no read crosses into an unmapped one. */
		size_t page_left = 4096 - ((addr + got) & 4095);
		if (page_left < 256)
			local.iov_len = remote.iov_len = page_left;
		if (local.iov_len > sizeof(buf) - 1 - got)
			local.iov_len = remote.iov_len = sizeof(buf) - 1 - got;
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			break;
		if (memchr(buf + got, '\0', (size_t)n))
			return xstrdup(buf);
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got ? xstrdup(buf) : NULL;
}

static int write_mem(pid_t pid, unsigned long addr, const void *data, size_t len)
{
	struct iovec local = {(void *)data, len}, remote = {(void *)addr, len};
	if (process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)len)
		return 0;
	/* Below the stack's mapped pages: /proc/PID/mem may extend the stack. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = pwrite(fd, data, len, (off_t)addr);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static char *guest_cwd(const struct ctx *c, pid_t pid)
{
	char link[64], host[PATH_MAX_];
	snprintf(link, sizeof(link), "/proc/%d/cwd", pid);
	ssize_t n = readlink(link, host, sizeof(host) - 1);
	if (n <= 0)
		return xstrdup("/");
	host[n] = '\0';
	char *g = to_guest(c, host);
	return g ? g : xstrdup("/");
}

/* ------------------------------------------------------------ syscalls */

struct path_arg {
	int nr;
	int arg;       /* which argument is a path */
	int arg2;      /* a second path argument, or -1 */
	int dirfd;     /* argument holding a dirfd for arg, or -1 */
	bool nofollow; /* the last component is not followed */
	int flag_arg;  /* argument with AT_SYMLINK_NOFOLLOW, or -1 */
};

static const struct path_arg path_calls[] = {
	{SYS_open, 0, -1, -1, false, -1},	 {SYS_openat, 1, -1, 0, false, -1},
	{SYS_creat, 0, -1, -1, false, -1},	 {SYS_stat, 0, -1, -1, false, -1},
	{SYS_lstat, 0, -1, -1, true, -1},	 {SYS_newfstatat, 1, -1, 0, false, 3},
	{SYS_statx, 1, -1, 0, false, 2},	 {SYS_access, 0, -1, -1, false, -1},
	{SYS_faccessat, 1, -1, 0, false, -1},	 {SYS_faccessat2, 1, -1, 0, false, 3},
	{SYS_chdir, 0, -1, -1, false, -1},	 {SYS_mkdir, 0, -1, -1, true, -1},
	{SYS_mkdirat, 1, -1, 0, true, -1},	 {SYS_rmdir, 0, -1, -1, true, -1},
	{SYS_unlink, 0, -1, -1, true, -1},	 {SYS_unlinkat, 1, -1, 0, true, -1},
	{SYS_rename, 0, 1, -1, true, -1},	 {SYS_renameat, 1, 3, 0, true, -1},
	{SYS_renameat2, 1, 3, 0, true, -1},	 {SYS_link, 0, 1, -1, true, -1},
	{SYS_linkat, 1, 3, 0, true, -1},	 {SYS_symlink, 1, -1, -1, true, -1},
	{SYS_symlinkat, 2, -1, 1, true, -1},	 {SYS_readlink, 0, -1, -1, true, -1},
	{SYS_readlinkat, 1, -1, 0, true, -1},	 {SYS_chmod, 0, -1, -1, false, -1},
	{SYS_fchmodat, 1, -1, 0, false, -1},	 {SYS_chown, 0, -1, -1, false, -1},
	{SYS_lchown, 0, -1, -1, true, -1},	 {SYS_fchownat, 1, -1, 0, false, 4},
	{SYS_utime, 0, -1, -1, false, -1},	 {SYS_utimes, 0, -1, -1, false, -1},
	{SYS_utimensat, 1, -1, 0, false, 3},	 {SYS_truncate, 0, -1, -1, false, -1},
	{SYS_mknod, 0, -1, -1, true, -1},	 {SYS_mknodat, 1, -1, 0, true, -1},
	{SYS_statfs, 0, -1, -1, false, -1},	 {SYS_getxattr, 0, -1, -1, false, -1},
	{SYS_lgetxattr, 0, -1, -1, true, -1},	 {SYS_setxattr, 0, -1, -1, false, -1},
	{SYS_lsetxattr, 0, -1, -1, true, -1},	 {SYS_listxattr, 0, -1, -1, false, -1},
	{SYS_llistxattr, 0, -1, -1, true, -1},	 {SYS_removexattr, 0, -1, -1, false, -1},
	{SYS_lremovexattr, 0, -1, -1, true, -1}, {SYS_execve, 0, -1, -1, false, -1},
	{SYS_chroot, 0, -1, -1, false, -1},
};

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

/* Rewrites one path argument; *scratch moves down for each string. */
static void translate_arg(const struct ctx *c, pid_t pid, struct user_regs_struct *regs, int arg,
			  int dirfd_arg, bool follow_last, unsigned long *scratch)
{
	unsigned long long *reg = reg_arg(regs, arg);
	if (*reg == 0)
		return;
	_cleanup_free_ char *path = read_string(pid, (unsigned long)*reg);
	if (path == NULL || path[0] == '\0')
		return;
	/* One name looked up in a directory without following it: the kernel
	 * resolves that inside the container already (find, rm -r, tar). */
	if (path[0] != '/' && !follow_last && strchr(path, '/') == NULL && strcmp(path, "..") != 0)
		return;
	_cleanup_free_ char *cwd = NULL;
	if (path[0] != '/' && dirfd_arg >= 0 && (int)*reg_arg(regs, dirfd_arg) != AT_FDCWD) {
		/* Relative to a directory fd: the guest path of that directory. */
		char link[64], dir[PATH_MAX_];
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, (int)*reg_arg(regs, dirfd_arg));
		ssize_t n = readlink(link, dir, sizeof(dir) - 1);
		if (n <= 0)
			return; /* not a directory fd we can name: the kernel decides */
		dir[n] = '\0';
		cwd = to_guest(c, dir);
		if (cwd == NULL)
			return;
		/* The result is absolute: the dirfd argument no longer matters. */
	} else if (path[0] != '/') {
		cwd = guest_cwd(c, pid);
	}
	_cleanup_free_ char *host = resolve(c, cwd ? cwd : "/", path, follow_last);
	size_t len = strlen(host) + 1;
	*scratch -= (len + 15) & ~15UL;
	if (write_mem(pid, *scratch, host, len) == 0)
		*reg = *scratch;
}

/* execve: ELF programs through the container's interpreter (argv[0]
 * kept with --argv0), #! scripts through theirs. */
static void translate_execve(const struct ctx *c, pid_t pid, struct user_regs_struct *regs,
			     unsigned long *scratch)
{
	_cleanup_free_ char *path = read_string(pid, (unsigned long)regs->rdi);
	if (path == NULL)
		return;
	_cleanup_free_ char *cwd = guest_cwd(c, pid);
	_cleanup_free_ char *host = resolve(c, cwd, path, true);
	_cleanup_free_ char *absguest = path[0] == '/' ? xstrdup(path) : ud_path_join(cwd, path);
	exe_set(pid, absguest);
	/* The current argv pointers. */
	unsigned long argv_addr = (unsigned long)regs->rsi;
	unsigned long old_argv[256];
	size_t argc = 0;
	for (; argc < 255; argc++) {
		struct iovec l = {&old_argv[argc], 8}, rm = {(void *)(argv_addr + 8 * argc), 8};
		if (argv_addr == 0 || process_vm_readv(pid, &l, 1, &rm, 1, 0) != 8 ||
		    old_argv[argc] == 0)
			break;
	}
	char head[256] = {0};
	int fd = open(host, O_RDONLY | O_CLOEXEC);
	ssize_t hn = fd >= 0 ? read(fd, head, sizeof(head) - 1) : -1;
	char *interp = NULL, *interp_arg = NULL;
	bool elf = false;
	if (hn > 2 && head[0] == '#' && head[1] == '!') {
		head[strcspn(head, "\n")] = '\0';
		char *s = head + 2;
		s += strspn(s, " \t");
		size_t n = strcspn(s, " \t");
		interp = xstrndup(s, n);
		s += n;
		s += strspn(s, " \t");
		if (*s)
			interp_arg = xstrdup(s);
	} else if (hn >= (ssize_t)sizeof(Elf64_Ehdr) && memcmp(head, ELFMAG, SELFMAG) == 0) {
		Elf64_Ehdr *eh = (Elf64_Ehdr *)head;
		for (int i = 0; i < eh->e_phnum; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof(ph),
				  (off_t)(eh->e_phoff + (size_t)i * eh->e_phentsize)) !=
			    (ssize_t)sizeof(ph))
				break;
			if (ph.p_type == PT_INTERP && ph.p_filesz < 256) {
				char ip[256] = {0};
				if (pread(fd, ip, ph.p_filesz, (off_t)ph.p_offset) > 0)
					interp = xstrdup(ip);
				elf = true;
			}
		}
	}
	if (fd >= 0)
		close(fd);
	if (interp == NULL) {
		/* A static program: just its host path. */
		size_t len = strlen(host) + 1;
		*scratch -= (len + 15) & ~15UL;
		if (write_mem(pid, *scratch, host, len) == 0)
			regs->rdi = *scratch;
		return;
	}
	/* New argv: interp [--argv0 ARGV0] [interp_arg] PROGRAM ARGS... */
	_cleanup_free_ char *ihost = resolve(c, "/", interp, true);
	const char *strs[8];
	size_t ns = 0;
	strs[ns++] = interp;
	if (elf)
		strs[ns++] = "--argv0";
	unsigned long new_argv[300];
	size_t k = 0;
	unsigned long addrs[8];
	for (size_t i = 0; i < ns; i++) {
		size_t len = strlen(strs[i]) + 1;
		*scratch -= (len + 15) & ~15UL;
		write_mem(pid, *scratch, strs[i], len);
		addrs[i] = *scratch;
	}
	new_argv[k++] = addrs[0];
	if (elf) {
		new_argv[k++] = addrs[1];
		new_argv[k++] = argc > 0 ? old_argv[0] : (unsigned long)regs->rdi;
	} else if (interp_arg) {
		size_t len = strlen(interp_arg) + 1;
		*scratch -= (len + 15) & ~15UL;
		write_mem(pid, *scratch, interp_arg, len);
		new_argv[k++] = *scratch;
	}
	new_argv[k++] = (unsigned long)regs->rdi; /* the program, as the guest named it */
	for (size_t i = 1; i < argc && k < 298; i++)
		new_argv[k++] = old_argv[i];
	new_argv[k++] = 0;
	*scratch -= (k * 8 + 15) & ~15UL;
	write_mem(pid, *scratch, new_argv, k * 8);
	regs->rsi = *scratch;
	size_t len = strlen(ihost) + 1;
	*scratch -= (len + 15) & ~15UL;
	if (write_mem(pid, *scratch, ihost, len) == 0)
		regs->rdi = *scratch;
	free(interp);
	free(interp_arg);
}

/* -p: a bind to a published container port binds the host port. */
static void remap_bind(const struct ctx *c, pid_t pid, struct user_regs_struct *regs,
		       unsigned long *scratch, bool *changed)
{
	unsigned char sa[28];
	size_t len = regs->rdx < sizeof(sa) ? (size_t)regs->rdx : sizeof(sa);
	struct iovec l = {sa, len}, rm = {(void *)regs->rsi, len};
	if (len < 4 || process_vm_readv(pid, &l, 1, &rm, 1, 0) != (ssize_t)len)
		return;
	unsigned short family = (unsigned short)(sa[0] | sa[1] << 8);
	if (family != 2 /* AF_INET */ && family != 10 /* AF_INET6 */)
		return;
	unsigned short port = (unsigned short)(sa[2] << 8 | sa[3]);
	for (size_t i = 0; i < c->r->n_ports; i++) {
		if (c->r->ports[i][0] != port)
			continue;
		sa[2] = (unsigned char)(c->r->ports[i][1] >> 8);
		sa[3] = (unsigned char)(c->r->ports[i][1] & 0xff);
		*scratch -= (len + 15) & ~15UL;
		if (write_mem(pid, *scratch, sa, len) == 0) {
			regs->rsi = *scratch;
			*changed = true;
		}
		return;
	}
}

static void on_syscall_entry(const struct ctx *c, pid_t pid, struct user_regs_struct *regs,
			     bool *changed)
{
	current_pid = pid;
	if ((long)regs->orig_rax == SYS_bind) {
		unsigned long scratch = (regs->rsp - SCRATCH) & ~15UL;
		if (c->r->n_ports)
			remap_bind(c, pid, regs, &scratch, changed);
		return;
	}
	long nr = (long)regs->orig_rax;
	unsigned long scratch = (regs->rsp - SCRATCH) & ~15UL;
	if (nr == SYS_execve) {
		translate_execve(c, pid, regs, &scratch);
		*changed = true;
		return;
	}
	for (size_t i = 0; i < UD_ARRAY_SIZE(path_calls); i++) {
		const struct path_arg *pa = &path_calls[i];
		if (pa->nr != nr)
			continue;
		bool follow = !pa->nofollow;
		if (pa->flag_arg >= 0 && (*reg_arg(regs, pa->flag_arg) & AT_SYMLINK_NOFOLLOW))
			follow = false;
		if (nr == SYS_openat && (*reg_arg(regs, 2) & O_NOFOLLOW))
			follow = false;
		translate_arg(c, pid, regs, pa->arg, pa->dirfd, follow, &scratch);
		if (pa->arg2 >= 0)
			translate_arg(c, pid, regs, pa->arg2, pa->dirfd >= 0 ? pa->dirfd + 2 : -1,
				      !pa->nofollow, &scratch);
		*changed = true;
		return;
	}
}

static void on_syscall_exit(const struct ctx *c, pid_t pid, struct user_regs_struct *regs,
			    bool *changed)
{
	long nr = (long)regs->orig_rax;
	long ret = (long)regs->rax;
	if ((nr == SYS_readlink || nr == SYS_readlinkat) && ret > 0) {
		/* Links in /proc name host paths: show the guest's. */
		int pa = nr == SYS_readlink ? 0 : 1;
		unsigned long buf = (unsigned long)*reg_arg(regs, pa + 1);
		size_t size = (size_t)*reg_arg(regs, pa + 2);
		_cleanup_free_ char *link = read_string(pid, (unsigned long)*reg_arg(regs, pa));
		if (link == NULL || !ud_str_has_prefix(link, "/proc/"))
			return;
		char target[PATH_MAX_] = {0};
		struct iovec l = {target, (size_t)ret < sizeof(target) - 1 ? (size_t)ret : 0},
			     rm = {(void *)buf, l.iov_len};
		if (process_vm_readv(pid, &l, 1, &rm, 1, 0) <= 0)
			return;
		int who = 0;
		char tail[32] = "";
		const char *guest = NULL;
		_cleanup_free_ char *conv = NULL;
		if (strcmp(link, "/proc/self/exe") == 0 ||
		    (sscanf(link, "/proc/%d/%31s", &who, tail) == 2 && strcmp(tail, "exe") == 0))
			guest = exe_get(who ? who : pid);
		if (guest == NULL && (conv = to_guest(c, target)) != NULL)
			guest = conv;
		if (guest == NULL)
			return;
		size_t n = strlen(guest);
		if (n > size)
			n = size;
		if (write_mem(pid, buf, guest, n) == 0) {
			regs->rax = n;
			*changed = true;
		}
		return;
	}
	if (nr == SYS_uname && ret == 0 && c->r->kernel) {
		/* --kernel: the release field of struct utsname. */
		char rel[sizeof(((struct utsname *)0)->release)] = {0};
		snprintf(rel, sizeof(rel), "%s", c->r->kernel);
		write_mem(pid, (unsigned long)regs->rdi + offsetof(struct utsname, release), rel,
			  sizeof(rel));
		return;
	}
	if (nr == SYS_getcwd && ret > 0) {
		_cleanup_free_ char *host = read_string(pid, (unsigned long)regs->rdi);
		_cleanup_free_ char *g = host ? to_guest(c, host) : NULL;
		if (g && strlen(g) + 1 <= (size_t)regs->rsi &&
		    write_mem(pid, (unsigned long)regs->rdi, g, strlen(g) + 1) == 0) {
			regs->rax = strlen(g) + 1;
			*changed = true;
		}
		return;
	}
	if (!c->root)
		return;
	switch (nr) {
	case SYS_getuid:
	case SYS_geteuid:
	case SYS_getgid:
	case SYS_getegid:
		regs->rax = 0;
		*changed = true;
		break;
	case SYS_chown:
	case SYS_fchown:
	case SYS_lchown:
	case SYS_fchownat:
	case SYS_setuid:
	case SYS_setgid:
	case SYS_setreuid:
	case SYS_setregid:
	case SYS_setresuid:
	case SYS_setresgid:
	case SYS_setgroups:
	case SYS_mknod:
	case SYS_mknodat:
		if (ret == -EPERM || ret == -EINVAL) {
			regs->rax = 0;
			*changed = true;
		}
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ the loop */

/* Calls whose result is rewritten at their exit. */
static bool needs_exit(const struct ctx *c, long nr)
{
	static const long root_calls[] = {SYS_getuid,	 SYS_geteuid,	SYS_getgid,    SYS_getegid,
					  SYS_chown,	 SYS_fchown,	SYS_lchown,    SYS_fchownat,
					  SYS_setuid,	 SYS_setgid,	SYS_setreuid,  SYS_setregid,
					  SYS_setresuid, SYS_setresgid, SYS_setgroups, SYS_mknod,
					  SYS_mknodat};
	if (nr == SYS_getcwd || nr == SYS_readlink || nr == SYS_readlinkat)
		return true;
	if (nr == SYS_uname && c->r->kernel)
		return true;
	for (size_t i = 0; c->root && i < UD_ARRAY_SIZE(root_calls); i++)
		if (root_calls[i] == nr)
			return true;
	return false;
}

/* P1: a seccomp filter stops the tracee only at the calls the tracer
 * rewrites (path calls, getcwd, and with root emulation the identity and
 * ownership calls); everything else runs at full speed. */
static int install_filter(const struct ctx *c)
{
	struct sock_filter f[160];
	size_t n = 0;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	long nrs[128];
	size_t k = 0;
	for (size_t i = 0; i < UD_ARRAY_SIZE(path_calls); i++)
		nrs[k++] = path_calls[i].nr;
	for (long nr = 0; nr < 512 && k < UD_ARRAY_SIZE(nrs); nr++)
		if (needs_exit(c, nr))
			nrs[k++] = nr;
	if (c->r->n_ports)
		nrs[k++] = SYS_bind;
	for (size_t i = 0; i < k; i++) {
		/* if nr == nrs[i]: trace, else next test */
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nrs[i],
						      0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {(unsigned short)n, f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

enum trace_state { TS_RUN, TS_WAIT_ENTRY, TS_WAIT_EXIT };

struct tracee {
	pid_t pid;
	bool in_syscall;	/* P2: toggles at each syscall stop */
	enum trace_state state; /* P1: after a seccomp stop */
};

int ud_engine_ptrace_run(const char *mode, const struct ud_run_request *r, int *status,
			 struct ud_error **err)
{
	struct ctx c = {r, r->uid == 0};
	bool seccomp = strcmp(mode, "P1") == 0 && getenv("PROOT_NO_SECCOMP") == NULL;
	/* What the other engines report before running. */
	_cleanup_free_ char *wdhost = resolve(&c, "/", r->workdir ? r->workdir : "/", true);
	if (!ud_is_dir(wdhost))
		return ud_error_set(err, UD_ERR_USAGE, "invalid working directory: %s", r->workdir);
	for (size_t i = 0; i < r->n_binds; i++)
		if (!ud_path_exists(r->binds[i].host))
			return ud_error_set(err, UD_ERR_USAGE, "invalid host volume path: %s",
					    r->binds[i].host);
	_cleanup_free_ char *exe = NULL;
	if (strchr(r->argv[0], '/')) {
		exe = xstrdup(r->argv[0]);
	} else {
		const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
		for (size_t i = 0; r->env && r->env[i]; i++)
			if (ud_str_has_prefix(r->env[i], "PATH="))
				path = r->env[i] + 5;
		_cleanup_free_ char *copy = xstrdup(path);
		char *save = NULL;
		for (char *d = strtok_r(copy, ":", &save); d && !exe;
		     d = strtok_r(NULL, ":", &save)) {
			_cleanup_free_ char *g = ud_path_join(d, r->argv[0]);
			_cleanup_free_ char *h = resolve(&c, "/", g, true);
			if (access(h, X_OK) == 0)
				exe = steal_pointer(&g);
		}
	}
	_cleanup_free_ char *exehost =
		exe ? resolve(&c, wdhost ? r->workdir : "/", exe, true) : NULL;
	if (exe == NULL || access(exehost, X_OK) != 0)
		return ud_error_set(err, UD_ERR_USAGE, "command not found: %s", r->argv[0]);
	fflush(NULL);
	pid_t child = fork();
	if (child < 0)
		return ud_error_sys(err, errno, "fork");
	if (child == 0) {
		if (chdir(wdhost) < 0)
			_exit(126);
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		/* The tracer has set its options (seccomp events) by now. */
		if (seccomp && install_filter(&c) < 0)
			_exit(126);
		/* The first execve is translated by the tracer like any other. */
		execve(exe, r->argv, r->env);
		_exit(127);
	}
	int ws;
	waitpid(child, &ws, 0);
	ptrace(PTRACE_SETOPTIONS, child, NULL,
	       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
			      PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL |
			      (seccomp ? PTRACE_O_TRACESECCOMP : 0)));
	int resume = seccomp ? PTRACE_CONT : PTRACE_SYSCALL;
	ptrace(resume, child, NULL, NULL);
	struct tracee *t = xcalloc(1, sizeof(*t));
	size_t nt = 1;
	t[0].pid = child;
	int result = 0;
	for (;;) {
		pid_t pid = waitpid(-1, &ws, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		struct tracee *tr = NULL;
		for (size_t i = 0; i < nt; i++)
			if (t[i].pid == pid)
				tr = &t[i];
		if (tr == NULL) {
			t = xrealloc(t, (nt + 1) * sizeof(*t));
			t[nt] = (struct tracee){pid, false, TS_RUN};
			tr = &t[nt++];
		}
		if (WIFEXITED(ws) || WIFSIGNALED(ws)) {
			if (pid == child)
				result = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
			tr->pid = 0;
			continue;
		}
		if (!WIFSTOPPED(ws))
			continue;
		int sig = WSTOPSIG(ws);
		int deliver = 0;
		int how = resume;
		if (seccomp && (ws >> 8) == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
			struct user_regs_struct regs;
			if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0) {
				bool changed = false;
				on_syscall_entry(&c, pid, &regs, &changed);
				if (changed)
					ptrace(PTRACE_SETREGS, pid, NULL, &regs);
				if (needs_exit(&c, (long)regs.orig_rax)) {
					tr->state = TS_WAIT_ENTRY;
					how = PTRACE_SYSCALL;
				}
			}
			ptrace(how, pid, NULL, NULL);
			continue;
		}
		if (seccomp && sig == (SIGTRAP | 0x80)) {
			struct user_regs_struct regs;
			bool have = ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0;
			/* Kernels differ on whether a syscall-entry stop follows the
			 * seccomp stop: at entry rax holds -ENOSYS. */
			if (tr->state == TS_WAIT_ENTRY && have && (long)regs.rax == -ENOSYS) {
				tr->state = TS_WAIT_EXIT;
				how = PTRACE_SYSCALL;
			} else if (tr->state != TS_RUN && have) {
				bool changed = false;
				on_syscall_exit(&c, pid, &regs, &changed);
				if (changed)
					ptrace(PTRACE_SETREGS, pid, NULL, &regs);
				tr->state = TS_RUN;
			}
			ptrace(how, pid, NULL, NULL);
			continue;
		}
		if (sig == (SIGTRAP | 0x80)) {
			struct user_regs_struct regs;
			if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0) {
				bool changed = false;
				if (!tr->in_syscall)
					on_syscall_entry(&c, pid, &regs, &changed);
				else
					on_syscall_exit(&c, pid, &regs, &changed);
				if (changed)
					ptrace(PTRACE_SETREGS, pid, NULL, &regs);
			}
			tr->in_syscall = !tr->in_syscall;
		} else if (sig == SIGTRAP && (ws >> 16) != 0) {
			/* fork/clone/exec events: new tracees announce themselves. */
			if ((ws >> 16) == PTRACE_EVENT_EXEC)
				tr->in_syscall = true; /* the exit of execve comes next */
		} else if (sig == SIGSTOP && tr != &t[0] && !tr->in_syscall) {
			/* A new child's initial stop. */
		} else {
			deliver = sig;
		}
		ptrace(how, pid, NULL, (void *)(long)deliver);
	}
	free(t);
	*status = result;
	return 0;
}

#else

int ud_engine_ptrace_run(const char *mode, const struct ud_run_request *r, int *status,
			 struct ud_error **err);

int ud_engine_ptrace_run(const char *mode, const struct ud_run_request *r, int *status,
			 struct ud_error **err)
{
	(void)r;
	(void)status;
	return ud_error_set(err, UD_ERR_UNSUPPORTED,
			    "the built-in %s engine supports x86_64 only in this version", mode);
}

#endif
