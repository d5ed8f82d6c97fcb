#include "cli/jobs.h"
#include "store/store.h"

#include <jansson.h>
#include <string.h>

static const char help[] =
	"Usage: udocker inspect [-p] [--json|--format=json] CONTAINER|IMAGE\n"
	"\n"
	"Prints the image's configuration (the config blob; for a container, the\n"
	"container.json it was created with) as JSON with sorted keys and 4-space\n"
	"indentation.\n"
	"\n"
	"Options:\n"
	"  -p   a container's ROOT directory (an image-backed container has none:\n"
	"       -p says so, exit 1)\n"
	"  --json, --format=json\n"
	"       an object with stable keys: kind (image or container), config, and\n"
	"       for an image name, tag, reference, directory, protected, platform,\n"
	"       layers (digest, size); for a container id, names, image,\n"
	"       directory, root, execmode, protected, rootfs (dir or squash),\n"
	"       ephemeral, image_file (squash, else null), upper (squash, else null)\n";

/* The JSON text as a value; null when it is not JSON. */
static json_t *parse_config(const char *text, size_t len)
{
	json_t *j = text ? json_loadb(text, len, 0, NULL) : NULL;
	return j ? j : json_null();
}

static int container_json(const struct ud_container *c)
{
	_cleanup_free_ char *cj = ud_path_join(c->dir, "container.json");
	size_t len = 0;
	_cleanup_free_ char *text = ud_read_file(cj, &len, NULL);
	json_t *names = json_array();
	for (size_t k = 0; c->names[k]; k++)
		json_array_append_new(names, json_string(c->names[k]));
	json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:b, s:o}", "kind", "container",
			      "id", c->id, "names", names, "image", c->image ? c->image : "",
			      "directory", c->dir, "root", c->root, "execmode",
			      ud_execmode_name(c->execmode), "protected", c->protected, "config",
			      parse_config(text, len));
	ud_cli_rootfs_json(o, c, true);
	return ud_cli_put_json(o);
}

static int image_json(const struct ud_image *img)
{
	json_t *layers = json_array();
	for (size_t k = 0; img->layer_ids && img->layer_ids[k]; k++)
		json_array_append_new(layers, json_pack("{s:s, s:I}", "digest", img->layer_ids[k],
							"size", (json_int_t)img->layer_sizes[k]));
	json_t *config = parse_config(img->config, img->config ? strlen(img->config) : 0);
	struct ud_image_config cfg = {0};
	_cleanup_free_ char *plat =
		img->config && ud_image_config_parse(img->config, strlen(img->config), &cfg,
						     NULL) == 0
			? ud_platform_format(&cfg.platform)
			: xstrdup("unknown/unknown");
	ud_image_config_release(&cfg);
	_cleanup_free_ char *ref = xasprintf("%s:%s", img->name, img->tag);
	return ud_cli_put_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:o, s:o}", "kind",
					 "image", "name", img->name, "tag", img->tag, "reference",
					 ref, "directory", img->dir, "protected", img->protected,
					 "platform", plat, "layers", layers, "config", config));
}

UD_CMD(inspect)
{
	bool path = false, json = false;
	const char *format = NULL;
	struct ud_opt opts[] = {{"-p", UD_OPT_FLAG, &path}, UD_CLI_FORMAT_OPTS(json, format), {0}};
	const struct ud_cli_grammar g = {
		.opts = opts, .help = help, .min = 1, .max = 1, .expected = "one IMAGE"};
	UD_CLI_PARSE(&g, pos);
	int rc = ud_cli_want_json(cli, json, format, &json);
	if (rc)
		return rc;
	/* A container first, then an image, as udocker does. */
	struct ud_container *c = ud_store_container_get(cli->store, pos[0], NULL);
	if (c) {
		int crc = 0;
		if (path && c->rootfs == UD_ROOTFS_SQUASH) {
			/* ROOT is only a mount point: each run mounts the tree in
			 * its own namespace, where the host cannot reach it. */
			ud_cli_error("container %s is image-backed: its root is the image file "
				     "%s%s%s; it is a tree only inside a run (udocker run %s "
				     "sh, or export it)",
				     c->id, c->image_file ? c->image_file : "(missing)",
				     c->upper ? ", its changes are in " : " (ephemeral)",
				     c->upper ? c->upper : "", c->id);
			crc = 1;
		} else if (path) {
			printf("%s\n", c->root);
		} else if (json) {
			crc = container_json(c);
		} else {
			_cleanup_free_ char *cj = ud_path_join(c->dir, "container.json");
			_cleanup_free_ char *what =
				xasprintf("container %s: container.json", c->id);
			struct ud_error *err = NULL;
			size_t len = 0;
			_cleanup_free_ char *text = ud_read_file(cj, &len, &err);
			crc = text ? ud_cli_print_json(text, len, what) : ud_cli_fail(err);
		}
		ud_store_container_free(c);
		return crc;
	}
	struct ud_ref ref;
	rc = ud_cli_parse_image(cli, pos[0], &ref);
	if (rc)
		return rc;
	struct ud_error *err = NULL;
	struct ud_image *img = NULL;
	if (path) {
		ud_cli_error("image or container not found %s (-p applies to containers)", pos[0]);
		rc = 1;
	} else if ((img = ud_store_image_open(cli->store, ref.local_name, ref.local_tag, &err)) ==
		   NULL) {
		rc = ud_cli_fail(err);
	} else if (json) {
		rc = image_json(img);
	} else if (img->config == NULL) {
		ud_cli_error("image %s has no configuration", pos[0]);
		rc = 1;
	} else {
		_cleanup_free_ char *what = xasprintf("image %s: configuration", pos[0]);
		rc = ud_cli_print_json(img->config, strlen(img->config), what);
	}
	ud_store_image_free(img);
	ud_ref_release(&ref);
	return rc;
}
