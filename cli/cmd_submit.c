#include "cli/jobs.h"
#include "engines/engines.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/wait.h>

static const char help[] =
	"Usage: udocker submit -f FILE [--slurm-option=OPT]... [--wait] [--no-lock]\n"
	"\n"
	"Runs the spec's tasks as one Slurm job array. First stages the images and\n"
	"containers once, here (as apply --stage; FILE.lock pins the images when\n"
	"present), then submits with sbatch an array whose task N runs\n"
	"  udocker apply --offline --task N -f FILE\n"
	"so no task contacts a registry. Prints the job id. The spec's tasks must be\n"
	"numbers (e.g. 'tasks: 1-32'); each task's output and exit status are kept\n"
	"in a directory beside FILE (shared with the compute nodes).\n"
	"\n"
	"Options:\n"
	"  -f, --file=FILE        the job spec\n"
	"  --slurm-option=OPT     passed to sbatch as is (repeatable), e.g.\n"
	"                         --slurm-option=--time=10 --slurm-option=-pdebug\n"
	"  --wait                 wait for the array and report each task's exit\n"
	"                         status (exit 1 when any task failed)\n"
	"  --no-lock              ignore FILE.lock\n";

/* 1,2,3,5 -> "1-3,5"; NULL when a task is not a number. */
static char *array_spec(char **tasks)
{
	struct ud_buf b = {0};
	size_t n = ud_strv_len(tasks);
	long *v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		char *end;
		v[i] = strtol(tasks[i], &end, 10);
		if (end == tasks[i] || *end || v[i] < 0 || v[i] > INT_MAX) {
			free(v);
			ud_buf_release(&b);
			return NULL;
		}
	}
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		ud_buf_printf(&b, "%s%ld", b.len ? "," : "", v[i]);
		if (j > i)
			ud_buf_printf(&b, "-%ld", v[j]);
		i = j + 1;
	}
	free(v);
	return ud_buf_steal(&b);
}

/* 'text' quoted for sh. */
static char *sh_quote(const char *text)
{
	struct ud_buf b = {0};
	ud_buf_puts(&b, "'");
	for (const char *p = text; *p; p++)
		if (*p == '\'')
			ud_buf_puts(&b, "'\\''");
		else
			ud_buf_append(&b, p, 1);
	ud_buf_puts(&b, "'");
	return ud_buf_steal(&b);
}

UD_CMD(submit)
{
	const char *file = NULL;
	char **slurm_opts = NULL;
	bool wait = false, no_lock = false;
	struct ud_opt opts[] = {{"-f|--file", UD_OPT_VALUE, &file},
				{"--slurm-option", UD_OPT_LIST, &slurm_opts},
				{"--wait", UD_OPT_FLAG, &wait},
				{"--no-lock", UD_OPT_FLAG, &no_lock},
				{0}};
	char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(argc, argv, opts, help, pos);
	bool extra = pos[0] != NULL;
	free(pos);
	if (file == NULL || extra) {
		free(slurm_opts);
		ud_cli_error("submit: expected -f FILE (see udocker submit --help)");
		return 1;
	}
	struct ud_error *err = NULL;
	_cleanup_free_ char *spec_path = realpath(file, NULL);
	struct ud_spec *spec = spec_path ? ud_cli_load_spec(spec_path, NULL, &err) : NULL;
	if (spec_path == NULL)
		ud_error_sys(&err, errno, "'%s'", file);
	if (spec == NULL) {
		free(slurm_opts);
		return ud_cli_fail(err);
	}
	_cleanup_free_ char *array = spec->tasks ? array_spec(spec->tasks) : NULL;
	_cleanup_(ud_strv_freep) char **tasks = ud_strv_dup(spec->tasks);
	_cleanup_free_ char *sbatch = ud_engines_which("sbatch");
	int rc = 0;
	if (array == NULL) {
		ud_cli_error("submit: '%s' needs numeric tasks (e.g. 'tasks: 1-32') for a Slurm "
			     "job array",
			     file);
		rc = 1;
	} else if (sbatch == NULL) {
		ud_cli_error("submit: sbatch not found on PATH (is this a Slurm cluster?)");
		rc = 1;
	}
	/* Stage once, here: the tasks then run offline. */
	struct ud_cli_spec_opts so = {.spec_path = spec_path, .no_lock = no_lock, .stage = true};
	if (rc == 0)
		rc = ud_cli_run_spec(cli, spec, &so, false, NULL, NULL);
	ud_spec_free(spec);
	_cleanup_free_ char *specdir_copy = xstrdup(spec_path);
	const char *specdir = dirname(specdir_copy);
	_cleanup_free_ char *dir = rc == 0 ? ud_mkdtemp(specdir, "submit", &err) : NULL;
	if (rc == 0 && dir == NULL)
		rc = ud_cli_fail(err);
	char self[PATH_MAX];
	ssize_t sn = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[sn > 0 ? sn : 0] = '\0';
	_cleanup_free_ char *script = dir ? ud_path_join(dir, "task.sh") : NULL;
	if (rc == 0) {
		_cleanup_free_ char *q_self = sh_quote(self), *q_spec = sh_quote(spec_path),
				    *q_dir = sh_quote(dir);
		_cleanup_free_ char *text = xasprintf(
			"#!/bin/sh\n"
			"# udocker submit: one task of the array; its status beside its output.\n"
			"%s%s apply --offline%s --task \"$SLURM_ARRAY_TASK_ID\" -f %s\n"
			"rc=$?\n"
			"echo \"$rc\" >%s/task-\"$SLURM_ARRAY_TASK_ID\".status\n"
			"exit \"$rc\"\n",
			q_self, cli->allow_root ? " --allow-root" : "", no_lock ? " --no-lock" : "",
			q_spec, q_dir);
		if (ud_write_file_atomic(script, text, strlen(text), 0755, &err) < 0)
			rc = ud_cli_fail(err);
	}
	if (rc != 0) {
		free(slurm_opts);
		return rc;
	}
	char **args = NULL;
	ud_strv_push(&args, xstrdup(sbatch));
	ud_strv_push(&args, xstrdup("--parsable"));
	ud_strv_push(&args, xasprintf("--array=%s", array));
	ud_strv_push(&args, xstrdup("--job-name=udocker"));
	ud_strv_push(&args, xasprintf("--output=%s/task-%%a.out", dir));
	if (wait)
		ud_strv_push(&args, xstrdup("--wait"));
	for (size_t i = 0; slurm_opts && slurm_opts[i]; i++)
		ud_strv_push(&args, xstrdup(slurm_opts[i]));
	free(slurm_opts);
	ud_strv_push(&args, xstrdup(script));
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		ud_strv_free(args);
		return ud_cli_fail((ud_error_sys(&err, errno, "pipe"), err));
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		execv(args[0], args);
		fprintf(stderr, "Error: cannot execute %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	ud_strv_free(args);
	/* sbatch --parsable prints the job id at once, even with --wait. */
	char idbuf[64] = {0};
	size_t got = 0;
	while (got < sizeof(idbuf) - 1) {
		ssize_t n = read(fds[0], idbuf + got, 1);
		if (n <= 0 || idbuf[got] == '\n')
			break;
		got++;
	}
	idbuf[got] = '\0';
	if (got) {
		printf("%s\n", idbuf);
		fflush(stdout);
		ud_log(UD_LOG_INFO, "submitted job array %s (tasks %s); outputs in %s", idbuf,
		       array, dir);
	}
	char drain[256];
	while (read(fds[0], drain, sizeof(drain)) > 0)
		;
	close(fds[0]);
	int ws = 0;
	while (pid > 0 && waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (got == 0) {
		ud_cli_error("submit: sbatch failed (exit status %d)",
			     WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
		return 1;
	}
	if (!wait)
		return 0;
	/* Every task's status, as its script left it. */
	int failed = 0;
	for (size_t i = 0; tasks[i]; i++) {
		_cleanup_free_ char *st = xasprintf("%s/task-%s.status", dir, tasks[i]);
		_cleanup_free_ char *text = ud_read_file(st, NULL, NULL);
		if (text == NULL) {
			printf("task %s: no status (killed, or never ran): see %s/task-%s.out\n",
			       tasks[i], dir, tasks[i]);
			failed++;
			continue;
		}
		int code = atoi(text);
		printf("task %s: exit %d\n", tasks[i], code);
		failed += code != 0;
	}
	ud_log(UD_LOG_INFO, "job array %s: %zu tasks, %d failed", idbuf, ud_strv_len(tasks),
	       failed);
	return failed ? 1 : 0;
}
