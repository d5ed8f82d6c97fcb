#include "cli/jobs.h"
#include "store/store.h"

static const char help[] =
	"Usage: udocker tag SOURCE TARGET\n"
	"\n"
	"Gives the local image SOURCE the additional name TARGET; both share the\n"
	"same layer files. TARGET must not exist.\n";

UD_CMD(tag)
{
	const struct ud_cli_grammar g = {
		.help = help, .min = 2, .max = 2, .expected = "SOURCE TARGET"};
	UD_CLI_PARSE(&g, pos);
	struct ud_ref src, dst;
	int rc = ud_cli_parse_image(cli, pos[0], &src);
	if (rc == 0 && (rc = ud_cli_parse_image(cli, pos[1], &dst)) != 0)
		ud_ref_release(&src);
	if (rc)
		return rc;
	struct ud_error *err = NULL;
	if (ud_store_image_tag(cli->store, src.local_name, src.local_tag, dst.local_name,
			       dst.local_tag, &err) < 0)
		rc = ud_cli_fail(err);
	ud_ref_release(&src);
	ud_ref_release(&dst);
	return rc;
}
