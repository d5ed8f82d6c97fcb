#include "cli/jobs.h"

#include <string.h>

static const char help[] =
	"Usage: udocker search [options] EXPRESSION\n"
	"\n"
	"Searches Docker Hub for repositories matching EXPRESSION. For another\n"
	"registry (--registry=URL, or EXPRESSION starting with a host), lists the\n"
	"registry's catalog entries containing EXPRESSION.\n"
	"\n"
	"Options:\n"
	"  --list-tags       list the tags of repository EXPRESSION instead\n"
	"  --registry=URL    registry to search\n"
	"  --index=URL       accepted for compatibility\n"
	"  --httpproxy=URL   proxy\n"
	"  -a                do not pause between pages (output is not paged)\n"
	"  --no-trunc        do not truncate columns\n";

UD_CMD(search)
{
	bool list_tags = false, all = false, notrunc = false;
	struct ud_opt opts[] = {{"--list-tags", UD_OPT_FLAG, &list_tags},
				{"-a", UD_OPT_FLAG, &all},
				{"--no-trunc", UD_OPT_FLAG, &notrunc},
				{0}};
	struct ud_cli_registry_args ra = {0};
	const struct ud_cli_grammar g = {.opts = opts,
					 .help = help,
					 .min = 1,
					 .max = 1,
					 .expected = "one EXPRESSION",
					 .registry = &ra,
					 .registry_opts = UD_REG_OPT_REGISTRY | UD_REG_OPT_INDEX |
							  UD_REG_OPT_PROXY};
	UD_CLI_PARSE(&g, pos);
	const char *expr = pos[0];
	ud_cli_use_registry_args(cli, &ra);
	struct ud_error *err = NULL;
	struct ud_registry_client *c = ud_cli_registry_client(cli, true, &err);
	if (c == NULL)
		return ud_cli_fail(err);
	const char *reg = cli->conf.registry_url;
	int rc = 0;
	struct ud_ref ref;
	/* The registry to ask: parse "<host>/x" (or "x") to get the ref of its registry. */
	_cleanup_free_ char *probe = list_tags ? xstrdup(expr)
				     : strchr(expr, '/') && (strchr(expr, '.') || strchr(expr, ':'))
					     ? xasprintf("%.*s/x", (int)strcspn(expr, "/"), expr)
					     : xstrdup("x");
	if (ud_ref_parse_hub(probe, reg, cli->conf.hub_url, &ref, &err) < 0) {
		ud_registry_client_free(c);
		return ud_cli_fail(err);
	}
	char **rows = NULL;
	if (list_tags) {
		rows = ud_registry_tags(c, &ref, &err);
		for (size_t i = 0; rows && rows[i]; i++) {
			_cleanup_free_ char *e = ud_str_escape(rows[i], 0);
			puts(e);
		}
	} else if (ref.hub) {
		rows = ud_registry_hub_search(c, expr, 100, &err);
		if (rows && ud_log_get_level() >= UD_LOG_INFO)
			printf("%-55s %-8s %-70s %5s\n", "NAME", "OFFICIAL", "DESCRIPTION",
			       "STARS");
		for (size_t i = 0; rows && rows[i]; i++) {
			char *f[4] = {rows[i], NULL, NULL, NULL};
			for (int k = 1; k < 4 && f[k - 1]; k++) {
				char *t = strchr(f[k - 1], '\t');
				if (t) {
					*t = '\0';
					f[k] = t + 1;
				}
			}
			/* Text from the registry: control characters escaped. */
			_cleanup_free_ char *name = ud_str_escape(f[0], 0);
			_cleanup_free_ char *desc = ud_str_escape(f[3], 0);
			_cleanup_free_ char *stars = ud_str_escape(f[2], 0);
			const char *official = f[1] ? f[1] : "";
			if (notrunc)
				printf("%-55s %-8s %-70s %5s\n", name, official, desc, stars);
			else
				printf("%-55.80s %-8s %-70.70s %5s\n", name, official, desc, stars);
		}
	} else {
		rows = ud_registry_catalog(c, &ref, &err);
		const char *needle = strchr(expr, '/') && (strchr(expr, '.') || strchr(expr, ':'))
					     ? expr + strcspn(expr, "/") + 1
					     : expr;
		if (rows && ud_log_get_level() >= UD_LOG_INFO)
			printf("NAME\n");
		for (size_t i = 0; rows && rows[i]; i++) {
			if (!strstr(rows[i], needle))
				continue;
			_cleanup_free_ char *e = ud_str_escape(rows[i], 0);
			printf("%s/%s\n", ref.domain, e);
		}
	}
	if (rows == NULL)
		rc = ud_cli_fail(err);
	ud_strv_free(rows);
	ud_ref_release(&ref);
	ud_registry_client_free(c);
	return rc;
}
