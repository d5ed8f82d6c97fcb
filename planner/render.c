/* Plan renderings: text for people, JSON for programs. */
#include "planner/planner.h"

#include <jansson.h>

char *ud_plan_render_text(const struct ud_plan *plan)
{
	struct ud_buf b = {0};
	ud_buf_puts(&b, "");
	if (plan->n_steps == 0)
		ud_buf_puts(&b, "nothing to do\n");
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct ud_step *st = &plan->steps[i];
		ud_buf_printf(&b, "%-6s %-8s %s\n", ud_step_kind_name(st->kind),
			      ud_step_state_name(st->state), st->name);
		ud_buf_printf(&b, "       %s\n", st->reason);
		if (st->used_by && st->used_by[0]) {
			ud_buf_puts(&b, "       used by:");
			for (size_t j = 0; st->used_by[j]; j++)
				ud_buf_printf(&b, "%s %s", j ? "," : "", st->used_by[j]);
			ud_buf_puts(&b, "\n");
		}
		if (st->where)
			ud_buf_printf(&b, "       at %s\n", st->where);
	}
	size_t todo = 0, blocked = 0;
	for (size_t i = 0; i < plan->n_steps; i++) {
		todo += plan->steps[i].state == UD_STEP_TODO;
		blocked += plan->steps[i].state == UD_STEP_BLOCKED;
	}
	ud_buf_printf(&b, "%zu step%s: %zu to do, %zu present, %zu blocked\n", plan->n_steps,
		      plan->n_steps == 1 ? "" : "s", todo, plan->n_steps - todo - blocked, blocked);
	return ud_buf_steal(&b);
}

char *ud_plan_render_json(const struct ud_plan *plan)
{
	json_t *steps = json_array();
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct ud_step *st = &plan->steps[i];
		const char *state = st->state == UD_STEP_PRESENT ? "present"
				    : st->state == UD_STEP_TODO	 ? "todo"
								 : "blocked";
		json_t *used = json_array();
		for (size_t j = 0; st->used_by && st->used_by[j]; j++)
			json_array_append_new(used, json_string(st->used_by[j]));
		if (st->kind != UD_STEP_PULL) {
			json_t *o =
				json_pack("{s:s,s:s,s:s,s:s,s:o}", "kind",
					  ud_step_kind_name(st->kind), "name", st->name, "state",
					  state, "reason", st->reason, "used_by", used);
			json_object_set_new(o, "where",
					    st->where ? json_string(st->where) : json_null());
			if (st->kind == UD_STEP_CREATE) {
				json_object_set_new(
					o, "rootfs",
					json_string(st->container.squash ? "squash" : "dir"));
				json_object_set_new(o, "ephemeral",
						    json_boolean(st->container.ephemeral));
			}
			if (st->kind == UD_STEP_SETUP)
				json_object_set_new(
					o, "execmode",
					json_string(ud_execmode_name(st->container.mode)));
			json_array_append_new(steps, o);
			continue;
		}
		_cleanup_free_ char *plat = ud_platform_format(&st->pull.platform);
		const char *policy = st->pull.policy == UD_PULL_ALWAYS	? "always"
				     : st->pull.policy == UD_PULL_NEVER ? "never"
									: "missing";
		_cleanup_free_ char *remote = ud_ref_format(&st->pull.ref);
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:s,s:s}", "kind",
				      ud_step_kind_name(st->kind), "name", st->name, "state", state,
				      "reason", st->reason, "used_by", used, "reference", remote,
				      "local_name", st->pull.local_name, "local_tag",
				      st->pull.local_tag, "platform", plat, "policy", policy);
		json_object_set_new(o, "where", st->where ? json_string(st->where) : json_null());
		json_object_set_new(o, "blobs", json_integer(st->pull.n_blobs));
		json_object_set_new(o, "blobs_missing", json_integer(st->pull.n_missing));
		json_array_append_new(steps, o);
	}
	json_t *root = json_pack("{s:o,s:b}", "steps", steps, "blocked", ud_plan_blocked(plan));
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	char *out = xasprintf("%s\n", text);
	free(text);
	return out;
}
