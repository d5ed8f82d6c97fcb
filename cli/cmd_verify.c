#include "cli/jobs.h"
#include "engines/engines.h"
#include "store/store.h"

#include <sys/stat.h>
#include <unistd.h>

static const char help[] = "Usage: udocker verify IMAGE\n"
			   "\n"
			   "Checks every layer and the configuration of a local image: the links,\n"
			   "the files, their sizes and their sha256 digests; and its image file\n"
			   "(image-backed containers) when one was built: a damaged one is\n"
			   "removed, to be built again when it is needed.\n";

static void on_ok(const char *id, void *data)
{
	(void)data;
	ud_log(UD_LOG_INFO, "layer ok: %s", id);
}

/* The image's image file, when one was built: a damaged one is removed
 * (the next image-backed run or create builds it again); -1 then. */
static int verify_image_file(struct ud_cli *cli, const char *name, const char *tag)
{
	struct ud_image *img = ud_store_image_open(cli->store, name, tag, NULL);
	_cleanup_free_ char *digest = img ? ud_store_image_digest(img) : NULL;
	ud_store_image_free(img);
	_cleanup_free_ char *file = digest ? ud_store_squash_file(cli->store, digest) : NULL;
	struct stat st;
	if (file == NULL || lstat(file, &st) < 0)
		return 0;
	struct ud_error *err = NULL;
	if (ud_squash_check(file, &err) == 0) {
		ud_log(UD_LOG_INFO, "image file ok: %s", file);
		return 0;
	}
	ud_cli_error("%s", err->msg);
	ud_error_free(err);
	if (unlink(file) == 0)
		ud_cli_error("removed the damaged image file %s: it is built again when an "
			     "image-backed container of the image runs or is created",
			     file);
	return -1;
}

UD_CMD(verify)
{
	const struct ud_cli_grammar g = {.help = help, .min = 1, .max = 1, .expected = "one IMAGE"};
	UD_CLI_PARSE(&g, pos);
	struct ud_ref ref;
	int rc = ud_cli_parse_image(cli, pos[0], &ref);
	if (rc)
		return rc;
	ud_log(UD_LOG_INFO, "verifying: %s:%s", ref.local_name, ref.local_tag);
	struct ud_error *err = NULL;
	if (ud_store_image_verify(cli->store, ref.local_name, ref.local_tag, on_ok, NULL, &err) <
	    0) {
		ud_cli_error("%s", err->msg);
		ud_error_free(err);
		ud_cli_error("image verification failure");
		rc = 1;
	} else if (verify_image_file(cli, ref.local_name, ref.local_tag) < 0) {
		ud_cli_error("image verification failure");
		rc = 1;
	} else {
		ud_log(UD_LOG_INFO, "image Ok");
	}
	ud_ref_release(&ref);
	return rc;
}
