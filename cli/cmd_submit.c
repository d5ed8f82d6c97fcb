#include "cli/jobs.h"
#include "executor/executor.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

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

/* Prints what the tasks of s left: 1 when any failed or left nothing. */
static int report_tasks(const struct ud_submit_options *o, const struct ud_submission *s,
			const int *statuses)
{
	int failed = 0;
	size_t n = ud_strv_len(o->tasks);
	for (size_t i = 0; i < n; i++) {
		if (statuses[i] < 0)
			printf("task %s: no status (killed, or never ran): see %s/task-%s.out\n",
			       o->tasks[i], s->dir, o->tasks[i]);
		else
			printf("task %s: exit %d\n", o->tasks[i], statuses[i]);
		failed += statuses[i] != 0;
	}
	ud_log(UD_LOG_INFO, "job array %s: %zu tasks, %d failed", s->job_id, n, failed);
	return failed ? 1 : 0;
}

UD_CMD(submit)
{
	_cleanup_free_ char **slurm_opts = NULL;
	bool wait = false;
	struct ud_opt opts[] = {
		{"--slurm-option", UD_OPT_LIST, &slurm_opts}, {"--wait", UD_OPT_FLAG, &wait}, {0}};
	struct ud_cli_spec_opts so = {0};
	const struct ud_cli_grammar g = {
		.opts = opts, .help = help, .spec = &so, .spec_opts = UD_SPEC_OPT_NO_LOCK};
	UD_CLI_PARSE(&g, pos);
	struct ud_error *err = NULL;
	/* The compute nodes read the spec by its absolute path. */
	_cleanup_free_ char *spec_path = realpath(so.spec_path, NULL);
	if (spec_path == NULL) {
		ud_error_sys(&err, errno, "'%s'", so.spec_path);
		return ud_cli_fail(err);
	}
	struct ud_spec *spec = ud_cli_load_spec(spec_path, NULL, &err);
	if (spec == NULL)
		return ud_cli_fail(err);
	struct ud_submit_options o = {spec_path,       so.spec_path, spec->tasks, slurm_opts,
				      cli->allow_root, so.no_lock,   wait};
	struct ud_submission s;
	int rc = ud_executor_submit_check(&o, &s, &err) < 0 ? 1 : 0;
	/* Stage once, here: the tasks then run offline. */
	struct ud_cli_spec_opts stage = {
		.spec_path = spec_path, .no_lock = so.no_lock, .stage = true};
	if (rc == 0)
		rc = ud_cli_run_spec(cli, spec, &stage, false, NULL, NULL);
	if (rc == 0 && ud_executor_submit(&o, &s, &err) < 0)
		rc = 1;
	if (rc == 0) {
		printf("%s\n", s.job_id);
		fflush(stdout);
		ud_log(UD_LOG_INFO, "submitted job array %s (tasks %s); outputs in %s", s.job_id,
		       s.array, s.dir);
		_cleanup_free_ int *statuses = ud_executor_submit_wait(&o, &s);
		if (statuses)
			rc = report_tasks(&o, &s, statuses);
	} else if (err) {
		ud_error_prefix(&err, "submit");
		ud_cli_fail(err);
	}
	ud_submission_release(&s);
	ud_spec_free(spec);
	return rc;
}
