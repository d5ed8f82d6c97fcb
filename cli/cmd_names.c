/* name, rmname, rename: container aliases. */
#include "cli/jobs.h"
#include "store/store.h"

static const char help_name[] = "Usage: udocker name CONTAINER NAME\n\nGives a container a name.\n";
static const char help_rmname[] = "Usage: udocker rmname NAME\n\nRemoves a container name.\n";
static const char help_rename[] = "Usage: udocker rename NAME NEWNAME\n\nRenames a container.\n";

static int two_args(int argc, char **argv, const char *help, char ***pos, size_t want)
{
	*pos = NULL;
	bool h = false;
	struct ud_error *err = NULL;
	if (ud_cli_parse(argc, argv, NULL, &h, pos, &err) < 0)
		return ud_cli_fail(err);
	if (h) {
		ud_cli_print_help(help);
		return 0;
	}
	if (ud_strv_len(*pos) != want) {
		ud_cli_error("expected %zu argument%s (see --help)", want, want == 1 ? "" : "s");
		return 1;
	}
	return -1;
}

UD_CMD(name)
{
	char **pos;
	int rc = two_args(argc, argv, help_name, &pos, 2);
	if (rc >= 0) {
		free(pos);
		return rc;
	}
	struct ud_error *err = NULL;
	struct ud_container *c = ud_store_container_get(cli->store, pos[0], &err);
	if (c == NULL || ud_store_container_name(cli->store, c->id, pos[1], &err) < 0)
		rc = ud_cli_fail(err);
	else
		rc = 0;
	ud_store_container_free(c);
	free(pos);
	return rc;
}

UD_CMD(rmname)
{
	char **pos;
	int rc = two_args(argc, argv, help_rmname, &pos, 1);
	if (rc >= 0) {
		free(pos);
		return rc;
	}
	struct ud_error *err = NULL;
	rc = ud_store_container_rmname(cli->store, pos[0], &err) < 0 ? ud_cli_fail(err) : 0;
	if (rc == 0)
		ud_log(UD_LOG_MSG, "container name: %s removed.", pos[0]);
	free(pos);
	return rc;
}

UD_CMD(rename)
{
	char **pos;
	int rc = two_args(argc, argv, help_rename, &pos, 2);
	if (rc >= 0) {
		free(pos);
		return rc;
	}
	struct ud_error *err = NULL;
	struct ud_container *c = ud_store_container_get(cli->store, pos[0], &err);
	rc = 0;
	if (c == NULL)
		rc = ud_cli_fail(err);
	else if (ud_store_container_name(cli->store, c->id, pos[1], &err) < 0)
		rc = ud_cli_fail(err);
	else if (ud_store_container_rmname(cli->store, pos[0], &err) < 0)
		rc = ud_cli_fail(err);
	ud_store_container_free(c);
	free(pos);
	return rc;
}
