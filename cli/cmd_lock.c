#include "cli/jobs.h"
#include "executor/executor.h"

#include <string.h>

static const char help[] =
	"Usage: udocker lock -f FILE [--registry=URL]\n"
	"\n"
	"Resolves every image tag the job spec uses to its digest for the image's\n"
	"platform (one manifest request per image) and writes FILE.lock beside\n"
	"the spec. apply, plan and submit then use those digests, so every node of\n"
	"a batch job runs exactly the same images; run lock again to move on.\n"
	"Images the spec already pins by digest are left out.\n"
	"\n"
	"Options:\n"
	"  -f, --file=FILE   the job spec\n"
	"  --registry=URL    registry for image names without a host\n";

UD_CMD(lock)
{
	struct ud_cli_spec_opts so = {0};
	const struct ud_cli_grammar g = {
		.help = help, .spec = &so, .spec_opts = UD_SPEC_OPT_REGISTRY};
	UD_CLI_PARSE(&g, pos);
	if (strcmp(so.spec_path, "-") == 0) {
		ud_cli_error(
			"lock: expected -f FILE, not stdin (FILE.lock is written beside FILE)");
		return 1;
	}
	so.no_lock = true; /* the tags are resolved again */
	struct ud_error *err = NULL;
	struct ud_spec *spec = NULL;
	struct ud_plan *plan = ud_cli_plan_file(cli, &so, &spec, &err);
	if (plan == NULL)
		return ud_cli_fail(err);
	struct ud_registry_options ropts;
	ud_cli_registry_options(cli, &ropts);
	_cleanup_free_ char *path = ud_lockfile_path(so.spec_path);
	struct ud_lockfile *lock = NULL;
	int requests = 0;
	int rc = ud_executor_lock(plan, &ropts, path, &lock, &requests, &err);
	for (size_t i = 0; i < lock->n; i++)
		printf("%s (%s): %s\n", lock->entries[i].ref, lock->entries[i].platform,
		       lock->entries[i].digest);
	if (rc == 0)
		ud_log(UD_LOG_INFO, "wrote %s: %zu image%s locked (%d manifest request%s)", path,
		       lock->n, lock->n == 1 ? "" : "s", requests, requests == 1 ? "" : "s");
	ud_lockfile_free(lock);
	ud_plan_free(plan);
	ud_spec_free(spec);
	return rc == 0 ? 0 : ud_cli_fail(err);
}
