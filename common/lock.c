#include "common/common.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <time.h>

static int try_lock(int fd, bool shared)
{
	struct flock fl = {.l_type = shared ? F_RDLCK : F_WRLCK,
			   .l_whence = SEEK_SET,
			   .l_start = 0,
			   .l_len = 0};
#ifdef F_OFD_SETLK
	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;
#endif
	return fcntl(fd, F_SETLK, &fl);
}

static char *read_holder(int fd)
{
	char buf[512];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return xstrdup("another process");
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

long ud_lock_default_timeout_ms(void)
{
	const char *s = getenv("UDOCKER_LOCK_TIMEOUT");
	if (s != NULL && *s != '\0') {
		char *end;
		long v = strtol(s, &end, 10);
		if (*end == '\0' && v >= 0)
			return v * 1000;
	}
	return 600 * 1000;
}

int ud_lock_acquire(struct ud_lock *lock, const char *path, const char *what, long timeout_ms,
		    struct ud_error **err)
{
	return ud_lock_acquire_mode(lock, path, what, timeout_ms, false, err);
}

int ud_lock_acquire_mode(struct ud_lock *lock, const char *path, const char *what, long timeout_ms,
			 bool shared, struct ud_error **err)
{
	lock->fd = -1;
	lock->path = NULL;
	_cleanup_free_ char *copy = xstrdup(path);
	if (ud_mkdir_p(dirname(copy), 0755, err) < 0)
		return ud_error_prefix(err, "lock '%s'", path);
	_cleanup_close_ int fd = ud_open_store_file(path, O_RDWR | O_CREAT, 0644, "lock file", err);
	if (fd < 0)
		return -1;
	int64_t deadline = ud_now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	long delay = 10;
	for (;;) {
		if (try_lock(fd, shared) == 0)
			break;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return ud_error_sys(err, errno, "cannot lock '%s'", path);
		if (timeout_ms >= 0 && ud_now_ms() >= deadline) {
			_cleanup_free_ char *holder = read_holder(fd);
			ud_error_set(err, UD_ERR_LOCKED,
				     "timed out after %ld s waiting for lock '%s' held by %s",
				     timeout_ms / 1000, path, holder);
			return -1;
		}
		struct timespec ts = {.tv_sec = delay / 1000, .tv_nsec = (delay % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		if (delay < 250)
			delay *= 2;
	}
	if (shared) {
		/* Many hold it at once: no single holder to describe. */
		lock->fd = steal_fd(&fd);
		lock->path = xstrdup(path);
		lock->shared = true;
		return 0;
	}
	char host[256] = "?";
	gethostname(host, sizeof(host) - 1);
	_cleanup_free_ char *info = xasprintf("pid %ld on %s since %ld (%s)\n", (long)getpid(),
					      host, (long)time(NULL), what ? what : "udocker");
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, info, strlen(info), 0);
	lock->fd = steal_fd(&fd);
	lock->path = xstrdup(path);
	lock->shared = false;
	return 0;
}

void ud_lock_release(struct ud_lock *lock)
{
	if (lock->fd >= 0) {
		/* Clear the holder note, then closing drops the lock. */
		if (!lock->shared)
			(void)!ftruncate(lock->fd, 0);
		close(lock->fd);
	}
	lock->fd = -1;
	free(lock->path);
	lock->path = NULL;
}

void ud_lock_releasep(struct ud_lock *lock)
{
	ud_lock_release(lock);
}
