#include "cli/jobs.h"
#include "store/store.h"

static const char help_protect[] =
	"Usage: udocker protect CONTAINER|IMAGE\n"
	"\n"
	"Protects a container against rm, or a local image against rmi.\n";
static const char help_unprotect[] = "Usage: udocker unprotect CONTAINER|IMAGE\n"
				     "\n"
				     "Removes a container's or an image's protection.\n";

static int protect(struct ud_cli *cli, int argc, char **argv, bool on)
{
	const struct ud_cli_grammar g = {.help = on ? help_protect : help_unprotect,
					 .min = 1,
					 .max = 1,
					 .expected = "one IMAGE"};
	UD_CLI_PARSE(&g, pos);
	struct ud_error *err = NULL;
	/* A container first, then an image, as udocker does. */
	struct ud_container *c = ud_store_container_get(cli->store, pos[0], NULL);
	if (c) {
		int r = ud_store_container_protect(cli->store, c->id, on, &err);
		ud_store_container_free(c);
		if (r < 0) {
			ud_error_prefix(&err, "%s container failed", on ? "protect" : "unprotect");
			return ud_cli_fail(err);
		}
		return 0;
	}
	struct ud_ref ref;
	int rc = ud_cli_parse_image(cli, pos[0], &ref);
	if (rc)
		return rc;
	if (ud_store_image_protect(cli->store, ref.local_name, ref.local_tag, on, &err) < 0) {
		ud_error_prefix(&err, "%s image failed", on ? "protect" : "unprotect");
		rc = ud_cli_fail(err);
	}
	ud_ref_release(&ref);
	return rc;
}

UD_CMD(protect)
{
	return protect(cli, argc, argv, true);
}

UD_CMD(unprotect)
{
	return protect(cli, argc, argv, false);
}
