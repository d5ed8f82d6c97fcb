#ifndef UD_CLI_JOBS_H
#define UD_CLI_JOBS_H

#include "cli/cli.h"
#include "registry/registry.h"
#include "spec/spec.h"

/* How a spec is planned: the registry for host-less names; spec_path's
 * lock file (FILE.lock) pins the images unless no_lock; offline: no
 * registry is asked; stage: nothing is run. */
struct ud_cli_spec_opts {
	const char *registry;
	const char *spec_path;
	bool no_lock, offline, stage;
};
/* The validated UDOCKER_DEFAULT_EXECUTION_MODE / default_execution_mode
 * (upper case; NULL: unset or auto); -1 with *err when it names no mode. */
int ud_cli_default_mode(struct ud_cli *cli, const char **mode, struct ud_error **err);
struct ud_planner_options;
struct ud_lockfile;
/* Fills planner options from o (NULL: defaults); *lock is the loaded lock
 * file (free with ud_lockfile_free). -1 with *err for a bad lock file. */
int ud_cli_planner_options(struct ud_cli *cli, const struct ud_cli_spec_opts *o,
			   struct ud_planner_options *popts, struct ud_lockfile **lock,
			   struct ud_error **err);

/* Plans and applies spec; prints progress; returns the exit status. */
struct ud_run_options;
struct ud_exec_stats;
/* Returns 0, 1 (udocker error), 2 (a command could not be prepared) or the
 * first failing command's status; *stats (may be NULL) the apply's totals. */
int ud_cli_run_spec(struct ud_cli *cli, const struct ud_spec *spec,
		    const struct ud_cli_spec_opts *o, bool quiet_summary,
		    const struct ud_run_options *run, struct ud_exec_stats *stats);
/* Loads the spec FILE; with task (--task N) ${TASK} stands for N, which
 * must be one of the spec's tasks when it lists them. */
struct ud_spec *ud_cli_load_spec(const char *file, const char *task, struct ud_error **err);
/* Parses an image argument; prints the error and returns 1 on failure. */
int ud_cli_parse_image(struct ud_cli *cli, const char *text, struct ud_ref *ref);

#endif
