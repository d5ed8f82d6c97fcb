#include "cli/cli.h"
#include "engines/engines.h"

#include <string.h>
#include <sys/utsname.h>

static const char help[] =
	"Usage: udocker doctor\n"
	"\n"
	"Reports what this host offers for running containers: user namespaces,\n"
	"ptrace, seccomp, the runtimes and tools found on PATH, and for every\n"
	"execution mode whether it can run here and, if not, why. Ends with the\n"
	"mode 'execmode: auto' picks. Exit status 0 when at least one mode can run.\n";

UD_CMD(doctor)
{
	struct ud_opt opts[] = {{0}};
	char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(argc, argv, opts, help, pos);
	bool extra = pos[0] != NULL;
	free(pos);
	if (extra) {
		ud_cli_error("doctor: takes no arguments (see udocker doctor --help)");
		return 1;
	}
	struct utsname u;
	if (uname(&u) == 0)
		printf("host: %s %s %s, %ld CPUs\n", u.sysname, u.release, u.machine,
		       sysconf(_SC_NPROCESSORS_ONLN));
	struct ud_host_probe p;
	ud_engines_probe_host(&p);
	printf("user namespaces: %s\n", p.userns ? "yes" : p.userns_why);
	printf("ptrace: %s\n", p.ptrace ? "yes" : p.ptrace_why);
	printf("seccomp filters: %s\n", p.seccomp ? "yes" : "no");
	printf("seccomp listener: %s\n", p.seccomp_listener ? "yes" : "no");
	static const char *const tools[] = {"runc",	   "crun",  "runsc",   "apptainer",
					    "singularity", "proot", "patchelf"};
	for (size_t i = 0; i < UD_ARRAY_SIZE(tools); i++) {
		const char *found = NULL;
		for (size_t k = 0; p.tools[k]; k++) {
			const char *base = strrchr(p.tools[k], '/');
			if (strcmp(base ? base + 1 : p.tools[k], tools[i]) == 0)
				found = p.tools[k];
		}
		printf("%s: %s\n", tools[i], found ? found : "not found");
	}
	char *twhy = NULL;
	_cleanup_free_ char *tracer = ud_engine_tracer_path(&twhy);
	printf("udocker-tracer: %s\n", tracer ? tracer : twhy);
	free(twhy);
	ud_host_probe_release(&p);
	printf("modes:\n");
	int usable = 0;
	for (size_t i = 0; ud_engine_all_modes[i]; i++) {
		char *why = NULL;
		bool ok = ud_engine_available(ud_engine_all_modes[i], &why);
		usable += ok;
		printf("  %s  %s%s\n", ud_engine_all_modes[i], ok ? "yes" : "no: ",
		       ok    ? ""
		       : why ? why
			     : "unknown");
		free(why);
	}
	char *why = NULL;
	_cleanup_free_ char *pick = ud_engine_pick(NULL, &why);
	if (pick)
		printf("execmode auto: %s\n", pick);
	else
		printf("execmode auto: none can run here (%s)\n", why);
	free(why);
	return usable ? 0 : 1;
}
