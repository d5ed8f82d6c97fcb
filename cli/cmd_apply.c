#include "cli/jobs.h"

static const char help[] =
	"Usage: udocker apply -f FILE [--stage] [--offline] [--no-lock] [--task=N]\n"
	"\n"
	"Carries out a job spec: pulls the images it needs (only what is missing;\n"
	"a second apply of an unchanged spec downloads nothing), creates and sets\n"
	"up its containers, and runs their commands. When FILE.lock exists (see\n"
	"udocker lock) its digests pin the images, so every node runs the same.\n"
	"\n"
	"Options:\n"
	"  -f, --file=FILE   the job spec\n"
	"  --stage           pull, create and set up only; run nothing (a login node,\n"
	"                    or the first job of many)\n"
	"  --offline         never contact a registry; what is not in the store is an\n"
	"                    error naming what to stage\n"
	"  --no-lock         ignore FILE.lock\n"
	"  --task=N          run task N: ${TASK} in the spec stands for N (N must be\n"
	"                    one of the spec's tasks: when it lists them)\n"
	"  --registry=URL    registry for image names without a host\n";

UD_CMD(apply)
{
	struct ud_cli_spec_opts so = {0};
	const struct ud_cli_grammar g = {.help = help, .spec = &so, .spec_opts = UD_SPEC_OPT_ALL};
	UD_CLI_PARSE(&g, pos);
	struct ud_error *err = NULL;
	struct ud_spec *spec = ud_cli_load_spec(so.spec_path, so.task, &err);
	if (spec == NULL)
		return ud_cli_fail(err);
	if (spec->tasks && so.task == NULL && !so.stage) {
		ud_spec_free(spec);
		ud_cli_error("apply: '%s' has tasks: give --task N (or --stage to prepare them)",
			     so.spec_path);
		return 1;
	}
	int rc = ud_cli_run_spec(cli, spec, &so, false, NULL, NULL);
	ud_spec_free(spec);
	return rc;
}
