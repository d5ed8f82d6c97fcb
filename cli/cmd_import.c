#include "cli/jobs.h"
#include "store/store.h"

#include <string.h>

static const char help[] =
	"Usage: udocker import [--mv] [--platform=OS/ARCH[/VARIANT]] TARBALL|- IMAGE\n"
	"\n"
	"Makes image IMAGE from a root filesystem tarball (as `docker export`\n"
	"writes it), or from standard input with '-'. The image has one layer.\n"
	"\n"
	"Options:\n"
	"  --mv          move the tarball into the repository instead of copying it\n"
	"  --platform=P  the platform recorded in the image (default: this host's)\n";

UD_CMD(import)
{
	bool mv = false, tocontainer = false, clone = false;
	const char *platform = NULL, *name = NULL;
	struct ud_opt opts[] = {{"--mv", UD_OPT_FLAG, &mv},
				{"--platform", UD_OPT_VALUE, &platform},
				{"--tocontainer", UD_OPT_FLAG, &tocontainer},
				{"--clone", UD_OPT_FLAG, &clone},
				{"--name", UD_OPT_VALUE, &name},
				{0}};
	char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(argc, argv, opts, help, pos);
	if (tocontainer || clone) {
		free(pos);
		ud_cli_error("import: --tocontainer and --clone create containers, which this "
			     "version does not have yet");
		return 1;
	}
	if (pos[0] == NULL || pos[1] == NULL || pos[2] != NULL) {
		free(pos);
		ud_cli_error("import: expected TARBALL|- IMAGE (see udocker import --help)");
		return 1;
	}
	struct ud_ref ref;
	int rc = ud_cli_parse_image(cli, pos[1], &ref);
	if (rc == 0) {
		struct ud_error *err = NULL;
		char *id = ud_store_import(cli->store, pos[0], 0, ref.local_name, ref.local_tag,
					   platform, mv, &err);
		if (id == NULL) {
			ud_error_prefix(&err, "importing");
			rc = ud_cli_fail(err);
		} else {
			ud_log(UD_LOG_INFO, "added layer %s", id);
		}
		free(id);
		ud_ref_release(&ref);
	}
	free(pos);
	return rc;
}
