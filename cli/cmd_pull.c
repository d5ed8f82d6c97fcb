#include "cli/jobs.h"

static const char help[] =
	"Usage: udocker pull [options] IMAGE\n"
	"\n"
	"Pulls IMAGE ([HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST]) into the local\n"
	"repository. The tag is resolved again; only blobs not yet in the store are\n"
	"downloaded, several at once, each checked against its sha256 while it\n"
	"streams. An interrupted download resumes where it stopped.\n"
	"\n"
	"Options:\n"
	"  --registry=URL        registry for names without a host (http:// for plain HTTP)\n"
	"  --index=URL           refused: pulls use the registry API v2 only (--registry)\n"
	"  --httpproxy=URL       proxy (socks4/socks5/http)\n"
	"  --platform=OS/ARCH[/VARIANT]   platform to select from a multi-platform image\n";

UD_CMD(pull)
{
	const char *registry = NULL, *index = NULL, *proxy = NULL, *platform = NULL;
	struct ud_opt opts[] = {{"--registry", UD_OPT_VALUE, &registry},
				{"--index", UD_OPT_VALUE, &index},
				{"--httpproxy", UD_OPT_VALUE, &proxy},
				{"--platform", UD_OPT_VALUE, &platform},
				{0}};
	char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(argc, argv, opts, help, pos);
	if (pos[0] == NULL || pos[1] != NULL) {
		ud_cli_error("pull: expected one IMAGE (see udocker pull --help)");
		free(pos);
		return 1;
	}
	if (index) {
		free(pos);
		ud_cli_error("pull --index is not supported: images come from the registry API v2 "
			     "only, there is no v1 index to ask; use --registry=URL");
		return 1;
	}
	if (proxy) {
		free(cli->conf.http_proxy);
		cli->conf.http_proxy = xstrdup(proxy);
	}
	struct ud_spec *spec = ud_spec_new();
	struct ud_spec_image *img = ud_spec_add_image(spec, NULL, pos[0]);
	img->pull = xstrdup("always");
	if (platform)
		img->platform = xstrdup(platform);
	free(pos);
	struct ud_error *err = NULL;
	int rc;
	struct ud_cli_spec_opts so = {.registry = registry};
	if (ud_spec_validate(spec, &err) < 0)
		rc = ud_cli_fail(err);
	else
		rc = ud_cli_run_spec(cli, spec, &so, true, NULL, NULL);
	ud_spec_free(spec);
	return rc;
}
