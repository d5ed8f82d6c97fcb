#include "cli/jobs.h"
#include "store/store.h"

static const char help[] = "Usage: udocker mkrepo DIR\n"
			   "\n"
			   "Creates a new repository in DIR, which must not exist. Use it with\n"
			   "udocker --repo=DIR or UDOCKER_DIR=DIR.\n";

UD_CMD(mkrepo)
{
	char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(argc, argv, NULL, help, pos);
	if (pos[0] == NULL || pos[1] != NULL) {
		free(pos);
		ud_cli_error("mkrepo: expected DIR (see udocker mkrepo --help)");
		return 1;
	}
	struct ud_error *err = NULL;
	int rc = ud_store_mkrepo(pos[0], &err) < 0 ? ud_cli_fail(err) : 0;
	free(pos);
	(void)cli;
	return rc;
}
