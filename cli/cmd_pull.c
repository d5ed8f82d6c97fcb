#include "cli/jobs.h"

static const char help[] =
	"Usage: udocker pull [options] IMAGE\n"
	"\n"
	"Pulls IMAGE ([HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST]) into the local\n"
	"repository. The tag is resolved again; only blobs not yet in the store are\n"
	"downloaded, several at once, each checked against its sha256 while it\n"
	"streams. An interrupted download resumes where it stopped. With\n"
	"UDOCKER_ROOTFS=squash the image's image file is built too (when missing).\n"
	"\n"
	"Options:\n"
	"  --registry=URL        registry for names without a host (http:// for plain HTTP)\n"
	"  --index=URL           refused: pulls use the registry API v2 only (--registry)\n"
	"  --httpproxy=URL       proxy (socks4/socks5/http)\n"
	"  --platform=OS/ARCH[/VARIANT]   platform to select from a multi-platform image\n";

UD_CMD(pull)
{
	struct ud_cli_registry_args ra = {0};
	const struct ud_cli_grammar g = {.help = help,
					 .min = 1,
					 .max = 1,
					 .expected = "one IMAGE",
					 .registry = &ra,
					 .registry_opts = UD_REG_OPT_ALL};
	UD_CLI_PARSE(&g, pos);
	if (ra.index) {
		ud_cli_error("pull --index is not supported: images come from the registry API v2 "
			     "only, there is no v1 index to ask; use --registry=URL");
		return 1;
	}
	ud_cli_use_registry_args(cli, &ra);
	struct ud_spec *spec = ud_spec_new();
	struct ud_spec_image *img = ud_spec_add_image(spec, NULL, pos[0]);
	img->pull = xstrdup("always");
	if (ra.platform)
		img->platform = xstrdup(ra.platform);
	struct ud_error *err = NULL;
	int rc;
	if (ud_spec_validate(spec, &err) < 0)
		rc = ud_cli_fail(err);
	else
		rc = ud_cli_run_spec(cli, spec, NULL, true, NULL, NULL);
	ud_spec_free(spec);
	/* Image-backed containers by default: their image file too. */
	if (rc == 0)
		rc = ud_cli_prepare_image_file(cli, pos[0]);
	return rc;
}
