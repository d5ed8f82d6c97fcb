#include "cli/jobs.h"
#include "store/store.h"

static const char help[] =
	"Usage: udocker rmi [-f] IMAGE\n"
	"\n"
	"Removes an image from the local repository. Layers that other images\n"
	"use are kept; containers are not affected. Protected images are refused.\n"
	"\n"
	"Options:\n"
	"  -f   go on after removal errors\n";

UD_CMD(rmi)
{
	bool force = false;
	struct ud_opt opts[] = {{"-f|--force", UD_OPT_FLAG, &force}, {0}};
	const struct ud_cli_grammar g = {
		.opts = opts, .help = help, .min = 1, .max = UD_CLI_ANY, .expected = "IMAGE"};
	UD_CLI_PARSE(&g, pos);
	int rc = 0;
	for (size_t i = 0; pos[i]; i++) {
		struct ud_ref ref;
		if (ud_cli_parse_image(cli, pos[i], &ref) != 0) {
			rc = 1;
			continue;
		}
		struct ud_error *err = NULL;
		ud_log(UD_LOG_INFO, "deleting image: %s:%s", ref.local_name, ref.local_tag);
		if (ud_store_image_remove(cli->store, ref.local_name, ref.local_tag, force, &err) <
		    0)
			rc = ud_cli_fail(err);
		ud_ref_release(&ref);
	}
	return rc;
}
