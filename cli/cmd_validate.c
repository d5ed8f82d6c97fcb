#include "cli/jobs.h"

static const char help[] =
	"Usage: udocker validate -f FILE\n"
	"\n"
	"Loads a job spec and checks it: YAML syntax, known keys, types, values,\n"
	"references between sections and ${VAR} interpolation. Errors name the\n"
	"file, line and column, what was found and what was expected.\n"
	"\n"
	"Options:\n"
	"  -f, --file=FILE   the job spec\n";

UD_CMD(validate)
{
	const char *file = NULL;
	struct ud_opt opts[] = {{"-f|--file", UD_OPT_VALUE, &file}, {0}};
	char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(argc, argv, opts, help, pos);
	bool extra = pos[0] != NULL;
	free(pos);
	if (file == NULL || extra) {
		ud_cli_error("validate: expected -f FILE (see udocker validate --help)");
		return 1;
	}
	struct ud_error *err = NULL;
	struct ud_spec *spec = ud_spec_load_file(file, &err);
	if (spec == NULL)
		return ud_cli_fail(err);
	printf("%s: valid (%zu image%s, %zu volume%s, %zu container%s)\n", file, spec->n_images,
	       spec->n_images == 1 ? "" : "s", spec->n_volumes, spec->n_volumes == 1 ? "" : "s",
	       spec->n_containers, spec->n_containers == 1 ? "" : "s");
	ud_spec_free(spec);
	(void)cli;
	return 0;
}
