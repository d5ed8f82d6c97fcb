/* Reading and writing a tracee's memory. */
#include "tracer/tracer.h"

#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>

#define TR_PATH_MAX 4096

char *tr_read_string(pid_t pid, unsigned long addr)
{
	char buf[TR_PATH_MAX];
	size_t got = 0;
	while (got < sizeof(buf) - 1) {
		/* Stay within the current page so no read crosses into an unmapped one. */
		size_t len = 4096 - ((addr + got) & 4095);
		if (len > sizeof(buf) - 1 - got)
			len = sizeof(buf) - 1 - got;
		struct iovec local = {buf + got, len}, remote = {(void *)(addr + got), len};
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

int tr_read_mem(pid_t pid, unsigned long addr, void *data, size_t len)
{
	struct iovec local = {data, len}, remote = {(void *)addr, len};
	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

int tr_write_mem(pid_t pid, unsigned long addr, const void *data, size_t len)
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
