/* common: errors, allocation, cleanup helpers, strings, paths, files,
 * atomic writes, locks, safe tree removal, digests, logging hook.
 *
 * Everything here is usable by every other module. Nothing here prints
 * directly: log messages go through a handler the CLI installs. */
#ifndef UD_COMMON_H
#define UD_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

/* ---------------------------------------------------------------- errors */

enum ud_error_code {
	UD_ERR_GENERIC = 1, /* anything not listed below */
	UD_ERR_USAGE,	    /* bad command line or bad input value */
	UD_ERR_INVALID,	    /* malformed data (spec, JSON, reference) */
	UD_ERR_NOT_FOUND,   /* image, tag, container, file does not exist */
	UD_ERR_EXISTS,	    /* target already exists */
	UD_ERR_IO,	    /* filesystem error (errno kept in ud_error.sys) */
	UD_ERR_NETWORK,	    /* connection, timeout, TLS, protocol */
	UD_ERR_HTTP,	    /* registry answered with an error status */
	UD_ERR_AUTH,	    /* authentication or authorization refused */
	UD_ERR_DIGEST,	    /* content does not match its digest or size */
	UD_ERR_LOCKED,	    /* lock not obtained in time */
	UD_ERR_PROTECTED,   /* image or container is protected */
	UD_ERR_UNSUPPORTED, /* valid request this build or host cannot do */
};

/* An error value. Library code returns -1 (or NULL) and fills a
 * `struct ud_error **`; callers add context with ud_error_prefix(). */
struct ud_error {
	enum ud_error_code code;
	int sys;   /* errno when the cause was a system call, else 0 */
	int http;  /* HTTP status when code is UD_ERR_HTTP/AUTH, else 0 */
	char *msg; /* lower case, no trailing period */
};

/* Sets *err (when err and *err is NULL) to a new error; always returns -1
 * so it can be used as `return ud_error_set(err, ...)`. If *err is already
 * set the new message is dropped: the first cause wins. */
int ud_error_set(struct ud_error **err, enum ud_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like ud_error_set() and appends ": strerror(errnum)"; code UD_ERR_IO. */
int ud_error_sys(struct ud_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepends "<context>: " to an existing error message; returns -1. */
int ud_error_prefix(struct ud_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ud_error_free(struct ud_error *err);
/* Frees *err and sets it to NULL. */
void ud_error_clear(struct ud_error **err);

/* ------------------------------------------------------------ allocation */

/* All of these abort the process on allocation failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Makes room for element n of the array p, which holds n elements and is
 * grown only by this macro (or shrunk): its capacity doubles at each power
 * of two, so appending n elements copies O(n) of them, not O(n^2). */
#define ud_array_grow(p, n) ((p) = ud_array_grow_((p), (n), sizeof(*(p))))
void *ud_array_grow_(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* -------------------------------------------------------------- cleanup */

void ud_freep(void *p);
void ud_closep(int *fd);
void ud_fclosep(FILE **f);
void ud_strv_freep(char ***v);
void ud_error_freep(struct ud_error **e);

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(ud_freep)
#define _cleanup_close_ _cleanup_(ud_closep)
#define _cleanup_fclose_ _cleanup_(ud_fclosep)
#define _cleanup_strv_ _cleanup_(ud_strv_freep)
#define _cleanup_error_ _cleanup_(ud_error_freep)
/* For modules that include <jansson.h> (it provides json_decrefp). */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Hands ownership on: returns *pp and sets *pp to NULL. */
#define steal_pointer(pp)                                                                          \
	({                                                                                         \
		__typeof__(*(pp)) _ptr_ = *(pp);                                                   \
		*(pp) = NULL;                                                                      \
		_ptr_;                                                                             \
	})
/* Hands on a file descriptor: returns *fdp and sets it to -1. */
#define steal_fd(fdp)                                                                              \
	({                                                                                         \
		int _fd_ = *(fdp);                                                                 \
		*(fdp) = -1;                                                                       \
		_fd_;                                                                              \
	})

#define UD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------- strings */

bool ud_str_has_prefix(const char *s, const char *prefix);
bool ud_str_has_suffix(const char *s, const char *suffix);
bool ud_str_eq(const char *a, const char *b); /* NULL-safe */

/* NULL-terminated string vectors, owned with all their strings. */
size_t ud_strv_len(char *const *v);
void ud_strv_push(char ***v, char *s); /* takes ownership of s */
char **ud_strv_dup(char *const *v);
void ud_strv_free(char **v);
bool ud_strv_contains(char *const *v, const char *s);

/* A growable byte buffer; data is always NUL terminated. */
struct ud_buf {
	char *data;
	size_t len;
	size_t cap;
};
void ud_buf_append(struct ud_buf *b, const void *data, size_t n);
void ud_buf_puts(struct ud_buf *b, const char *s);
void ud_buf_printf(struct ud_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the data (caller frees) and resets the buffer. */
char *ud_buf_steal(struct ud_buf *b);
void ud_buf_release(struct ud_buf *b);

/* A copy of the first max bytes of s (max 0: all of it) that is safe to
 * print: control characters, DEL and bytes that are not valid UTF-8 become
 * \n, \t, \r, \\ or \xNN, so text from a registry, an archive or an image
 * cannot move the cursor, clear the screen or forge a line of output. A
 * longer string ends in "...". Caller frees. NULL gives "". */
char *ud_str_escape(const char *s, size_t max);

/* Levenshtein distance, for "did you mean" suggestions. */
size_t ud_str_distance(const char *a, const char *b);

/* --------------------------------------------------------------- paths */

/* Returns a newly allocated "a/b" (no doubled slash). */
char *ud_path_join(const char *a, const char *b);
/* The absolute path with "//", "." and trailing '/' removed and each ".."
 * taking off the component before it, without looking at the filesystem
 * ("/data//x/./" -> "/data/x"). NULL when path is relative or a ".."
 * climbs above "/". Caller frees. */
char *ud_path_normalize(const char *path);
/* Creates dir and its parents with mode; existing dirs are fine. */
int ud_mkdir_p(const char *path, mode_t mode, struct ud_error **err);
bool ud_is_dir(const char *path);
bool ud_is_file(const char *path);     /* regular file, following symlinks */
bool ud_path_exists(const char *path); /* lstat succeeds */

/* --------------------------------------------------------------- files */

/* Reads a whole file; returns a NUL-terminated buffer the caller frees and
 * its length in *len (may be NULL). NULL on error. */
char *ud_read_file(const char *path, size_t *len, struct ud_error **err);
/* The cap on a file the user names (job spec, env file, lock file,
 * configuration file). */
#define UD_USER_FILE_MAX_BYTES (1024 * 1024)
/* Reads a small file the user named (job spec, env file, lock file,
 * configuration): refused before reading unless it is a regular file of at
 * most max bytes (a directory, FIFO or device is an error, a FIFO is opened
 * without waiting for a writer). NUL-terminated, caller frees; *len may be
 * NULL. Code UD_ERR_NOT_FOUND when it does not exist. */
char *ud_read_small_file(const char *path, size_t max, size_t *len, struct ud_error **err);
/* Reads at most max bytes from fd (e.g. stdin, named name in messages);
 * more is an error, found after reading max + 1 bytes. */
char *ud_read_small_fd(int fd, const char *name, size_t max, size_t *len, struct ud_error **err);
/* Writes data to path atomically: temporary file in the same directory,
 * fsync, rename over path, fsync of the directory. Readers see either the
 * old or the new content, never a part. */
int ud_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct ud_error **err);
/* Creates or replaces a symlink atomically (temporary link + rename). */
int ud_symlink_atomic(const char *target, const char *linkpath, struct ud_error **err);
/* Writes all of buf, retrying on EINTR and short writes. */
int ud_write_all(int fd, const void *buf, size_t len);
/* fsyncs the directory containing path. */
int ud_fsync_parent(const char *path, struct ud_error **err);
/* Creates a temporary file "<dir>/.<prefix>.XXXXXX" opened O_RDWR|O_CLOEXEC;
 * returns the fd and the path in *path_out (caller frees). */
int ud_mkstemp_in(const char *dir, const char *prefix, char **path_out, struct ud_error **err);
/* Makes a fresh temporary directory under tmpdir ("udocker-<pid>-<purpose>-XXXXXX"). */
char *ud_mkdtemp(const char *tmpdir, const char *purpose, struct ud_error **err);
/* Removes a tree without following symlinks, making directories writable
 * as needed. Missing path is success. Refuses "/" and paths with fewer
 * than two components. */
int ud_rmtree(const char *path, struct ud_error **err);
/* Opens a file the store keeps (a lock, a partial download) with flags |
 * O_NOFOLLOW | O_CLOEXEC: a symlink there (planted to make udocker write
 * elsewhere) or anything but a regular file is refused with an error
 * naming what and path. Returns the fd, or -1 and *err. */
int ud_open_store_file(const char *path, int flags, mode_t mode, const char *what,
		       struct ud_error **err);
/* Copies a regular file (data only) to dst atomically. */
int ud_copy_file(const char *src, const char *dst, mode_t mode, struct ud_error **err);

/* ------------------------------------------------ inside a container root */

/* Everything udocker creates inside a container root goes through these:
 * path is resolved as if root_fd (a directory fd of ROOT) were "/", so no
 * symlink of the image leads out of it. An absolute symlink starts again
 * at the root, ".." stops there, a link to ROOT's own host path (the F
 * modes write them) means the path below it. openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) where the kernel has it, else a walk that opens
 * each component with O_NOFOLLOW and follows links itself. Errors name
 * the container path. */

/* Opens path as openat() would (O_CLOEXEC added; O_NOFOLLOW: a symlink at
 * the end is not followed, ELOOP). Returns the fd or -1. */
int ud_root_open(int root_fd, const char *path, int flags, mode_t mode, struct ud_error **err);
/* Opens path for reading when it is a regular file (a FIFO, device or
 * directory there is refused at once, never waited on). Returns the fd
 * or -1. */
int ud_root_open_regular(int root_fd, const char *path, struct ud_error **err);
/* The regular file at path, at most max bytes (more is an error), NUL
 * terminated and its length in *len; allocated, NULL on error (code
 * UD_ERR_NOT_FOUND when it is missing). */
char *ud_root_read_file(int root_fd, const char *path, size_t max, size_t *len,
			struct ud_error **err);
/* Creates the directory path and its missing parents (mode); returns an
 * O_PATH fd of it (caller closes) or -1. */
int ud_root_mkdir_p(int root_fd, const char *path, mode_t mode, struct ud_error **err);
/* An O_PATH fd of the directory holding path's last component, created
 * when create, and that component in *name (caller frees). With follow a
 * symlink at the end is resolved on in the root and *name is where it
 * leads. Refuses a path ending in "", "." or "..". */
int ud_root_open_parent(int root_fd, const char *path, bool follow, bool create, char **name,
			struct ud_error **err);
/* The absolute path, without symlinks, inside the root that path leads
 * to (it must exist); allocated, NULL on error. */
char *ud_root_resolve(int root_fd, const char *path, struct ud_error **err);
/* Replaces the file at path (a symlink there resolved in the root; parent
 * directories created) atomically with data / with a copy of the host
 * file src. */
int ud_root_write_file(int root_fd, const char *path, const void *data, size_t len, mode_t mode,
		       struct ud_error **err);
int ud_root_copy_file(int root_fd, const char *src, const char *path, mode_t mode,
		      struct ud_error **err);
/* Tests: false makes the helpers walk as on a kernel without openat2. */
void ud_root_use_openat2(bool on);

/* --------------------------------------------------------------- locks */

/* An exclusive lock on a lock file, safe between processes on one host and
 * across NFS (POSIX record locks; open file description locks where the
 * kernel has them). The lock file records who holds it ("pid@host since
 * time, what") so a waiter can say who it waits for. */
struct ud_lock {
	int fd;
	char *path;
	bool shared;
};
/* Waits at most timeout_ms (0: try once; <0: forever) for the lock.
 * On timeout the error is UD_ERR_LOCKED and names the holder. `what`
 * describes the holder's work for others' messages. */
int ud_lock_acquire(struct ud_lock *lock, const char *path, const char *what, long timeout_ms,
		    struct ud_error **err);
/* Like ud_lock_acquire(); shared locks may be held by many at once and
 * exclude only exclusive holders. */
int ud_lock_acquire_mode(struct ud_lock *lock, const char *path, const char *what, long timeout_ms,
			 bool shared, struct ud_error **err);
void ud_lock_release(struct ud_lock *lock);
void ud_lock_releasep(struct ud_lock *lock);
#define _cleanup_lock_ _cleanup_(ud_lock_releasep)
/* Default lock wait in ms: UDOCKER_LOCK_TIMEOUT (seconds) or 600 s. */
long ud_lock_default_timeout_ms(void);

/* -------------------------------------------------------------- digests */

#define UD_SHA256_HEX_LEN 64
struct ud_sha256;
struct ud_sha256 *ud_sha256_new(void);
void ud_sha256_update(struct ud_sha256 *ctx, const void *data, size_t len);
/* Writes 64 hex chars + NUL into hex; resets nothing (ctx still usable for free). */
void ud_sha256_final_hex(struct ud_sha256 *ctx, char hex[UD_SHA256_HEX_LEN + 1]);
void ud_sha256_free(struct ud_sha256 *ctx);
struct ud_sha256 *ud_sha256_dup(const struct ud_sha256 *ctx);
/* Hashes a buffer / a file (first max bytes; max < 0 for all). */
void ud_sha256_hex(const void *data, size_t len, char hex[UD_SHA256_HEX_LEN + 1]);
int ud_sha256_file(const char *path, char hex[UD_SHA256_HEX_LEN + 1], struct ud_error **err);
int ud_sha256_fd(int fd, off_t max, struct ud_sha256 *ctx, struct ud_error **err);
/* True for "sha256:<64 lower hex>". */
bool ud_digest_valid(const char *digest);

/* ------------------------------------------------------------- logging */

enum ud_log_level {
	UD_LOG_ERROR = 0,
	UD_LOG_MSG = 1,
	UD_LOG_WARN = 2,
	UD_LOG_INFO = 3,
	UD_LOG_VERBOSE = 4,
	UD_LOG_DEBUG = 5,
};
typedef void (*ud_log_handler)(enum ud_log_level level, const char *msg, void *data);
/* The CLI installs the handler; library code only calls ud_log(). */
void ud_log_set_handler(ud_log_handler handler, void *data);
void ud_log_set_level(enum ud_log_level level);
enum ud_log_level ud_log_get_level(void);
void ud_log(enum ud_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define ud_debug(...) ud_log(UD_LOG_DEBUG, __VA_ARGS__)

/* ---------------------------------------------------------------- misc */

/* Random lower-hex string of n chars (n <= 128) into out (n+1 bytes). */
void ud_random_hex(char *out, size_t n);
/* Random version-4 UUID text (36 chars + NUL). */
void ud_uuid(char out[37]);
/* Monotonic milliseconds. */
int64_t ud_now_ms(void);
/* Host's architecture in Docker's naming ("amd64", "arm64", ...). */
const char *ud_host_arch(void);
/* Host's architecture variant or NULL ("v7" for armv7, ...). */
const char *ud_host_arch_variant(void);

/* This program (common/self.c): ud_self_init, first thing in main, takes
 * the release launcher's UDOCKER_LAUNCHER out of the environment. The
 * udocker program's file (its parts are beside it), the command that starts
 * udocker again (the launcher of a release, else the program), a release's
 * top directory (NULL when not run from one). NULL when /proc is missing. */
void ud_self_init(void);
const char *ud_self_exe(void);
const char *ud_self_command(void);
const char *ud_self_release_top(void);
/* Makes title (cut to fit) what ps and pgrep -f show as this process's
 * command line in place of the arguments it was started with: a process
 * forked to live on (the image file's holder) no longer looks like the
 * command that started it. */
void ud_self_retitle(const char *title);

#endif
