#include "cli/jobs.h"
#include "executor/executor.h"
#include "store/store.h"

static const char help[] =
	"Usage: udocker create [--name=NAME] [--force] [--rootfs=dir|squash] [--ephemeral] IMAGE\n"
	"\n"
	"Creates a container from IMAGE (pulled when missing) and prints its id.\n"
	"The layers are applied in order: whiteouts and opaque directories are\n"
	"honoured, nothing is ever written outside the container's root.\n"
	"\n"
	"Options:\n"
	"  --name=NAME   give the container a name\n"
	"  --force       create the container even if NAME is taken (without the name)\n"
	"  --rootfs=dir|squash\n"
	"                dir (default, or UDOCKER_ROOTFS): the container is a directory\n"
	"                tree (ROOT), as udocker 1.3.16 makes it; squash: image-backed,\n"
	"                its root is the image's one SquashFS file (built once per\n"
	"                image, shared) and only its changes are its own (runs in N1)\n"
	"  --ephemeral   image-backed: changes last one run (kept in memory)\n";

UD_CMD(create)
{
	const char *name = NULL, *rootfs = NULL;
	bool force = false, ephemeral = false;
	struct ud_opt opts[] = {{"--name", UD_OPT_VALUE, &name},
				{"--force", UD_OPT_FLAG, &force},
				{"--rootfs", UD_OPT_VALUE, &rootfs},
				{"--ephemeral", UD_OPT_FLAG, &ephemeral},
				{0}};
	const struct ud_cli_grammar g = {
		.opts = opts, .help = help, .min = 1, .max = 1, .expected = "one IMAGE"};
	UD_CLI_PARSE(&g, pos);
	if (name && !ud_store_container_name_valid(name)) {
		ud_cli_error("invalid container name or wrong format: %s", name);
		return 1;
	}
	struct ud_error *err = NULL;
	struct ud_container *taken = name ? ud_store_container_get(cli->store, name, NULL) : NULL;
	if (taken && !force) {
		ud_store_container_free(taken);
		ud_cli_error("container name already exists: %s", name);
		return 1;
	}
	bool name_taken = taken != NULL;
	ud_store_container_free(taken);
	/* Through the planner: pull when missing, then create under a fresh name. */
	char tmpname[16] = "create-";
	ud_random_hex(tmpname + 7, 8);
	struct ud_spec *spec = ud_spec_new();
	struct ud_spec_image *img = ud_spec_add_image(spec, NULL, pos[0]);
	img->pull = xstrdup("missing");
	struct ud_spec_container *c = ud_spec_add_container(spec, tmpname, pos[0]);
	c->fresh = true;
	if (ud_cli_rootfs_options(cli, "create", rootfs, ephemeral, false, c) < 0) {
		ud_spec_free(spec);
		return 1;
	}
	/* Like udocker, create prints the new id only (and errors). */
	enum ud_log_level level = ud_log_get_level();
	if (level < UD_LOG_DEBUG)
		ud_log_set_level(UD_LOG_WARN);
	struct ud_exec_stats stats = {0};
	int rc = ud_spec_validate(spec, &err) < 0
			 ? ud_cli_fail(err)
			 : ud_cli_run_spec(cli, spec, NULL, true, NULL, &stats);
	ud_log_set_level(level);
	ud_spec_free(spec);
	_cleanup_free_ char *id = NULL;
	if (stats.created_id[0] &&
	    ud_executor_rename(cli->store, tmpname, name_taken ? NULL : name, &id, &err) < 0)
		rc = ud_cli_fail(err);
	if (rc == 0 && id)
		printf("%s\n", id);
	return rc;
}
