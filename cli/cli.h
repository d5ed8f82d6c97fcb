/* cli: udocker's argument grammar, configuration, the command table and
 * output. Only this module prints and exits. */
#ifndef UD_CLI_H
#define UD_CLI_H

#include "common/common.h"
#include "engines/engines.h"
#include "spec/execmode.h"
#include "store/store.h"

/* The execution modes as string literals made from the one mode list,
 * for help texts and messages: each mode after its separator
 * (UD_CLI_MODES_COMMA is ", N1, P1, ..., S1", UD_CLI_MODES_SPACE " N1 P1
 * ... S1"). */
#define UD_CLI_MODE_COMMA_(m) ", " #m
#define UD_CLI_MODE_SPACE_(m) " " #m
#define UD_CLI_MODES_COMMA UD_EXECMODES(UD_CLI_MODE_COMMA_)
#define UD_CLI_MODES_SPACE UD_EXECMODES(UD_CLI_MODE_SPACE_)

struct ud_store;

/* Settings after built-in defaults, config files and UDOCKER_* variables
 * (reference/udocker.md §7), then the global options. */
struct ud_conf {
	char *homedir; /* $HOME/.udocker */
	char *topdir;
	char *reposdir, *layersdir, *containersdir, *bindir, *libdir, *docdir;
	char *tmpdir;
	char *keystore;
	char *config_file; /* --config= */
	int verbose_level;
	bool insecure;
	char *http_proxy;
	/* Names without a host go to registry_url (--registry, UDOCKER_REGISTRY,
	 * conf "registry"), else hub_url; docker.io/ names to hub_url: Docker
	 * Hub or its mirror (UDOCKER_REGISTRY, conf dockerio_registry_url). */
	char *registry_url;
	char *hub_url;
	char *index_url;	    /* UDOCKER_INDEX */
	char **insecure_registries; /* conf "insecure_registries" (space separated) */
	char *ca_file;
	long timeout, download_timeout, ctimeout;
	long stall_timeout; /* UDOCKER_STALL_TIMEOUT / conf "stall_timeout" */
	int parallel_downloads;
	char *default_execution_mode;
	bool autoinstall;
	bool repo_given; /* --repo= was given */
	char *tarball;
	char *tarball_release;
	char *max_layer_size_text; /* conf "max_layer_size" / UDOCKER_MAX_LAYER_SIZE */
	char *rootfs;		/* conf "rootfs" / UDOCKER_ROOTFS: "dir" or "squash" (NULL: dir) */
	int64_t max_layer_size; /* parsed; 0: no limit */
	/* conf "squash_compression" / UDOCKER_SQUASH_COMPRESSION: zstd|gzip */
	char *squash_compression_text;
	enum ud_squash_compression squash_compression;
};

struct ud_cli {
	struct ud_conf conf;
	struct ud_store *store; /* opened by ud_cli_store() */
	bool quiet, debug, allow_root;
	bool stdout_tty;
	const char *cmd;	   /* the command running, for usage errors */
	struct ud_host_probe host; /* made once, by ud_cli_host_probe() */
	bool host_probed;
};

/* Option table entry for ud_cli_parse(). `names` is a '|'-separated list of
 * spellings ("-o|--output"). Flags take no value; VALUE options accept
 * "--x=V", "-x=V" and "--x V" (next argument, when it does not start with
 * '-'); LIST options are VALUE options that may repeat; REQUIRED options
 * are VALUE options the command cannot do without (missing: its usage
 * error). */
enum ud_opt_kind { UD_OPT_FLAG, UD_OPT_VALUE, UD_OPT_LIST, UD_OPT_REQUIRED };
struct ud_opt {
	const char *names;
	enum ud_opt_kind kind;
	void *target; /* bool *, const char **, or char *** (list; strings borrowed) */
};

/* How a spec is planned: the registry for host-less names; spec_path's
 * lock file (FILE.lock) pins the images unless no_lock; offline: no
 * registry is asked; stage: nothing is run; task: what ${TASK} stands for. */
struct ud_cli_spec_opts {
	const char *registry;
	const char *spec_path;
	bool no_lock, offline, stage;
	const char *task;
};
/* The job-spec options a grammar selects (-f FILE always, required). */
enum {
	UD_SPEC_OPT_REGISTRY = 1 << 0,
	UD_SPEC_OPT_STAGE = 1 << 1,
	UD_SPEC_OPT_OFFLINE = 1 << 2,
	UD_SPEC_OPT_NO_LOCK = 1 << 3,
	UD_SPEC_OPT_TASK = 1 << 4,
	UD_SPEC_OPT_ALL = (1 << 5) - 1,
};

/* The registry options of pull, manifest, search and login. */
struct ud_cli_registry_args {
	const char *registry, *index, *proxy, *platform;
};
enum {
	UD_REG_OPT_REGISTRY = 1 << 0,
	UD_REG_OPT_INDEX = 1 << 1,
	UD_REG_OPT_PROXY = 1 << 2,
	UD_REG_OPT_PLATFORM = 1 << 3,
	UD_REG_OPT_ALL = (1 << 4) - 1,
};
/* What a command takes: its options (its own, and the shared job-spec
 * and registry options it selects, with their targets), its help text,
 * and how many positionals (max UD_CLI_ANY: no limit). A wrong number of
 * positionals, or a required option missing, is the usage error "CMD:
 * expected EXPECTED (see udocker CMD --help)", or, without `expected`,
 * "CMD: takes no arguments (see udocker CMD --help)" (with spec: "-f
 * FILE" is expected). */
#define UD_CLI_ANY ((unsigned)-1)
struct ud_cli_grammar {
	const struct ud_opt *opts; /* may be NULL */
	const char *help;
	unsigned min, max;
	const char *expected;
	struct ud_cli_spec_opts *spec; /* -f FILE and the UD_SPEC_OPT_* of spec_opts */
	unsigned spec_opts;
	struct ud_cli_registry_args *registry; /* the UD_REG_OPT_* of registry_opts */
	unsigned registry_opts;
};

struct ud_cli;
/* Parses a command's arguments with udocker's grammar: options first, then
 * positionals (the first positional, or a lone "-", ends option scanning).
 * `--help` sets *help (and nothing else is checked). Positionals are
 * returned in *pos (a borrowed-string vector the caller frees with
 * free()). An unknown option is a usage error "syntax error at: ARG"; so
 * is what g does not accept (above). */
int ud_cli_parse(const struct ud_cli *cli, int argc, char **argv, const struct ud_cli_grammar *g,
		 bool *help, char ***pos, struct ud_error **err);
/* Prints the usage error "CMD: expected EXPECTED (see udocker CMD
 * --help)" of the command running; returns its exit status (1). */
int ud_cli_usage(const struct ud_cli *cli, const char *expected);

/* Opens the store on first use (creating the repository unless --repo
 * named a directory that is not one). */
struct ud_store *ud_cli_store(struct ud_cli *cli, struct ud_error **err);
/* Probes the host on first use (the planner's host capabilities). */
const struct ud_host_probe *ud_cli_host_probe(struct ud_cli *cli);

/* Fills registry options from the configuration (registry/registry.h). */
struct ud_registry_options;
void ud_cli_registry_options(struct ud_cli *cli, struct ud_registry_options *opts);

/* Output helpers: warnings obey the log level; errors always print. */
void ud_cli_warn(struct ud_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ud_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "Error: <msg>" for err and returns the exit code for it (1). */
int ud_cli_fail(struct ud_error *err);
/* Prints the JSON text (len bytes; from a registry or a file) with sorted
 * keys and 4-space indentation; 1 after "Error: WHAT is not valid JSON:
 * REASON" (escaped) when it is not JSON, else 0. */
int ud_cli_print_json(const char *text, size_t len, const char *what);
/* The output formats of images, ps, inspect and plan: "--json" or
 * "--format=json" (or "--format=text", the default) into the option
 * table of a command, with bool json and const char *format. */
#define UD_CLI_FORMAT_OPTS(json, format)                                                           \
	{"--json", UD_OPT_FLAG, &(json)},                                                          \
	{                                                                                          \
		"--format", UD_OPT_VALUE, &(format)                                                \
	}
/* Whether JSON was asked for: 0 with *want set, or the usage error's exit
 * status (1) for a format that is neither json nor text. */
int ud_cli_want_json(const struct ud_cli *cli, bool json, const char *format, bool *want);
/* Prints j (taken over) with sorted keys and 4-space indentation, and a
 * newline; returns 0. */
struct json_t;
int ud_cli_put_json(struct json_t *j);
/* Adds the keys of ps and inspect about the container's root to o:
 * rootfs (dir, squash, unknown), ephemeral, image_file (squash, else
 * null), and with upper also upper. */
struct ud_container;
void ud_cli_rootfs_json(struct json_t *o, const struct ud_container *c, bool upper);
/* What a command writes to FILE (-o FILE: written as FILE.tmp-PID,
 * renamed when complete) or standard output (NULL or "-"). */
struct ud_cli_output {
	int fd;
	char *tmp;
	const char *path;
};
/* Opens o for path; -1 after printing the error. */
int ud_cli_output_open(const struct ud_cli *cli, struct ud_cli_output *o, const char *path);
/* Completes o when rc (the command's status so far) is 0, else removes
 * what was written; returns the status (1 when completing failed). */
int ud_cli_output_close(const struct ud_cli *cli, struct ud_cli_output *o, int rc);
/* Prints a command's help text. */
void ud_cli_print_help(const char *text);

/* Configuration (config.c). */
int ud_conf_load(struct ud_cli *cli, const char *repo_opt, struct ud_error **err);
void ud_conf_release(struct ud_conf *conf);
void ud_conf_show(const struct ud_conf *conf);

/* The command table (commands.c). Each handler gets the arguments after
 * the command name and returns the process exit status. */
enum ud_cmd_needs {
	UD_NEEDS_NOTHING = 0,
	UD_NEEDS_STORE = 1, /* opens (and creates) the repository first */
};
struct ud_cmd {
	const char *name;
	int (*fn)(struct ud_cli *cli, int argc, char **argv);
	unsigned needs;
	const char *summary;
};
const struct ud_cmd *ud_cmd_find(const char *name);
extern const struct ud_cmd ud_commands[];

#define UD_CMD(name) int ud_cmd_##name(struct ud_cli *cli, int argc, char **argv)
UD_CMD(help);
UD_CMD(version);
UD_CMD(showconf);
UD_CMD(install);
UD_CMD(doctor);
UD_CMD(lock);
UD_CMD(submit);
UD_CMD(mkrepo);
UD_CMD(pull);
UD_CMD(images);
UD_CMD(rmi);
UD_CMD(tag);
UD_CMD(inspect);
UD_CMD(verify);
UD_CMD(manifest);
UD_CMD(search);
UD_CMD(load);
UD_CMD(save);
UD_CMD(import);
UD_CMD(protect);
UD_CMD(unprotect);
UD_CMD(login);
UD_CMD(logout);
UD_CMD(validate);
UD_CMD(plan);
UD_CMD(apply);
UD_CMD(run);
UD_CMD(create);
UD_CMD(ps);
UD_CMD(rm);
UD_CMD(name);
UD_CMD(rmname);
UD_CMD(rename);
UD_CMD(setup);
UD_CMD(export);
UD_CMD(clone);

/* Common handling of `--help` and usage errors inside a handler (cli,
 * argc and argv are the handler's): declares pos (freed when it goes out
 * of scope) and parses by the grammar g into it, or returns the exit
 * status. */
#define UD_CLI_PARSE(g, pos)                                                                       \
	_cleanup_free_ char **pos = NULL;                                                          \
	do {                                                                                       \
		bool help_ = false;                                                                \
		struct ud_error *perr_ = NULL;                                                     \
		if (ud_cli_parse(cli, argc, argv, g, &help_, &(pos), &perr_) < 0)                  \
			return ud_cli_fail(perr_);                                                 \
		if (help_) {                                                                       \
			ud_cli_print_help((g)->help);                                              \
			return 0;                                                                  \
		}                                                                                  \
	} while (0)

#endif
