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

#endif
