#include "cli/jobs.h"
#include "store/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] = "Usage: udocker images [-l] [-p] [--json|--format=json]\n"
			   "\n"
			   "Lists the images in the local repository: NAME:TAG and '.' or 'P'\n"
			   "(protected).\n"
			   "\n"
			   "Options:\n"
			   "  -l   also the tag directory and each layer with its size\n"
			   "  -p   also the platform (os/arch[/variant])\n"
			   "  --json, --format=json\n"
			   "       a JSON list: name, tag, reference, protected, platform,\n"
			   "       directory, files (file, size in bytes; -1: missing)\n"
			   "  --no-trunc, -a, --all   accepted as udocker 1.3.16 does (cwltool\n"
			   "       sends them); nothing is truncated or hidden, so they change\n"
			   "       nothing\n";

static void print_layers(const struct ud_image_entry *e)
{
	printf(" %s\n", e->dir);
	for (size_t k = 0; k < e->n_links; k++)
		/* Rounded up: a small layer is not "0 MB" (quirk 3). */
		printf("    /%s (%lld MB)\n", e->links[k].name,
		       (long long)((e->links[k].size > 0 ? e->links[k].size + 1048575 : 0) /
				   1048576));
}

/* images --json: one object per tag (docs/udocker.1, JSON OUTPUT). */
static json_t *image_json(const struct ud_image_entry *e)
{
	json_t *layers = json_array();
	for (size_t k = 0; k < e->n_links; k++)
		json_array_append_new(layers, json_pack("{s:s, s:I}", "file", e->links[k].name,
							"size", (json_int_t)e->links[k].size));
	_cleanup_free_ char *ref = xasprintf("%s:%s", e->name, e->tag);
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:o}", "name", e->name, "tag", e->tag,
			 "reference", ref, "protected", e->protected, "platform", e->platform,
			 "directory", e->dir, "files", layers);
}

UD_CMD(images)
{
	bool longfmt = false, plat = false, notrunc = false, all = false, json = false;
	const char *format = NULL;
	struct ud_opt opts[] = {
		{"-l", UD_OPT_FLAG, &longfmt},	       {"-p", UD_OPT_FLAG, &plat},
		{"--no-trunc", UD_OPT_FLAG, &notrunc}, {"-a|--all", UD_OPT_FLAG, &all},
		UD_CLI_FORMAT_OPTS(json, format),      {0}};
	const struct ud_cli_grammar g = {.opts = opts, .help = help};
	UD_CLI_PARSE(&g, pos);
	int rc = ud_cli_want_json(cli, json, format, &json);
	if (rc)
		return rc;
	struct ud_error *err = NULL;
	struct ud_image_entry *e = NULL;
	size_t n = 0;
	unsigned flags =
		(longfmt || json ? UD_LIST_LINKS : 0) | (plat || json ? UD_LIST_PLATFORM : 0);
	if (ud_store_list_images(cli->store, flags, &e, &n, &err) < 0)
		return ud_cli_fail(err);
	if (json) {
		json_t *list = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, image_json(&e[i]));
		ud_store_list_free(e, n);
		return ud_cli_put_json(list);
	}
	if (ud_log_get_level() >= UD_LOG_INFO)
		printf("REPOSITORY\n");
	for (size_t i = 0; i < n; i++) {
		if (plat)
			printf("%-18.18s %c %s:%s\n", e[i].platform, e[i].protected ? 'P' : '.',
			       e[i].name, e[i].tag);
		else
			printf("%s:%s    %c\n", e[i].name, e[i].tag, e[i].protected ? 'P' : '.');
		if (longfmt)
			print_layers(&e[i]);
	}
	ud_store_list_free(e, n);
	return 0;
}
