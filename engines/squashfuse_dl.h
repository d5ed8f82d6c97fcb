/* Internal to engines/: libsquashfuse_ll and libfuse 3, loaded with
 * dlopen() on first use, so every other run (and every other command) does
 * not load them and the compression libraries behind them. Files in
 * engines/ call them as usual after ud_sqfuse_load(). */
#ifndef UD_ENGINES_SQUASHFUSE_DL_H
#define UD_ENGINES_SQUASHFUSE_DL_H

/* squashfuse's own config.h sets FUSE_USE_VERSION for its headers. */
#include <squashfuse/ll.h>

#include "common/common.h"

#include <sys/stat.h>

/* Exported by libsquashfuse_ll but declared in no installed header (its
 * stat.h): the attributes of inode as stat(2) gives them. */
sqfs_err sqfs_stat(sqfs *fs, sqfs_inode *inode, struct stat *st);

#define UD_SQFUSE_FUSE_FUNCTIONS(X)                                                                \
	X(fuse_session_new)                                                                        \
	X(fuse_session_mount)                                                                      \
	X(fuse_session_loop)                                                                       \
	X(fuse_session_fd)                                                                         \
	X(fuse_session_receive_buf)                                                                \
	X(fuse_session_process_buf)                                                                \
	X(fuse_session_exited)                                                                     \
	X(fuse_session_destroy)                                                                    \
	X(fuse_reply_err)                                                                          \
	X(fuse_reply_entry)                                                                        \
	X(fuse_reply_attr)                                                                         \
	X(fuse_req_userdata)                                                                       \
	X(fuse_reply_buf)                                                                          \
	X(fuse_add_direntry)                                                                       \
	X(fuse_add_direntry_plus)

#define UD_SQFUSE_SQFS_FUNCTIONS(X)                                                                \
	X(sqfs_init)                                                                               \
	X(sqfs_destroy)                                                                            \
	X(sqfs_cache_destroy)                                                                      \
	X(sqfs_block_cache_init)                                                                   \
	X(sqfs_ll_init)                                                                            \
	X(sqfs_ll_iget)                                                                            \
	X(sqfs_dentry_init)                                                                        \
	X(sqfs_dentry_inode)                                                                       \
	X(sqfs_dir_lookup)                                                                         \
	X(sqfs_inode_get)                                                                          \
	X(sqfs_stat)                                                                               \
	X(sqfs_ll_op_readlink)                                                                     \
	X(sqfs_ll_op_listxattr)                                                                    \
	X(sqfs_ll_op_getxattr)                                                                     \
	X(sqfs_ll_op_forget)                                                                       \
	X(stfs_ll_op_statfs)                                                                       \
	X(sqfs_read_range)                                                                         \
	X(sqfs_dir_open)                                                                           \
	X(sqfs_dir_next)                                                                           \
	X(sqfs_dentry_name)                                                                        \
	X(sqfs_dentry_mode)                                                                        \
	X(sqfs_dentry_next_offset)

struct ud_sqfuse_api {
#define UD_SQFUSE_FIELD(name) __typeof__(name) *p_##name;
	UD_SQFUSE_FUSE_FUNCTIONS(UD_SQFUSE_FIELD)
	UD_SQFUSE_SQFS_FUNCTIONS(UD_SQFUSE_FIELD)
#undef UD_SQFUSE_FIELD
};
extern struct ud_sqfuse_api ud_sqfuse;

/* Loads libfuse3 and libsquashfuse_ll once; -1 and *err (naming the
 * Debian packages that provide them) when they cannot be loaded. */
int ud_sqfuse_load(struct ud_error **err);

#define fuse_session_new ud_sqfuse.p_fuse_session_new
#define fuse_session_mount ud_sqfuse.p_fuse_session_mount
#define fuse_session_loop ud_sqfuse.p_fuse_session_loop
#define fuse_session_fd ud_sqfuse.p_fuse_session_fd
#define fuse_session_receive_buf ud_sqfuse.p_fuse_session_receive_buf
#define fuse_session_process_buf ud_sqfuse.p_fuse_session_process_buf
#define fuse_session_exited ud_sqfuse.p_fuse_session_exited
#define fuse_session_destroy ud_sqfuse.p_fuse_session_destroy
#define fuse_reply_err ud_sqfuse.p_fuse_reply_err
#define fuse_reply_entry ud_sqfuse.p_fuse_reply_entry
#define fuse_reply_attr ud_sqfuse.p_fuse_reply_attr
#define fuse_req_userdata ud_sqfuse.p_fuse_req_userdata
#define fuse_reply_buf ud_sqfuse.p_fuse_reply_buf
#define fuse_add_direntry ud_sqfuse.p_fuse_add_direntry
#define fuse_add_direntry_plus ud_sqfuse.p_fuse_add_direntry_plus
#define sqfs_read_range ud_sqfuse.p_sqfs_read_range
#define sqfs_dir_open ud_sqfuse.p_sqfs_dir_open
#define sqfs_dir_next ud_sqfuse.p_sqfs_dir_next
#define sqfs_dentry_name ud_sqfuse.p_sqfs_dentry_name
#define sqfs_dentry_mode ud_sqfuse.p_sqfs_dentry_mode
#define sqfs_dentry_next_offset ud_sqfuse.p_sqfs_dentry_next_offset
#define sqfs_init ud_sqfuse.p_sqfs_init
#define sqfs_destroy ud_sqfuse.p_sqfs_destroy
#define sqfs_cache_destroy ud_sqfuse.p_sqfs_cache_destroy
#define sqfs_block_cache_init ud_sqfuse.p_sqfs_block_cache_init
#define sqfs_ll_init ud_sqfuse.p_sqfs_ll_init
#define sqfs_ll_iget ud_sqfuse.p_sqfs_ll_iget
#define sqfs_dentry_init ud_sqfuse.p_sqfs_dentry_init
#define sqfs_dentry_inode ud_sqfuse.p_sqfs_dentry_inode
#define sqfs_dir_lookup ud_sqfuse.p_sqfs_dir_lookup
#define sqfs_inode_get ud_sqfuse.p_sqfs_inode_get
#define sqfs_stat ud_sqfuse.p_sqfs_stat
#define sqfs_ll_op_readlink ud_sqfuse.p_sqfs_ll_op_readlink
#define sqfs_ll_op_listxattr ud_sqfuse.p_sqfs_ll_op_listxattr
#define sqfs_ll_op_getxattr ud_sqfuse.p_sqfs_ll_op_getxattr
#define sqfs_ll_op_forget ud_sqfuse.p_sqfs_ll_op_forget
#define stfs_ll_op_statfs ud_sqfuse.p_stfs_ll_op_statfs

/* ---- shared by squashfuse.c (a run's own mount) and squashd.c (the
 * shared mount) */

/* The image file checked, opened (*fd, the caller's to close) and read by
 * libsquashfuse; NULL with *err. ud_squash_close_ll frees it. */
sqfs_ll *ud_squash_open_ll(const char *image, int *fd, struct ud_error **err);
void ud_squash_close_ll(sqfs_ll *ll);
/* A session serving ll on the /dev/fuse fd of a mount made already, every
 * file owned by uid:gid as the mount's user namespace sees them; NULL when
 * libfuse refuses. One per process. */
struct fuse_session *ud_squash_session(sqfs_ll *ll, int fuse_fd, uid_t uid, gid_t gid);
/* Closes every fd from `from` on but the n in keep (each >= from, or < 0
 * for none); keep is sorted in place. */
void ud_squash_close_others(int from, int *keep, size_t n);
/* In a server forked from udocker: a session of its own named name,
 * default signals, /dev/null for stdio, every fd closed but keep's. */
void ud_squash_detach(const char *name, int *keep, size_t n);
/* In a forked child: the first failure written on fd, then _exit(1). */
void __attribute__((noreturn, format(printf, 2, 3))) ud_squash_fail(int fd, const char *fmt, ...);
/* In a forked child: new user and mount namespaces where the caller is
 * uid:gid (setgroups denied); failures through ud_squash_fail(fd). */
void ud_squash_userns(int fd, uid_t uid, gid_t gid);
/* What a forked child reported on fd until it closed it, into msg (at
 * most size - 1 bytes, NUL-terminated); its length. */
size_t ud_squash_read_report(int fd, char *msg, size_t size);
/* One message of len bytes on a SOCK_SEQPACKET socket with n fds
 * (SCM_RIGHTS); -1 with errno when it is not sent whole. */
int ud_squash_sendmsg(int sock, const void *data, size_t len, const int *fds, size_t n);
/* One message into data (at most len bytes, its length returned; 0 at the
 * end), its fds (close-on-exec) into fds (at most max, *n of them: the
 * rest closed); -1 with errno. */
ssize_t ud_squash_recvmsg(int sock, void *data, size_t len, int *fds, size_t max, size_t *n);

#endif
