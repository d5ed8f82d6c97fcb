#ifndef UD_CLI_JOBS_H
#define UD_CLI_JOBS_H

#include "cli/cli.h"
#include "registry/registry.h"
#include "spec/spec.h"

/* Plans and applies spec; prints progress; returns the exit status. */
struct ud_run_options;
/* Returns 0, 1 (udocker error), 2 (a command could not be prepared) or the
 * first failing command's status. */
int ud_cli_run_spec(struct ud_cli *cli, const struct ud_spec *spec, const char *registry_url,
		    bool quiet_summary, const struct ud_run_options *run);
/* Parses an image argument; prints the error and returns 1 on failure. */
int ud_cli_parse_image(struct ud_cli *cli, const char *text, struct ud_ref *ref);

#endif
