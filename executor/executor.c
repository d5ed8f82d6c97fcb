/* Runs a plan's steps in order; the first failure stops the run. */
#include "executor/executor_private.h"

#include <string.h>

int ud_executor_apply(const struct ud_plan *plan, struct ud_store *store,
		      const struct ud_executor_options *opts, struct ud_exec_stats *stats,
		      struct ud_error **err)
{
	memset(stats, 0, sizeof(*stats));
	/* apply does what plan said, or nothing: a blocked step stops the
	 * job before anything is pulled or created. */
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct ud_step *st = &plan->steps[i];
		if (st->state != UD_STEP_BLOCKED)
			continue;
		/* A run is blocked by what it needs on the host: exit 2. */
		stats->prepare_failed = st->kind == UD_STEP_RUN;
		if (st->where)
			return ud_error_set(err, UD_ERR_USAGE, "%s: %s %s: %s", st->where,
					    ud_step_kind_name(st->kind), st->name, st->reason);
		return ud_error_set(err, UD_ERR_USAGE, "%s %s: %s", ud_step_kind_name(st->kind),
				    st->name, st->reason);
	}
	struct ud_exec_ctx x = {store, NULL, opts};
	int r = 0;
	for (size_t i = 0; r == 0 && i < plan->n_steps; i++) {
		const struct ud_step *st = &plan->steps[i];
		struct ud_event_info info = {st, NULL, 0, 0};
		if (st->state == UD_STEP_PRESENT) {
			stats->steps_skipped++;
			if (opts->on_event)
				opts->on_event(UD_EV_STEP_SKIP, &info, opts->data);
			continue;
		}
		if (opts->on_event)
			opts->on_event(UD_EV_STEP_BEGIN, &info, opts->data);
		switch (st->kind) {
		case UD_STEP_PULL:
			if (x.client == NULL &&
			    (x.client = ud_registry_client_new(opts->registry, err)) == NULL) {
				r = -1;
				break;
			}
			r = ud_exec_pull(&x, st, stats, err);
			if (r < 0)
				ud_error_prefix(err, "pull '%s'", st->pull.ref_text);
			break;
		case UD_STEP_CREATE:
			r = ud_exec_create(&x, plan, st, stats, err);
			if (r < 0)
				ud_error_prefix(err, "create '%s'", st->name);
			break;
		case UD_STEP_SETUP:
			r = ud_exec_setup(&x, st, err);
			if (r < 0)
				ud_error_prefix(err, "setup '%s'", st->name);
			break;
		case UD_STEP_RUN:
			r = ud_exec_run(&x, st, stats, err);
			if (r < 0) {
				stats->prepare_failed = true;
				ud_error_prefix(err, "run '%s'", st->name);
			}
			break;
		}
		if (r < 0)
			break;
		stats->steps_done++;
		if (opts->on_event)
			opts->on_event(UD_EV_STEP_DONE, &info, opts->data);
		if (stats->job_status != 0)
			break; /* the first failing command ends the job */
	}
	ud_registry_client_free(x.client);
	return r;
}
