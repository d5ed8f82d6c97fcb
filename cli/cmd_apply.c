#include "cli/jobs.h"

static const char help[] =
	"Usage: udocker apply -f FILE\n"
	"\n"
	"Carries out a job spec: pulls the images it needs (only what is missing;\n"
	"a second apply of an unchanged spec downloads nothing). This version\n"
	"performs the image steps; containers are validated, not yet run.\n"
	"\n"
	"Options:\n"
	"  -f, --file=FILE   the job spec\n"
	"  --registry=URL    registry for image names without a host\n";

UD_CMD(apply)
{
	const char *file = NULL, *registry = NULL;
	struct ud_opt opts[] = {
		{"-f|--file", UD_OPT_VALUE, &file}, {"--registry", UD_OPT_VALUE, &registry}, {0}};
	char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(argc, argv, opts, help, pos);
	bool extra = pos[0] != NULL;
	free(pos);
	if (file == NULL || extra) {
		ud_cli_error("apply: expected -f FILE (see udocker apply --help)");
		return 1;
	}
	struct ud_error *err = NULL;
	struct ud_spec *spec = ud_spec_load_file(file, &err);
	if (spec == NULL)
		return ud_cli_fail(err);
	int rc = ud_cli_run_spec(cli, spec, registry, false, NULL);
	ud_spec_free(spec);
	return rc;
}
