#include "cli/jobs.h"
#include "store/store.h"

#include <string.h>

static const char help[] = "Usage: udocker save [-o FILE | --output=FILE] IMAGE...\n"
			   "\n"
			   "Writes the images to a `docker save` archive (legacy layout), which\n"
			   "`docker load` and `udocker load` read. Without -o, or with -o -, the\n"
			   "archive goes to standard output. FILE must not exist.\n";

UD_CMD(save)
{
	const char *output = NULL;
	struct ud_opt opts[] = {{"-o|--output", UD_OPT_VALUE, &output}, {0}};
	const struct ud_cli_grammar g = {
		.opts = opts, .help = help, .min = 1, .max = UD_CLI_ANY, .expected = "IMAGE"};
	UD_CLI_PARSE(&g, pos);
	size_t n = ud_strv_len(pos);
	char **names = xcalloc(n + 1, sizeof(char *)), **tags = xcalloc(n + 1, sizeof(char *));
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct ud_ref ref;
		rc = ud_cli_parse_image(cli, pos[i], &ref);
		if (rc == 0) {
			names[i] = xstrdup(ref.local_name);
			tags[i] = xstrdup(ref.local_tag);
			ud_ref_release(&ref);
		}
	}
	if (rc == 0 && output && strcmp(output, "-") != 0 && ud_path_exists(output)) {
		ud_cli_error("output file already exists: %s", output);
		rc = 1;
	}
	struct ud_cli_output out = {.fd = -1};
	if (rc == 0 && ud_cli_output_open(cli, &out, output) < 0)
		rc = 1;
	struct ud_error *err = NULL;
	if (rc == 0 && ud_store_save(cli->store, names, tags, out.fd, &err) < 0)
		rc = ud_cli_fail(err);
	bool to_file = out.tmp != NULL;
	rc = ud_cli_output_close(cli, &out, rc);
	if (rc == 0 && to_file)
		ud_log(UD_LOG_MSG, "saved to %s", output);
	ud_strv_free(names);
	ud_strv_free(tags);
	return rc;
}
