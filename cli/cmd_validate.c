#include "cli/jobs.h"

static const char help[] =
	"Usage: udocker validate -f FILE\n"
	"\n"
	"Loads a job spec and checks it: YAML syntax, known keys, types, values,\n"
	"references between sections and ${VAR} interpolation. Every error of the\n"
	"file is reported, each with the file, line and column, what was found and\n"
	"what was expected. ${TASK} is empty, as in plan, unless --task is given.\n"
	"\n"
	"Options:\n"
	"  -f, --file=FILE   the job spec\n"
	"  --task=N          check it as task N runs it (one of the spec's tasks)\n";

UD_CMD(validate)
{
	struct ud_cli_spec_opts so = {0};
	const struct ud_cli_grammar g = {.help = help, .spec = &so, .spec_opts = UD_SPEC_OPT_TASK};
	UD_CLI_PARSE(&g, pos);
	struct ud_error *err = NULL;
	struct ud_spec *spec = ud_cli_load_spec(so.spec_path, so.task, &err);
	if (spec == NULL)
		return ud_cli_fail(err);
	printf("%s: valid (%zu image%s, %zu volume%s, %zu container%s)\n", so.spec_path,
	       spec->n_images, spec->n_images == 1 ? "" : "s", spec->n_volumes,
	       spec->n_volumes == 1 ? "" : "s", spec->n_containers,
	       spec->n_containers == 1 ? "" : "s");
	ud_spec_free(spec);
	return 0;
}
