#include "cli/jobs.h"
#include "planner/planner.h"
#include "store/store.h"

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
	const char *file = NULL, *registry = NULL;
	struct ud_opt opts[] = {
		{"-f|--file", UD_OPT_VALUE, &file}, {"--registry", UD_OPT_VALUE, &registry}, {0}};
	char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(argc, argv, opts, help, pos);
	bool extra = pos[0] != NULL;
	free(pos);
	if (file == NULL || extra) {
		ud_cli_error("lock: expected -f FILE (see udocker lock --help)");
		return 1;
	}
	if (strcmp(file, "-") == 0) {
		ud_cli_error(
			"lock: expected -f FILE, not stdin (FILE.lock is written beside FILE)");
		return 1;
	}
	struct ud_error *err = NULL;
	struct ud_spec *spec = ud_cli_load_spec(file, NULL, &err);
	struct ud_store *store = spec ? ud_cli_store(cli, &err) : NULL;
	struct ud_cli_spec_opts so = {.registry = registry, .spec_path = file, .no_lock = true};
	struct ud_planner_options popts;
	struct ud_lockfile *none = NULL;
	struct ud_plan *plan = store && ud_cli_planner_options(cli, &so, &popts, &none, &err) == 0
				       ? ud_planner_plan(spec, store, &popts, &err)
				       : NULL;
	struct ud_registry_options ropts;
	ud_cli_registry_options(cli, &ropts);
	struct ud_registry_client *client = plan ? ud_registry_client_new(&ropts, &err) : NULL;
	struct ud_lockfile *lock = xcalloc(1, sizeof(*lock));
	int rc = client ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < plan->n_steps; i++) {
		const struct ud_step *st = &plan->steps[i];
		if (st->kind != UD_STEP_PULL || st->pull.ref.digest)
			continue;
		struct ud_resolved *res =
			ud_registry_resolve(client, &st->pull.ref, &st->pull.platform, &err);
		if (res == NULL) {
			ud_error_prefix(&err, "lock '%s'", st->pull.ref_text);
			rc = -1;
			break;
		}
		_cleanup_free_ char *plat = ud_platform_format(&st->pull.platform);
		ud_lockfile_add(lock, st->pull.ref_text, plat, res->manifest_digest);
		printf("%s (%s): %s\n", st->pull.ref_text, plat, res->manifest_digest);
		ud_resolved_free(res);
	}
	_cleanup_free_ char *path = ud_lockfile_path(file);
	if (rc == 0 && ud_lockfile_write(path, lock, &err) < 0)
		rc = -1;
	if (rc == 0) {
		struct ud_registry_counts n;
		ud_registry_counts(client, &n);
		ud_log(UD_LOG_INFO, "wrote %s: %zu image%s locked (%d manifest request%s)", path,
		       lock->n, lock->n == 1 ? "" : "s", n.manifest_requests,
		       n.manifest_requests == 1 ? "" : "s");
	}
	ud_lockfile_free(lock);
	ud_registry_client_free(client);
	ud_plan_free(plan);
	ud_spec_free(spec);
	return rc == 0 ? 0 : ud_cli_fail(err);
}
