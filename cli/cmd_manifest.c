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
	const char *registry = NULL, *index = NULL, *proxy = NULL, *platform = NULL;
	struct ud_opt opts[] = {{"--registry", UD_OPT_VALUE, &registry},
				{"--index", UD_OPT_VALUE, &index},
				{"--httpproxy", UD_OPT_VALUE, &proxy},
				{"--platform", UD_OPT_VALUE, &platform},
				{0}};
	char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(argc, argv, opts, help, pos);
	if (pos[0] == NULL || strcmp(pos[0], "inspect") != 0 || pos[1] == NULL || pos[2]) {
		free(pos);
		ud_cli_error("manifest: expected 'inspect IMAGE' (see udocker manifest --help)");
		return 1;
	}
	struct ud_error *err = NULL;
	struct ud_ref ref;
	if (ud_ref_parse(pos[1], registry ? registry : cli->conf.registry_url, &ref, &err) < 0) {
		free(pos);
		return ud_cli_fail(err);
	}
	free(pos);
	struct ud_registry_options ro;
	ud_cli_registry_options(cli, &ro);
	if (proxy)
		ro.proxy = proxy;
	struct ud_error *cerr = NULL;
	struct ud_registry_client *c = ud_registry_client_new(&ro, &cerr);
	if (c == NULL)
		return ud_cli_fail(cerr);
	char *body = NULL;
	size_t len = 0;
	int rc = 0;
	if (platform) {
		struct ud_platform p;
		if (ud_platform_parse(platform, &p, &err) == 0) {
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
