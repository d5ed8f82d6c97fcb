/* Internal to executor/. */
#ifndef UD_EXECUTOR_PRIVATE_H
#define UD_EXECUTOR_PRIVATE_H

#include "executor/executor.h"
#include "store/store.h"

struct ud_exec_ctx {
	struct ud_store *store;
	struct ud_registry_client *client;
	const struct ud_executor_options *opts;
};

int ud_exec_pull(struct ud_exec_ctx *x, const struct ud_step *st, struct ud_exec_stats *stats,
		 struct ud_error **err);

struct ud_container;
struct ud_spec_container;
struct ud_run_request;
int ud_exec_create(struct ud_exec_ctx *x, const struct ud_plan *plan, const struct ud_step *st,
		   struct ud_exec_stats *stats, struct ud_error **err);
int ud_exec_setup(struct ud_exec_ctx *x, const struct ud_step *st, struct ud_error **err);
int ud_exec_run(struct ud_exec_ctx *x, const struct ud_step *st, struct ud_exec_stats *stats,
		struct ud_error **err);
/* Assembles what to run in container c: metadata, user, env, workdir,
 * binds; command NULL means the image's Cmd. */
int ud_exec_build_request(const struct ud_container *c, const struct ud_spec_container *sc,
			  char *const *command, const struct ud_run_options *o,
			  struct ud_run_request *r, struct ud_error **err);
void ud_run_request_release(struct ud_run_request *r);

#endif
