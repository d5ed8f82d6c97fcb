/* name, rmname, rename: container aliases. */
#include "cli/jobs.h"
#include "store/store.h"

static const char help_name[] = "Usage: udocker name CONTAINER NAME\n\nGives a container a name.\n";
static const char help_rmname[] = "Usage: udocker rmname NAME\n\nRemoves a container name.\n";
static const char help_rename[] = "Usage: udocker rename NAME NEWNAME\n\nRenames a container.\n";

/* The container `which` gets the name `name`. */
static int add_name(struct ud_cli *cli, const char *which, const char *name)
{
	struct ud_error *err = NULL;
	struct ud_container *c = ud_store_container_get(cli->store, which, &err);
	int rc = c == NULL || ud_store_container_name(cli->store, c->id, name, &err) < 0
			 ? ud_cli_fail(err)
			 : 0;
	ud_store_container_free(c);
	return rc;
}

UD_CMD(name)
{
	static const struct ud_cli_grammar g = {
		.help = help_name, .min = 2, .max = 2, .expected = "CONTAINER NAME"};
	UD_CLI_PARSE(&g, pos);
	return add_name(cli, pos[0], pos[1]);
}

UD_CMD(rmname)
{
	static const struct ud_cli_grammar g = {
		.help = help_rmname, .min = 1, .max = 1, .expected = "NAME"};
	UD_CLI_PARSE(&g, pos);
	struct ud_error *err = NULL;
	if (ud_store_container_rmname(cli->store, pos[0], &err) < 0)
		return ud_cli_fail(err);
	ud_log(UD_LOG_MSG, "container name: %s removed.", pos[0]);
	return 0;
}

UD_CMD(rename)
{
	static const struct ud_cli_grammar g = {
		.help = help_rename, .min = 2, .max = 2, .expected = "NAME NEWNAME"};
	UD_CLI_PARSE(&g, pos);
	if (add_name(cli, pos[0], pos[1]) != 0)
		return 1;
	struct ud_error *err = NULL;
	return ud_store_container_rmname(cli->store, pos[0], &err) < 0 ? ud_cli_fail(err) : 0;
}
