/* P1's fast lane: lookups relative to a directory fd (openat without
 * O_CREAT, newfstatat, statx: what find, tar, rm -r and ls -R do for
 * every entry) reach a seccomp listener instead of stopping for ptrace.
 * A single name that is not a symlink needs no translation, so the call
 * simply goes on; anything else is done here on the translated path and
 * its result handed to the tracee (the opened fd through ADDFD). With the
 * listener's synchronous wake-up (Linux 6.6) the round trip stays on one
 * CPU: about 3.5 us against 13 us for a ptrace stop on a 2-CPU host. */
#include "tracer/tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1UL
#endif

struct notify {
	const struct tr_config *c;
	int sock;
};

static int receive_fd(int sock)
{
	char data;
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec io = {&data, 1};
	struct msghdr m = {.msg_iov = &io,
			   .msg_iovlen = 1,
			   .msg_control = control,
			   .msg_controllen = sizeof(control)};
	ssize_t n;
	while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&m) : NULL;
	if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

/* The guest path of the tracee's directory fd, or NULL. */
static char *dirfd_guest(const struct tr_config *c, pid_t pid, int dirfd)
{
	char link[64], dir[4096];
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, dirfd);
	ssize_t n = readlink(link, dir, sizeof(dir) - 1);
	if (n <= 0)
		return NULL;
	dir[n] = '\0';
	return tr_to_guest(c, dir);
}

/* Does the call run as the tracee asked, with no translation? */
static bool goes_on(pid_t pid, int dirfd, const char *path, bool follow, bool writes,
		    const struct tr_config *c)
{
	if (path[0] == '\0')
		return true;
	if (path[0] == '/' || strchr(path, '/') || strcmp(path, "..") == 0)
		return false;
	if (writes && c->any_readonly)
		return false;
	if (!follow)
		return true;
	/* Followed: only a symlink would need the container's view. */
	char link[4200], target[8];
	snprintf(link, sizeof(link), "/proc/%d/fd/%d/%s", pid, dirfd, path);
	return readlink(link, target, sizeof(target)) < 0 && errno != ENAMETOOLONG;
}

/* Does the call on host path `host`; returns the result for the tracee
 * (>= 0) or -errno. For openat the fd goes to the tracee here (*sent). */
static long emulate(int nfd, const struct seccomp_notif *req, const char *host, bool *sent)
{
	pid_t pid = (pid_t)req->pid;
	const __u64 *a = req->data.args;
	switch (req->data.nr) {
	case SYS_newfstatat: {
		struct stat st;
		if (fstatat(AT_FDCWD, host, &st, (int)a[3]) < 0)
			return -errno;
		return tr_write_mem(pid, a[2], &st, sizeof(st)) == 0 ? 0 : -EFAULT;
	}
	case SYS_statx: {
		struct statx stx;
		if (statx(AT_FDCWD, host, (int)a[2], (unsigned)a[3], &stx) < 0)
			return -errno;
		return tr_write_mem(pid, a[4], &stx, sizeof(stx)) == 0 ? 0 : -EFAULT;
	}
	case SYS_openat: {
		int flags = (int)a[2];
		struct stat st;
		/* A FIFO must not block the listener: opened non-blocking. */
		bool fifo = stat(host, &st) == 0 && S_ISFIFO(st.st_mode) && !(flags & O_NONBLOCK);
		int fd = open(host, (flags | (fifo ? O_NONBLOCK : 0)) | O_CLOEXEC, (mode_t)a[3]);
		if (fd < 0)
			return -errno;
		if (fifo)
			fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
		struct seccomp_notif_addfd add = {.id = req->id,
						  .flags = SECCOMP_ADDFD_FLAG_SEND,
						  .srcfd = (__u32)fd,
						  .newfd_flags = (__u32)(flags & O_CLOEXEC)};
		long r = ioctl(nfd, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
		if (r < 0 && errno == EINVAL) {
			/* Before Linux 5.14: add the fd, then answer. */
			add.flags = 0;
			r = ioctl(nfd, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
		} else if (r >= 0) {
			*sent = true;
		}
		close(fd);
		return r < 0 ? -errno : r;
	}
	default:
		return -ENOSYS;
	}
}

/* Decides a call: true when it goes on as the tracee asked; otherwise
 * *result is its result, already delivered when *sent. */
static bool decide(const struct tr_config *c, int nfd, const struct seccomp_notif *req,
		   long *result, bool *sent)
{
	pid_t pid = (pid_t)req->pid;
	const __u64 *a = req->data.args;
	int nr = req->data.nr;
	_cleanup_free_ char *path = tr_read_string(pid, a[1]);
	if (path == NULL)
		return true; /* the kernel reports the bad address itself */
	int flags = (int)(nr == SYS_newfstatat ? a[3] : a[2]);
	bool follow = nr == SYS_openat ? !(flags & O_NOFOLLOW) : !(flags & AT_SYMLINK_NOFOLLOW);
	bool writes = nr == SYS_openat && (flags & (O_WRONLY | O_RDWR | O_TRUNC));
	if (goes_on(pid, (int)a[0], path, follow, writes, c))
		return true;
	_cleanup_free_ char *dir = path[0] == '/' ? xstrdup("/") : dirfd_guest(c, pid, (int)a[0]);
	if (dir == NULL)
		return true; /* not a directory we can name: the kernel decides */
	_cleanup_free_ char *host = tr_resolve(c, pid, dir, path, follow);
	if (host == NULL)
		*result = -EACCES; /* another process's /proc/PID links */
	else if (writes && tr_readonly_bind(c, host))
		*result = -EROFS;
	else
		*result = emulate(nfd, req, host, sent);
	return false;
}

static void answer(const struct tr_config *c, int nfd, const struct seccomp_notif *req,
		   struct seccomp_notif_resp *resp)
{
	long result = 0;
	bool sent = false;
	resp->id = req->id;
	if (decide(c, nfd, req, &result, &sent))
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else if (sent)
		return;
	else if (result < 0)
		resp->error = (__s32)result;
	else
		resp->val = result;
	/* Fails when the tracee was interrupted meanwhile: nothing to do. */
	ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

static void *serve(void *arg)
{
	struct notify *n = arg;
	int nfd = receive_fd(n->sock);
	close(n->sock);
	if (nfd < 0) {
		free(n);
		return NULL;
	}
	/* The tracee and this thread take turns on one CPU (Linux 6.6). */
	ioctl(nfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	/* The kernel's structures may be larger than this build's. */
	struct seccomp_notif_sizes sizes = {0};
	syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes);
	size_t req_size = sizes.seccomp_notif > sizeof(struct seccomp_notif)
				  ? sizes.seccomp_notif
				  : sizeof(struct seccomp_notif);
	size_t resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp)
				   ? sizes.seccomp_notif_resp
				   : sizeof(struct seccomp_notif_resp);
	struct seccomp_notif *req = xmalloc(req_size);
	struct seccomp_notif_resp *resp = xmalloc(resp_size);
	for (;;) {
		memset(req, 0, req_size);
		if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
			/* ENOENT: the caller went away before it was read, or no
			 * process uses the filter any more (the listener hangs up). */
			struct pollfd p = {nfd, POLLIN, 0};
			if (errno == EINTR ||
			    (errno == ENOENT && poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP)))
				continue;
			break;
		}
		memset(resp, 0, resp_size);
		answer(n->c, nfd, req, resp);
	}
	free(req);
	free(resp);
	close(nfd);
	free(n);
	return NULL;
}

int tr_notify_start(const struct tr_config *c, int sock)
{
	struct notify *n = xmalloc(sizeof(*n));
	n->c = c;
	n->sock = sock;
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int r = pthread_create(&th, &attr, serve, n);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		free(n);
		return -1;
	}
	return 0;
}
