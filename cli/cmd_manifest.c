#include "cli/jobs.h"

#include <jansson.h>
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
	struct ud_opt shared[UD_CLI_SHARED_MAX];
	ud_cli_registry_opts_table(&ra,
				   UD_REG_OPT_REGISTRY | UD_REG_OPT_INDEX | UD_REG_OPT_PROXY |
					   UD_REG_OPT_PLATFORM,
				   shared);
	const struct ud_cli_grammar g = {NULL, shared, help, 2, 2, "'inspect IMAGE'"};
	_cleanup_free_ char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(&g, pos);
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
	int rc = 0;
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
	if (body == NULL) {
		rc = ud_cli_fail(err);
	} else {
		json_error_t je;
		json_t *j = json_loadb(body, len, 0, &je);
		if (j == NULL) {
			_cleanup_free_ char *e = ud_str_escape(je.text, 200);
			ud_cli_error("manifest is not valid JSON: %s", e);
			rc = 1;
		} else {
			char *t = json_dumps(j, JSON_INDENT(4) | JSON_SORT_KEYS);
			puts(t);
			free(t);
			json_decref(j);
		}
	}
	free(body);
	ud_registry_client_free(c);
	ud_ref_release(&ref);
	return rc;
}
