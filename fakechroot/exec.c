/* Starting programs: the guest path becomes the host one; a dynamically
 * linked ELF program starts through the container's loader (F1/F2, so the
 * host's loader and libraries never mix in), a #! script through its
 * interpreter in the container; the environment keeps what the library
 * needs even when the program cleared it. system() and popen() are done
 * here because libc's own start /bin/sh without going through execve. */
#include "elf/elf.h"
#include "fakechroot/fakechroot.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

char **fc_env(char *const envp[])
{
	size_t n = 0;
	while (envp && envp[n])
		n++;
	char **out = malloc((n + fc.n_keep + 2) * sizeof(*out));
	if (out == NULL)
		return (char **)envp;
	size_t k = 0;
	const char *ids = fc_ids_env();
	for (size_t i = 0; i < n; i++)
		if (ids == NULL || strncmp(envp[i], "UDOCKER_FAKE_IDS=", 17) != 0)
			out[k++] = envp[i];
	if (ids)
		out[k++] = (char *)ids;
	for (size_t i = 0; i < fc.n_keep; i++) {
		size_t name = strcspn(fc.keep[i], "=") + 1;
		bool have = false;
		for (size_t j = 0; j < n && !have; j++)
			have = strncmp(envp[j], fc.keep[i], name) == 0;
		if (!have)
			out[k++] = (char *)fc.keep[i];
	}
	out[k] = NULL;
	return out;
}

enum kind { K_OTHER, K_SCRIPT, K_DYNAMIC, K_PATCHED, K_STATIC };

/* What the file at host path is; for a script its interpreter line. */
static enum kind inspect(const char *host, char *interp, size_t size, char **arg)
{
	char head[256] = {0};
	int fd = R(int (*)(const char *, int, ...), open)(host, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return K_OTHER;
	ssize_t n = read(fd, head, sizeof(head) - 1);
	enum kind k = K_OTHER;
	struct ud_elf e;
	if (n > 2 && head[0] == '#' && head[1] == '!') {
		head[strcspn(head, "\n")] = '\0';
		char *s = head + 2 + strspn(head + 2, " \t");
		size_t len = strcspn(s, " \t");
		if (len > 0 && len < size) {
			memcpy(interp, s, len);
			interp[len] = '\0';
			s += len;
			s += strspn(s, " \t");
			*arg = *s ? strdup(s) : NULL;
			k = K_SCRIPT;
		}
	} else if (ud_elf_open(&e, fd) == 0 && e.native) {
		int r = ud_elf_interp(&e, interp, size);
		if (r == 1) {
			/* F3/F4: a patched program names the container's loader. */
			k = strncmp(interp, fc.base, fc.base_len) == 0 ? K_PATCHED : K_DYNAMIC;
		} else if (r == 0 && ud_elf_is_program(&e)) {
			/* No interpreter: a static program (its system calls
			 * never reach us), or a loader itself (ld.so --verify),
			 * which honours LD_PRELOAD for the program it starts. */
			const char *base = strrchr(host, '/') ? strrchr(host, '/') + 1 : host;
			bool loader = ud_elf_has_dynamic(&e) &&
				      (strncmp(base, "ld-", 3) == 0 ||
				       (fc.loader && strcmp(host, fc.loader) == 0));
			if (!loader)
				k = K_STATIC;
		}
		/* Malformed (r < 0): the kernel refuses it, K_OTHER lets it. */
	}
	close(fd);
	return k;
}

/* The program and argv that start guest program `path` with `argv`.
 * Returns 0, or -1 with errno. *prog and the strings in *out are ours to
 * leak (exec replaces us; spawn frees *out only). */
static int command(const char *path, char *const argv[], char **prog, char ***out, int depth)
{
	char hb[FC_PATH];
	const char *host = fc_host(path, hb);
	if (host == NULL)
		return -1;
	size_t argc = 0;
	while (argv && argv[argc])
		argc++;
	char interp[FC_PATH];
	char *iarg = NULL;
	enum kind k = inspect(host, interp, sizeof(interp), &iarg);
	if (k == K_SCRIPT && depth < 4) {
		char **v = malloc((argc + 4) * sizeof(*v));
		if (v == NULL)
			return -1;
		size_t j = 0;
		v[j++] = strdup(interp);
		if (iarg)
			v[j++] = iarg;
		v[j++] = (char *)path; /* the script, as the guest named it */
		for (size_t i = 1; i < argc; i++)
			v[j++] = argv[i];
		v[j] = NULL;
		return command(interp, v, prog, out, depth + 1);
	}
	if (k == K_STATIC) {
		/* It would run against the host's files: refused, with the reason. */
		char msg[FC_PATH + 160];
		int m = snprintf(msg, sizeof(msg),
				 "udocker: %s: statically linked, the F modes cannot translate its "
				 "paths (run it in mode P1 or N1)\n",
				 path);
		if (m > 0)
			(void)!write(2, msg, (size_t)m < sizeof(msg) ? (size_t)m : sizeof(msg) - 1);
		free(iarg);
		/* EPERM, not ENOEXEC: a shell or execvp would run it as a script. */
		errno = EPERM;
		return -1;
	}
	if (k == K_DYNAMIC && fc.loader) {
		char **v = malloc((argc + 5) * sizeof(*v));
		if (v == NULL)
			return -1;
		size_t j = 0;
		v[j++] = (char *)fc.loader;
		/* A loader older than glibc 2.33 gives the program its path. */
		static int takes_argv0 = -1; /* one loader per process */
		if (takes_argv0 < 0)
			takes_argv0 = ud_elf_loader_takes_argv0(fc.loader);
		if (takes_argv0) {
			v[j++] = (char *)"--argv0";
			v[j++] = argc ? argv[0] : (char *)path;
		}
		v[j++] = strdup(host);
		for (size_t i = 1; i < argc; i++)
			v[j++] = argv[i];
		v[j] = NULL;
		*prog = (char *)fc.loader;
		*out = v;
		return 0;
	}
	*prog = strdup(host);
	*out = (char **)argv;
	return 0;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	if (!fc.on)
		return R(int (*)(const char *, char *const[], char *const[]), execve)(path, argv,
										      envp);
	char *prog;
	char **v;
	if (command(path, argv, &prog, &v, 0) < 0)
		return -1;
	return R(int (*)(const char *, char *const[], char *const[]), execve)(prog, v,
									      fc_env(envp));
}

int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

/* The guest path of `file` found in PATH, into buf; NULL when none. */
static const char *search(const char *file, char *buf)
{
	if (strchr(file, '/'))
		return file;
	const char *path = getenv("PATH");
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char hb[FC_PATH];
		if (n + strlen(file) + 2 < FC_PATH) {
			memcpy(buf, path, n);
			buf[n] = '/';
			strcpy(buf + n + 1, file);
			const char *h = fc_host(buf, hb);
			if (h && R(int (*)(const char *, int), access)(h, X_OK) == 0)
				return buf;
		}
		path += n + (path[n] == ':');
	}
	errno = ENOENT;
	return NULL;
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	char buf[FC_PATH];
	const char *p = search(file, buf);
	return p ? execve(p, argv, envp) : -1;
}

int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* The arguments of the execl family as a vector. */
#define VARGS(first, ap, v)                                                                        \
	do {                                                                                       \
		size_t n_ = 1;                                                                     \
		va_list c_;                                                                        \
		va_copy(c_, ap);                                                                   \
		while (va_arg(c_, char *))                                                         \
			n_++;                                                                      \
		va_end(c_);                                                                        \
		v = alloca((n_ + 1) * sizeof(char *));                                             \
		v[0] = (char *)(first);                                                            \
		for (size_t i_ = 1; i_ <= n_; i_++)                                                \
			v[i_] = va_arg(ap, char *);                                                \
	} while (0)

int execl(const char *path, const char *arg, ...)
{
	char **v;
	va_list ap;
	va_start(ap, arg);
	VARGS(arg, ap, v);
	va_end(ap);
	return execve(path, v, environ);
}

int execlp(const char *file, const char *arg, ...)
{
	char **v;
	va_list ap;
	va_start(ap, arg);
	VARGS(arg, ap, v);
	va_end(ap);
	return execvp(file, v);
}

int execle(const char *path, const char *arg, ...)
{
	char **v;
	va_list ap;
	va_start(ap, arg);
	VARGS(arg, ap, v);
	char *const *envp = va_arg(ap, char *const *);
	va_end(ap);
	return execve(path, v, envp);
}

static int spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	char *prog;
	char **v;
	if (command(path, argv, &prog, &v, 0) < 0)
		return errno;
	char **env = fc_env(envp);
	int r = R(int (*)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			  const posix_spawnattr_t *, char *const[], char *const[]),
		  posix_spawn)(pid, prog, fa, attr, v, env);
	if (env != envp)
		free(env);
	return r;
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	if (!fc.on)
		return R(int (*)(pid_t *, const char *, const posix_spawn_file_actions_t *,
				 const posix_spawnattr_t *, char *const[], char *const[]),
			 posix_spawn)(pid, path, fa, attr, argv, envp);
	return spawn(pid, path, fa, attr, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	char buf[FC_PATH];
	const char *p = search(file, buf);
	if (p == NULL)
		return ENOENT;
	return posix_spawn(pid, p, fa, attr, argv, envp);
}

int system(const char *cmd)
{
	if (cmd == NULL)
		return 1;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
	sigset_t block, old_mask;
	sigemptyset(&ign.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	char *argv[] = {(char *)"sh", (char *)"-c", (char *)cmd, NULL};
	pid_t pid;
	int status = -1;
	if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) == 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return status;
}

/* popen's children, for pclose. */
static struct {
	FILE *f;
	pid_t pid;
} popened[32];

FILE *popen(const char *cmd, const char *mode)
{
	bool reading = mode[0] == 'r';
	int fds[2];
	if ((mode[0] != 'r' && mode[0] != 'w') || pipe2(fds, O_CLOEXEC) < 0) {
		errno = EINVAL;
		return NULL;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, reading ? fds[1] : fds[0], reading ? 1 : 0);
	char *argv[] = {(char *)"sh", (char *)"-c", (char *)cmd, NULL};
	pid_t pid;
	int r = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(reading ? fds[1] : fds[0]);
	if (r != 0) {
		close(reading ? fds[0] : fds[1]);
		errno = r;
		return NULL;
	}
	FILE *f = fdopen(reading ? fds[0] : fds[1], reading ? "r" : "w");
	for (size_t i = 0; f && i < sizeof(popened) / sizeof(popened[0]); i++) {
		if (popened[i].f == NULL) {
			popened[i].f = f;
			popened[i].pid = pid;
			break;
		}
	}
	return f;
}

int pclose(FILE *f)
{
	for (size_t i = 0; i < sizeof(popened) / sizeof(popened[0]); i++) {
		if (popened[i].f != f)
			continue;
		pid_t pid = popened[i].pid;
		popened[i].f = NULL;
		fclose(f);
		int status = -1;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return status;
	}
	return R(int (*)(FILE *), pclose)(f);
}
