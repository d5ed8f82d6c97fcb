/* udocker-tracer: command line and the ptrace loop (see tracer.h). */
#include "tracer/tracer.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define EXIT_START 125

/* -s: where the checks before the run report what is wrong (the caller
 * turns that into its own error); -1 for standard error. */
static int status_fd = -1;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (status_fd >= 0) {
		vdprintf(status_fd, fmt, ap);
	} else {
		fputs("Error: udocker-tracer: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
	exit(EXIT_START);
}

/* ------------------------------------------------------------ signals */

/* What udocker (or an R runtime) passes on reaches the traced command:
 * away from the terminal's foreground the command leads a process group
 * of its own and the signal goes to all of it; on the foreground the
 * terminal signals everyone itself, and other senders reach the command. */
static const int passed_on[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
static volatile pid_t signal_target;
static volatile bool target_own_group;

static void pass_on(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (signal_target <= 0 || (!target_own_group && si->si_code == SI_KERNEL))
		return;
	kill(target_own_group ? -signal_target : signal_target, sig);
}

static void block_passed_on(int how, sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(passed_on) / sizeof(passed_on[0]); i++)
		sigaddset(&set, passed_on[i]);
	sigprocmask(how, &set, old);
}

/* ------------------------------------------------------------ tracees */

static struct tr_tracee *tracees;
static size_t n_tracees, cap_tracees;

static struct tr_tracee *tracee_find(pid_t pid)
{
	for (size_t i = 0; i < n_tracees; i++)
		if (tracees[i].pid == pid)
			return &tracees[i];
	return NULL;
}

static struct tr_tracee *tracee_add(pid_t pid)
{
	if (n_tracees == cap_tracees) {
		cap_tracees = cap_tracees ? 2 * cap_tracees : 16;
		tracees = xrealloc(tracees, cap_tracees * sizeof(*tracees));
	}
	tracees[n_tracees] = (struct tr_tracee){.pid = pid};
	return &tracees[n_tracees++];
}

static void tracee_remove(struct tr_tracee *t)
{
	free(t->exe);
	*t = tracees[--n_tracees];
}

const char *tr_exe_of(pid_t pid);
const char *tr_exe_of(pid_t pid)
{
	struct tr_tracee *t = tracee_find(pid);
	return t ? t->exe : NULL;
}

/* ------------------------------------------------------------ options */

static void parse_id(const char *s, struct tr_config *c)
{
	unsigned long u, g;
	char *end;
	u = strtoul(s, &end, 10);
	if (end == s || *end != ':')
		die("-i: expected UID:GID, got '%s'", s);
	const char *gs = end + 1;
	g = strtoul(gs, &end, 10);
	if (end == gs || *end)
		die("-i: expected UID:GID, got '%s'", s);
	c->uid = (uid_t)u;
	c->gid = (gid_t)g;
	c->fake_ids = true;
	c->fake_root = c->uid == 0;
}

static void add_bind(struct tr_config *c, const char *host, const char *guest, bool ro)
{
	if (host[0] != '/' || guest[0] != '/')
		die("-b: paths must be absolute: '%s' '%s'", host, guest);
	c->binds = xrealloc(c->binds, (c->n_binds + 1) * sizeof(*c->binds));
	struct tr_bind *b = &c->binds[c->n_binds++];
	b->host = xstrdup(host);
	b->guest = xstrdup(guest);
	/* "/" as a prefix matches everything below it with no slash to add. */
	b->host_len = strcmp(host, "/") ? strlen(host) : 0;
	b->guest_len = strcmp(guest, "/") ? strlen(guest) : 0;
	b->readonly = ro;
	c->any_readonly |= ro;
}

/* Parses argv into c; returns the index of the command's argv[0]. */
static int parse(int argc, char **argv, struct tr_config *c, const char **wd)
{
	c->root = "/";
	c->seccomp = getenv("PROOT_NO_SECCOMP") == NULL;
	c->uid = getuid();
	c->gid = getgid();
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *o = argv[i];
		bool two = !strcmp(o, "-b") || !strcmp(o, "-B");
		bool one = !strcmp(o, "-r") || !strcmp(o, "-w") || !strcmp(o, "-i") ||
			   !strcmp(o, "-k") || !strcmp(o, "-n") || !strcmp(o, "-p") ||
			   !strcmp(o, "-s");
		if ((one && i + 1 >= argc) || (two && i + 2 >= argc))
			die("option %s needs a value", o);
		if (!strcmp(o, "-2"))
			c->seccomp = false;
		else if (!strcmp(o, "-0"))
			parse_id("0:0", c);
		else if (!strcmp(o, "-i"))
			parse_id(argv[++i], c);
		else if (!strcmp(o, "-r"))
			c->root = argv[++i];
		else if (!strcmp(o, "-w"))
			*wd = argv[++i];
		else if (!strcmp(o, "-k"))
			c->kernel = argv[++i];
		else if (!strcmp(o, "-n"))
			c->hostname = argv[++i];
		else if (!strcmp(o, "-s"))
			status_fd = atoi(argv[++i]);
		else if (two) {
			add_bind(c, argv[i + 1], argv[i + 2], o[1] == 'B');
			i += 2;
		} else if (!strcmp(o, "-p")) {
			unsigned a, b;
			char extra;
			if (sscanf(argv[++i], "%u:%u%c", &a, &b, &extra) != 2 || a > 65535 ||
			    b > 65535)
				die("-p: expected CPORT:HPORT, got '%s'", argv[i]);
			c->ports = xrealloc(c->ports, (c->n_ports + 1) * sizeof(*c->ports));
			c->ports[c->n_ports][0] = (unsigned short)a;
			c->ports[c->n_ports++][1] = (unsigned short)b;
		} else {
			die("unknown option '%s' (usage: udocker-tracer [-2] [-0|-i UID:GID] "
			    "[-r ROOT] [-w DIR] [-b HOST GUEST]... [-B HOST GUEST]... "
			    "[-k RELEASE] [-n HOSTNAME] [-p C:H]... [-s FD] -- ARGV...)",
			    o);
		}
	}
	if (i + 1 >= argc)
		die("no command given after --");
	c->root_len = strlen(c->root);
	if (c->root[0] != '/')
		die("-r: the root must be an absolute path, got '%s'", c->root);
	c->translate = strcmp(c->root, "/") != 0 || c->n_binds > 0;
	return i + 1;
}

/* ------------------------------------------------------------ the loop */

/* Before Linux 4.8 a syscall-entry stop followed the seccomp stop. */
static bool seccomp_before_entry(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;
	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major < 4 || (major == 4 && minor < 8);
}

static bool is_group_stop(pid_t pid, int sig)
{
	siginfo_t si;
	if (sig != SIGSTOP && sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
		return false;
	return ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) < 0 && errno == EINVAL;
}

static void stop_at(const struct tr_config *c, struct tr_tracee *t, bool entry)
{
	struct user_regs_struct regs;
	if (ptrace(PTRACE_GETREGS, t->pid, NULL, &regs) < 0)
		return;
	bool changed = false;
	bool see_exit = false;
	if (entry)
		see_exit = tr_on_entry(c, t, &regs, &changed);
	else
		tr_on_exit(c, t, &regs, &changed);
	if (changed)
		ptrace(PTRACE_SETREGS, t->pid, NULL, &regs);
	t->wait_exit = see_exit;
}

/* Runs the loop until no tracee is left; returns the status of `child`. */
static int trace(const struct tr_config *c, pid_t child)
{
	bool old_kernel = c->seccomp && seccomp_before_entry();
	int resume = c->seccomp ? PTRACE_CONT : PTRACE_SYSCALL;
	int result = EXIT_START;
	for (;;) {
		int ws;
		pid_t pid = waitpid(-1, &ws, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		struct tr_tracee *t = tracee_find(pid);
		if (t == NULL) {
			/* A new child can stop before its parent's event is seen:
			 * it stays stopped until then, so it starts with the
			 * parent's state (ids, exe). */
			t = tracee_add(pid);
			t->held = WIFSTOPPED(ws);
			if (t->held)
				continue;
		}
		if (WIFEXITED(ws) || WIFSIGNALED(ws)) {
			if (pid == child)
				result = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
			tracee_remove(t);
			continue;
		}
		if (!WIFSTOPPED(ws))
			continue;
		int sig = WSTOPSIG(ws), event = ws >> 16, deliver = 0, how = resume;
		if (sig == SIGTRAP && event == PTRACE_EVENT_SECCOMP) {
			stop_at(c, t, true);
			if (t->wait_exit) {
				how = PTRACE_SYSCALL;
				t->in_syscall =
					!old_kernel; /* old kernels: the entry stop is next */
			}
		} else if (sig == (SIGTRAP | 0x80)) {
			if (c->seccomp) {
				if (!t->in_syscall) {
					t->in_syscall = true; /* old kernels' entry stop */
					how = PTRACE_SYSCALL;
				} else {
					stop_at(c, t, false);
					t->in_syscall = false;
				}
			} else {
				stop_at(c, t, !t->in_syscall);
				t->in_syscall = !t->in_syscall;
			}
		} else if (sig == SIGTRAP && event != 0) {
			if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
			    event == PTRACE_EVENT_CLONE) {
				unsigned long msg = 0;
				ptrace(PTRACE_GETEVENTMSG, pid, NULL, &msg);
				struct tr_tracee *n = tracee_find((pid_t)msg);
				if (n == NULL) {
					n = tracee_add((pid_t)msg);
					n->expect_stop = true;
					t = tracee_find(pid); /* the table may have moved */
				}
				if (t->exe && n->exe == NULL)
					n->exe = xstrdup(t->exe);
				n->ids = t->ids;
				if (n->held) {
					/* Its first stop came first: let it go now. */
					n->held = false;
					ptrace(resume, n->pid, NULL, NULL);
				}
			} else if (event == PTRACE_EVENT_EXEC && !c->seccomp) {
				t->in_syscall = true; /* the exit of execve comes next */
			}
		} else if (sig == SIGSTOP && t->expect_stop) {
			t->expect_stop = false; /* a new child's first stop */
		} else if (is_group_stop(pid, sig)) {
			/* Without PTRACE_SEIZE a group stop cannot be kept: go on. */
		} else {
			deliver = sig;
		}
		ptrace(how, pid, NULL, (void *)(long)deliver);
	}
	return result;
}

/* Sends fd (none when < 0) over a unix socket. */
static void send_fd(int sock, int fd)
{
	char data = 'f';
	char control[CMSG_SPACE(sizeof(int))];
	memset(control, 0, sizeof(control));
	struct iovec io = {&data, 1};
	struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1};
	if (fd >= 0) {
		m.msg_control = control;
		m.msg_controllen = sizeof(control);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	while (sendmsg(sock, &m, 0) < 0 && errno == EINTR)
		;
}

/* The command's guest path: argv[0] if it has a '/', else the first
 * executable match in the PATH of the environment, inside the container. */
static char *find_command(const struct tr_config *c, const char *wd, const char *name)
{
	if (strchr(name, '/')) {
		_cleanup_free_ char *host = tr_resolve(c, 0, wd, name, true);
		return host && access(host, X_OK) == 0 ? xstrdup(name) : NULL;
	}
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = xstrdup(
		path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *g = tr_join(d, name);
		_cleanup_free_ char *host = tr_resolve(c, 0, wd, g, true);
		struct stat st;
		if (host && access(host, X_OK) == 0 && stat(host, &st) == 0 && S_ISREG(st.st_mode))
			return steal_pointer(&g);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct tr_config c = {0};
	const char *wd = NULL;
	int first = parse(argc, argv, &c, &wd);
	_cleanup_free_ char *cwd_guest = NULL;
	if (wd == NULL) {
		/* No -w: where it was started (inside an R container, say). */
		char here[4096];
		if (getcwd(here, sizeof(here)))
			cwd_guest = tr_to_guest(&c, here);
		wd = cwd_guest ? cwd_guest : "/";
	}
	/* What every engine checks before running anything. */
	_cleanup_free_ char *wdhost = tr_resolve(&c, 0, "/", wd, true);
	struct stat st;
	if (wdhost == NULL || stat(wdhost, &st) < 0 || !S_ISDIR(st.st_mode))
		die("invalid working directory: %s", wd);
	for (size_t i = 0; i < c.n_binds; i++)
		if (lstat(c.binds[i].host, &st) < 0)
			die("invalid host volume path: %s", c.binds[i].host);
	_cleanup_free_ char *exe = find_command(&c, wd, argv[first]);
	if (exe == NULL)
		die("command not found: %s", argv[first]);
	if (status_fd >= 0) {
		close(status_fd);
		status_fd = -1;
	}
	tr_tables_init(&c);
	/* P1: the tracee hands its seccomp listener over this socket. */
	int socks[2] = {-1, -1};
	if (c.seccomp && c.translate &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, socks) < 0)
		socks[0] = socks[1] = -1;
	pid_t fg = tcgetpgrp(STDIN_FILENO);
	target_own_group = !(fg > 0 && fg == getpgrp());
	struct sigaction sa = {.sa_sigaction = pass_on, .sa_flags = SA_SIGINFO | SA_RESTART};
	for (size_t i = 0; i < sizeof(passed_on) / sizeof(passed_on[0]); i++)
		sigaction(passed_on[i], &sa, NULL);
	sigset_t unblocked;
	block_passed_on(SIG_BLOCK, &unblocked); /* until signal_target is set */
	pid_t child = fork();
	if (child < 0)
		die("fork: %s", strerror(errno));
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &unblocked, NULL);
		if (target_own_group)
			setpgid(0, 0);
		if (chdir(wdhost) < 0)
			die("invalid working directory: %s", wd);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			die("ptrace: %s", strerror(errno));
		raise(SIGSTOP);
		/* The tracer has set its options (seccomp events) by now. */
		int listener = -1;
		if (c.seccomp && tr_install_filter(&c, c.translate ? &listener : NULL) < 0)
			die("seccomp filter: %s (P2 does without)", strerror(errno));
		if (socks[1] >= 0) {
			send_fd(socks[1], listener);
			close(socks[1]);
		}
		if (listener >= 0)
			close(listener);
		/* This execve is translated by the tracer like any other. */
		execv(exe, argv + first);
		die("cannot execute %s: %s", exe, strerror(errno));
	}
	if (target_own_group)
		setpgid(child, child);
	signal_target = child;
	sigprocmask(SIG_SETMASK, &unblocked, NULL);
	int ws;
	if (waitpid(child, &ws, 0) < 0 || !WIFSTOPPED(ws))
		die("the command did not start");
	long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
		    PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
	if (c.seccomp)
		opts |= PTRACE_O_TRACESECCOMP;
	if (ptrace(PTRACE_SETOPTIONS, child, NULL, (void *)opts) < 0)
		die("ptrace options: %s", strerror(errno));
	if (socks[0] >= 0) {
		close(socks[1]);
		if (tr_notify_start(&c, socks[0]) < 0)
			close(socks[0]);
	}
	struct tr_tracee *t = tracee_add(child);
	tr_ids_init(&c, &t->ids);
	t->exe = exe[0] == '/' ? xstrdup(exe) : tr_join(wd, exe);
	ptrace(c.seccomp ? PTRACE_CONT : PTRACE_SYSCALL, child, NULL, NULL);
	/* ^Z stops the command, not the tracer. */
	signal(SIGTSTP, SIG_IGN);
	return trace(&c, child);
}
