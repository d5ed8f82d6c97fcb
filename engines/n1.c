/* N1: unprivileged user and mount namespaces, bind mounts, pivot_root.
 * No external program. The child reports preparation failures through a
 * close-on-exec pipe, so the parent can tell them from the command's own
 * exit status. */
#include "engines/engines.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int status_fd = -1;

/* In the child: report "what: strerror" and exit. */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && status_fd >= 0)
		(void)!write(status_fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	_exit(127);
}

static void write_proc(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die("cannot write %s: %s", file, strerror(errno));
	close(fd);
}

/* Mount points are made and mounted on through fds resolved in the root
 * (/proc/self/fd/N): no symlink of the image leads a mount out of it. */
static void bind(int root_fd, const struct ud_bind *b, const char *records)
{
	struct stat st;
	if (stat(b->host, &st) < 0)
		die("invalid host volume path: %s: %s", b->host, strerror(errno));
	struct ud_error *err = NULL;
	int fd = -1;
	if (ud_engine_make_mountpoint(root_fd, b->path, S_ISDIR(st.st_mode), records, &fd, &err) <
	    0)
		die("%s", err->msg);
	char target[64];
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount(b->host, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		die("cannot bind '%s' to '%s': %s", b->host, b->path, strerror(errno));
	close(fd);
	if (b->readonly) {
		/* The mount just made, on top of the mount point. */
		fd = ud_root_open(root_fd, b->path, O_PATH, 0, &err);
		if (fd < 0)
			die("%s", err->msg);
		/* Found by path again: it must be the mount just made (a
		 * concurrent run of this container may have swapped a
		 * directory on the way for a link to another mount). */
		struct stat now;
		if (fstat(fd, &now) < 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino)
			die("cannot make '%s' read-only: it changed while it was mounted", b->path);
		snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
		/* A remount in a user namespace must keep the flags the host
		 * mount has locked (nosuid, nodev): try with them first. */
		unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC;
		if (mount(NULL, target, NULL, flags | MS_NOSUID | MS_NODEV, NULL) < 0 &&
		    mount(NULL, target, NULL, flags | MS_NOSUID, NULL) < 0 &&
		    mount(NULL, target, NULL, flags, NULL) < 0)
			die("cannot make '%s' read-only: %s", b->path, strerror(errno));
		close(fd);
	}
}

static char *find_in_path(char **env, const char *cmd)
{
	if (strchr(cmd, '/'))
		return xstrdup(cmd);
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (size_t i = 0; env && env[i]; i++)
		if (ud_str_has_prefix(env[i], "PATH="))
			path = env[i] + 5;
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *cand = ud_path_join(d, cmd);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
	}
	return NULL;
}

static void __attribute__((noreturn))
child(const struct ud_run_request *r, uid_t outer_uid, gid_t outer_gid)
{
	int flags = CLONE_NEWUSER | CLONE_NEWNS | (r->hostname ? CLONE_NEWUTS : 0);
	if (unshare(flags) < 0)
		die("cannot create a user namespace (N1 needs unprivileged user namespaces): %s",
		    strerror(errno));
	char map[64];
	write_proc("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)r->uid, (unsigned)outer_uid);
	write_proc("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)r->gid, (unsigned)outer_gid);
	write_proc("/proc/self/gid_map", map);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("cannot make mounts private: %s", strerror(errno));
	if (mount(r->root, r->root, NULL, MS_BIND | MS_REC, NULL) < 0)
		die("cannot bind the container root '%s': %s", r->root, strerror(errno));
	/* Opened after the bind above: the mounts below go into it. */
	int root_fd = open(r->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		die("cannot open the container root '%s': %s", r->root, strerror(errno));
	for (size_t i = 0; i < r->n_binds; i++)
		bind(root_fd, &r->binds[i], r->mountpoints);
	close(root_fd);
	if (r->hostname && sethostname(r->hostname, strlen(r->hostname)) < 0)
		die("cannot set the hostname: %s", strerror(errno));
	if (chdir(r->root) < 0)
		die("cannot enter '%s': %s", r->root, strerror(errno));
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die("pivot_root: %s", strerror(errno));
	if (umount2(".", MNT_DETACH) < 0)
		die("cannot detach the host root: %s", strerror(errno));
	if (chdir(r->workdir ? r->workdir : "/") < 0)
		die("invalid working directory: %s: %s", r->workdir ? r->workdir : "/",
		    strerror(errno));
	_cleanup_free_ char *exe = find_in_path(r->env, r->argv[0]);
	if (exe == NULL)
		die("command not found: %s", r->argv[0]);
	execve(exe, r->argv, r->env);
	die("cannot execute %s: %s", r->argv[0], strerror(errno));
}

struct n1_ctx {
	const struct ud_run_request *r;
	uid_t uid;
	gid_t gid;
};

static void n1_child(void *ctx, int fd)
{
	const struct n1_ctx *c = ctx;
	status_fd = fd;
	child(c->r, c->uid, c->gid);
}

int ud_engine_n1_run(const struct ud_run_request *r, int *status, struct ud_error **err)
{
	/* The child makes the mount points and checks the working directory
	 * again where it counts, inside its mounts (and the command). */
	if (ud_engine_prepare(r, UD_PREPARE_WORKDIR | UD_PREPARE_COMMAND, NULL, err) < 0)
		return -1;
	struct n1_ctx c = {.r = r, .uid = getuid(), .gid = getgid()};
	struct ud_spawn s = {.path = r->argv[0],
			     .argv = r->argv,
			     .env = r->env,
			     .child_setup = n1_child,
			     .ctx = &c};
	return ud_spawn_run(&s, status, err);
}
