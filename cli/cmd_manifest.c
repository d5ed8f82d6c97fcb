#include "cli/jobs.h"

#include <string.h>

static const char help[] =
	"Usage: udocker manifest [--platform=OS/ARCH[/VARIANT]] [--registry=URL] inspect IMAGE\n"
	"\n"
	"Fetches IMAGE's manifest from its registry and prints it as JSON (sorted\n"
	"keys, 4-space indent). Without --platform a multi-platform index is printed\n"
	"as it is; with --platform the matching platform's manifest is printed.\n"
	"Nothing is stored.\n";

UD_CMD(manifest)
{
	struct ud_cli_registry_args ra = {0};
	const struct ud_cli_grammar g = {.help = help,
					 .min = 2,
					 .max = 2,
					 .expected = "'inspect IMAGE'",
					 .registry = &ra,
					 .registry_opts = UD_REG_OPT_ALL};
	UD_CLI_PARSE(&g, pos);
	if (strcmp(pos[0], "inspect") != 0)
		return ud_cli_usage(cli, g.expected);
	ud_cli_use_registry_args(cli, &ra);
	struct ud_ref ref;
	if (ud_cli_parse_image(cli, pos[1], &ref) != 0)
		return 1;
	struct ud_error *err = NULL;
	struct ud_registry_client *c = ud_cli_registry_client(cli, true, &err);
	if (c == NULL) {
		ud_ref_release(&ref);
		return ud_cli_fail(err);
	}
	char *body = NULL;
	size_t len = 0;
	if (ra.platform) {
		struct ud_platform p;
		if (ud_platform_parse(ra.platform, &p, &err) == 0) {
			struct ud_resolved *r = ud_registry_resolve(c, &ref, &p, &err);
			if (r) {
				body = xstrndup(r->manifest, r->manifest_len);
				len = r->manifest_len;
			}
			ud_resolved_free(r);
			ud_platform_release(&p);
		}
	} else {
		body = ud_registry_get_manifest(c, &ref, ref.digest ? ref.digest : ref.tag, &len,
						NULL, &err);
	}
	int rc = body ? ud_cli_print_json(body, len, "manifest") : ud_cli_fail(err);
	free(body);
	ud_registry_client_free(c);
	ud_ref_release(&ref);
	return rc;
}
