#include "cli/jobs.h"
#include "store/store.h"

#include <jansson.h>
#include <string.h>

static const char help[] =
	"Usage: udocker inspect [-p] CONTAINER|IMAGE\n"
	"\n"
	"Prints the image's configuration (the config blob) as JSON with sorted\n"
	"keys and 4-space indentation.\n";

UD_CMD(inspect)
{
	bool path = false;
	struct ud_opt opts[] = {{"-p", UD_OPT_FLAG, &path}, {0}};
	const struct ud_cli_grammar g = {opts, NULL, help, 1, 1, "one IMAGE"};
	_cleanup_free_ char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(&g, pos);
	/* A container first, then an image, as udocker does. */
	struct ud_container *c = ud_store_container_get(cli->store, pos[0], NULL);
	if (c) {
		int crc = 0;
		if (path) {
			printf("%s\n", c->root);
		} else {
			_cleanup_free_ char *cj = ud_path_join(c->dir, "container.json");
			json_error_t je;
			json_t *j = json_load_file(cj, 0, &je);
			if (j == NULL) {
				ud_cli_error("container %s has no valid container.json: %s", c->id,
					     je.text);
				crc = 1;
			} else {
				char *text = json_dumps(j, JSON_INDENT(4) | JSON_SORT_KEYS);
				puts(text);
				free(text);
				json_decref(j);
			}
		}
		ud_store_container_free(c);
		return crc;
	}
	struct ud_ref ref;
	int rc = ud_cli_parse_image(cli, pos[0], &ref);
	if (rc) {
		return rc;
	}
	struct ud_error *err = NULL;
	struct ud_image *img = NULL;
	if (path) {
		ud_cli_error("image or container not found %s (-p applies to containers)", pos[0]);
		rc = 1;
	} else if ((img = ud_store_image_open(cli->store, ref.local_name, ref.local_tag, &err)) ==
		   NULL) {
		rc = ud_cli_fail(err);
	} else if (img->config == NULL) {
		ud_cli_error("image %s has no configuration", pos[0]);
		rc = 1;
	} else {
		json_error_t je;
		json_t *j = json_loads(img->config, 0, &je);
		if (j == NULL) {
			/* The config came from a registry: its bytes are escaped. */
			_cleanup_free_ char *e = ud_str_escape(je.text, 200);
			ud_cli_error("image %s: configuration is not valid JSON: %s", pos[0], e);
			rc = 1;
		} else {
			char *text = json_dumps(j, JSON_INDENT(4) | JSON_SORT_KEYS);
			puts(text);
			free(text);
			json_decref(j);
		}
	}
	ud_store_image_free(img);
	ud_ref_release(&ref);
	return rc;
}
