/* The command table: name, handler, what it needs, one-line summary. */
#include "cli/cli.h"

#include <string.h>

const struct ud_cmd ud_commands[] = {
	{"help", ud_cmd_help, UD_NEEDS_NOTHING, "show this help"},
	{"version", ud_cmd_version, UD_NEEDS_NOTHING, "show the version"},
	{"showconf", ud_cmd_showconf, UD_NEEDS_NOTHING, "show the configuration in effect"},
	{"install", ud_cmd_install, UD_NEEDS_NOTHING,
	 "prepare the repository and report the engines this host has"},
	{"doctor", ud_cmd_doctor, UD_NEEDS_STORE,
	 "report which execution modes can run on this host, and why not"},
	{"mkrepo", ud_cmd_mkrepo, UD_NEEDS_NOTHING, "create a repository in a new directory"},
	{"validate", ud_cmd_validate, UD_NEEDS_NOTHING, "check a job spec (-f FILE)"},
	{"plan", ud_cmd_plan, UD_NEEDS_STORE, "show the steps a job spec needs (-f FILE [--json])"},
	{"submit", ud_cmd_submit, UD_NEEDS_STORE,
	 "stage a job spec once, then run its tasks as a Slurm job array"},
	{"lock", ud_cmd_lock, UD_NEEDS_STORE,
	 "pin a job spec's images to digests (FILE.lock) for every node"},
	{"apply", ud_cmd_apply, UD_NEEDS_STORE, "carry out a job spec (-f FILE)"},
	{"run", ud_cmd_run, UD_NEEDS_STORE,
	 "run a command in a container (pulling and creating as needed)"},
	{"create", ud_cmd_create, UD_NEEDS_STORE, "create a container from an image"},
	{"ps", ud_cmd_ps, UD_NEEDS_STORE, "list containers"},
	{"rm", ud_cmd_rm, UD_NEEDS_STORE, "remove containers"},
	{"name", ud_cmd_name, UD_NEEDS_STORE, "give a container a name"},
	{"rmname", ud_cmd_rmname, UD_NEEDS_STORE, "remove a container name"},
	{"rename", ud_cmd_rename, UD_NEEDS_STORE, "rename a container"},
	{"export", ud_cmd_export, UD_NEEDS_STORE, "write a container's files as a tar"},
	{"clone", ud_cmd_clone, UD_NEEDS_STORE, "copy a container"},
	{"setup", ud_cmd_setup, UD_NEEDS_STORE, "show or set a container's execution mode"},
	{"pull", ud_cmd_pull, UD_NEEDS_STORE, "pull an image from a registry"},
	{"images", ud_cmd_images, UD_NEEDS_STORE, "list local images"},
	{"rmi", ud_cmd_rmi, UD_NEEDS_STORE, "remove a local image"},
	{"tag", ud_cmd_tag, UD_NEEDS_STORE, "give a local image another name"},
	{"inspect", ud_cmd_inspect, UD_NEEDS_STORE, "print an image's configuration"},
	{"verify", ud_cmd_verify, UD_NEEDS_STORE, "check a local image's files and digests"},
	{"manifest", ud_cmd_manifest, UD_NEEDS_STORE,
	 "print an image's manifest from the registry"},
	{"search", ud_cmd_search, UD_NEEDS_STORE, "search a registry for images or tags"},
	{"load", ud_cmd_load, UD_NEEDS_STORE, "load images from a docker save or OCI archive"},
	{"save", ud_cmd_save, UD_NEEDS_STORE, "save images to a docker save archive"},
	{"import", ud_cmd_import, UD_NEEDS_STORE, "make an image from a root filesystem tarball"},
	{"protect", ud_cmd_protect, UD_NEEDS_STORE, "protect an image from removal"},
	{"unprotect", ud_cmd_unprotect, UD_NEEDS_STORE, "remove an image's protection"},
	{"login", ud_cmd_login, UD_NEEDS_STORE, "check and store registry credentials"},
	{"logout", ud_cmd_logout, UD_NEEDS_STORE, "forget registry credentials"},
	{NULL, NULL, 0, NULL},
};

const struct ud_cmd *ud_cmd_find(const char *name)
{
	for (const struct ud_cmd *c = ud_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
