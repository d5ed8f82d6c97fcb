/* R1: an external OCI runtime (runc, crun) from a generated rootless
 * config.json. The bundle and the runtime's state live in a temporary
 * directory removed afterwards; stdio is inherited, so output and exit
 * status pass through with or without a terminal.
 *
 * R2 and R3 run the command under udocker-tracer inside the container
 * (bound read-only at /.udocker/bin/udocker-tracer) for root and --user
 * emulation: R2 with its seccomp filter, R3 tracing every call. */
#include "engines/engines.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

struct r1_ctx {
	char *runtime;
	const char *state, *name;
};

/* Runs `runtime --root STATE CMD [ARG] NAME`; its output (NULL: failed). */
static char *r1_runtime(const struct r1_ctx *c, const char *cmd, const char *arg, const char *arg2)
{
	char *argv[] = {c->runtime, "--root", (char *)c->state, (char *)cmd, (char *)c->name,
			NULL,	    NULL};
	if (arg) {
		argv[4] = (char *)arg;
		argv[5] = (char *)(arg2 ? arg2 : c->name);
	}
	return ud_spawn_capture(c->runtime, argv, 65536);
}

/* The runtime passes a signal to the container's init alone, which leads
 * a session of its own (a shell waiting for its command would not see it
 * before the command ends): the signal goes to init's process group.
 * Before init exists, the runtime passes it on once it starts. */
static void to_container(void *ctx, pid_t pid, int sig)
{
	_cleanup_free_ char *out = r1_runtime(ctx, "state", NULL, NULL);
	json_t *st = out ? json_loads(out, 0, NULL) : NULL;
	json_int_t init = json_integer_value(json_object_get(st, "pid"));
	json_decref(st);
	if (init <= 0 || (kill(-(pid_t)init, sig) < 0 && kill((pid_t)init, sig) < 0))
		kill(pid, sig);
}

char *ud_engine_r1_runtime(char **why);

/* The runtime to use: UDOCKER_USE_RUNC_EXECUTABLE, else runc, else crun
 * on PATH. crun 1.8 refuses hosts with hybrid cgroups, which runc
 * handles, so runc comes first. */
char *ud_engine_r1_runtime(char **why)
{
	static const char *const names[] = {"runc", "crun", NULL};
	return ud_engines_tool("UDOCKER_USE_RUNC_EXECUTABLE", names,
			       "R1 needs runc or crun on PATH (apt-get install runc)", why);
}

static json_t *mount_entry(const char *dest, const char *type, const char *source,
			   const char *const *options)
{
	json_t *opts = json_array();
	for (size_t i = 0; options[i]; i++)
		json_array_append_new(opts, json_string(options[i]));
	return json_pack("{s:s,s:s,s:s,s:o}", "destination", dest, "type", type, "source", source,
			 "options", opts);
}

#define TRACER_IN_CONTAINER "/.udocker/bin/udocker-tracer"

/* tracer: the host path of udocker-tracer for R2/R3, else NULL. */
static json_t *make_config(enum ud_execmode mode, const struct ud_run_request *r, bool tty,
			   const char *tracer)
{
	json_t *args = json_array(), *env = json_array();
	if (tracer) {
		/* The tracer runs in the container's root: no root, binds or hostname. */
		struct ud_run_request inside = *r;
		inside.root = NULL;
		inside.hostname = NULL;
		_cleanup_(ud_strv_freep) char **targv =
			ud_engine_tracer_argv(TRACER_IN_CONTAINER, mode, &inside, -1);
		for (size_t i = 0; targv[i]; i++)
			json_array_append_new(args, json_string(targv[i]));
	} else {
		for (size_t i = 0; r->argv[i]; i++)
			json_array_append_new(args, json_string(r->argv[i]));
	}
	for (size_t i = 0; r->env && r->env[i]; i++)
		json_array_append_new(env, json_string(r->env[i]));
	json_t *caps = json_pack("[s,s,s]", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
	json_t *process = json_pack(
		"{s:b,s:{s:I,s:I},s:o,s:o,s:s,s:{s:O,s:O,s:O,s:O,s:O},s:b}", "terminal", tty,
		"user", "uid", (json_int_t)0, "gid", (json_int_t)0, "args", args, "env", env, "cwd",
		r->workdir ? r->workdir : "/", "capabilities", "bounding", caps, "effective", caps,
		"inheritable", caps, "permitted", caps, "ambient", caps, "noNewPrivileges", 1);
	json_decref(caps);
	static const char *const proc_o[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const dev_o[] = {"nosuid", "strictatime", "mode=755", "size=65536k",
					    NULL};
	static const char *const pts_o[] = {"nosuid",	     "noexec",	  "newinstance",
					    "ptmxmode=0666", "mode=0620", NULL};
	static const char *const shm_o[] = {"nosuid",	 "noexec",	"nodev",
					    "mode=1777", "size=65536k", NULL};
	static const char *const sys_o[] = {"rbind", "nosuid", "noexec", "nodev", "ro", NULL};
	json_t *mounts = json_array();
	json_array_append_new(mounts, mount_entry("/proc", "proc", "proc", proc_o));
	json_array_append_new(mounts, mount_entry("/dev", "tmpfs", "tmpfs", dev_o));
	json_array_append_new(mounts, mount_entry("/dev/pts", "devpts", "devpts", pts_o));
	json_array_append_new(mounts, mount_entry("/dev/shm", "tmpfs", "shm", shm_o));
	json_array_append_new(mounts, mount_entry("/sys", "none", "/sys", sys_o));
	if (tracer) {
		static const char *const tr_o[] = {"rbind", "nosuid", "nodev", "ro", NULL};
		json_array_append_new(mounts,
				      mount_entry(TRACER_IN_CONTAINER, "none", tracer, tr_o));
	}
	/* setup --nvidia: the GPU devices the host has (reference §6). */
	if (ud_engine_nvidia_mode(
		    &(const struct ud_engine_container){.dir = r->dir, .root = r->root})) {
		static const char *const gpu_o[] = {"rbind", "nosuid", "rw", NULL};
		const char *const devs[] = {"/dev/nvidiactl", "/dev/nvidia-uvm",
					    "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset"};
		for (size_t i = 0; i < UD_ARRAY_SIZE(devs); i++)
			if (ud_path_exists(devs[i]))
				json_array_append_new(mounts,
						      mount_entry(devs[i], "none", devs[i], gpu_o));
		for (int i = 0; i < 64; i++) {
			_cleanup_free_ char *d = xasprintf("/dev/nvidia%d", i);
			if (ud_path_exists(d))
				json_array_append_new(mounts, mount_entry(d, "none", d, gpu_o));
		}
	}
	for (size_t i = 0; i < r->n_binds; i++) {
		const struct ud_bind *b = &r->binds[i];
		/* The runtime sets up /dev, /proc and /sys itself. */
		if (!strcmp(b->path, "/dev") || !strcmp(b->path, "/proc") ||
		    !strcmp(b->path, "/sys"))
			continue;
		const char *rw[] = {"rbind", "nosuid", "nodev", b->readonly ? "ro" : "rw", NULL};
		json_array_append_new(mounts, mount_entry(b->path, "none", b->host, rw));
	}
	json_t *ns = json_pack("[{s:s},{s:s},{s:s},{s:s},{s:s}]", "type", "pid", "type", "ipc",
			       "type", "uts", "type", "mount", "type", "user");
	json_t *linux_ = json_pack(
		"{s:[{s:I,s:I,s:i}],s:[{s:I,s:I,s:i}],s:o,s:[s,s,s],s:[s,s]}", "uidMappings",
		"containerID", (json_int_t)0, "hostID", (json_int_t)getuid(), "size", 1,
		"gidMappings", "containerID", (json_int_t)0, "hostID", (json_int_t)getgid(), "size",
		1, "namespaces", ns, "maskedPaths", "/proc/kcore", "/proc/keys", "/proc/timer_list",
		"readonlyPaths", "/proc/sys", "/proc/sysrq-trigger");
	return json_pack("{s:s,s:o,s:{s:s,s:b},s:s,s:o,s:o}", "ociVersion", "1.0.2", "process",
			 process, "root", "path", r->root, "readonly", 0, "hostname",
			 r->hostname ? r->hostname : "udocker", "mounts", mounts, "linux", linux_);
}

/* cgroup v1 with a cgroup2 hierarchy beside it ("hybrid"), which crun 1.8
 * refuses to run on even with its cgroup manager disabled. */
static bool hybrid_cgroups(void)
{
	struct statfs st;
	return statfs("/sys/fs/cgroup/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC &&
	       statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == TMPFS_MAGIC;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, text, strlen(text));
		close(fd);
	}
}

/* In the child, before exec'ing crun on a hybrid host: a user and mount
 * namespace of our own (the user keeps its id) where an empty tmpfs hides
 * the cgroup2 hierarchy, so crun sees plain cgroup v1; it manages no
 * cgroups anyway (--cgroup-manager=disabled). */
static void hide_cgroup2(void *ctx, int status_fd)
{
	(void)ctx;
	(void)status_fd;
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return;
	char map[64];
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	write_file("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	write_file("/proc/self/gid_map", map);
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	mount("none", "/sys/fs/cgroup/unified", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

int ud_engine_r1_run(enum ud_execmode mode, const struct ud_run_request *r, int *status,
		     struct ud_error **err)
{
	_cleanup_free_ char *runtime = ud_engines_need(ud_engine_r1_runtime, mode, err);
	if (runtime == NULL)
		return -1;
	bool traced = mode != UD_EXECMODE_R1;
	_cleanup_free_ char *tracer =
		traced ? ud_engines_need(ud_engine_tracer_path, mode, err) : NULL;
	if (traced && tracer == NULL)
		return -1;
	/* A rootless runtime maps one id: the container's root is you (R2/R3:
	 * the tracer shows the requested identity). */
	if (!traced && (r->uid != 0 || r->gid != 0))
		ud_log(UD_LOG_VERBOSE,
		       "R1 runs the command as the container's root (mapped to you), "
		       "not as %u:%u",
		       (unsigned)r->uid, (unsigned)r->gid);
	/* What N1's child reports itself, checked here before the runtime;
	 * mount points made (resolved in the root) and recorded as N1 does:
	 * the runtime then finds them where its own resolution leads. */
	if (ud_engine_prepare(r, UD_PREPARE_MOUNTPOINTS | UD_PREPARE_WORKDIR | UD_PREPARE_COMMAND,
			      NULL, err) < 0)
		return -1;
	const char *tmp = getenv("UDOCKER_TMP");
	if (tmp == NULL || *tmp == '\0')
		tmp = getenv("TMPDIR");
	_cleanup_free_ char *bundle =
		ud_mkdtemp(tmp && *tmp ? tmp : "/tmp", ud_execmode_name(mode), err);
	if (bundle == NULL)
		return -1;
	const char *base = strrchr(runtime, '/');
	bool is_crun = strcmp(base ? base + 1 : runtime, "crun") == 0;
	/* crun 1.8 in the foreground can drop the last output of a pty it
	 * proxies: it gets our terminal itself instead (no proxy, no loss). */
	bool tty = !is_crun && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	json_t *cfg = make_config(mode, r, tty, tracer);
	_cleanup_free_ char *cpath = ud_path_join(bundle, "config.json");
	int rc = json_dump_file(cfg, cpath, JSON_INDENT(2)) == 0
			 ? 0
			 : ud_error_set(err, UD_ERR_IO, "cannot write '%s'", cpath);
	json_decref(cfg);
	_cleanup_free_ char *state = ud_path_join(bundle, "state");
	char name[24] = "udocker-";
	ud_random_hex(name + 8, 12);
	struct r1_ctx c = {.runtime = runtime, .state = state, .name = name};
	if (rc == 0) {
		/* The runtime's own chatter goes to a log, shown when it fails. */
		_cleanup_free_ char *log = ud_path_join(bundle, "runtime.log");
		char *argv[] = {runtime,    "--log", log,  "--root", state, "run",
				"--bundle", bundle,  name, NULL,     NULL,  NULL};
		if (is_crun) {
			/* crun 1.8 manages no cgroups rootless (and refuses hybrid ones). */
			memmove(argv + 4, argv + 3, 7 * sizeof(char *));
			argv[3] = "--cgroup-manager=disabled";
		}
		struct ud_spawn s = {.path = runtime,
				     .argv = argv,
				     .env = environ,
				     .child_setup =
					     is_crun && hybrid_cgroups() ? hide_cgroup2 : NULL,
				     .ctx = &c,
				     .on_signal = to_container};
		rc = ud_spawn_run(&s, status, err);
		/* Killed itself, the runtime leaves the container behind. */
		_cleanup_free_ char *left = ud_path_join(state, name);
		if (ud_path_exists(left))
			free(r1_runtime(&c, "delete", "--force", NULL));
	}
	if (rc == 0) {
		_cleanup_free_ char *log = ud_path_join(bundle, "runtime.log");
		_cleanup_free_ char *text = ud_read_file(log, NULL, NULL);
		/* A failure of the runtime itself (not of the command) is in its log. */
		if (text && strstr(text, "level=error")) {
			char *line = strstr(text, "msg=");
			line = line ? line + 4 : text;
			line[strcspn(line, "\n")] = '\0';
			rc = ud_error_set(err, UD_ERR_USAGE, "%s: %s", runtime, line);
		}
	}
	ud_rmtree(bundle, NULL);
	return rc;
}
