#include "cli/jobs.h"
#include "store/store.h"

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
	const struct ud_cli_grammar g = {
		.opts = opts, .help = help, .min = 1, .max = 1, .expected = "one IMAGE"};
	UD_CLI_PARSE(&g, pos);
	/* A container first, then an image, as udocker does. */
	struct ud_container *c = ud_store_container_get(cli->store, pos[0], NULL);
	if (c) {
		int crc = 0;
		if (path) {
			printf("%s\n", c->root);
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
	int rc = ud_cli_parse_image(cli, pos[0], &ref);
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
