/* submit: a job spec's tasks as one Slurm job array, each task an
 * `udocker apply --offline --task N` of the staged spec. */
#include "engines/engines.h"
#include "executor/executor.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/wait.h>

/* 1,2,3,5 -> "1-3,5"; NULL when a task is not a number in its canonical
 * decimal form (Slurm's task ids are; "01" or "+1" would name no task). */
static char *array_spec(char *const *tasks)
{
	struct ud_buf b = {0};
	size_t n = ud_strv_len(tasks);
	long *v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		char *end;
		v[i] = strtol(tasks[i], &end, 10);
		char canonical[32];
		snprintf(canonical, sizeof(canonical), "%ld", v[i]);
		if (strcmp(tasks[i], canonical) != 0 || v[i] < 0 || v[i] > INT_MAX) {
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

int ud_executor_submit_check(const struct ud_submit_options *o, struct ud_submission *s,
			     struct ud_error **err)
{
	memset(s, 0, sizeof(*s));
	s->pid = -1;
	s->out_fd = -1;
	s->array = o->tasks ? array_spec(o->tasks) : NULL;
	if (s->array == NULL)
		return ud_error_set(err, UD_ERR_USAGE,
				    "'%s' needs numeric tasks (e.g. 'tasks: 1-32') for a Slurm job "
				    "array",
				    o->spec_name);
	s->sbatch = ud_engines_which("sbatch");
	if (s->sbatch == NULL)
		return ud_error_set(err, UD_ERR_UNSUPPORTED,
				    "sbatch not found on PATH (is this a Slurm cluster?)");
	return 0;
}

/* The script every task of the array runs, in s->dir. */
static int write_task_script(const struct ud_submit_options *o, struct ud_submission *s,
			     const char *script, struct ud_error **err)
{
	/* A release's launcher, not the program it starts (which needs the
	 * loader shipped beside it). */
	const char *self = ud_self_command();
	if (self == NULL)
		return ud_error_set(err, UD_ERR_GENERIC,
				    "cannot find this program (/proc/self/exe unreadable)");
	_cleanup_free_ char *q_self = sh_quote(self), *q_spec = sh_quote(o->spec_path),
			    *q_dir = sh_quote(s->dir);
	_cleanup_free_ char *text =
		xasprintf("#!/bin/sh\n"
			  "# udocker submit: one task of the array; its status beside its output.\n"
			  "%s%s apply --offline%s --task \"$SLURM_ARRAY_TASK_ID\" -f %s\n"
			  "rc=$?\n"
			  "echo \"$rc\" >%s/task-\"$SLURM_ARRAY_TASK_ID\".status\n"
			  "exit \"$rc\"\n",
			  q_self, o->allow_root ? " --allow-root" : "",
			  o->no_lock ? " --no-lock" : "", q_spec, q_dir);
	return ud_write_file_atomic(script, text, strlen(text), 0755, err);
}

static char **sbatch_argv(const struct ud_submit_options *o, const struct ud_submission *s,
			  const char *script)
{
	char **args = NULL;
	ud_strv_push(&args, xstrdup(s->sbatch));
	ud_strv_push(&args, xstrdup("--parsable"));
	ud_strv_push(&args, xasprintf("--array=%s", s->array));
	ud_strv_push(&args, xstrdup("--job-name=udocker"));
	ud_strv_push(&args, xasprintf("--output=%s/task-%%a.out", s->dir));
	if (o->wait)
		ud_strv_push(&args, xstrdup("--wait"));
	for (size_t i = 0; o->sbatch_options && o->sbatch_options[i]; i++)
		ud_strv_push(&args, xstrdup(o->sbatch_options[i]));
	ud_strv_push(&args, xstrdup(script));
	return args;
}

/* sbatch's exit status (128+N for signal N) once it ended; its output
 * is read to the end first so it never blocks on a full pipe. */
static int finish_sbatch(struct ud_submission *s)
{
	char drain[256];
	while (s->out_fd >= 0 && read(s->out_fd, drain, sizeof(drain)) > 0)
		;
	if (s->out_fd >= 0)
		close(s->out_fd);
	s->out_fd = -1;
	int ws = 0;
	while (s->pid > 0 && waitpid(s->pid, &ws, 0) < 0 && errno == EINTR)
		;
	s->pid = -1;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* Writes the task script and starts sbatch: -1 with *err when that
 * fails (the caller removes s->dir). */
static int start_sbatch(const struct ud_submit_options *o, struct ud_submission *s,
			struct ud_error **err)
{
	_cleanup_free_ char *script = ud_path_join(s->dir, "task.sh");
	if (write_task_script(o, s, script, err) < 0)
		return -1;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return ud_error_sys(err, errno, "pipe");
	char **args = sbatch_argv(o, s, script);
	fflush(NULL);
	s->pid = fork();
	if (s->pid == 0) {
		dup2(fds[1], 1);
		execv(args[0], args);
		fprintf(stderr, "Error: cannot execute %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	int fork_errno = errno;
	close(fds[1]);
	ud_strv_free(args);
	s->out_fd = fds[0];
	if (s->pid < 0) {
		close(fds[0]);
		s->out_fd = -1;
		return ud_error_sys(err, fork_errno, "fork");
	}
	/* sbatch --parsable prints the job id at once, even with --wait. */
	char idbuf[64] = {0};
	size_t got = 0;
	while (got < sizeof(idbuf) - 1) {
		ssize_t n = read(s->out_fd, idbuf + got, 1);
		if (n <= 0 || idbuf[got] == '\n')
			break;
		got++;
	}
	idbuf[got] = '\0';
	if (got == 0)
		return ud_error_set(err, UD_ERR_GENERIC, "sbatch failed (exit status %d)",
				    finish_sbatch(s));
	s->job_id = xstrdup(idbuf);
	return 0;
}

int ud_executor_submit(const struct ud_submit_options *o, struct ud_submission *s,
		       struct ud_error **err)
{
	_cleanup_free_ char *specdir_copy = xstrdup(o->spec_path);
	s->dir = ud_mkdtemp(dirname(specdir_copy), "submit", err);
	if (s->dir == NULL)
		return -1;
	if (start_sbatch(o, s, err) == 0)
		return 0;
	/* Nothing was submitted: leave nothing beside the spec. */
	ud_rmtree(s->dir, NULL);
	free(s->dir);
	s->dir = NULL;
	return -1;
}

int *ud_executor_submit_wait(const struct ud_submit_options *o, struct ud_submission *s)
{
	finish_sbatch(s);
	if (!o->wait)
		return NULL;
	size_t n = ud_strv_len(o->tasks);
	int *statuses = xcalloc(n + 1, sizeof(*statuses));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *st = xasprintf("%s/task-%s.status", s->dir, o->tasks[i]);
		_cleanup_free_ char *text = ud_read_file(st, NULL, NULL);
		statuses[i] = text ? atoi(text) : -1;
	}
	return statuses;
}

void ud_submission_release(struct ud_submission *s)
{
	if (s->pid > 0)
		finish_sbatch(s);
	free(s->array);
	free(s->sbatch);
	free(s->dir);
	free(s->job_id);
	memset(s, 0, sizeof(*s));
}
