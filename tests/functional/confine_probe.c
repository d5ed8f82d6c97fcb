/* Test helper (built static as ud-test-confine): the calls a tracer must
 * not let through untranslated. One case per invocation:
 *   bind PATH       AF_UNIX bind + listen, getsockname; connect from one
 *                   bound to PATH.c: getpeername, the peer accept gives
 *   openat2 PATH    openat2 with O_CREAT
 *   fchmodat2 PATH  fchmodat2 (452) to mode 0600
 *   execveat PATH ARG...  execveat(AT_FDCWD, PATH, {PATH, ARG...})
 *   int80 PATH      i386 write(1, ...) and open(PATH) through int 0x80
 *   stat PATH       stat
 *   dgram PATH      AF_UNIX datagram bind, sendto and sendmsg to it from
 *                   one bound to PATH.c, the sender recvfrom and recvmsg give
 *   x32 PATH        mkdir(PATH) with the x32 system call number
 *   loader -        the file of the ELF loader mapped in this process
 *   handle PATH     name_to_handle_at
 *   listxattrat PATH  listxattrat (465)
 *   bindmount SRC DST  in a new user+mount namespace: bind SRC on DST, print DST/f
 *   uring -         io_uring_setup (refused: it opens files by itself)
 * Prints "CASE: ok [detail]" or "CASE: errno N". */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define SYS_fchmodat2_ 452

extern char **environ;

static int report(const char *what, long r)
{
	if (r < 0) {
		printf("%s: errno %d\n", what, errno);
		return 1;
	}
	printf("%s: ok\n", what);
	return 0;
}

static int do_bind(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return report("bind", -1);
	strcpy(sa.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (report("bind", bind(s, (struct sockaddr *)&sa, sizeof(sa))) ||
	    report("listen", listen(s, 1)))
		return 1;
	struct sockaddr_un got = {0};
	socklen_t gl = sizeof(got);
	if (getsockname(s, (struct sockaddr *)&got, &gl) == 0)
		printf("name: %s\n", got.sun_path);
	struct sockaddr_un ca = sa;
	if (strlen(path) + 2 >= sizeof(ca.sun_path))
		return report("client bind", -1);
	strcat(ca.sun_path, ".c");
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (report("client bind", bind(c, (struct sockaddr *)&ca, sizeof(ca))) ||
	    report("connect", connect(c, (struct sockaddr *)&sa, sizeof(sa))))
		return 1;
	memset(&got, 0, sizeof(got));
	gl = sizeof(got);
	if (getpeername(c, (struct sockaddr *)&got, &gl) == 0)
		printf("peername: %s\n", got.sun_path);
	memset(&got, 0, sizeof(got));
	gl = sizeof(got);
	if (accept(s, (struct sockaddr *)&got, &gl) >= 0)
		printf("accepted: %s\n", got.sun_path);
	return 0;
}

static int do_dgram(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return report("dgram bind", -1);
	strcpy(sa.sun_path, path);
	struct sockaddr_un ca = sa;
	if (strlen(path) + 2 >= sizeof(ca.sun_path))
		return report("dgram bind", -1);
	strcat(ca.sun_path, ".c");
	int r = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (report("dgram bind", bind(r, (struct sockaddr *)&sa, sizeof(sa))) ||
	    report("sender bind", bind(s, (struct sockaddr *)&ca, sizeof(ca))))
		return 1;
	char buf[8];
	int bad = report("sendto", sendto(s, "a", 1, 0, (struct sockaddr *)&sa, sizeof(sa)));
	struct sockaddr_un from = {0};
	socklen_t fl = sizeof(from);
	bad |= report("recv 1",
		      recvfrom(r, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl));
	printf("from: %s\n", from.sun_path);
	struct iovec io = {"b", 1};
	struct msghdr m = {
		.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &io, .msg_iovlen = 1};
	bad |= report("sendmsg", sendmsg(s, &m, 0));
	memset(&from, 0, sizeof(from));
	struct iovec in = {buf, sizeof(buf)};
	struct msghdr rm = {
		.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &in, .msg_iovlen = 1};
	bad |= report("recv 2", recvmsg(r, &rm, MSG_DONTWAIT));
	printf("msg_name: %s\n", from.sun_path);
	return bad;
}

/* Low addresses (a static non-PIE program): i386 calls see 32 bits. */
static char low_path[4096];
static char low_msg[] = "int80 wrote\n";

static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: ud-test-confine CASE PATH [ARG...]\n");
		return 2;
	}
	const char *what = argv[1], *path = argv[2];
	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(what, "bind") == 0)
		return do_bind(path);
	if (strcmp(what, "openat2") == 0) {
		struct {
			unsigned long long flags, mode, resolve;
		} how = {O_CREAT | O_WRONLY | O_CLOEXEC, 0644, 0};
		return report("openat2", syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how)));
	}
	if (strcmp(what, "loader") == 0) {
		FILE *f = fopen("/proc/self/maps", "re");
		char line[4096];
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "/ld-linux") && strchr(line, '/')) {
				printf("loader: %s", strchr(line, '/'));
				return 0;
			}
		return report("loader", -1);
	}
	if (strcmp(what, "x32") == 0) /* __X32_SYSCALL_BIT | __NR_mkdir */
		return report("x32 mkdir", syscall(0x40000000L | SYS_mkdir, path, 0755));
	if (strcmp(what, "fchmodat2") == 0)
		return report("fchmodat2", syscall(SYS_fchmodat2_, AT_FDCWD, path, 0600, 0));
	if (strcmp(what, "execveat") == 0) {
		syscall(SYS_execveat, AT_FDCWD, path, argv + 2, environ, 0);
		return report("execveat", -1);
	}
	if (strcmp(what, "stat") == 0) {
		struct stat st;
		return report("stat", stat(path, &st));
	}
	if (strcmp(what, "dgram") == 0)
		return do_dgram(path);
	if (strcmp(what, "handle") == 0) {
		struct {
			struct file_handle h;
			unsigned char data[128];
		} fh = {.h.handle_bytes = 128};
		int mnt;
		return report("handle",
			      syscall(SYS_name_to_handle_at, AT_FDCWD, path, &fh, &mnt, 0));
	}
	if (strcmp(what, "listxattrat") == 0) {
		char buf[1024];
		return report("listxattrat", syscall(465, AT_FDCWD, path, 0, buf, sizeof(buf)));
	}
	if (strcmp(what, "bindmount") == 0 && argc > 3) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			return report("unshare", -1);
		if (report("mount", mount(path, argv[3], NULL, MS_BIND, NULL)))
			return 1;
		char f[4200], line[64] = {0};
		snprintf(f, sizeof(f), "%s/f", argv[3]);
		FILE *in = fopen(f, "re");
		if (in == NULL || fgets(line, sizeof(line), in) == NULL)
			return report("content", -1);
		fclose(in);
		printf("content: %s", line);
		return 0;
	}
	if (strcmp(what, "uring") == 0) {
		unsigned char params[120] = {0};
		return report("uring", syscall(425, 1, params));
	}
	if (strcmp(what, "int80") == 0) {
		snprintf(low_path, sizeof(low_path), "%s", path);
		printf("int80 write: %ld\n", int80(4, 1, (long)low_msg, (long)strlen(low_msg)));
		printf("int80 open: %ld\n", int80(5, (long)low_path, 0, 0));
		return 0;
	}
	fprintf(stderr, "ud-test-confine: unknown case %s\n", what);
	return 2;
}
