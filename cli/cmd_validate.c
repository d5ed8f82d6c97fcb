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
	struct ud_cli_spec_opts so = {0};
	const struct ud_cli_grammar g = {.help = help, .spec = &so};
	UD_CLI_PARSE(&g, pos);
	struct ud_error *err = NULL;
	struct ud_spec *spec = ud_spec_load_file(so.spec_path, &err);
	if (spec == NULL)
		return ud_cli_fail(err);
	printf("%s: valid (%zu image%s, %zu volume%s, %zu container%s)\n", so.spec_path,
	       spec->n_images, spec->n_images == 1 ? "" : "s", spec->n_volumes,
	       spec->n_volumes == 1 ? "" : "s", spec->n_containers,
	       spec->n_containers == 1 ? "" : "s");
	ud_spec_free(spec);
	return 0;
}
