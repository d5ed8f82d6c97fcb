#include "cli/jobs.h"
#include "planner/planner.h"
#include "store/store.h"

static const char help[] =
	"Usage: udocker plan -f FILE [--json] [--offline] [--stage] [--no-lock] [--task=N]\n"
	"\n"
	"Prints the steps `udocker apply -f FILE` would take, each with its state\n"
	"(present, to do, blocked) and the reason, and changes nothing.\n"
	"Exit status 0, or 1 when a step is blocked or the spec is invalid.\n"
	"\n"
	"Options:\n"
	"  -f, --file=FILE   the job spec\n"
	"  --json            machine-readable output\n"
	"  --registry=URL    registry for image names without a host\n"
	"  --offline         as apply --offline: what is not in the store is blocked\n"
	"  --stage           as apply --stage: no run steps\n"
	"  --no-lock         ignore FILE.lock\n"
	"  --task=N          the task ${TASK} stands for (see the spec's tasks:)\n";

UD_CMD(plan)
{
	const char *file = NULL, *registry = NULL, *task = NULL;
	bool json = false, offline = false, stage = false, no_lock = false;
	struct ud_opt opts[] = {
		{"-f|--file", UD_OPT_VALUE, &file},	 {"--json", UD_OPT_FLAG, &json},
		{"--registry", UD_OPT_VALUE, &registry}, {"--offline", UD_OPT_FLAG, &offline},
		{"--stage", UD_OPT_FLAG, &stage},	 {"--no-lock", UD_OPT_FLAG, &no_lock},
		{"--task", UD_OPT_VALUE, &task},	 {0}};
	char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(argc, argv, opts, help, pos);
	bool extra = pos[0] != NULL;
	free(pos);
	if (file == NULL || extra) {
		ud_cli_error("plan: expected -f FILE (see udocker plan --help)");
		return 1;
	}
	struct ud_error *err = NULL;
	struct ud_spec *spec = ud_cli_load_spec(file, task, &err);
	if (spec == NULL)
		return ud_cli_fail(err);
	struct ud_store *store = ud_cli_store(cli, &err);
	struct ud_cli_spec_opts so = {registry, file, no_lock, offline, stage};
	struct ud_planner_options popts;
	struct ud_lockfile *lock = NULL;
	struct ud_plan *plan = store && ud_cli_planner_options(cli, &so, &popts, &lock, &err) == 0
				       ? ud_planner_plan(spec, store, &popts, &err)
				       : NULL;
	ud_lockfile_free(lock);
	if (plan == NULL) {
		ud_spec_free(spec);
		return ud_cli_fail(err);
	}
	char *text = json ? ud_plan_render_json(plan) : ud_plan_render_text(plan);
	fputs(text, stdout);
	free(text);
	int rc = ud_plan_blocked(plan) ? 1 : 0;
	ud_plan_free(plan);
	ud_spec_free(spec);
	return rc;
}
