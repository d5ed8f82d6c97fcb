#include "cli/jobs.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

static const char help[] =
	"Usage: udocker load [-i FILE | --input=FILE] [NAME]\n"
	"\n"
	"Loads images from a `docker save` archive (legacy layout or OCI layout, as\n"
	"Docker 25 and later write it) or an OCI image archive. Reads standard input\n"
	"when no file is given. NAME renames the loaded repository. Prints each\n"
	"loaded NAME:TAG; images already present are skipped.\n";

UD_CMD(load)
{
	const char *input = NULL;
	struct ud_opt opts[] = {{"-i|--input", UD_OPT_VALUE, &input}, {0}};
	const struct ud_cli_grammar g = {
		.opts = opts, .help = help, .max = 2, .expected = "[-] [NAME]"};
	UD_CLI_PARSE(&g, pos);
	const char *name = NULL;
	for (size_t i = 0; pos[i]; i++)
		if (strcmp(pos[i], "-") != 0)
			name = pos[i];
	int fd = 0;
	if (input && strcmp(input, "-") != 0) {
		fd = open(input, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ud_cli_error("load: cannot open '%s': %s", input, strerror(errno));
			return 1;
		}
	}
	struct ud_error *err = NULL;
	char **skipped = NULL;
	char **loaded = ud_store_load(cli->store, fd, name, &skipped, &err);
	if (fd > 0)
		close(fd);
	if (loaded == NULL) {
		ud_error_prefix(&err, "load failed");
		return ud_cli_fail(err);
	}
	for (size_t i = 0; skipped[i]; i++)
		ud_log(UD_LOG_MSG, "repository and tag already exist %s", skipped[i]);
	for (size_t i = 0; loaded[i]; i++)
		printf("%s\n", loaded[i]);
	int rc = loaded[0] || skipped[0] ? 0 : 1;
	if (rc)
		ud_cli_error("load failed: no image in the archive");
	ud_strv_free(loaded);
	ud_strv_free(skipped);
	return rc;
}
