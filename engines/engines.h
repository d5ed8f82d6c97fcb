/* engines: execution engines behind one interface, and host probing. */
#ifndef UD_ENGINES_H
#define UD_ENGINES_H

#include "common/common.h"
#include "spec/execmode.h"

#include <limits.h>

struct ud_host_probe {
	bool userns;	  /* an unprivileged user namespace can be created */
	char *userns_why; /* reason when not */
	bool ptrace;	  /* ptrace of own children is allowed (yama scope < 3) */
	char *ptrace_why;
	bool seccomp;	       /* the kernel supports seccomp filters */
	bool seccomp_listener; /* ... and user notification (P1's fast lane) */
	char *tools[8];	       /* found external tools: absolute paths, NULL-terminated */
};

/* Probes this host. Never fails: facilities that cannot be checked are
 * reported absent with a reason. Release with ud_host_probe_release(). */
void ud_engines_probe_host(struct ud_host_probe *p);
void ud_host_probe_release(struct ud_host_probe *p);
/* Finds an executable on PATH; returns an allocated path or NULL. */
char *ud_engines_which(const char *name);
/* An external tool: the one the variable env_name names (a path, or a
 * name on PATH) unless it is empty or "UDOCKER", else the first of names
 * (NULL-terminated, may be NULL) on PATH. NULL with *why: the variable's
 * value is not a program, or `missing`. */
char *ud_engines_tool(const char *env_name, const char *const *names, const char *missing,
		      char **why);
/* What find() finds (allocated), or NULL with an UD_ERR_UNSUPPORTED error
 * giving its reason, after "MODE: " when mode is one (not
 * UD_EXECMODE_COUNT). */
char *ud_engines_need(char *(*find)(char **why), enum ud_execmode mode, struct ud_error **err);
/* The first of names (relative to the directory of this binary) that
 * access(amode) accepts, allocated; NULL when none. */
char *ud_engines_beside_self(const char *const *names, int amode);

struct ud_bind {
	char *host, *path; /* host path, absolute container path */
	bool readonly;
};

/* A container as the engines get it from the store: its directory
 * (containers/<id>, where udocker keeps its files about the container:
 * root.path, ld.so.orig, .patch.orig/, the nvidia marker, .setup.lock)
 * and its root filesystem. Engines never derive one from the other. */
struct ud_engine_container {
	const char *dir;
	const char *root;
	bool image_backed; /* rootfs squash: root is an empty mount point */
};

/* What to run and how: everything resolved (paths, user, environment). */
struct ud_run_request {
	const char *root; /* container root on the host */
	const char *dir;  /* the container's directory (ud_engine_container); run
			   * --location (N1 only): the location itself */
	char **argv;	  /* argv[0] as given; searched in PATH of env when it has no '/' */
	char **env;	  /* NAME=VALUE, complete */
	const char *workdir;
	uid_t uid; /* identity inside the container */
	gid_t gid;
	struct ud_bind *binds; /* volumes and system files, applied in order */
	size_t n_binds;
	const char *hostname;		  /* NULL: the host's */
	const char *kernel;		  /* P modes: the kernel release uname reports, or NULL */
	const unsigned short (*ports)[2]; /* P modes: {container, host} port pairs for bind */
	size_t n_ports;
	/* Image-backed containers (rootfs squash): root is only a mount
	 * point; the tree is the SquashFS image_file with an overlay whose
	 * upper layer is upper (work: the overlay's work directory beside
	 * it), or memory for this run when upper is NULL. NULL image_file: a
	 * directory container, the tree is root. */
	const char *image_file;
	const char *upper, *work;
	char *tmpdir;	   /* generated files (passwd, group), removed on release */
	char *mountpoints; /* records of mountpoints created in root (setup --purge) */
};

/* Every mode's name, in the enum's order, NULL-terminated (reports,
 * validation of names). */
extern const char *const ud_engine_all_modes[];
/* For execmode auto: the fastest mode that can run here, for the
 * container c when known (NULL: any container); -1 with *why (allocated)
 * when none can. */
int ud_engine_pick(const struct ud_engine_container *c, char **why);
/* ud_engine_pick from the host probe p made by the caller (NULL: probe
 * now); with p, no probe is run. */
int ud_engine_pick_probed(const struct ud_engine_container *c, const struct ud_host_probe *p,
			  char **why);

/* Runs the request in mode `mode`; waits for it. *status is the exit
 * status (128+N for death by signal N). Returns -1 with *err when the run
 * could not be prepared (the caller exits 2), UD_EXECMODE_COUNT included
 * (a store's execmode file naming no mode); the command's own failure is
 * not an error. */
int ud_engine_run(enum ud_execmode mode, const struct ud_run_request *req, int *status,
		  struct ud_error **err);
/* Prepares the container c for `mode` coming from `old` (UD_EXECMODE_COUNT:
 * unknown, nothing to undo): the F modes convert absolute symlinks and
 * patch the loader (F2), and undo that when left (reference §5.2). */
int ud_engine_setup(const struct ud_engine_container *c, enum ud_execmode old,
		    enum ud_execmode mode, struct ud_error **err);

/* setup --nvidia: copies the host's NVIDIA libraries and tools into the
 * container c (engines/nvidia.c says where it looks) and leaves the marker
 * `nvidia` in its directory; -1 with *err, nothing copied, when they are
 * missing, exist already (unless force) or need a newer glibc than the
 * container's. */
int ud_engine_nvidia_setup(const struct ud_engine_container *c, bool force, struct ud_error **err);
/* Whether setup --nvidia was done for the container c (its marker). */
bool ud_engine_nvidia_mode(const struct ud_engine_container *c);
/* The glibc version of the container at root as MAJOR*1000+MINOR (from
 * the versions its libc.so.6 defines); 0 when it has none. */
unsigned ud_engine_container_glibc(const char *root);
/* Can the F modes run the container (a dynamically linked glibc one)? */
bool ud_engine_f_can_run(const char *root);

/* The lock serialising changes to the container c (setup, and the F
 * modes' fixes when it moved): .setup.lock in its directory. */
int ud_engine_setup_lock(const struct ud_engine_container *c, struct ud_lock *lock,
			 struct ud_error **err);

/* Whether this host can run `mode`; why not in *why (allocated). */
bool ud_engine_available(enum ud_execmode mode, char **why);
/* The same from the host probe p made by the caller (NULL: probe now). */
bool ud_engine_available_probed(enum ud_execmode mode, const struct ud_host_probe *p, char **why);

/* Creates the mount point of a volume at `path` in the container root
 * open at root_fd (a directory, or an empty file), resolved in the root
 * (ud_root_open_parent: an image's symlink on the way, or at the end,
 * leads somewhere inside it, never out), and records it in the directory
 * `records` as udocker does (setup --purge removes them). With fd_out, an
 * O_PATH fd of the mount point (caller closes) to mount on. */
int ud_engine_make_mountpoint(int root_fd, const char *path, bool is_dir, const char *records,
			      int *fd_out, struct ud_error **err);

/* ---- prepare.c: what every mode checks and makes before it runs */

enum ud_prepare_what {
	UD_PREPARE_MOUNTPOINTS = 1 << 0, /* make each volume's mount point */
	UD_PREPARE_WORKDIR = 1 << 1,	 /* the working directory is a directory, made if missing */
	UD_PREPARE_COMMAND = 1 << 2,	 /* argv[0] is found (PATH of r->env) */
};

/* Checks that every volume's host path exists ("invalid host volume
 * path"), then what `what` asks, in this order: mount points
 * (ud_engine_make_mountpoint, recorded in r->mountpoints), the working
 * directory (made when missing, as Docker does: in its volume, never a
 * read-only one, or in the root; "invalid working directory" when it is
 * not a directory or cannot be made), the command ("command not
 * found"; its container path in *exe when exe is not NULL, caller frees).
 * Container paths in a volume are looked at on the host, others resolved
 * in the root. -1 with *err (UD_ERR_USAGE: the caller exits 2). */
int ud_engine_prepare(const struct ud_run_request *r, unsigned what, char **exe,
		      struct ud_error **err);
/* Where the container path guest is on the host: under the volume whose
 * path is guest or its longest parent directory (/data2 is not in a /data
 * volume), else under the root (links not followed); allocated. */
char *ud_engine_host_path(const struct ud_run_request *r, const char *guest);
/* The container path of the command name: name itself when it has a '/',
 * else the first executable regular file in the PATH of r->env; NULL when
 * none. Allocated. */
char *ud_engine_find_command(const struct ud_run_request *r, const char *name);

/* The tracer program (tracer/) of P1/P2 and R2/R3: its path beside this
 * binary (NULL with *why when missing), and its command line for a request
 * in `mode` (P1, P2, R2, R3). With r->root NULL it runs in the current
 * root (inside an R container) and gets no binds. status_fd < 0: the
 * tracer reports its checks on standard error. */
char *ud_engine_tracer_path(char **why);
char **ud_engine_tracer_argv(const char *tracer, enum ud_execmode mode,
			     const struct ud_run_request *r, int status_fd);

/* ---- each engine's entry points, in the table of engines/engine.c */

int ud_engine_n1_run(const struct ud_run_request *r, int *status, struct ud_error **err);
/* Mounts the image-backed container of r (image_file, upper, work, root,
 * uid, gid) as a run would, in a child's own namespaces, and calls
 * visit(root, data) there on the tree instead of running anything (export
 * reads it so); -1 with *err when it could not be mounted or visit
 * failed (what it writes to stderr is its report). */
int ud_engine_n1_visit(const struct ud_run_request *r, int (*visit)(const char *root, void *data),
		       void *data, struct ud_error **err);
int ud_engine_ptrace_run(enum ud_execmode mode, const struct ud_run_request *r, int *status,
			 struct ud_error **err);
int ud_engine_proot_run(enum ud_execmode mode, const struct ud_run_request *r, int *status,
			struct ud_error **err);
char *ud_engine_proot_path(char **why);
/* F1-F4; setup from mode old (-1: none) to mode, which may be outside
 * F1-F4 (leaving them: undone). */
int ud_engine_f_run(enum ud_execmode mode, const struct ud_run_request *r, int *status,
		    struct ud_error **err);
int ud_engine_f_setup(const struct ud_engine_container *c, int old, enum ud_execmode mode,
		      struct ud_error **err);
char *ud_engine_fakechroot_lib(char **why);
char *ud_engine_patchelf(char **why);
/* F3/F4 (fpatch.c): the container's programs patched for where it is now,
 * and back. */
int ud_engine_f_patch(const struct ud_engine_container *c, struct ud_error **err);
int ud_engine_f_unpatch(const struct ud_engine_container *c, struct ud_error **err);
int ud_engine_r1_run(enum ud_execmode mode, const struct ud_run_request *r, int *status,
		     struct ud_error **err);
char *ud_engine_r1_runtime(char **why);
int ud_engine_s1_run(const struct ud_run_request *r, int *status, struct ud_error **err);
char *ud_engine_s1_tool(char **why);

/* ---- squashfuse.c: the FUSE server of image-backed containers (N1) */

struct ud_squash_server {
	pid_t pid; /* -1: none */
	int sock;  /* the container child's end: ud_squash_send_fd */
	int hold;  /* set by the caller: an fd the server keeps open as long as
		    * it lives, i.e. as long as the mount (-1: none) */
};

/* Checks the image file image (a regular file, not a link, whose SquashFS
 * super block and tables libsquashfuse reads) and forks the server that
 * serves it, every file owned by uid:gid (the container's ids), once the
 * container's child sends it the /dev/fuse fd of its mount on s->sock. -1
 * with *err naming the cause and the fix (the libraries missing, the image
 * file missing or corrupt), nothing started. */
int ud_squash_server_start(const char *image, uid_t uid, gid_t gid, struct ud_squash_server *s,
			   struct ud_error **err);
/* In the container's child: hands the /dev/fuse fd to the server; -1
 * when it is gone. */
int ud_squash_send_fd(int sock, int fd);
/* After the run: closes s->sock (a server still waiting for the fd ends)
 * and reaps the server, killing it when it outlives the container by
 * seconds. */
void ud_squash_server_stop(struct ud_squash_server *s);
/* Whether image-backed containers can run here (the libraries, /dev/fuse,
 * FUSE and overlayfs mounted in a throwaway user namespace); *why
 * (allocated) says why not. */
bool ud_squash_available(char **why);
/* The checks a run makes of the image file image before it mounts it (a
 * regular file, not a link; its super block and tables readable and
 * inside it); -1 with *err saying what is wrong and what to do. */
int ud_squash_check(const char *image, struct ud_error **err);

/* ---- squashd.c: one mount of an image file shared by runs */

struct ud_squash_shared {
	int sock;	      /* connection to the mount's holder, -1: none */
	int userns, mntns;    /* the holder's namespaces */
	char lower[PATH_MAX]; /* the mount, in its mount namespace */
	bool keeps;	      /* the holder keeps containers' overlays */
};

/* A kept overlay's name (DEV-INO of its upper directory) and id sizes. */
#define UD_SQUASH_OVERLAY_NAME 40
#define UD_SQUASH_OVERLAY_ID 24

/* Joins (starting it when there is none) the holder of the shared mount of
 * r's image file for this user, host, namespace and cgroup; -1 with *err
 * when there is none to be had (UDOCKER_SQUASH_LINGER=0, no private
 * directory, a relative path in r, a holder that cannot start): the run
 * then mounts the image itself. */
int ud_squash_shared_join(const struct ud_run_request *r, struct ud_squash_shared *j,
			  struct ud_error **err);
/* In the run's child: enters the holder's user and mount namespaces. */
int ud_squash_shared_enter(const struct ud_squash_shared *j);
/* In the run's child, its overlay mounted: registers its mount namespace,
 * and hold (its work directory's lock, -1: none) for the holder to keep as
 * long as a process is in that namespace. */
int ud_squash_shared_register(const struct ud_squash_shared *j, int hold);
/* In the run's child: the detached overlay the holder keeps for the
 * upper directory called name, made under id (the container's
 * .overlay.id), or -1. */
int ud_squash_shared_find(const struct ud_squash_shared *j, const char *name, const char *id);
/* Hands the holder the detached overlay mnt of name, made under id, with
 * hold (its work directory's lock) and upper (its upper directory), to
 * keep for the next runs while it lives; false when it does not. */
bool ud_squash_shared_keep(const struct ud_squash_shared *j, const char *name, const char *id,
			   int mnt, int hold, int upper);
/* Closes what join opened (the run stays registered). */
void ud_squash_shared_leave(struct ud_squash_shared *j);
/* UDOCKER_SQUASH_LINGER: how long, in seconds, a shared mount outlives its
 * last run (30; 0: no shared mounts). */
long ud_squash_linger_seconds(void);

/* ---- spawn.c: how every engine starts what it runs */

/* The signals udocker passes on to the container (a batch system's
 * walltime SIGTERM included). */
#define UD_SPAWN_N_FORWARDED 6
extern const int ud_spawn_forwarded[UD_SPAWN_N_FORWARDED];

struct ud_spawn {
	const char *path; /* the program to execve */
	char **argv, **env;
	const char *dir; /* chdir to it in the child first, or NULL */
	/* Run in the child after the signals are reset, before the exec;
	 * reports failures on status_fd (close-on-exec) and _exits; it may exec
	 * the command itself (N1, after entering the container). */
	void (*child_setup)(void *ctx, int status_fd);
	void *ctx;
	/* The program passes signals on itself (the tracer): it alone gets
	 * them, and ends its own processes. */
	bool relay;
	/* Passes signal sig on instead of udocker (the R runtimes: to the
	 * container's processes through the runtime's state); called outside
	 * any signal handler. */
	void (*on_signal)(void *ctx, pid_t pid, int sig);
};

/* Starts s and waits for it. In the child every signal disposition is the
 * default and none is blocked. Away from the terminal's foreground the
 * child leads a process group of its own: the signals of
 * ud_spawn_forwarded that udocker gets go to that group (or to the child
 * alone with relay, or to on_signal), and what is left in it when the child
 * ends is killed. On the terminal's foreground it stays in udocker's group
 * (the terminal signals it directly; others go to the child). *status is
 * the exit status, 128+N for death by signal N. -1 with *err when the
 * child reported a failure on its status pipe before its exec (the caller
 * exits 2). */
int ud_spawn_run(const struct ud_spawn *s, int *status, struct ud_error **err);
/* Is standard input a terminal whose foreground process group is ours? */
bool ud_spawn_on_foreground_tty(void);
/* Every signal disposition to the default, the signal mask empty. */
void ud_spawn_reset_signals(void);
/* Runs path with argv (stdin and stderr /dev/null) and returns its
 * standard output (at most max bytes, allocated); NULL when it cannot run
 * or exits with a status other than 0. */
char *ud_spawn_capture(const char *path, char *const argv[], size_t max);

#endif
