#include "cli/jobs.h"
#include "store/store.h"

static const char help[] = "Usage: udocker verify IMAGE\n"
			   "\n"
			   "Checks every layer and the configuration of a local image: the links,\n"
			   "the files, their sizes and their sha256 digests.\n";

static void on_ok(const char *id, void *data)
{
	(void)data;
	ud_log(UD_LOG_INFO, "layer ok: %s", id);
}

UD_CMD(verify)
{
	const struct ud_cli_grammar g = {.help = help, .min = 1, .max = 1, .expected = "one IMAGE"};
	UD_CLI_PARSE(&g, pos);
	struct ud_ref ref;
	int rc = ud_cli_parse_image(cli, pos[0], &ref);
	if (rc)
		return rc;
	ud_log(UD_LOG_INFO, "verifying: %s:%s", ref.local_name, ref.local_tag);
	struct ud_error *err = NULL;
	if (ud_store_image_verify(cli->store, ref.local_name, ref.local_tag, on_ok, NULL, &err) <
	    0) {
		ud_cli_error("%s", err->msg);
		ud_error_free(err);
		ud_cli_error("image verification failure");
		rc = 1;
	} else {
		ud_log(UD_LOG_INFO, "image Ok");
	}
	ud_ref_release(&ref);
	return rc;
}
