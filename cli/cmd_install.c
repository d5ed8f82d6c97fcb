#include "cli/jobs.h"
#include "engines/engines.h"
#include "store/store.h"

#include <dirent.h>
#include <string.h>

static const char help[] =
	"Usage: udocker install [--force] [--purge]\n"
	"\n"
	"Prepares the repository and reports what this host offers for running\n"
	"containers: user namespaces, ptrace, seccomp, and the external tools found\n"
	"(runc, crun, runsc, apptainer, singularity, proot, patchelf). Unlike Python\n"
	"udocker, nothing is downloaded: the engines are part of udocker itself.\n"
	"\n"
	"Options:\n"
	"  --purge   first remove everything in the repository's bin/, lib/ and doc/\n"
	"  --force   recreate the repository directories\n";

static int purge_dir(const char *dir, struct ud_error **err)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		_cleanup_free_ char *p = ud_path_join(dir, de->d_name);
		r = ud_rmtree(p, err);
	}
	closedir(d);
	return r;
}

UD_CMD(install)
{
	bool force = false, purge = false;
	struct ud_opt opts[] = {
		{"--force", UD_OPT_FLAG, &force}, {"--purge", UD_OPT_FLAG, &purge}, {0}};
	const struct ud_cli_grammar g = {.opts = opts, .help = help};
	UD_CLI_PARSE(&g, pos);
	if (force) {
		ud_cli_error("install --force is not supported: the engines are built into this "
			     "udocker, there are no udockertools to download again");
		return 1;
	}
	struct ud_error *err = NULL;
	struct ud_store *s = ud_cli_store(cli, &err);
	if (s == NULL)
		return ud_cli_fail(err);
	if (purge && (purge_dir(s->bin, &err) < 0 || purge_dir(s->lib, &err) < 0 ||
		      purge_dir(s->doc, &err) < 0))
		return ud_cli_fail(err);
	struct ud_host_probe p;
	ud_engines_probe_host(&p);
	printf("repository: %s\n", s->top);
	printf("user namespaces: %s\n", p.userns ? "available" : p.userns_why);
	printf("ptrace: %s\n", p.ptrace ? "allowed" : p.ptrace_why);
	printf("seccomp: %s\n", p.seccomp ? "available" : "not available");
	printf("external tools:");
	if (p.tools[0] == NULL)
		printf(" none found");
	for (size_t i = 0; p.tools[i]; i++)
		printf(" %s", p.tools[i]);
	printf("\n");
	/* The engines that are parts of udocker, each found or said missing. */
	printf("engine N (user namespaces): built in\n");
	const struct {
		const char *what;
		char *(*find)(char **why);
	} parts[] = {{"engine P (udocker-tracer)", ud_engine_tracer_path},
		     {"engine F (libudocker-fakechroot.so)", ud_engine_fakechroot_lib}};
	int missing = 0;
	for (size_t i = 0; i < UD_ARRAY_SIZE(parts); i++) {
		_cleanup_free_ char *why = NULL;
		_cleanup_free_ char *path = parts[i].find(&why);
		printf("%s: %s%s\n", parts[i].what,
		       path ? "present, " : "MISSING: ", path ? path : why);
		missing += path == NULL;
	}
	printf("engines R (runc or crun) and S (apptainer or singularity) come from the host; "
	       "modes:" UD_CLI_MODES_SPACE " (udocker doctor says which run here)\n");
	ud_host_probe_release(&p);
	if (missing) {
		ud_cli_error("%d built-in engine part(s) missing: reinstall udocker with them",
			     missing);
		return 1;
	}
	return 0;
}
