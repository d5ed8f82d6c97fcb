/* lock: the digests a plan's tags resolve to, written to a lock file. */
#include "executor/executor.h"

int ud_executor_lock(const struct ud_plan *plan, const struct ud_registry_options *ropts,
		     const char *path, struct ud_lockfile **locked, int *manifest_requests,
		     struct ud_error **err)
{
	*locked = xcalloc(1, sizeof(**locked));
	*manifest_requests = 0;
	struct ud_registry_client *client = ud_registry_client_new(ropts, err);
	if (client == NULL)
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < plan->n_steps; i++) {
		const struct ud_step *st = &plan->steps[i];
		if (st->kind != UD_STEP_PULL || st->pull.ref.digest)
			continue;
		struct ud_resolved *res =
			ud_registry_resolve(client, &st->pull.ref, &st->pull.platform, err);
		if (res == NULL) {
			rc = ud_error_prefix(err, "lock '%s'", st->pull.ref_text);
			break;
		}
		_cleanup_free_ char *plat = ud_platform_format(&st->pull.platform);
		ud_lockfile_add(*locked, st->pull.ref_text, plat, res->manifest_digest);
		ud_resolved_free(res);
	}
	if (rc == 0)
		rc = ud_lockfile_write(path, *locked, err);
	struct ud_registry_counts n;
	ud_registry_counts(client, &n);
	*manifest_requests = n.manifest_requests;
	ud_registry_client_free(client);
	return rc;
}
