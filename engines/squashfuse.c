/* The FUSE server of image-backed containers: libsquashfuse serves the
 * image file on a /dev/fuse connection the container's child opened and
 * mounted inside its own user namespace (the kernel wants the device
 * opened in the namespace the mount is made in) and handed over a socket.
 * The server is forked from udocker before the container, in a session of
 * its own: no shell of the container waits for it, no signal udocker
 * passes on to the container's group reaches it, and it ends by itself
 * when the container's namespace goes (the connection reads ENODEV). */
#include "engines/engines.h"
#include "engines/squashfuse_dl.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* The image never changes while it is mounted: the kernel may keep what
 * it learnt for as long as the mount lives. */
static const double forever = 365.0 * 86400.0;

/* The server's state (one per server process). */
static struct {
	uid_t uid;
	gid_t gid;
	bool xattrs; /* the image has extended attributes */
} srv;

/* Every file belongs to the container's user, as in a directory
 * container (and overlayfs copies up only files with a mapped owner). */
static void own(struct stat *st, fuse_ino_t ino)
{
	st->st_ino = ino;
	st->st_uid = srv.uid;
	st->st_gid = srv.gid;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	sqfs_ll_i lli;
	if (sqfs_ll_iget(req, &lli, parent) != SQFS_OK)
		return; /* replied */
	if (!S_ISDIR(lli.inode.base.mode)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	/* A name not there is an entry with inode 0: cached as long (PATH
	 * searches ask for the same missing names at every exec). */
	struct fuse_entry_param e = {.attr_timeout = forever, .entry_timeout = forever};
	size_t len = strlen(name);
	sqfs_name buf;
	sqfs_dir_entry entry;
	bool found = false;
	sqfs_dentry_init(&entry, buf);
	if (len <= SQUASHFS_NAME_LEN &&
	    sqfs_dir_lookup(&lli.ll->fs, &lli.inode, name, len, &entry, &found) != SQFS_OK) {
		fuse_reply_err(req, EIO);
		return;
	}
	if (!found) {
		fuse_reply_entry(req, &e);
		return;
	}
	sqfs_inode inode;
	if (sqfs_inode_get(&lli.ll->fs, &inode, sqfs_dentry_inode(&entry)) != SQFS_OK ||
	    sqfs_stat(&lli.ll->fs, &inode, &e.attr) != SQFS_OK) {
		fuse_reply_err(req, EIO);
		return;
	}
	e.ino = lli.ll->ino_register(lli.ll, &entry);
	own(&e.attr, e.ino);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	sqfs_ll_i lli;
	if (sqfs_ll_iget(req, &lli, ino) != SQFS_OK)
		return;
	struct stat st;
	if (sqfs_stat(&lli.ll->fs, &lli.inode, &st) != SQFS_OK) {
		fuse_reply_err(req, EIO);
		return;
	}
	own(&st, ino);
	fuse_reply_attr(req, &st, forever);
}

/* ENOSYS: the kernel opens files and directories of this mount without
 * asking any more (and sends no RELEASE nor FLUSH for them), with
 * FOPEN_KEEP_CACHE and FOPEN_CACHE_DIR, two round trips fewer for every
 * file tar or the loader opens. READ and READDIR find the inode by its
 * number instead of an open handle. */
static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, ENOSYS);
}

/* A buffer of size bytes for the reply to req, or NULL: replied ENOMEM. */
static char *reply_buffer(fuse_req_t req, size_t size)
{
	char *buf = malloc(size ? size : 1);
	if (buf == NULL)
		fuse_reply_err(req, ENOMEM);
	return buf;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)fi;
	sqfs_ll_i lli;
	if (sqfs_ll_iget(req, &lli, ino) != SQFS_OK)
		return;
	if (!S_ISREG(lli.inode.base.mode)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	char *buf = reply_buffer(req, size);
	if (buf == NULL)
		return;
	sqfs_off_t got = (sqfs_off_t)size;
	if (sqfs_read_range(&lli.ll->fs, &lli.inode, off, &got, buf) != SQFS_OK)
		fuse_reply_err(req, EIO);
	else
		fuse_reply_buf(req, buf, (size_t)got);
	free(buf);
}

/* READDIR and READDIRPLUS from offset off of directory ino: with plus,
 * every entry comes with its attributes, and the kernel caches it as a
 * LOOKUP would (find and tar ask no LOOKUP for what they list). */
static void readdir_any(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
	sqfs_ll_i lli;
	if (sqfs_ll_iget(req, &lli, ino) != SQFS_OK)
		return;
	sqfs_dir dir;
	if (!S_ISDIR(lli.inode.base.mode)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (sqfs_dir_open(&lli.ll->fs, &lli.inode, &dir, off) != SQFS_OK) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	char *buf = reply_buffer(req, size);
	if (buf == NULL)
		return;
	size_t used = 0;
	sqfs_name name;
	sqfs_dir_entry entry;
	sqfs_err err = SQFS_OK;
	sqfs_dentry_init(&entry, name);
	while (sqfs_dir_next(&lli.ll->fs, &dir, &entry, &err)) {
		const char *n = sqfs_dentry_name(&entry);
		off_t next = sqfs_dentry_next_offset(&entry);
		size_t need;
		if (!plus) {
			struct stat st = {.st_mode = sqfs_dentry_mode(&entry),
					  .st_ino = lli.ll->ino_fuse_num(lli.ll, &entry)};
			need = fuse_add_direntry(req, buf + used, size - used, n, &st, next);
		} else if ((need = fuse_add_direntry_plus(req, NULL, 0, n, NULL, 0)) <=
			   size - used) {
			struct fuse_entry_param e = {.attr_timeout = forever,
						     .entry_timeout = forever};
			sqfs_inode inode;
			if (sqfs_inode_get(&lli.ll->fs, &inode, sqfs_dentry_inode(&entry)) !=
				    SQFS_OK ||
			    sqfs_stat(&lli.ll->fs, &inode, &e.attr) != SQFS_OK) {
				err = SQFS_ERR;
				break;
			}
			/* Counted as looked up once the kernel has it. */
			e.ino = lli.ll->ino_register(lli.ll, &entry);
			own(&e.attr, e.ino);
			need = fuse_add_direntry_plus(req, buf + used, size - used, n, &e, next);
		}
		if (need > size - used)
			break;
		used += need;
	}
	if (err != SQFS_OK && used == 0)
		fuse_reply_err(req, EIO);
	else
		fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)fi;
	readdir_any(req, ino, size, off, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	(void)fi;
	readdir_any(req, ino, size, off, true);
}

/* ENOSYS from an image without extended attributes: the kernel then asks
 * no more (overlayfs looks for its own attributes at every lookup). */
static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	if (!srv.xattrs)
		fuse_reply_err(req, ENOSYS);
	else
		sqfs_ll_op_listxattr(req, ino, size);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	if (!srv.xattrs)
		fuse_reply_err(req, ENOSYS);
	else
		sqfs_ll_op_getxattr(req, ino, name, size);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	/* READDIRPLUS for every part of a listing, not only its start. */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS_AUTO;
	/* Nothing changes behind the kernel's back. */
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
}

int ud_squash_sendmsg(int sock, const void *data, size_t len, const int *fds, size_t n)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (n > 4) {
		errno = EINVAL;
		return -1;
	}
	if (n > 0) {
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(n * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	}
	ssize_t r;
	while ((r = sendmsg(sock, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (r >= 0 && (size_t)r != len)
		errno = EMSGSIZE;
	return r >= 0 && (size_t)r == len ? 0 : -1;
}

ssize_t ud_squash_recvmsg(int sock, void *data, size_t len, int *fds, size_t max, size_t *n)
{
	struct iovec iov = {.iov_base = data, .iov_len = len};
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = u.buf,
			   .msg_controllen = sizeof(u.buf)};
	*n = 0;
	ssize_t r;
	while ((r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < got; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (*n < max)
				fds[(*n)++] = fd;
			else
				close(fd);
		}
	}
	if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		for (size_t i = 0; i < *n; i++)
			close(fds[i]);
		*n = 0;
		errno = EMSGSIZE;
		return -1;
	}
	return r;
}

/* The /dev/fuse fd the container's child sends on sock; -1 when it ends
 * before it mounted (EOF). */
static int receive_fd(int sock)
{
	char byte;
	int fd = -1;
	size_t n = 0;
	if (ud_squash_recvmsg(sock, &byte, 1, &fd, 1, &n) != 1 || n != 1) {
		if (n == 1)
			close(fd);
		return -1;
	}
	return fd;
}

int ud_squash_send_fd(int sock, int fd)
{
	return ud_squash_sendmsg(sock, "F", 1, &fd, 1);
}

void ud_squash_close_others(int from, int *keep, size_t n)
{
	for (size_t i = 1; i < n; i++) /* a handful: insertion sort */
		for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	int next = from;
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < next)
			continue;
		if (keep[i] > next)
			syscall(SYS_close_range, next, keep[i] - 1, 0);
		next = keep[i] + 1;
	}
	syscall(SYS_close_range, next, ~0U, 0);
}

/* libsquashfuse keeps 8 metadata blocks, 1 data block and 3 fragment
 * blocks decompressed: a program's loader faults pages of a library in
 * out of order and decompressed the same 128 KiB block again and again.
 * Caches replaced by bigger ones (at most 8 MiB), or left as they are. */
static void grow_caches(sqfs *fs)
{
	struct {
		sqfs_cache *cache;
		size_t count;
	} grow[] = {{&fs->md_cache, 128}, {&fs->data_cache, 32}, {&fs->frag_cache, 16}};
	for (size_t i = 0; i < UD_ARRAY_SIZE(grow); i++) {
		sqfs_cache bigger;
		if (sqfs_block_cache_init(&bigger, grow[i].count) != SQFS_OK)
			continue;
		sqfs_cache_destroy(grow[i].cache);
		*grow[i].cache = bigger;
	}
}

struct fuse_session *ud_squash_session(sqfs_ll *ll, int fuse_fd, uid_t uid, gid_t gid)
{
	srv.uid = uid;
	srv.gid = gid;
	/* mksquashfs writes an empty table for a tree without any. */
	srv.xattrs = ll->fs.sb.xattr_id_table_start != (uint64_t)SQUASHFS_INVALID_BLK &&
		     ll->fs.xattr_info.xattr_ids > 0;
	/* Every read allocates and frees a block-sized buffer (and every
	 * block decompressed another): kept in the heap, not mmap'ed and
	 * unmapped (page faults and zeroing at each request). */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	grow_caches(&ll->fs);
	const struct fuse_lowlevel_ops ops = {
		.init = op_init,
		.lookup = op_lookup,
		.forget = sqfs_ll_op_forget,
		.getattr = op_getattr,
		.readlink = sqfs_ll_op_readlink,
		.open = op_open,
		.read = op_read,
		.opendir = op_open,
		.readdir = op_readdir,
		.readdirplus = op_readdirplus,
		.statfs = stfs_ll_op_statfs,
		.getxattr = op_getxattr,
		.listxattr = op_listxattr,
	};
	char *argv[] = {"udocker-sqfuse", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), ll);
	char mountpoint[32];
	snprintf(mountpoint, sizeof(mountpoint), "/dev/fd/%d", fuse_fd);
	/* libfuse takes /dev/fd/N for "mounted already: serve fd N". */
	if (se != NULL && fuse_session_mount(se, mountpoint) != 0) {
		fuse_session_destroy(se);
		se = NULL;
	}
	return se;
}

void ud_squash_detach(const char *name, int *keep, size_t n)
{
	(void)setsid();
	(void)prctl(PR_SET_NAME, name);
	ud_self_retitle(name);
	ud_spawn_reset_signals();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 3 && null >= 0; i++)
		(void)dup2(null, i);
	/* Nothing of udocker's (its locks above all) lives on in here. */
	ud_squash_close_others(3, keep, n);
}

void ud_squash_fail(int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	(void)!vdprintf(fd, fmt, ap);
	va_end(ap);
	_exit(1);
}

void ud_squash_userns(int fd, uid_t uid, gid_t gid)
{
	uid_t outer_uid = getuid(); /* in the new namespace, the overflow id */
	gid_t outer_gid = getgid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		ud_squash_fail(fd, "no user namespace: %s", strerror(errno));
	char map[64];
	int m = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
	if (m >= 0) {
		(void)!write(m, "deny", 4);
		close(m);
	}
	const char *files[] = {"/proc/self/uid_map", "/proc/self/gid_map"};
	for (int i = 0; i < 2; i++) {
		snprintf(map, sizeof(map), "%u %u 1\n", i ? (unsigned)gid : (unsigned)uid,
			 i ? (unsigned)outer_gid : (unsigned)outer_uid);
		m = open(files[i], O_WRONLY | O_CLOEXEC);
		if (m < 0 || write(m, map, strlen(map)) < 0)
			ud_squash_fail(fd, "cannot map ids in a user namespace: %s",
				       strerror(errno));
		close(m);
	}
}

size_t ud_squash_read_report(int fd, char *msg, size_t size)
{
	size_t got = 0;
	ssize_t n;
	while (got < size - 1 &&
	       ((n = read(fd, msg + got, size - 1 - got)) > 0 || (n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	msg[got] = '\0';
	return got;
}

static void __attribute__((noreturn)) serve(sqfs_ll *ll, int sock, int hold)
{
	int keep[] = {sock, ll->fs.fd, hold};
	ud_squash_detach("udocker-sqfuse", keep, UD_ARRAY_SIZE(keep));
	int fd = receive_fd(sock);
	close(sock);
	if (fd < 0)
		_exit(0);
	struct fuse_session *se = ud_squash_session(ll, fd, srv.uid, srv.gid);
	if (se == NULL)
		_exit(1);
	fuse_session_loop(se);
	_exit(0);
}

/* What is wrong with the image file image, as the error says it. */
static int bad_image(struct ud_error **err, const char *image, const char *what)
{
	return ud_error_set(err, UD_ERR_INVALID,
			    "image file '%s' %s: remove it and create the container again "
			    "(create --rootfs=squash builds the image file anew)",
			    image, what);
}

/* The image file image open (O_RDONLY) in *fd, its stat in *st: a
 * regular file, not a link, whose super block is one libsquashfuse reads
 * and whose tables lie inside it (libsquashfuse does not check that, and
 * reads past the end of a truncated file). */
static int open_image(const char *image, int *fd, struct stat *st, struct ud_error **err)
{
	/* The store keeps it as a regular file: a link is not followed, a
	 * FIFO not waited on. */
	*fd = open(image, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0 && errno == ELOOP)
		return bad_image(err, image, "is a symbolic link, not the store's own file");
	if (*fd < 0 && errno == ENOENT)
		return bad_image(err, image, "is missing");
	if (*fd < 0)
		return ud_error_sys(err, errno, "cannot open the image file '%s'", image);
	if (fstat(*fd, st) < 0)
		return ud_error_sys(err, errno, "cannot stat the image file '%s'", image);
	if (!S_ISREG(st->st_mode))
		return bad_image(err, image, "is not a regular file");
	struct squashfs_super_block sb;
	ssize_t n;
	while ((n = pread(*fd, &sb, sizeof(sb), 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return ud_error_sys(err, errno, "cannot read the image file '%s'", image);
	if (n != (ssize_t)sizeof(sb) || le32toh(sb.s_magic) != SQUASHFS_MAGIC)
		return bad_image(err, image, "is not a SquashFS image (bad super block)");
	uint64_t used = le64toh(sb.bytes_used), bs = le32toh(sb.block_size);
	if (used > (uint64_t)st->st_size)
		return bad_image(err, image, "is truncated (shorter than its super block says)");
	const uint64_t tables[] = {sb.id_table_start,	    sb.xattr_id_table_start,
				   sb.inode_table_start,    sb.directory_table_start,
				   sb.fragment_table_start, sb.lookup_table_start};
	bool bad = bs < 4096 || bs > (1u << 20) || (bs & (bs - 1)) != 0;
	for (size_t i = 0; i < UD_ARRAY_SIZE(tables); i++) {
		uint64_t t = le64toh(tables[i]);
		bad |= t != (uint64_t)SQUASHFS_INVALID_BLK && t >= used;
	}
	if (bad)
		return bad_image(err, image, "is corrupt (its super block points outside it)");
	return 0;
}

/* sqfs_init of fs on the image file open at fd, its errors in words. */
static int init_image(sqfs *fs, int fd, const char *image, struct ud_error **err)
{
	sqfs_err e = sqfs_init(fs, fd, 0);
	if (e == SQFS_BADFORMAT)
		return bad_image(err, image, "is not a SquashFS image (bad super block)");
	if (e == SQFS_BADVERSION)
		return bad_image(err, image, "has a SquashFS version libsquashfuse does not read");
	if (e == SQFS_BADCOMP)
		return bad_image(err, image, "uses a compressor libsquashfuse lacks");
	if (e != SQFS_OK)
		return bad_image(err, image, "is corrupt (its tables cannot be read)");
	return 0;
}

sqfs_ll *ud_squash_open_ll(const char *image, int *fd, struct ud_error **err)
{
	if (ud_sqfuse_load(err) < 0)
		return NULL;
	struct stat st;
	if (open_image(image, fd, &st, err) < 0)
		return NULL;
	sqfs_ll *ll = xcalloc(1, sizeof(*ll));
	int r = init_image(&ll->fs, *fd, image, err);
	if (r == 0 && sqfs_ll_init(ll) != SQFS_OK)
		r = bad_image(err, image, "is corrupt (its inode table cannot be used)");
	if (r == 0)
		return ll;
	sqfs_destroy(&ll->fs); /* fd stays ours */
	free(ll);
	return NULL;
}

void ud_squash_close_ll(sqfs_ll *ll)
{
	if (ll == NULL)
		return;
	if (ll->ino_destroy)
		ll->ino_destroy(ll);
	sqfs_destroy(&ll->fs); /* fd stays the caller's */
	free(ll);
}

int ud_squash_check(const char *image, struct ud_error **err)
{
	_cleanup_close_ int fd = -1;
	sqfs_ll *ll = ud_squash_open_ll(image, &fd, err);
	ud_squash_close_ll(ll);
	return ll ? 0 : -1;
}

int ud_squash_server_start(const char *image, uid_t uid, gid_t gid, struct ud_squash_server *s,
			   struct ud_error **err)
{
	s->pid = -1;
	s->sock = -1;
	_cleanup_close_ int fd = -1;
	sqfs_ll *ll = ud_squash_open_ll(image, &fd, err);
	if (ll == NULL)
		return -1;
	int r = 0;
	int sv[2] = {-1, -1};
	if (r == 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		r = ud_error_sys(err, errno, "socketpair");
	srv.uid = uid;
	srv.gid = gid;
	pid_t pid = -1;
	if (r == 0) {
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			r = ud_error_sys(err, errno, "fork");
	}
	if (pid == 0) {
		close(sv[1]);
		serve(ll, sv[0], s->hold);
	}
	if (sv[0] >= 0)
		close(sv[0]);
	if (r == 0) {
		s->pid = pid;
		s->sock = sv[1];
	} else if (sv[1] >= 0) {
		close(sv[1]);
	}
	ud_squash_close_ll(ll);
	return r;
}

void ud_squash_server_stop(struct ud_squash_server *s)
{
	if (s->sock >= 0)
		close(steal_fd(&s->sock));
	if (s->pid <= 0)
		return;
	/* It ends when the container's namespace does: wait a bounded time. */
	int pfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		while (poll(&p, 1, 3000) < 0 && errno == EINTR)
			;
		close(pfd);
	} else {
		for (int i = 0; i < 1500 && waitpid(s->pid, NULL, WNOHANG) == 0; i++)
			usleep(2000);
	}
	if (waitpid(s->pid, NULL, WNOHANG) == 0) {
		kill(s->pid, SIGKILL);
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	s->pid = -1;
}

/* What N1 does for an image-backed container, in a throwaway user and
 * mount namespace: /dev/fuse opened and mounted there, an overlay with
 * userxattr mounted there (on tmpfs layers: no server is needed). */
static void __attribute__((noreturn)) probe_child(int fd)
{
	ud_squash_userns(fd, 0, 0);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/tmp", "tmpfs", 0, "mode=0755") < 0)
		ud_squash_fail(fd, "cannot mount a tmpfs in a user namespace: %s", strerror(errno));
	const char *dirs[] = {"/tmp/l", "/tmp/u", "/tmp/w", "/tmp/m", "/tmp/f"};
	for (size_t i = 0; i < UD_ARRAY_SIZE(dirs); i++)
		if (mkdir(dirs[i], 0755) < 0)
			ud_squash_fail(fd, "mkdir: %s", strerror(errno));
	int dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		ud_squash_fail(
			fd,
			"cannot open /dev/fuse: %s (load the fuse module and make /dev/fuse mode "
			"0666, as Debian's fuse3 package does)",
			strerror(errno));
	char opts[160];
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", dev);
	if (mount("probe", "/tmp/f", "fuse.squashfuse", MS_NOSUID | MS_NODEV | MS_RDONLY, opts) < 0)
		ud_squash_fail(fd, "FUSE cannot be mounted in a user namespace: %s",
			       strerror(errno));
	close(dev); /* the connection ends: nothing waits on it */
	if (mount("overlay", "/tmp/m", "overlay", 0,
		  "lowerdir=/tmp/l,upperdir=/tmp/u,workdir=/tmp/w,userxattr") < 0)
		ud_squash_fail(fd, "overlayfs cannot be mounted in a user namespace: %s",
			       strerror(errno));
	_exit(0);
}

bool ud_squash_available(char **why)
{
	struct ud_error *err = NULL;
	if (ud_sqfuse_load(&err) < 0) {
		if (why)
			*why = xstrdup(err->msg);
		ud_error_free(err);
		return false;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		if (why)
			*why = xasprintf("pipe: %s", strerror(errno));
		return false;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		probe_child(fds[1]);
	}
	close(fds[1]);
	char msg[512] = "";
	size_t got = pid > 0 ? ud_squash_read_report(fds[0], msg, sizeof(msg)) : 0;
	close(fds[0]);
	int ws = 0;
	while (pid > 0 && waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	bool ok = pid > 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
	if (!ok && why)
		*why = xstrdup(pid < 0 ? "cannot fork" : got ? msg : "the probe failed");
	return ok;
}
