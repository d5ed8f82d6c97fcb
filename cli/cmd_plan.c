#include "cli/jobs.h"
#include "planner/planner.h"
#include "store/store.h"

static const char help[] =
	"Usage: udocker plan -f FILE [--json|--format=json] [--offline] [--stage] [--no-lock] "
	"[--task=N]\n"
	"\n"
	"Prints the steps `udocker apply -f FILE` would take, each with its state\n"
	"(present, to do, blocked) and the reason, and changes nothing.\n"
	"Exit status 0, or 1 when a step is blocked or the spec is invalid.\n"
	"\n"
	"Options:\n"
	"  -f, --file=FILE   the job spec\n"
	"  --json, --format=json\n"
	"                    machine-readable output (keys in udocker(1), JSON OUTPUT)\n"
	"  --registry=URL    registry for image names without a host\n"
	"  --offline         as apply --offline: what is not in the store is blocked\n"
	"  --stage           as apply --stage: no run steps\n"
	"  --no-lock         ignore FILE.lock\n"
	"  --task=N          the task ${TASK} stands for (see the spec's tasks:)\n";

UD_CMD(plan)
{
	bool json = false;
	const char *format = NULL;
	struct ud_opt opts[] = {UD_CLI_FORMAT_OPTS(json, format), {0}};
	struct ud_cli_spec_opts so = {0};
	const struct ud_cli_grammar g = {
		.opts = opts, .help = help, .spec = &so, .spec_opts = UD_SPEC_OPT_ALL};
	UD_CLI_PARSE(&g, pos);
	int rc = ud_cli_want_json(cli, json, format, &json);
	if (rc)
		return rc;
	struct ud_error *err = NULL;
	struct ud_spec *spec = NULL;
	struct ud_plan *plan = ud_cli_plan_file(cli, &so, &spec, &err);
	if (plan == NULL)
		return ud_cli_fail(err);
	char *text = json ? ud_plan_render_json(plan) : ud_plan_render_text(plan);
	fputs(text, stdout);
	free(text);
	rc = ud_plan_blocked(plan) ? 1 : 0;
	ud_plan_free(plan);
	ud_spec_free(spec);
	return rc;
}
