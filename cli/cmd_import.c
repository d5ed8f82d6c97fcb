#include "cli/jobs.h"
#include "store/store.h"

#include <string.h>

static const char help[] =
	"Usage: udocker import [--mv] [--platform=OS/ARCH[/VARIANT]] TARBALL|- IMAGE\n"
	"       udocker import --tocontainer [--name=NAME] TARBALL|- [IMAGE]\n"
	"       udocker import --clone [--name=NAME] TARBALL|-\n"
	"\n"
	"--tocontainer makes a container from a root filesystem tarball; --clone\n"
	"makes one from `udocker export --clone` output. Both print the new id.\n"
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
	const struct ud_cli_grammar g = {.opts = opts, .help = help, .max = UD_CLI_ANY};
	UD_CLI_PARSE(&g, pos);
	/* Three forms (the help's usage lines): the positionals they take. */
	size_t npos = ud_strv_len(pos);
	bool to_container = tocontainer || clone;
	if (npos < 1 || npos > (clone ? 1u : 2u) || (!to_container && npos != 2))
		return ud_cli_usage(cli, to_container ? "TARBALL|- [IMAGE]" : "TARBALL|- IMAGE");
	if (to_container) {
		struct ud_error *err = NULL;
		_cleanup_free_ char *tmpdir = NULL, *src = NULL;
		/* Before anything is read or copied: a taken name leaves nothing. */
		struct ud_container *taken =
			name ? ud_store_container_get(cli->store, name, NULL) : NULL;
		if (taken) {
			ud_store_container_free(taken);
			ud_cli_error("container name already exists: %s", name);
			return 1;
		}
		if (strcmp(pos[0], "-") == 0) {
			/* Standard input to a file first: extraction reads it once. */
			tmpdir = ud_mkdtemp(cli->conf.tmpdir, "import", &err);
			src = tmpdir ? ud_path_join(tmpdir, "stdin.tar") : NULL;
			if (src == NULL || ud_copy_file("/dev/stdin", src, 0600, &err) < 0) {
				if (tmpdir)
					ud_rmtree(tmpdir, NULL);
				return ud_cli_fail(err);
			}
		} else {
			src = xstrdup(pos[0]);
		}
		char *id = ud_store_container_import(cli->store, src, clone, pos[1], &err);
		int rc = 0;
		if (id == NULL)
			rc = ud_cli_fail(err);
		else if (name && ud_store_container_name(cli->store, id, name, &err) < 0)
			rc = ud_cli_fail(err);
		if (rc == 0)
			printf("%s\n", id);
		free(id);
		if (tmpdir)
			ud_rmtree(tmpdir, NULL);
		return rc;
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
	return rc;
}
