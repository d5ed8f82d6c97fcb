/* The shared mount of an image file. One process, the holder, mounts an
 * image file with FUSE in a user and mount namespace of its own and serves
 * it for every run of that image by one user on one host, from one mount
 * namespace and one cgroup (a batch job's processes are killed when it
 * ends, and a job may have a /tmp of its own). A run joins the holder's
 * namespaces (setns on the fds it hands over), makes a nested user
 * namespace with its own identity mapping and puts its overlay on the
 * shared mount: what one run read stays in the kernel's caches for the
 * next, and no run pays for a mount and a server of its own.
 *
 * The holder lives as long as a run's mount namespace may use the mount:
 * each run registers its namespace (and the lock of its overlay's work
 * directory, which the holder keeps) and the pid of its command; when that
 * process ends, the holder looks for any other process in that namespace
 * (one the container left in the background) and keeps the run until
 * there is none. With no run and no connection for UDOCKER_SQUASH_LINGER
 * seconds (30) it ends.
 *
 * Names, in $TMPDIR/udocker-UID (0700, the user's own): sq-KEY.sock (the
 * holder's SOCK_SEQPACKET socket), sq-KEY.lock (held while one starts),
 * sq-KEY.mnt (the mount point, in the holder's namespace only). KEY hashes
 * the image file's identity, the user, the host, the caller's namespaces
 * and cgroup. Every failure to reach or start a holder leaves the run to
 * mount the image itself (engines/squashfuse.c). */
#include "engines/engines.h"
#include "engines/squashfuse_dl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#define MAX_CLIENTS 256
#define MAX_RUNS 1024
#define MAX_OVERLAYS 1024
/* How long a run waits for a holder's answer. */
#define ANSWER_MS 10000

long ud_squash_linger_seconds(void)
{
	const char *e = getenv("UDOCKER_SQUASH_LINGER");
	if (e == NULL || *e == '\0')
		return 30;
	char *end = NULL;
	errno = 0;
	long v = strtol(e, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return 30;
	return v > 86400 ? 86400 : v;
}

/* $TMPDIR/udocker-UID into out: made 0700 when missing; -1 when it is not
 * a directory of the user's own that only they can enter. */
static int private_dir(char *out, size_t size)
{
	const char *tmp = getenv("TMPDIR");
	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	int n = snprintf(out, size, "%s/udocker-%u", tmp, (unsigned)getuid());
	if (n < 0 || (size_t)n >= size)
		return -1;
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		return -1;
	struct stat st;
	if (lstat(out, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077) != 0)
		return -1;
	return 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* The first bytes of file (what a link says, for /proc/self/ns/...). */
static uint64_t fnv_file(uint64_t h, const char *file, bool link)
{
	char buf[4096];
	ssize_t n = -1;
	if (link) {
		n = readlink(file, buf, sizeof(buf));
	} else {
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, buf, sizeof(buf));
			close(fd);
		}
	}
	return n > 0 ? fnv(h, buf, (size_t)n) : fnv(h, "?", 1);
}

/* The key of the image file of stat st, for this caller. */
static uint64_t make_key(const struct stat *st)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const uint64_t id[] = {st->st_dev,
			       st->st_ino,
			       (uint64_t)st->st_size,
			       st->st_mtim.tv_sec,
			       st->st_mtim.tv_nsec,
			       getuid(),
			       getgid()};
	h = fnv(h, id, sizeof(id));
	/* Another udocker's holder may speak another protocol. */
	h = fnv(h, UD_VERSION, strlen(UD_VERSION));
	char host[256] = "";
	(void)gethostname(host, sizeof(host) - 1);
	h = fnv(h, host, strlen(host));
	h = fnv_file(h, "/proc/self/ns/user", true);
	h = fnv_file(h, "/proc/self/ns/mnt", true);
	return fnv_file(h, "/proc/self/cgroup", false);
}

/* A connection to the socket at path, or -1 (ECONNREFUSED: nobody listens
 * there any more). */
static int dial(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0)
		return s;
	int e = errno;
	close(s);
	errno = e;
	return -1;
}

/* Whether the holder answered on s within ANSWER_MS. */
static bool answered(int s)
{
	struct pollfd p = {.fd = s, .events = POLLIN};
	int r;
	while ((r = poll(&p, 1, ANSWER_MS)) < 0 && errno == EINTR)
		;
	return r > 0;
}

/* The holder's hello on s into j: 1 with j filled, 0 when it is ending
 * (the caller tries again), -1 when it does not answer as a holder. */
static int hello(int s, struct ud_squash_shared *j)
{
	if (!answered(s))
		return -1;
	char msg[sizeof(j->lower) + 8];
	int fds[2];
	size_t n = 0;
	ssize_t len = ud_squash_recvmsg(s, msg, sizeof(msg) - 1, fds, 2, &n);
	if (len <= 0 || msg[0] != 'H' || n != 2) {
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		return len == 0 || (len > 0 && msg[0] == 'G') ? 0 : -1;
	}
	msg[len] = '\0';
	/* "H" LOWER, then NUL and "O" from a holder that keeps overlays. */
	size_t lower = strlen(msg + 1), at = 1 + lower + 1;
	if (lower >= sizeof(j->lower)) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	memcpy(j->lower, msg + 1, lower + 1);
	j->keeps = at < (size_t)len && msg[at] == 'O';
	j->userns = fds[0];
	j->mntns = fds[1];
	j->sock = s;
	return 1;
}

/* ---- the holder */

struct run {
	int pidfd; /* the run's command, -1 once it ended */
	ino_t mnt; /* its mount namespace */
	int hold;  /* its overlay work directory's lock, or -1 */
};

/* A container's overlay, kept for its next runs. */
struct kept {
	char name[UD_SQUASH_OVERLAY_NAME]; /* DEV-INO of its upper directory */
	char id[UD_SQUASH_OVERLAY_ID];	   /* what the container's .overlay.id said */
	int mnt;			   /* the detached overlay */
	int hold;			   /* its work directory's lock */
	int upper;			   /* its upper directory (a removed one ends it) */
};

static struct {
	struct fuse_session *se;
	int fuse, listen, image;
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ino_t sock_ino; /* what sock_path names while it is ours */
	char mnt_path[PATH_MAX];
	char lock_path[PATH_MAX];
	struct kept kept[MAX_OVERLAYS];
	size_t n_kept;
	int *retired; /* the work directory locks of dropped overlays */
	size_t n_retired;
	int userns, mntns;
	int clients[MAX_CLIENTS];
	size_t n_clients;
	struct run runs[MAX_RUNS];
	size_t n_runs;
	bool closing; /* the image file is gone: no new run */
} h;

/* Stops taking runs: the socket's name goes (a run that finds none starts
 * another holder). */
static void stop_listening(void)
{
	struct stat st;
	if (h.listen < 0)
		return;
	if (lstat(h.sock_path, &st) == 0 && st.st_ino == h.sock_ino)
		(void)unlink(h.sock_path);
	close(h.listen);
	h.listen = -1;
}

static void drop_client(size_t i)
{
	close(h.clients[i]);
	h.clients[i] = h.clients[--h.n_clients];
}

static void drop_run(size_t i)
{
	if (h.runs[i].pidfd >= 0)
		close(h.runs[i].pidfd);
	if (h.runs[i].hold >= 0)
		close(h.runs[i].hold);
	h.runs[i] = h.runs[--h.n_runs];
}

static void accept_client(void)
{
	int c = accept4(h.listen, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct stat st;
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != getuid() ||
	    h.n_clients == MAX_CLIENTS) {
		close(c);
		return;
	}
	/* The image file was removed or replaced: its runs mount the new one
	 * themselves or through a new holder. */
	if (fstat(h.image, &st) < 0 || st.st_nlink == 0)
		h.closing = true;
	if (h.closing) {
		(void)ud_squash_sendmsg(c, "G", 1, NULL, 0);
		close(c);
		stop_listening();
		return;
	}
	char msg[sizeof(h.mnt_path) + 4];
	int n = snprintf(msg, sizeof(msg), "H%s%cO", h.mnt_path, '\0');
	int fds[] = {h.userns, h.mntns};
	if (ud_squash_sendmsg(c, msg, (size_t)n, fds, 2) < 0) {
		close(c);
		return;
	}
	h.clients[h.n_clients++] = c;
}

/* A kept overlay no longer handed out. Its work directory stays locked
 * while the holder lives: runs that attached a copy may still use it. */
static void drop_kept(size_t i)
{
	close(h.kept[i].mnt);
	close(h.kept[i].upper);
	h.retired = xrealloc(h.retired, (h.n_retired + 1) * sizeof(*h.retired));
	h.retired[h.n_retired++] = h.kept[i].hold;
	h.kept[i] = h.kept[--h.n_kept];
}

static struct kept *find_kept(const char *name)
{
	for (size_t i = 0; i < h.n_kept; i++)
		if (strcmp(h.kept[i].name, name) == 0)
			return &h.kept[i];
	return NULL;
}

/* "Q" NAME NUL ID: the kept overlay of that upper directory, "M" with its
 * fd, when it was made under that id (else "N": another mount of the
 * container came since, and it may have changed the upper directory
 * under this one's caches: dropped). "O" NAME NUL ID with the overlay,
 * its work directory's lock and its upper directory: kept ("K"), or not
 * ("F": full). */
static void overlay_request(int c, const char *msg, size_t len, int *fds, size_t n)
{
	const char *name = msg + 1;
	size_t nl = strlen(name);
	const char *id = nl + 2 <= len ? msg + nl + 2 : "";
	bool ok = nl > 0 && nl < UD_SQUASH_OVERLAY_NAME && strlen(id) < UD_SQUASH_OVERLAY_ID;
	struct kept *k = ok ? find_kept(name) : NULL;
	if (ok && msg[0] == 'Q') {
		if (k && strcmp(k->id, id) == 0) {
			(void)ud_squash_sendmsg(c, "M", 1, &k->mnt, 1);
		} else {
			if (k)
				drop_kept((size_t)(k - h.kept));
			(void)ud_squash_sendmsg(c, "N", 1, NULL, 0);
		}
	} else if (ok && n == 3 && h.n_kept < MAX_OVERLAYS) {
		if (k)
			drop_kept((size_t)(k - h.kept));
		k = &h.kept[h.n_kept++];
		snprintf(k->name, sizeof(k->name), "%s", name);
		snprintf(k->id, sizeof(k->id), "%s", id);
		k->mnt = fds[0];
		k->hold = fds[1];
		k->upper = fds[2];
		n = 0;
		(void)ud_squash_sendmsg(c, "K", 1, NULL, 0);
	} else {
		(void)ud_squash_sendmsg(c, msg[0] == 'Q' ? "N" : "F", 1, NULL, 0);
	}
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* The kept overlays of removed containers go (they pin the removed
 * upper directory's files). */
static void sweep_kept(void)
{
	struct stat st;
	for (size_t i = h.n_kept; i-- > 0;)
		if (fstat(h.kept[i].upper, &st) < 0 || st.st_nlink == 0)
			drop_kept(i);
}

/* A run's registration on client i: "R" and its command's pid, with its
 * mount namespace's fd and its work directory's lock (if any). */
static void read_client(size_t i)
{
	char msg[UD_SQUASH_OVERLAY_NAME + UD_SQUASH_OVERLAY_ID + 2];
	int fds[3];
	size_t n = 0;
	ssize_t len = ud_squash_recvmsg(h.clients[i], msg, sizeof(msg) - 1, fds, 3, &n);
	if (len <= 0) {
		drop_client(i);
		return;
	}
	if (len > 1 && (msg[0] == 'Q' || msg[0] == 'O')) {
		msg[len] = '\0';
		overlay_request(h.clients[i], msg, (size_t)len, fds, n);
		return;
	}
	struct stat st;
	int32_t pid = 0;
	if (len != 1 + (ssize_t)sizeof(pid) || msg[0] != 'R' || n < 1 || fstat(fds[0], &st) < 0 ||
	    h.n_runs == MAX_RUNS) {
		for (size_t k = 0; k < n; k++)
			close(fds[k]);
		return;
	}
	memcpy(&pid, msg + 1, sizeof(pid));
	close(fds[0]); /* kept, it would keep the namespace */
	if (n > 2)
		close(fds[2]);
	struct run *r = &h.runs[h.n_runs++];
	r->mnt = st.st_ino;
	r->hold = n > 1 ? fds[1] : -1;
	/* A command already gone leaves the namespace to be looked for. */
	r->pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	/* The run is kept from here: its connection is not needed. */
	drop_client(i);
}

/* The runs whose command ended: kept while a process is still in their
 * mount namespace, dropped when none is. */
static void sweep(void)
{
	sweep_kept();
	bool any = false;
	for (size_t i = 0; i < h.n_runs; i++)
		any |= h.runs[i].pidfd < 0;
	if (!any)
		return;
	bool *alive = xcalloc(h.n_runs, sizeof(*alive));
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		char path[64], link[64];
		snprintf(path, sizeof(path), "%.20s/ns/mnt", de->d_name);
		ssize_t n = readlinkat(dirfd(d), path, link, sizeof(link) - 1);
		unsigned long long ino = 0;
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "mnt:[%llu]", &ino) != 1)
			continue;
		for (size_t i = 0; i < h.n_runs; i++)
			alive[i] |= h.runs[i].mnt == (ino_t)ino;
	}
	if (d)
		closedir(d);
	for (size_t i = h.n_runs; i-- > 0;)
		if (h.runs[i].pidfd < 0 && !alive[i]) {
			alive[i] = alive[h.n_runs - 1];
			drop_run(i);
		}
	free(alive);
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void __attribute__((noreturn)) serve_all(long linger_ms)
{
	struct fuse_buf buf = {0};
	struct pollfd *p = xcalloc(2 + MAX_CLIENTS + MAX_RUNS, sizeof(*p));
	size_t *who = xcalloc(2 + MAX_CLIENTS + MAX_RUNS, sizeof(*who));
	long idle_since = now_ms();
	for (;;) {
		size_t np = 0;
		p[np++] = (struct pollfd){.fd = h.fuse, .events = POLLIN};
		p[np++] = (struct pollfd){.fd = h.listen, .events = POLLIN};
		for (size_t i = 0; i < h.n_clients; i++) {
			who[np] = i;
			p[np++] = (struct pollfd){.fd = h.clients[i], .events = POLLIN};
		}
		size_t first_run = np;
		bool waiting = false; /* a run whose command ended, still in use */
		for (size_t i = 0; i < h.n_runs; i++) {
			waiting |= h.runs[i].pidfd < 0;
			if (h.runs[i].pidfd < 0)
				continue;
			who[np] = i;
			p[np++] = (struct pollfd){.fd = h.runs[i].pidfd, .events = POLLIN};
		}
		bool idle = h.n_clients == 0 && h.n_runs == 0;
		if (!idle)
			idle_since = now_ms();
		if (idle && (h.closing || now_ms() - idle_since >= linger_ms))
			break;
		long t = waiting ? 2000 : -1;
		if (idle)
			t = linger_ms - (now_ms() - idle_since);
		if (idle && t < 0)
			t = 0;
		int r = poll(p, np, (int)t);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0) {
			sweep();
			continue;
		}
		if (p[0].revents) {
			int got = fuse_session_receive_buf(h.se, &buf);
			if (got > 0)
				fuse_session_process_buf(h.se, &buf);
			else if (got != -EINTR && got != -EAGAIN)
				break; /* the mount is gone */
			if (fuse_session_exited(h.se))
				break;
		}
		if (p[1].revents)
			accept_client();
		/* Backwards: dropping one moves the last into its place. */
		for (size_t k = first_run; k-- > 2;)
			if (p[k].revents)
				read_client(who[k]);
		bool ended = false;
		for (size_t k = np; k-- > first_run;)
			if (p[k].revents && who[k] < h.n_runs) {
				close(h.runs[who[k]].pidfd);
				h.runs[who[k]].pidfd = -1;
				ended = true;
			}
		if (ended)
			sweep();
	}
	/* Under the lock no run starts another holder meanwhile: the mount
	 * point goes with the socket's name (removed while another holder is
	 * mounted on it, it would unmount that one). */
	struct ud_lock l = {.fd = -1};
	struct ud_error *err = NULL;
	bool locked = ud_lock_acquire(&l, h.lock_path, "ending the shared mount", 5000, &err) == 0;
	stop_listening();
	if (locked && umount2(h.mnt_path, MNT_DETACH) == 0)
		(void)rmdir(h.mnt_path);
	_exit(0);
}

/* In the holder (a grandchild of udocker, in a session of its own): the
 * namespaces, the mount, then the runs until it is no longer needed.
 * Reports "K" on ready, or what failed, and closes it. */
static void __attribute__((noreturn)) holder(sqfs_ll *ll, int ready, long linger_ms)
{
	int keep[] = {ready, h.listen, h.image};
	ud_squash_detach("udocker-sqmount", keep, UD_ARRAY_SIZE(keep));
	uid_t uid = getuid();
	gid_t gid = getgid();
	ud_squash_userns(ready, uid, gid);
	/* The host's mounts stay slaves of its own (the kernel made them so
	 * in this less privileged namespace): a file system mounted there
	 * later is seen by the runs too. */
	h.fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (h.fuse < 0)
		ud_squash_fail(ready, "cannot open /dev/fuse: %s", strerror(errno));
	char opts[160];
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=%u,group_id=%u,default_permissions", h.fuse,
		 (unsigned)uid, (unsigned)gid);
	if (mount("udocker", h.mnt_path, "fuse.squashfuse", MS_NOSUID | MS_NODEV | MS_RDONLY,
		  opts) < 0)
		ud_squash_fail(ready, "cannot mount the image file with FUSE: %s", strerror(errno));
	/* Three fds a kept overlay, two a run: the soft limit up to the hard. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &nofile);
	}
	h.se = ud_squash_session(ll, h.fuse, uid, gid);
	h.userns = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	h.mntns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (h.se == NULL || h.userns < 0 || h.mntns < 0)
		ud_squash_fail(ready, "cannot serve the mount: %s", strerror(errno));
	(void)!write(ready, "K", 1);
	close(ready);
	serve_all(linger_ms);
}

/* Starts the holder of the image file open at image_fd, whose names are
 * base.{sock,mnt}; the caller holds base.lock. */
static int start(const char *image, const char *base, long linger_ms, struct ud_error **err)
{
	size_t len = strlen(base);
	if (len + sizeof(".sock") > sizeof(h.sock_path))
		return ud_error_set(err, UD_ERR_UNSUPPORTED, "'%s' is too long for a socket", base);
	memcpy(h.sock_path, base, len);
	memcpy(h.sock_path + len, ".sock", sizeof(".sock"));
	snprintf(h.mnt_path, sizeof(h.mnt_path), "%s.mnt", base);
	snprintf(h.lock_path, sizeof(h.lock_path), "%s.lock", base);
	struct stat st;
	if (mkdir(h.mnt_path, 0700) < 0 && errno != EEXIST)
		return ud_error_sys(err, errno, "cannot create '%s'", h.mnt_path);
	if (lstat(h.mnt_path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
		return ud_error_set(err, UD_ERR_INVALID, "'%s' is not a directory of yours",
				    h.mnt_path);
	_cleanup_close_ int img = -1;
	sqfs_ll *ll = ud_squash_open_ll(image, &img, err);
	if (ll == NULL)
		return -1;
	(void)unlink(h.sock_path); /* left by a holder that was killed */
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", h.sock_path);
	int ready[2] = {-1, -1};
	_cleanup_close_ int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int r = 0;
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 64) < 0 ||
	    lstat(h.sock_path, &st) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		r = ud_error_sys(err, errno, "cannot listen on '%s'", h.sock_path);
	pid_t pid = -1;
	if (r == 0) {
		h.sock_ino = st.st_ino;
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			r = ud_error_sys(err, errno, "fork");
	}
	if (pid == 0) {
		/* Not udocker's child: nothing waits for it. */
		if (fork() != 0)
			_exit(0);
		close(ready[0]);
		h.listen = lfd;
		h.image = img;
		holder(ll, ready[1], linger_ms);
	}
	ud_squash_close_ll(ll);
	if (ready[1] >= 0)
		close(ready[1]);
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	char msg[512] = "";
	size_t got = r == 0 ? ud_squash_read_report(ready[0], msg, sizeof(msg)) : 0;
	if (ready[0] >= 0)
		close(ready[0]);
	if (r == 0 && strcmp(msg, "K") != 0)
		r = ud_error_set(err, UD_ERR_IO, "the image file's shared mount did not start: %s",
				 got ? msg : "it ended");
	if (r < 0)
		(void)unlink(h.sock_path);
	return r;
}

static bool absolute(const char *p)
{
	return p == NULL || p[0] == '/';
}

int ud_squash_shared_join(const struct ud_run_request *r, struct ud_squash_shared *j,
			  struct ud_error **err)
{
	*j = (struct ud_squash_shared){.sock = -1, .userns = -1, .mntns = -1};
	long linger = ud_squash_linger_seconds();
	/* The run enters another mount namespace: every path it takes there
	 * must be absolute. */
	bool ok = linger > 0 && absolute(r->root) && absolute(r->upper) && absolute(r->work) &&
		  absolute(r->dir) && absolute(r->image_file) && absolute(r->mountpoints);
	for (size_t i = 0; ok && i < r->n_binds; i++)
		ok = absolute(r->binds[i].host);
	char dir[PATH_MAX - 32];
	if (!ok || private_dir(dir, sizeof(dir)) < 0)
		return ud_error_set(err, UD_ERR_UNSUPPORTED, "no shared mount here");
	/* A link, a FIFO, a missing file: the run's own mount says what is
	 * wrong with it. */
	struct stat st;
	if (lstat(r->image_file, &st) < 0 || !S_ISREG(st.st_mode))
		return ud_error_set(err, UD_ERR_INVALID, "'%s' is not a regular file",
				    r->image_file);
	char base[PATH_MAX - 8];
	snprintf(base, sizeof(base), "%s/sq-%016llx", dir, (unsigned long long)make_key(&st));
	char sock[PATH_MAX], lock[PATH_MAX];
	snprintf(sock, sizeof(sock), "%s.sock", base);
	snprintf(lock, sizeof(lock), "%s.lock", base);
	if (strlen(sock) >= sizeof(h.sock_path))
		return ud_error_set(err, UD_ERR_UNSUPPORTED, "'%s' is too long for a socket", sock);
	for (int attempt = 0; attempt < 3; attempt++) {
		int s = dial(sock);
		int got = s >= 0 ? hello(s, j) : 0;
		if (got > 0)
			return 0;
		if (s >= 0)
			close(s);
		if (got < 0)
			return ud_error_set(err, UD_ERR_IO, "'%s' does not answer", sock);
		struct ud_lock l = {.fd = -1};
		if (ud_lock_acquire(&l, lock, "starting the image file's shared mount",
				    ud_lock_default_timeout_ms(), err) < 0)
			return -1;
		/* Another run may have started it while this one waited. */
		s = dial(sock);
		got = s >= 0 ? hello(s, j) : 0;
		if (got == 0) {
			if (s >= 0)
				close(s);
			s = -1;
			if (start(r->image_file, base, linger * 1000, err) < 0) {
				ud_lock_release(&l);
				return -1;
			}
		}
		ud_lock_release(&l);
		if (got > 0)
			return 0;
		if (got < 0) {
			close(s);
			return ud_error_set(err, UD_ERR_IO, "'%s' does not answer", sock);
		}
	}
	return ud_error_set(err, UD_ERR_IO, "the image file's shared mount keeps ending");
}

int ud_squash_shared_enter(const struct ud_squash_shared *j)
{
	if (setns(j->userns, CLONE_NEWUSER) < 0 || setns(j->mntns, CLONE_NEWNS) < 0)
		return -1;
	close(j->userns);
	close(j->mntns);
	return 0;
}

int ud_squash_shared_register(const struct ud_squash_shared *j, int hold)
{
	char msg[1 + sizeof(int32_t)] = {'R'};
	int32_t pid = (int32_t)getpid();
	memcpy(msg + 1, &pid, sizeof(pid));
	_cleanup_close_ int ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return -1;
	int fds[] = {ns, hold};
	return ud_squash_sendmsg(j->sock, msg, sizeof(msg), fds, hold >= 0 ? 2 : 1);
}

/* Sends msg (and fds) on j's connection and waits for the holder's
 * one-byte answer (and its fd, when fd is not NULL). */
static char ask(const struct ud_squash_shared *j, const char *msg, size_t len, const int *fds,
		size_t n, int *fd)
{
	if (ud_squash_sendmsg(j->sock, msg, len, fds, n) < 0 || !answered(j->sock))
		return 0;
	char a[2] = "";
	int got[1];
	size_t ng = 0;
	if (ud_squash_recvmsg(j->sock, a, sizeof(a), got, 1, &ng) != 1)
		a[0] = 0;
	if (fd && ng == 1)
		*fd = got[0];
	else if (ng == 1)
		close(got[0]);
	return a[0];
}

/* KIND NAME NUL ID into msg (of OVERLAY_MSG bytes): its length, or 0
 * when it does not fit. */
#define OVERLAY_MSG (UD_SQUASH_OVERLAY_NAME + UD_SQUASH_OVERLAY_ID + 2)
static size_t overlay_msg(char *msg, char kind, const char *name, const char *id)
{
	int n = snprintf(msg, OVERLAY_MSG, "%c%s%c%s", kind, name, '\0', id);
	return n > 0 && n < OVERLAY_MSG ? (size_t)n : 0;
}

int ud_squash_shared_find(const struct ud_squash_shared *j, const char *name, const char *id)
{
	char msg[OVERLAY_MSG];
	size_t n = overlay_msg(msg, 'Q', name, id);
	int fd = -1;
	if (n == 0 || ask(j, msg, n, NULL, 0, &fd) != 'M') {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

bool ud_squash_shared_keep(const struct ud_squash_shared *j, const char *name, const char *id,
			   int mnt, int hold, int upper)
{
	char msg[OVERLAY_MSG];
	size_t n = overlay_msg(msg, 'O', name, id);
	int fds[] = {mnt, hold, upper};
	return n > 0 && ask(j, msg, n, fds, 3, NULL) == 'K';
}

void ud_squash_shared_leave(struct ud_squash_shared *j)
{
	int *fds[] = {&j->sock, &j->userns, &j->mntns};
	for (size_t i = 0; i < UD_ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(steal_fd(fds[i]));
}
