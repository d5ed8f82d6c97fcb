#include "cli/jobs.h"
#include "store/store.h"

static const char help[] = "Usage: udocker mkrepo DIR\n"
			   "\n"
			   "Creates a new repository in DIR, which must not exist. Use it with\n"
			   "udocker --repo=DIR or UDOCKER_DIR=DIR.\n";

UD_CMD(mkrepo)
{
	const struct ud_cli_grammar g = {.help = help, .min = 1, .max = 1, .expected = "DIR"};
	UD_CLI_PARSE(&g, pos);
	struct ud_error *err = NULL;
	int rc = ud_store_mkrepo(pos[0], &err) < 0 ? ud_cli_fail(err) : 0;
	(void)cli;
	return rc;
}
