/* S1: the host's apptainer (preferred) or singularity runs the container
 * directory (reference §5.6): `exec` with -B binds, the container's
 * environment as APPTAINERENV_/SINGULARITYENV_ variables, --pwd, and
 * --fakeroot for root where the tool offers it and the user has subuids. */
#include "engines/engines.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

char *ud_engine_s1_tool(char **why);

char *ud_engine_s1_tool(char **why)
{
	static const char *const names[] = {"apptainer", "singularity", NULL};
	return ud_engines_tool("UDOCKER_USE_SINGULARITY_EXECUTABLE", names,
			       "S1 needs apptainer or singularity on PATH (neither is installed)",
			       why);
}

/* Does `tool exec --help` mention opt? */
static bool offers(const char *tool, const char *opt)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execl(tool, tool, "exec", "--help", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	struct ud_buf b = {0};
	char chunk[4096];
	ssize_t n;
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
		ud_buf_append(&b, chunk, (size_t)n);
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	bool found = b.data && strstr(b.data, opt) != NULL;
	ud_buf_release(&b);
	return found;
}

static bool has_subids(void)
{
	_cleanup_free_ char *text = ud_read_file("/etc/subuid", NULL, NULL);
	const char *user = getenv("USER");
	_cleanup_free_ char *byid = xasprintf("%u:", (unsigned)getuid());
	_cleanup_free_ char *byname = user ? xasprintf("%s:", user) : NULL;
	return text && (strstr(text, byid) || (byname && strstr(text, byname)));
}

int ud_engine_s1_run(const struct ud_run_request *r, int *status, struct ud_error **err)
{
	_cleanup_free_ char *tool = ud_engines_need(ud_engine_s1_tool, UD_EXECMODE_COUNT, err);
	if (tool == NULL)
		return -1;
	if (ud_engine_prepare(r, UD_PREPARE_WORKDIR | UD_PREPARE_COMMAND, NULL, err) < 0)
		return -1;
	/* The tool binds onto these; they must exist in the directory. */
	_cleanup_close_ int root_fd = open(r->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return ud_error_sys(err, errno, "cannot open the container root '%s'", r->root);
	const char *const dirs[] = {"/var/tmp", "/tmp", "/proc", "/dev", "/sys", "/root"};
	for (size_t i = 0; i < UD_ARRAY_SIZE(dirs); i++) {
		int d = ud_root_mkdir_p(root_fd, dirs[i], 0755, NULL);
		if (d >= 0)
			close(d);
	}
	/* The tool binds host paths: ROOT's own, resolved in the root. */
	_cleanup_free_ char *in_root = NULL, *in_tmp = NULL, *in_vartmp = NULL;
	char **ins[] = {&in_root, &in_tmp, &in_vartmp};
	const char *guest[] = {"/root", "/tmp", "/var/tmp"};
	for (size_t i = 0; i < UD_ARRAY_SIZE(ins); i++) {
		_cleanup_free_ char *res = ud_root_resolve(root_fd, guest[i], NULL);
		*ins[i] = xasprintf("%s%s", r->root, res ? res : guest[i]);
	}
	const char *base = strrchr(tool, '/');
	bool apptainer = strcmp(base ? base + 1 : tool, "apptainer") == 0;
	char **argv = NULL;
	ud_strv_push(&argv, xstrdup(tool));
	ud_strv_push(&argv, xstrdup("--silent"));
	ud_strv_push(&argv, xstrdup("exec"));
	if (r->uid == 0 && getuid() != 0 && offers(tool, "--fakeroot") && has_subids())
		ud_strv_push(&argv, xstrdup("--fakeroot"));
	else if (r->uid != getuid() && r->uid != 0)
		ud_log(UD_LOG_WARN, "S1 runs the command as you, not as %u", (unsigned)r->uid);
	if (r->workdir) {
		ud_strv_push(&argv, xstrdup("--pwd"));
		ud_strv_push(&argv, xstrdup(r->workdir));
	}
	bool home = false, tmp = false, vartmp = false;
	for (size_t i = 0; i < r->n_binds; i++) {
		const struct ud_bind *b = &r->binds[i];
		home |= strcmp(b->path, "/root") == 0 ||
			(getenv("HOME") && !strcmp(b->host, getenv("HOME")));
		tmp |= strcmp(b->path, "/tmp") == 0;
		vartmp |= strcmp(b->path, "/var/tmp") == 0;
		ud_strv_push(&argv, xstrdup("-B"));
		ud_strv_push(&argv,
			     xasprintf("%s:%s%s", b->host, b->path, b->readonly ? ":ro" : ""));
	}
	if (!home) {
		ud_strv_push(&argv, xstrdup("--home"));
		ud_strv_push(&argv, xasprintf("%s:/root", in_root));
	}
	if (!tmp) {
		ud_strv_push(&argv, xstrdup("-B"));
		ud_strv_push(&argv, xasprintf("%s:/tmp", in_tmp));
	}
	if (!vartmp) {
		ud_strv_push(&argv, xstrdup("-B"));
		ud_strv_push(&argv, xasprintf("%s:/var/tmp", in_vartmp));
	}
	ud_strv_push(&argv, xstrdup(r->root));
	for (size_t i = 0; r->argv[i]; i++)
		ud_strv_push(&argv, xstrdup(r->argv[i]));
	/* The container's variables reach the command through the tool. */
	char **env = NULL;
	const char *prefix = apptainer ? "APPTAINERENV_" : "SINGULARITYENV_";
	for (size_t i = 0; r->env && r->env[i]; i++)
		ud_strv_push(&env, xasprintf("%s%s", prefix, r->env[i]));
	const char *path = getenv("PATH");
	ud_strv_push(&env, xasprintf("PATH=%s", path ? path : "/usr/bin:/bin"));
	if (getenv("HOME"))
		ud_strv_push(&env, xasprintf("HOME=%s", getenv("HOME")));
	struct ud_spawn s = {.path = tool, .argv = argv, .env = env};
	int rc = ud_spawn_run(&s, status, err);
	ud_strv_free(argv);
	ud_strv_free(env);
	return rc;
}
