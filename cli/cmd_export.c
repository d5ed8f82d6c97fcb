#include "cli/jobs.h"
#include "executor/executor.h"
#include "store/store.h"

#include <string.h>

static const char help[] =
	"Usage: udocker export [-o FILE | -o -] [--clone] CONTAINER\n"
	"\n"
	"Writes the container's root filesystem as a tar (members ./...) to FILE or\n"
	"standard output. --clone writes the whole container directory, which\n"
	"`udocker import --clone` turns back into a container. An image-backed\n"
	"container's files are read from its image file and its changes, mounted\n"
	"as a run mounts them (N1); its directory (--clone) holds no tree: use\n"
	"`udocker clone`.\n";

UD_CMD(export)
{
	const char *output = NULL;
	bool clone = false;
	struct ud_opt opts[] = {
		{"-o|--output", UD_OPT_VALUE, &output}, {"--clone", UD_OPT_FLAG, &clone}, {0}};
	const struct ud_cli_grammar g = {
		.opts = opts, .help = help, .min = 1, .max = 2, .expected = "one CONTAINER"};
	UD_CLI_PARSE(&g, pos);
	/* udocker 1.3.16 documents `export - CONTAINER` (quirk 20): accepted here. */
	char **p = pos;
	if (strcmp(p[0], "-") == 0 && p[1]) {
		output = "-";
		p++;
	}
	if (p[1] != NULL)
		return ud_cli_usage(cli, g.expected);
	struct ud_cli_output out;
	if (ud_cli_output_open(cli, &out, output) < 0)
		return 1;
	if (out.tmp)
		ud_log(UD_LOG_MSG, "exporting to file %s", output);
	struct ud_error *err = NULL;
	int rc = ud_executor_export(cli->store, p[0], clone, out.fd, &err) < 0 ? ud_cli_fail(err)
									       : 0;
	return ud_cli_output_close(cli, &out, rc);
}
