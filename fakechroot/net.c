/* AF_UNIX socket addresses: a socket file named by a guest path (a
 * postgres or X11 socket in /tmp) is the container's file. Abstract
 * addresses (sun_path starting with a NUL) and other families are passed
 * on as they are. A host path that does not fit in sun_path fails with
 * ENAMETOOLONG: never cut, never left untranslated. The addresses
 * getsockname, getpeername, accept, recvfrom and recvmsg give back are
 * the guest's. */
#include "fakechroot/fakechroot.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* The host address for (addr, len) into out; returns the address to pass
 * on (addr itself when it is not a named AF_UNIX one), NULL with errno. */
static const struct sockaddr *host_addr(const struct sockaddr *addr, socklen_t *len,
					struct sockaddr_un *out, int how)
{
	const size_t off = offsetof(struct sockaddr_un, sun_path);
	if (!fc.on || addr == NULL || *len <= off || addr->sa_family != AF_UNIX)
		return addr;
	const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
	size_t n = *len - off;
	if (n > sizeof(un->sun_path))
		n = sizeof(un->sun_path);
	if (un->sun_path[0] == '\0')
		return addr;
	char guest[sizeof(un->sun_path) + 1], hb[FC_PATH];
	memcpy(guest, un->sun_path, n);
	guest[n] = '\0';
	const char *h = fc_host_at(AT_FDCWD, guest, hb, how);
	if (h == NULL)
		return NULL;
	size_t hl = strlen(h);
	if (hl >= sizeof(out->sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	memset(out, 0, sizeof(*out));
	out->sun_family = AF_UNIX;
	memcpy(out->sun_path, h, hl + 1);
	*len = (socklen_t)(off + hl + 1);
	return (const struct sockaddr *)out;
}

/* A host address the kernel gave back -> the guest's, cut to the
 * caller's buffer as the kernel does (*len says the whole size). */
static void guest_addr(struct sockaddr *addr, socklen_t *len, socklen_t size)
{
	const size_t off = offsetof(struct sockaddr_un, sun_path);
	if (!fc.on || addr == NULL || len == NULL || *len <= off || size <= off ||
	    addr->sa_family != AF_UNIX)
		return;
	struct sockaddr_un *un = (struct sockaddr_un *)addr;
	size_t have = (size < *len ? size : *len) - off;
	if (have == 0 || un->sun_path[0] == '\0' || *len - off > sizeof(un->sun_path))
		return;
	char path[FC_PATH];
	size_t n = *len - off;
	if (n > have) /* cut: the whole path is unknown, leave it */
		return;
	memcpy(path, un->sun_path, n);
	path[n] = '\0';
	if (path[0] != '/' || !fc_guest(path, sizeof(path)))
		return;
	size_t g = strlen(path) + 1;
	memcpy(un->sun_path, path, g < have ? g : have);
	*len = (socklen_t)(off + g);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_un h;
	const struct sockaddr *a = host_addr(addr, &len, &h, FC_WRITE | FC_NOFOLLOW);
	if (a == NULL && addr != NULL)
		return -1;
	return R(int (*)(int, const struct sockaddr *, socklen_t), bind)(fd, a, len);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_un h;
	const struct sockaddr *a = host_addr(addr, &len, &h, 0);
	if (a == NULL && addr != NULL)
		return -1;
	return R(int (*)(int, const struct sockaddr *, socklen_t), connect)(fd, a, len);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
	       socklen_t len)
{
	struct sockaddr_un h;
	const struct sockaddr *a = host_addr(addr, &len, &h, 0);
	if (a == NULL && addr != NULL)
		return -1;
	return R(ssize_t(*)(int, const void *, size_t, int, const struct sockaddr *, socklen_t),
		 sendto)(fd, buf, n, flags, a, len);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct sockaddr_un h;
	struct msghdr m;
	if (msg && msg->msg_name) {
		m = *msg;
		socklen_t len = m.msg_namelen;
		const struct sockaddr *a = host_addr(msg->msg_name, &len, &h, 0);
		if (a == NULL)
			return -1;
		m.msg_name = (void *)a;
		m.msg_namelen = len;
		msg = &m;
	}
	return R(ssize_t(*)(int, const struct msghdr *, int), sendmsg)(fd, msg, flags);
}

/* An address the kernel gave back whole in full (n bytes) -> the guest's
 * in the caller's addr, cut to its size as the kernel does. */
static void peer_back(struct sockaddr *addr, socklen_t *len, struct sockaddr_storage *full,
		      socklen_t size, socklen_t n)
{
	guest_addr((struct sockaddr *)full, &n, sizeof(*full));
	memcpy(addr, full, size < n ? size : n < sizeof(*full) ? n : sizeof(*full));
	*len = n;
}

typedef int (*name_fn)(int, struct sockaddr *, socklen_t *);

/* getsockname, getpeername: the kernel's answer read whole, then given
 * back as the guest's, cut to the caller's size as the kernel does. */
static int name_of(name_fn real, int fd, struct sockaddr *addr, socklen_t *len)
{
	if (!fc.on || addr == NULL || len == NULL)
		return real(fd, addr, len);
	struct sockaddr_storage full;
	socklen_t size = *len, n = sizeof(full);
	if (real(fd, (struct sockaddr *)&full, &n) < 0)
		return -1;
	peer_back(addr, len, &full, size, n);
	return 0;
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return name_of(R(name_fn, getsockname), fd, addr, len);
}

int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return name_of(R(name_fn, getpeername), fd, addr, len);
}

int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	if (!fc.on || v == NULL || n == 0)
		return R(int (*)(int, struct mmsghdr *, unsigned int, int), sendmmsg)(fd, v, n,
										      flags);
	/* Sent one at a time, each with its address translated. */
	unsigned int i = 0;
	for (; i < n; i++) {
		ssize_t r = sendmsg(fd, &v[i].msg_hdr, flags);
		if (r < 0)
			return i > 0 ? (int)i : -1;
		v[i].msg_len = (unsigned int)r;
	}
	return (int)i;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	typedef int (*fn)(int, struct sockaddr *, socklen_t *, int);
	if (!fc.on || addr == NULL || len == NULL)
		return R(fn, accept4)(fd, addr, len, flags);
	struct sockaddr_storage full;
	socklen_t size = *len, n = sizeof(full);
	int r = R(fn, accept4)(fd, (struct sockaddr *)&full, &n, flags);
	if (r >= 0)
		peer_back(addr, len, &full, size, n);
	return r;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	typedef int (*fn)(int, struct sockaddr *, socklen_t *);
	if (!fc.on || addr == NULL || len == NULL)
		return R(fn, accept)(fd, addr, len);
	struct sockaddr_storage full;
	socklen_t size = *len, n = sizeof(full);
	int r = R(fn, accept)(fd, (struct sockaddr *)&full, &n);
	if (r >= 0)
		peer_back(addr, len, &full, size, n);
	return r;
}

ssize_t recvfrom(int fd, void *buf, size_t count, int flags, struct sockaddr *addr, socklen_t *len)
{
	typedef ssize_t (*fn)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	if (!fc.on || addr == NULL || len == NULL)
		return R(fn, recvfrom)(fd, buf, count, flags, addr, len);
	struct sockaddr_storage full;
	socklen_t size = *len, n = sizeof(full);
	ssize_t r = R(fn, recvfrom)(fd, buf, count, flags, (struct sockaddr *)&full, &n);
	if (r >= 0)
		peer_back(addr, len, &full, size, n);
	return r;
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	typedef ssize_t (*fn)(int, struct msghdr *, int);
	if (!fc.on || msg == NULL || msg->msg_name == NULL)
		return R(fn, recvmsg)(fd, msg, flags);
	/* The sender's address read whole into our buffer, then given back
	 * in the caller's as the guest's. */
	struct sockaddr_storage full;
	void *name = msg->msg_name;
	socklen_t size = msg->msg_namelen;
	msg->msg_name = &full;
	msg->msg_namelen = sizeof(full);
	ssize_t r = R(fn, recvmsg)(fd, msg, flags);
	socklen_t n = msg->msg_namelen;
	msg->msg_name = name;
	msg->msg_namelen = size;
	if (r >= 0)
		peer_back(name, &msg->msg_namelen, &full, size, n);
	return r;
}
