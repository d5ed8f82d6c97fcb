#include "cli/jobs.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

static const char help[] =
	"Usage: udocker export [-o FILE | -o -] [--clone] CONTAINER\n"
	"\n"
	"Writes the container's root filesystem as a tar (members ./...) to FILE or\n"
	"standard output. --clone writes the whole container directory, which\n"
	"`udocker import --clone` turns back into a container.\n";

UD_CMD(export)
{
	const char *output = NULL;
	bool clone = false;
	struct ud_opt opts[] = {
		{"-o|--output", UD_OPT_VALUE, &output}, {"--clone", UD_OPT_FLAG, &clone}, {0}};
	const struct ud_cli_grammar g = {opts, NULL, help, 1, 2, "one CONTAINER"};
	_cleanup_free_ char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(&g, pos);
	/* udocker 1.3.16 documents `export - CONTAINER` (quirk 20): accepted here. */
	char **p = pos;
	if (strcmp(p[0], "-") == 0 && p[1]) {
		output = "-";
		p++;
	}
	if (p[1] != NULL)
		return ud_cli_usage(cli, g.expected);
	struct ud_error *err = NULL;
	int fd = 1, rc = 0;
	_cleanup_free_ char *tmp = NULL;
	if (output && strcmp(output, "-") != 0) {
		tmp = xasprintf("%s.tmp-%ld", output, (long)getpid());
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			ud_cli_error("export: cannot create '%s': %s", tmp, strerror(errno));
			return 1;
		}
		ud_log(UD_LOG_MSG, "exporting to file %s", output);
	}
	if (ud_store_container_export(cli->store, p[0], clone, fd, &err) < 0)
		rc = ud_cli_fail(err);
	if (tmp) {
		if (rc == 0 && (fsync(fd) < 0 || rename(tmp, output) < 0)) {
			ud_cli_error("export: cannot write '%s': %s", output, strerror(errno));
			rc = 1;
		}
		close(fd);
		if (rc)
			unlink(tmp);
	}
	return rc;
}
