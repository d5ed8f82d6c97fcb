#ifndef UD_CLI_JOBS_H
#define UD_CLI_JOBS_H

#include "cli/cli.h"
#include "registry/registry.h"
#include "spec/spec.h"

/* --registry and --httpproxy replace the configuration's for this run. */
void ud_cli_use_registry_args(struct ud_cli *cli, const struct ud_cli_registry_args *ra);
/* A registry client with the configuration's options (without the
 * keystore's credentials unless keystore); NULL with *err. */
struct ud_registry_client *ud_cli_registry_client(struct ud_cli *cli, bool keystore,
						  struct ud_error **err);

/* The validated UDOCKER_DEFAULT_EXECUTION_MODE / default_execution_mode
 * (upper case; NULL: unset or auto); -1 with *err when it names no mode. */
/* --rootfs=KIND and --ephemeral of command cmd into the container c: KIND
 * (else the configuration's rootfs) checked; with rm, an image-backed
 * container is ephemeral (it goes afterwards). -1 after printing the
 * usage error. */
int ud_cli_rootfs_options(struct ud_cli *cli, const char *cmd, const char *rootfs, bool ephemeral,
			  bool rm, struct ud_spec_container *c);
int ud_cli_default_mode(struct ud_cli *cli, const char **mode, struct ud_error **err);
struct ud_plan;
/* Opens the store (*store, may be NULL: the CLI keeps it) and plans spec
 * as o (NULL: defaults) says; no_volumes: the run binds none (--novol).
 * NULL with *err: the store, the lock file or the plan failed. */
struct ud_plan *ud_cli_plan(struct ud_cli *cli, const struct ud_spec *spec,
			    const struct ud_cli_spec_opts *o, bool no_volumes,
			    struct ud_store **store, struct ud_error **err);
/* Loads o->spec_path (with o->task) into *spec (caller frees) and plans
 * it (ud_cli_plan); NULL with *err (and *spec NULL) on failure. */
struct ud_plan *ud_cli_plan_file(struct ud_cli *cli, const struct ud_cli_spec_opts *o,
				 struct ud_spec **spec, struct ud_error **err);

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
/* With UDOCKER_ROOTFS=squash, the image file of the local image text
 * (built when missing, with the pull display); 0 otherwise. */
int ud_cli_prepare_image_file(struct ud_cli *cli, const char *text);
int ud_cli_parse_image(struct ud_cli *cli, const char *text, struct ud_ref *ref);

#endif
