/* A test program run inside containers by t_confine_f.sh, built dynamic
 * (ud-test-fconfine) and static (ud-test-fconfine-static). Each argument is
 * one operation, done in order; each prints "OP: ok" or "OP: <error>".
 *   chdir:DIR        chdir
 *   create:PATH      open(PATH, O_CREAT|O_WRONLY)
 *   openat2:PATH     syscall(SYS_openat2, AT_FDCWD, PATH, O_CREAT|O_WRONLY)
 *   inroot:DIR:NAME  openat2(DIR's fd, NAME, O_RDONLY, RESOLVE_IN_ROOT)
 *   symlink:T:L      symlink(T, L)
 *   unix:PATH        bind an AF_UNIX socket to PATH, connect to it from
 *                    one bound to PATH.c, print getsockname's path,
 *                    getpeername's and the peer accept gives
 *   dgram:PATH       bind an AF_UNIX datagram socket to PATH, sendto and
 *                    sendmmsg to it from one bound to PATH.c, print the
 *                    sender recvfrom and recvmsg give
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct how {
	uint64_t flags, mode, resolve;
};

static void result(const char *op, int r)
{
	if (r < 0)
		printf("%s: %s\n", op, strerror(errno));
	else
		printf("%s: ok\n", op);
}

static int unix_socket(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(a.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0)
		return -1;
	struct sockaddr_un got;
	socklen_t n = sizeof(got);
	if (getsockname(s, (struct sockaddr *)&got, &n) < 0)
		return -1;
	printf("name %s\n", got.sun_path);
	struct sockaddr_un ca = a;
	strcat(ca.sun_path, ".c");
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || bind(c, (struct sockaddr *)&ca, sizeof(ca)) < 0 ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	struct sockaddr_un peer = {0};
	n = sizeof(peer);
	if (getpeername(c, (struct sockaddr *)&peer, &n) < 0)
		return -1;
	printf("peername %s\n", peer.sun_path);
	memset(&peer, 0, sizeof(peer));
	n = sizeof(peer);
	int p = accept(s, (struct sockaddr *)&peer, &n);
	if (p < 0)
		return -1;
	printf("peer %s\n", peer.sun_path);
	close(p);
	close(c);
	close(s);
	return 0;
}

static int unix_dgram(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(a.sun_path, path);
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	struct sockaddr_un ca = a;
	strcat(ca.sun_path, ".c");
	int c = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c < 0 || bind(c, (struct sockaddr *)&ca, sizeof(ca)) < 0 ||
	    sendto(c, "hi", 2, 0, (struct sockaddr *)&a, sizeof(a)) != 2)
		return -1;
	struct iovec iov = {.iov_base = "mm", .iov_len = 2};
	struct mmsghdr mm = {.msg_hdr = {.msg_name = &a,
					 .msg_namelen = sizeof(a),
					 .msg_iov = &iov,
					 .msg_iovlen = 1}};
	if (sendmmsg(c, &mm, 1, 0) != 1)
		return -1;
	char buf[4];
	struct sockaddr_un from = {0};
	socklen_t n = sizeof(from);
	if (recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &n) != 2)
		return -1;
	printf("from %s\n", from.sun_path);
	memset(&from, 0, sizeof(from));
	struct iovec in = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr m = {
		.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &in, .msg_iovlen = 1};
	if (recvmsg(s, &m, 0) != 2 || memcmp(buf, "mm", 2) != 0)
		return -1;
	printf("msgfrom %s\n", from.sun_path);
	close(c);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *op = argv[i], *arg = strchr(op, ':');
		if (arg == NULL)
			return 2;
		arg++;
		int r;
		if (strncmp(op, "chdir:", 6) == 0) {
			r = chdir(arg);
		} else if (strncmp(op, "create:", 7) == 0) {
			r = open(arg, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		} else if (strncmp(op, "openat2:", 8) == 0) {
			struct how h = {.flags = O_CREAT | O_WRONLY | O_CLOEXEC, .mode = 0600};
			r = (int)syscall(SYS_openat2, AT_FDCWD, arg, &h, sizeof(h));
		} else if (strncmp(op, "inroot:", 7) == 0) {
			char *name = strchr(arg, ':');
			if (name == NULL)
				return 2;
			*name = '\0';
			int d = open(arg, O_PATH | O_DIRECTORY | O_CLOEXEC);
			*name++ = ':';
			struct how h = {.flags = O_RDONLY | O_CLOEXEC, .resolve = 0x10};
			r = d < 0 ? -1 : (int)syscall(SYS_openat2, d, name, &h, sizeof(h));
		} else if (strncmp(op, "symlink:", 8) == 0) {
			char *l = strchr(arg, ':');
			if (l == NULL)
				return 2;
			*l++ = '\0';
			r = symlink(arg, l);
			l[-1] = ':';
		} else if (strncmp(op, "dgram:", 6) == 0) {
			r = unix_dgram(arg);
		} else if (strncmp(op, "unix:", 5) == 0) {
			r = unix_socket(arg);
		} else {
			return 2;
		}
		result(op, r);
		fflush(stdout);
	}
	return 0;
}
