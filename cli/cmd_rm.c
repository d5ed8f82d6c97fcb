#include "cli/jobs.h"
#include "store/store.h"

static const char help[] = "Usage: udocker rm [-f] CONTAINER...\n"
			   "\n"
			   "Removes containers (ids or names) and their names. Protected\n"
			   "containers are refused. -f: files made unwritable inside are no\n"
			   "obstacle (they never are: removal makes directories writable).\n";

UD_CMD(rm)
{
	bool force = false;
	struct ud_opt opts[] = {{"-f", UD_OPT_FLAG, &force}, {0}};
	const struct ud_cli_grammar g = {
		.opts = opts, .help = help, .min = 1, .max = UD_CLI_ANY, .expected = "CONTAINER"};
	UD_CLI_PARSE(&g, pos);
	int rc = 0;
	for (size_t i = 0; pos[i]; i++) {
		struct ud_error *err = NULL;
		ud_log(UD_LOG_INFO, "deleting container: %s", pos[i]);
		if (ud_store_container_remove(cli->store, pos[i], &err) < 0)
			rc = ud_cli_fail(err);
	}
	return rc;
}
