/* The one way every engine starts and waits for the program it runs (the
 * container's command, the tracer, a runtime): a clean signal state in the
 * child, udocker's signals passed on, the status as a shell reports it,
 * and nothing of the container left behind (engines/engines.h). */
#include "engines/engines.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>

const int ud_spawn_forwarded[UD_SPAWN_N_FORWARDED] = {SIGTERM, SIGINT,	SIGHUP,
						      SIGQUIT, SIGUSR1, SIGUSR2};

bool ud_spawn_on_foreground_tty(void)
{
	pid_t fg = tcgetpgrp(STDIN_FILENO);
	return fg > 0 && fg == getpgrp();
}

void ud_spawn_reset_signals(void)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL); /* SIGKILL, SIGSTOP and libc's own fail */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In the child: report "what: strerror" on the status pipe and exit. */
static void __attribute__((noreturn)) child_fail(int fd, const char *what, const char *name, int e)
{
	if (fd >= 0)
		dprintf(fd, "%s %s: %s", what, name, strerror(e));
	_exit(127);
}

static void __attribute__((noreturn)) child(const struct ud_spawn *s, int status_fd, bool own_group)
{
	ud_spawn_reset_signals();
	if (own_group)
		(void)setpgid(0, 0);
	if (s->child_setup)
		s->child_setup(s->ctx, status_fd);
	if (s->dir && chdir(s->dir) < 0)
		child_fail(status_fd, "invalid working directory:", s->dir, errno);
	execve(s->path, s->argv, s->env);
	child_fail(status_fd, "cannot execute", s->path, errno);
}

/* Reads what the child reports before its exec (nothing: it started). */
static size_t read_status(int fd, char *msg, size_t size)
{
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, msg + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (got += (size_t)n) == size - 1)
			break;
	}
	msg[got] = '\0';
	return got;
}

static void forward(const struct ud_spawn *s, pid_t pid, bool own_group, const siginfo_t *si)
{
	/* Sharing the terminal's foreground group, the container got what the
	 * terminal sent (^C, ^\, hangup) as we did. */
	if (!own_group && si->si_code == SI_KERNEL)
		return;
	if (s->on_signal) {
		s->on_signal(s->ctx, pid, si->si_signo);
		return;
	}
	if (own_group && !s->relay)
		kill(-pid, si->si_signo);
	else
		kill(pid, si->si_signo);
}

int ud_spawn_run(const struct ud_spawn *s, int *status, struct ud_error **err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return ud_error_sys(err, errno, "pipe");
	/* On the terminal's foreground the container stays in our process
	 * group (it reads the terminal, ^Z stops it with us); elsewhere it
	 * gets its own, so a signal reaches every process of it at once. */
	bool own_group = !ud_spawn_on_foreground_tty();
	/* Blocked from before the fork: none is lost, none needs a handler;
	 * SIGCHLD tells the loop below the child changed. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < UD_SPAWN_N_FORWARDED; i++)
		sigaddset(&set, ud_spawn_forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(fds[0]);
		close(fds[1]);
		return ud_error_sys(err, e, "fork");
	}
	if (pid == 0) {
		close(fds[0]);
		child(s, fds[1], own_group);
	}
	close(fds[1]);
	if (own_group)
		(void)setpgid(pid, pid); /* as the child does: whichever runs first */
	char msg[1024];
	size_t got = read_status(fds[0], msg, sizeof(msg));
	close(fds[0]);
	int ws = 0;
	for (;;) {
		pid_t w = waitpid(pid, &ws, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		siginfo_t si;
		if (sigwaitinfo(&set, &si) < 0 || si.si_signo == SIGCHLD)
			continue;
		forward(s, pid, own_group, &si);
	}
	/* Whatever the command left running in its group ends with it. */
	if (own_group && !s->relay)
		kill(-pid, SIGKILL);
	/* Collect the SIGCHLDs of this run so they do not outlive it. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	struct timespec zero = {0, 0};
	while (sigtimedwait(&chld, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (got)
		return ud_error_set(err, UD_ERR_USAGE, "%s", msg);
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return 0;
}

char *ud_spawn_capture(const char *path, char *const argv[], size_t max)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		ud_spawn_reset_signals();
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (dup2(fds[1], STDOUT_FILENO) < 0 || null < 0 || dup2(null, STDIN_FILENO) < 0 ||
		    dup2(null, STDERR_FILENO) < 0)
			_exit(127);
		execv(path, argv);
		_exit(127);
	}
	close(fds[1]);
	char *out = xmalloc(max + 1);
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fds[0], out + got, max - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (got += (size_t)n) == max)
			break;
	}
	out[got] = '\0';
	close(fds[0]);
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
