#include "cli/jobs.h"

#include <stdlib.h>

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
	const char *file = NULL, *registry = NULL, *task = NULL;
	bool stage = false, offline = false, no_lock = false;
	struct ud_opt opts[] = {{"-f|--file", UD_OPT_VALUE, &file},
				{"--registry", UD_OPT_VALUE, &registry},
				{"--stage", UD_OPT_FLAG, &stage},
				{"--offline", UD_OPT_FLAG, &offline},
				{"--no-lock", UD_OPT_FLAG, &no_lock},
				{"--task", UD_OPT_VALUE, &task},
				{0}};
	char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(argc, argv, opts, help, pos);
	bool extra = pos[0] != NULL;
	free(pos);
	if (file == NULL || extra) {
		ud_cli_error("apply: expected -f FILE (see udocker apply --help)");
		return 1;
	}
	struct ud_error *err = NULL;
	struct ud_spec *spec = ud_cli_load_spec(file, task, &err);
	if (spec == NULL)
		return ud_cli_fail(err);
	if (spec->tasks && task == NULL && !stage) {
		ud_spec_free(spec);
		ud_cli_error("apply: '%s' has tasks: give --task N (or --stage to prepare them)",
			     file);
		return 1;
	}
	struct ud_cli_spec_opts so = {registry, file, no_lock, offline, stage};
	int rc = ud_cli_run_spec(cli, spec, &so, false, NULL, NULL);
	ud_spec_free(spec);
	return rc;
}
