/* N1: unprivileged user and mount namespaces, bind mounts, pivot_root.
 * No external program. The child reports preparation failures through a
 * close-on-exec pipe, so the parent can tell them from the command's own
 * exit status. */
#include "engines/engines.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
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

/* An O_PATH fd of the container's own directory path (upper/, work/),
 * made when missing; never a link to elsewhere. */
static int own_dir(const char *path, const char *what)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("cannot create the container's %s directory '%s': %s", what, path,
		    strerror(errno));
	int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die("the container's %s directory '%s' %s: %s", what, path,
		    errno == ELOOP || errno == ENOTDIR
			    ? "is not a directory (a link?): refused, remove the container"
			    : "cannot be opened",
		    strerror(errno));
	return fd;
}

/* An image-backed root, inside the new namespaces: a tmpfs on the empty
 * ROOT holds the FUSE mount of the image file (served by the server
 * behind sock) and, for an ephemeral container, the overlay's upper and
 * work directories; the overlay goes on top of it at ROOT. */
/* The overlay's work directory of one run: work/run-PID-HEX, a run's own
 * (overlayfs refuses a work directory another mount's marker is in, and
 * runs of one container may overlap). */
#define RUN_WORK_LEN 48

/* Names a run's work directory in wfd, run-PID-HEX, into name, and
 * returns its lock run-PID-HEX.lock, made and locked (-1 when it cannot
 * be). The directories of runs whose lock is free are removed by the next
 * run (run_work_begin). */
static int lock_run_work(int wfd, char *name, size_t size)
{
	char hex[9], lock[RUN_WORK_LEN + 8];
	ud_random_hex(hex, 8);
	snprintf(name, size, "run-%ld-%s", (long)getpid(), hex);
	snprintf(lock, sizeof(lock), "%s.lock", name);
	int fd = wfd < 0 ? -1
			 : openat(wfd, lock, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				  0600);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The image file mounted in the run's namespace, at lower in scratch,
 * served by the server behind sock. */
static void mount_fuse(const struct ud_run_request *r, int sock, int scratch)
{
	if (mkdirat(scratch, "lower", 0755) < 0)
		die("cannot prepare the container root '%s': %s", r->root, strerror(errno));
	int fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fuse < 0)
		die("cannot open /dev/fuse: %s (image-backed containers need FUSE: load the fuse "
		    "module and make /dev/fuse mode 0666, as Debian's fuse3 package does)",
		    strerror(errno));
	char opts[256], where[64];
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=%u,group_id=%u,default_permissions", fuse,
		 (unsigned)r->uid, (unsigned)r->gid);
	snprintf(where, sizeof(where), "/proc/self/fd/%d/lower", scratch);
	if (mount(r->image_file, where, "fuse.squashfuse", MS_NOSUID | MS_NODEV | MS_RDONLY, opts) <
	    0)
		die("cannot mount the image file with FUSE in the user namespace: %s (doctor "
		    "says whether this host allows it)",
		    strerror(errno));
	/* The connection is the server's alone from here: when it ends, the
	 * mount fails instead of hanging. */
	if (ud_squash_send_fd(sock, fuse) < 0)
		die("cannot hand /dev/fuse to the image file's server: %s", strerror(errno));
	close(fuse);
	close(sock);
}

#define OVERLAY_FAILED                                                                             \
	"cannot mount the overlay on the image file (upper '%s'): %s (the upper and work "         \
	"directories must be on one filesystem overlayfs takes as upper layer in a user "          \
	"namespace: not NFS, not another overlay)"

/* The overlay of lower, upper and work (fds) at target; upper names the
 * upper layer in the error (NULL: in memory). */
static void mount_overlay(const char *target, int lower, int upper, int work,
			  const char *upper_name)
{
	/* volatile: no sync of the upper filesystem when the overlay goes
	 * (it costs a journal commit at the end of every run), what a
	 * directory container's writes get too. Its marker stays in the
	 * work directory, removed after the run (after the shared mount's
	 * holder, for an overlay it keeps). */
	char opts[256];
	snprintf(opts, sizeof(opts),
		 "lowerdir=/proc/self/fd/%d,upperdir=/proc/self/fd/%d,workdir=/proc/self/fd/%d,"
		 "userxattr,volatile",
		 lower, upper, work);
	if (mount("overlay", target, "overlay", 0, opts) < 0)
		die(OVERLAY_FAILED, upper_name ? upper_name : "in memory", strerror(errno));
}

/* The container's .overlay.id into id ("" when none): which overlay of
 * its upper directory was mounted last. */
static void read_overlay_id(const struct ud_run_request *r, char *id, size_t size)
{
	_cleanup_free_ char *p = ud_path_join(r->dir, ".overlay.id");
	_cleanup_close_ int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, id, size - 1) : -1;
	id[n > 0 ? n : 0] = '\0';
}

/* Under the container's mount lock, before an overlay of its upper
 * directory is mounted: a new .overlay.id (into id when not NULL). An
 * overlay the holder keeps is used again only while the id it was made
 * under is the container's: any other mount of the upper directory since
 * (another holder's, a run's own) may have changed it under the kept
 * overlay's caches. */
static void new_overlay_id(const struct ud_run_request *r, char *id, size_t size)
{
	char fresh[17];
	ud_random_hex(fresh, 16);
	_cleanup_free_ char *p = ud_path_join(r->dir, ".overlay.id");
	_cleanup_close_ int fd =
		open(p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, fresh, 16) != 16)
		die("cannot write '%s': %s", p, strerror(errno));
	if (id)
		snprintf(id, size, "%s", fresh);
}

/* In the shared mount's namespaces, under the container's mount lock: the
 * container's overlay on the shared mount as a detached mount (mounted
 * nowhere, so no bind a container makes reaches it), the one the holder
 * keeps from an earlier run or a new one it keeps from here; -1 when the
 * holder keeps none (the run mounts its own). The runs of a container
 * through one holder share one overlay: what one run looked up stays
 * cached for the next, and no run changes the upper layer under another
 * run's overlay. */
static int shared_overlay(const struct ud_run_request *r, const struct ud_squash_shared *j)
{
	_cleanup_close_ int upper = own_dir(r->upper, "upper");
	struct stat up;
	if (fstat(upper, &up) < 0)
		die("cannot reach the container's upper directory: %s", strerror(errno));
	/* The kept overlay pins its upper directory: while the holder keeps
	 * it no other directory gets that inode number. */
	char name[UD_SQUASH_OVERLAY_NAME], id[UD_SQUASH_OVERLAY_ID];
	snprintf(name, sizeof(name), "%llx-%llx", (unsigned long long)up.st_dev,
		 (unsigned long long)up.st_ino);
	read_overlay_id(r, id, sizeof(id));
	int mnt = id[0] ? ud_squash_shared_find(j, name, id) : -1;
	if (mnt >= 0)
		return mnt;
	/* Its work directory, locked like a run's: by the holder from here. */
	char work_name[RUN_WORK_LEN];
	_cleanup_close_ int works = own_dir(r->work, "work");
	_cleanup_close_ int hold = lock_run_work(works, work_name, sizeof(work_name));
	if (hold < 0 || mkdirat(works, work_name, 0700) < 0)
		die("cannot create the overlay's work directory in '%s': %s", r->work,
		    strerror(errno));
	_cleanup_close_ int work =
		openat(works, work_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int lower = open(j->lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (work < 0 || lower < 0)
		die("cannot open the overlay's layers: %s", strerror(errno));
	char layer[3][32];
	snprintf(layer[0], sizeof(layer[0]), "/proc/self/fd/%d", lower);
	snprintf(layer[1], sizeof(layer[1]), "/proc/self/fd/%d", upper);
	snprintf(layer[2], sizeof(layer[2]), "/proc/self/fd/%d", work);
	_cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", layer[0], 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", layer[1], 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "workdir", layer[2], 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0)) < 0)
		die(OVERLAY_FAILED, r->upper, strerror(errno));
	/* A detached mount can be copied (open_tree) since Linux 6.15 or so:
	 * on an older kernel each run mounts its own overlay. */
	int copy = open_tree(mnt, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (copy < 0) {
		close(mnt);
		return -1;
	}
	close(copy);
	new_overlay_id(r, id, sizeof(id));
	if (ud_squash_shared_keep(j, name, id, mnt, hold, upper))
		return mnt;
	/* Not kept: this one goes with its fd, the run mounts its own. */
	close(mnt);
	return -1;
}

/* shared: the image's shared mount, entered already (sock -1 for none: the
 * run mounts the image itself, served behind sock). */
static void mount_image(const struct ud_run_request *r, int sock,
			const struct ud_squash_shared *shared, const char *run_work)
{
	/* A tmpfs on ROOT holds what the overlay needs that is the run's own:
	 * the mount of the image file, an ephemeral container's layers. */
	_cleanup_close_ int scratch = -1;
	if (shared->sock < 0 || r->upper == NULL) {
		if (mount("tmpfs", r->root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
			die("cannot mount a tmpfs on the container root '%s': %s", r->root,
			    strerror(errno));
		scratch = open(r->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (scratch < 0 || (r->upper == NULL && (mkdirat(scratch, "upper", 0755) < 0 ||
							 mkdirat(scratch, "work", 0755) < 0)))
			die("cannot prepare the container root '%s': %s", r->root, strerror(errno));
	}
	if (shared->sock < 0)
		mount_fuse(r, sock, scratch);
	_cleanup_close_ int lower =
		shared->sock >= 0 ? open(shared->lower, O_PATH | O_DIRECTORY | O_CLOEXEC)
				  : openat(scratch, "lower", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int upper = r->upper ? own_dir(r->upper, "upper")
			     : openat(scratch, "upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int work = -1;
	if (r->upper) {
		_cleanup_close_ int works = own_dir(r->work, "work");
		if (mkdirat(works, run_work, 0700) < 0)
			die("cannot create the overlay's work directory in '%s': %s", r->work,
			    strerror(errno));
		work = openat(works, run_work, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	} else {
		work = openat(scratch, "work", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (lower < 0 || upper < 0 || work < 0)
		die("cannot open the overlay's layers: %s", strerror(errno));
	mount_overlay(r->root, lower, upper, work, r->upper);
	close(upper);
	close(work);
}

struct n1_ctx {
	const struct ud_run_request *r;
	uid_t uid;
	gid_t gid;
	int sock;			/* image-backed: the FUSE server's socket */
	struct ud_squash_shared shared; /* or the shared mount (sock -1: none) */
	char run_work[RUN_WORK_LEN];	/* this run's work directory in r->work */
	int lock_fd;			/* its lock (the FUSE server holds it too) */
	/* ud_engine_n1_visit: called on the mounted tree instead of a run. */
	int (*visit)(const char *root, void *data);
	void *data;
};

static void __attribute__((noreturn)) child(const struct n1_ctx *c)
{
	const struct ud_run_request *r = c->r;
	uid_t outer_uid = c->uid;
	gid_t outer_gid = c->gid;
	int sock = c->sock;
	if (c->shared.sock >= 0 && ud_squash_shared_enter(&c->shared) < 0)
		die("cannot enter the image file's shared mount: %s (UDOCKER_SQUASH_LINGER=0 "
		    "mounts it for each run)",
		    strerror(errno));
	/* Runs of one image-backed container share its upper layer: one at a
	 * time mounts and makes its mount points there (a mount made before
	 * another run created a name in upper finds it stale), until exec
	 * closes the lock. */
	struct ud_lock mount_lock = {.fd = -1};
	if (r->image_file && r->upper) {
		_cleanup_free_ char *lp = ud_path_join(r->dir, ".mount.lock");
		struct ud_error *lerr = NULL;
		if (ud_lock_acquire(&mount_lock, lp, "mounting the container",
				    ud_lock_default_timeout_ms(), &lerr) < 0)
			die("%s", lerr->msg);
	}
	/* A container's own upper layer on the shared mount: its overlay is
	 * kept for the next runs (an ephemeral one's is the run's own). */
	int kept = -1;
	if (c->shared.sock >= 0 && r->upper && c->shared.keeps)
		kept = shared_overlay(r, &c->shared);
	if (kept < 0 && r->image_file && r->upper)
		new_overlay_id(r, NULL, 0); /* this run mounts one of its own */
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
	if (kept >= 0) {
		/* A copy of the kept overlay, attached here alone. */
		int copy = open_tree(kept, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		bool attached = copy >= 0 && move_mount(copy, "", AT_FDCWD, r->root,
							MOVE_MOUNT_F_EMPTY_PATH) == 0;
		if (copy >= 0)
			close(copy);
		close(kept);
		if (!attached) {
			/* This run mounts one of its own (the lock is still held). */
			kept = -1;
			new_overlay_id(r, NULL, 0);
		}
	}
	if (r->image_file) {
		if (kept < 0)
			mount_image(r, sock, &c->shared, c->run_work);
		/* The holder keeps the mount, and this run's work directory
		 * locked, while a process is in this namespace. */
		if (c->shared.sock >= 0 && ud_squash_shared_register(&c->shared, c->lock_fd) < 0)
			die("cannot register with the image file's shared mount: %s",
			    strerror(errno));
		if (c->visit)
			_exit(c->visit(r->root, c->data) == 0 ? 0 : 1);
		/* The checks N1 makes before it starts a directory container,
		 * here on the tree the command will see. */
		struct ud_error *err = NULL;
		if (ud_engine_prepare(r, UD_PREPARE_WORKDIR | UD_PREPARE_COMMAND, NULL, &err) < 0)
			die("%s", err->msg);
	} else if (mount(r->root, r->root, NULL, MS_BIND | MS_REC, NULL) < 0) {
		die("cannot bind the container root '%s': %s", r->root, strerror(errno));
	}
	/* Opened after the bind above: the mounts below go into it. */
	int root_fd = open(r->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		die("cannot open the container root '%s': %s", r->root, strerror(errno));
	for (size_t i = 0; i < r->n_binds; i++)
		bind(root_fd, &r->binds[i], r->image_file && !r->upper ? NULL : r->mountpoints);
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

static void n1_child(void *ctx, int fd)
{
	const struct n1_ctx *c = ctx;
	status_fd = fd;
	child(c);
}

/* Names this run's work directory, work/run-PID-HEX, and locks
 * work/run-PID-HEX.lock for as long as the FUSE server holds it open (as
 * long as the mount lives, even when udocker is killed); removes the
 * directories of runs whose lock is free. work must be a directory, not a
 * link (an imported container's may be one: nothing is removed through
 * it). */
static void run_work_begin(const struct ud_run_request *r, struct n1_ctx *c)
{
	int wfd = r->upper ? open(r->work, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	c->lock_fd = lock_run_work(wfd, c->run_work, sizeof(c->run_work));
	if (wfd < 0)
		return; /* none, or the child says what is wrong with it */
	char lock[NAME_MAX + 8];
	DIR *d = fdopendir(wfd);
	if (d == NULL) {
		close(wfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		long pid = 0;
		int end = 0;
		if (sscanf(de->d_name, "run-%ld-%*8[0-9a-f]%n", &pid, &end) != 1 || end == 0 ||
		    de->d_name[end] != '\0' || strcmp(de->d_name, c->run_work) == 0)
			continue; /* not a run's directory, or ours */
		snprintf(lock, sizeof(lock), "%s.lock", de->d_name);
		int lfd = openat(dirfd(d), lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		bool gone = lfd >= 0 ? flock(lfd, LOCK_EX | LOCK_NB) == 0
				     : kill((pid_t)pid, 0) < 0 && errno == ESRCH;
		if (lfd >= 0)
			close(lfd);
		if (!gone)
			continue; /* its mount may still be there */
		_cleanup_free_ char *p = ud_path_join(r->work, de->d_name);
		ud_rmtree(p, NULL);
		(void)unlinkat(dirfd(d), lock, 0);
	}
	closedir(d);
}

static void run_work_end(const struct ud_run_request *r, struct n1_ctx *c)
{
	if (r->upper == NULL)
		return;
	_cleanup_close_ int wfd = open(r->work, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (wfd >= 0) {
		_cleanup_free_ char *p = ud_path_join(r->work, c->run_work);
		ud_rmtree(p, NULL);
		char lock[NAME_MAX + 8];
		snprintf(lock, sizeof(lock), "%s.lock", c->run_work);
		(void)unlinkat(wfd, lock, 0);
	}
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	c->lock_fd = -1;
}

/* The image file served for c's run: through its shared mount, else by a
 * server of the run's own. */
static int serve_image(const struct ud_run_request *r, struct n1_ctx *c,
		       struct ud_squash_server *srv, struct ud_error **err)
{
	run_work_begin(r, c);
	struct ud_error *why = NULL;
	if (ud_squash_shared_join(r, &c->shared, &why) == 0)
		return 0;
	ud_debug("no shared mount of '%s': %s", r->image_file, why->msg);
	ud_error_free(why);
	srv->hold = c->lock_fd;
	if (ud_squash_server_start(r->image_file, r->uid, r->gid, srv, err) < 0) {
		run_work_end(r, c);
		return -1;
	}
	c->sock = srv->sock;
	return 0;
}

static void unserve_image(const struct ud_run_request *r, struct n1_ctx *c,
			  struct ud_squash_server *srv)
{
	ud_squash_server_stop(srv);
	ud_squash_shared_leave(&c->shared);
	run_work_end(r, c);
}

int ud_engine_n1_visit(const struct ud_run_request *r, int (*visit)(const char *root, void *data),
		       void *data, struct ud_error **err)
{
	if (r->image_file == NULL)
		return ud_error_set(err, UD_ERR_INVALID, "not an image-backed container");
	struct n1_ctx c = {.r = r,
			   .uid = getuid(),
			   .gid = getgid(),
			   .sock = -1,
			   .lock_fd = -1,
			   .shared = {.sock = -1, .userns = -1, .mntns = -1},
			   .visit = visit,
			   .data = data};
	struct ud_squash_server srv = {.pid = -1, .sock = -1, .hold = -1};
	if (serve_image(r, &c, &srv, err) < 0)
		return -1;
	char *argv[] = {(char *)"visit", NULL};
	struct ud_spawn s = {.path = argv[0], .argv = argv, .child_setup = n1_child, .ctx = &c};
	int status = 0;
	int rc = ud_spawn_run(&s, &status, err);
	unserve_image(r, &c, &srv);
	if (rc == 0 && status != 0)
		rc = ud_error_set(err, UD_ERR_IO,
				  "the image-backed container's tree could not be "
				  "read (status %d)",
				  status);
	return rc;
}

int ud_engine_n1_run(const struct ud_run_request *r, int *status, struct ud_error **err)
{
	/* The child makes the mount points and checks the working directory
	 * again where it counts, inside its mounts (and the command). */
	if (r->image_file == NULL &&
	    ud_engine_prepare(r, UD_PREPARE_WORKDIR | UD_PREPARE_COMMAND, NULL, err) < 0)
		return -1;
	struct n1_ctx c = {.r = r,
			   .uid = getuid(),
			   .gid = getgid(),
			   .sock = -1,
			   .lock_fd = -1,
			   .shared = {.sock = -1, .userns = -1, .mntns = -1}};
	struct ud_squash_server srv = {.pid = -1, .sock = -1, .hold = -1};
	if (r->image_file && serve_image(r, &c, &srv, err) < 0)
		return -1;
	struct ud_spawn s = {.path = r->argv[0],
			     .argv = r->argv,
			     .env = r->env,
			     .child_setup = n1_child,
			     .ctx = &c};
	int rc = ud_spawn_run(&s, status, err);
	if (r->image_file)
		unserve_image(r, &c, &srv);
	return rc;
}
