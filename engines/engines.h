/* engines: execution engines behind one interface, and host probing. */
#ifndef UD_ENGINES_H
#define UD_ENGINES_H

#include "common/common.h"

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
/* The first of names (relative to the directory of this binary) that
 * access(amode) accepts, allocated; NULL when none. */
char *ud_engines_beside_self(const char *const *names, int amode);

struct ud_bind {
	char *host, *path; /* host path, absolute container path */
	bool readonly;
};

/* What to run and how: everything resolved (paths, user, environment). */
struct ud_run_request {
	const char *root; /* container root on the host */
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
	char *tmpdir;	   /* generated files (passwd, group), removed on release */
	char *mountpoints; /* records of mountpoints created in root (setup --purge) */
};

/* Every mode udocker names, built or not, for reports (doctor). */
extern const char *const ud_engine_all_modes[];
/* For execmode auto: the fastest mode that can run here (allocated), for
 * the container at root when known (NULL: any container); NULL with *why
 * when none can. */
char *ud_engine_pick(const char *root, char **why);

/* Runs the request in engine mode `mode` ("N1"); waits for it. *status is
 * the exit status (128+N for death by signal N). Returns -1 with *err when
 * the run could not be prepared (the caller exits 2); the command's own
 * failure is not an error. */
int ud_engine_run(const char *mode, const struct ud_run_request *req, int *status,
		  struct ud_error **err);
/* Prepares the container at root for `mode` coming from `old` (NULL:
 * N1): the F modes convert absolute symlinks and patch the loader (F2),
 * and undo that when left (reference §5.2). */
int ud_engine_setup(const char *root, const char *old, const char *mode, struct ud_error **err);

/* setup --nvidia: copies the host's NVIDIA libraries and tools into the
 * container at root (engines/nvidia.c says where it looks); -1 with *err,
 * nothing copied, when they are missing, exist already (unless force) or
 * need a newer glibc than the container's. */
int ud_engine_nvidia_setup(const char *root, bool force, struct ud_error **err);
bool ud_engine_nvidia_mode(const char *root);
/* The glibc version of the container at root as MAJOR*1000+MINOR (from
 * the versions its libc.so.6 defines); 0 when it has none. */
unsigned ud_engine_container_glibc(const char *root);
/* Can the F modes run the container (a dynamically linked glibc one)? */
bool ud_engine_f_can_run(const char *root);

/* The lock serialising changes to the container at root (setup, and the
 * F modes' fixes when it moved): .setup.lock beside ROOT. */
int ud_engine_setup_lock(const char *root, struct ud_lock *lock, struct ud_error **err);

/* Modes this build can run; and whether `mode` is one. */
extern const char *const ud_engine_modes[];
bool ud_engine_available(const char *mode, char **why);

/* For engines that start an external runtime: is cmd in the container
 * (a path in root, or a name found in the PATH of env)? Lets them report
 * "command not found" (exit 2) themselves before the runtime runs. */
bool ud_engine_command_in_root(const char *root, char **env, const char *cmd);

/* Creates the mount point of a volume at `path` in the container root
 * open at root_fd (a directory, or an empty file), resolved in the root
 * (ud_root_open_parent: an image's symlink on the way, or at the end,
 * leads somewhere inside it, never out), and records it in the directory
 * `records` as udocker does (setup --purge removes them). With fd_out, an
 * O_PATH fd of the mount point (caller closes) to mount on. */
int ud_engine_make_mountpoint(int root_fd, const char *path, bool is_dir, const char *records,
			      int *fd_out, struct ud_error **err);

/* Creates the mount point of every volume of r in its root, as N1 does
 * (ud_engine_make_mountpoint); "invalid host volume path" when one is
 * missing. */
int ud_engine_make_mountpoints(const struct ud_run_request *r, struct ud_error **err);

/* The tracer program (tracer/) of P1/P2 and R2/R3: its path beside this
 * binary (NULL with *why when missing), and its command line for a request
 * in `mode` (P1, P2, R2, R3). With r->root NULL it runs in the current
 * root (inside an R container) and gets no binds. status_fd < 0: the
 * tracer reports its checks on standard error. */
char *ud_engine_tracer_path(char **why);
char **ud_engine_tracer_argv(const char *tracer, const char *mode, const struct ud_run_request *r,
			     int status_fd);

#endif
