/* udocker entry point: global options, configuration, dispatch. */
#include "cli/cli.h"
#include "store/store.h"

#include <ctype.h>
#include <locale.h>
#include <signal.h>
#include <string.h>

static void log_handler(enum ud_log_level level, const char *msg, void *data)
{
	(void)data;
	switch (level) {
	case UD_LOG_ERROR:
		fprintf(stderr, "Error: %s\n", msg);
		break;
	case UD_LOG_WARN:
		fprintf(stderr, "Warning: %s\n", msg);
		break;
	case UD_LOG_DEBUG:
		fprintf(stderr, "Debug: %s\n", msg);
		break;
	default:
		/* stdout carries only what was asked for (STYLE 14): Info lines
		 * go to stderr, so ID=$(udocker create IMAGE) is the id alone. */
		fprintf(stderr, "Info: %s\n", msg);
		break;
	}
}

static const char general_help[] =
	"Syntax:\n"
	"  udocker [general_options] <command> [command_options] <command_args>\n"
	"\n"
	"udocker pulls Docker/OCI images and runs them as an ordinary user,\n"
	"with no root privileges, no daemon and nothing installed by an administrator.\n"
	"\n"
	"General options:\n"
	"  -h, --help          this help\n"
	"  -V, --version       print the version and exit\n"
	"  -D, --debug         debug output (also shows HTTP exchanges)\n"
	"  -q, --quiet         only results and errors\n"
	"  --insecure          do not verify TLS certificates\n"
	"  --repo=DIR          use the repository in DIR (it must exist)\n"
	"  --config=FILE       read FILE as an extra configuration file\n"
	"  --allow-root        allow running as root\n"
	"\n"
	"Commands:\n";

static const char general_help_tail[] =
	"\n"
	"Run 'udocker COMMAND --help' for a command's options.\n"
	"\n"
	"Job specs:\n"
	"  udocker validate -f job.yaml     check a job spec\n"
	"  udocker plan -f job.yaml         show the steps apply would take\n"
	"  udocker apply -f job.yaml        do them; a second apply repeats nothing\n"
	"\n"
	"Exit status (udocker(1), EXIT STATUS):\n"
	"  0      success\n"
	"  1      usage error or udocker error (bad option or reference, image or\n"
	"         container not found, registry, store or network failure)\n"
	"  2      a container command could not be prepared (bad volume, user,\n"
	"         working directory, command not found)\n"
	"  N      a container command's own exit status, passed through\n"
	"  128+N  a container command killed by signal N\n"
	"\n"
	"Environment (udocker(1), ENVIRONMENT):\n"
	"  UDOCKER_DIR                     the repository (default $HOME/.udocker)\n"
	"  UDOCKER_REPOS, UDOCKER_LAYERS, UDOCKER_CONTAINERS\n"
	"                                  its images, blobs and containers elsewhere\n"
	"  UDOCKER_BIN, UDOCKER_LIB, UDOCKER_DOC\n"
	"                                  its tools, libraries and documents elsewhere\n"
	"  UDOCKER_TMP                     temporary files (default /tmp)\n"
	"  UDOCKER_KEYSTORE                the credentials file\n"
	"  UDOCKER_REGISTRY                registry for host-less image names\n"
	"  UDOCKER_INDEX                   index for search\n"
	"  UDOCKER_INSECURE_REGISTRIES     hosts reached over plain HTTP\n"
	"  UDOCKER_PARALLEL_DOWNLOADS      blobs downloaded at once (default 3)\n"
	"  UDOCKER_STALL_TIMEOUT           seconds under 1 KiB/s before a download fails\n"
	"  UDOCKER_LOCK_TIMEOUT            seconds to wait for another process's lock\n"
	"  UDOCKER_MAX_LAYER_SIZE          most decompressed bytes of a container's layers\n"
	"  UDOCKER_SQUASH_COMPRESSION      zstd (default) or gzip, of image files\n"
	"  UDOCKER_ROOTFS                  dir or squash: the root new containers get\n"
	"  UDOCKER_SQUASH_LINGER           seconds an image file's shared mount outlives\n"
	"                                  its last run (default 30, 0: none)\n"
	"  UDOCKER_DEFAULT_EXECUTION_MODE  the mode auto gives a new container\n"
	"  UDOCKER_LOGLEVEL                verbosity 0-5\n"
	"  UDOCKER_TARBALL                 shown by version (nothing is downloaded)\n"
	"  UDOCKER_USE_PROOT_EXECUTABLE, UDOCKER_USE_RUNC_EXECUTABLE,\n"
	"  UDOCKER_USE_PATCHELF_EXECUTABLE, UDOCKER_USE_SINGULARITY_EXECUTABLE\n"
	"                                  the host tool an engine uses\n"
	"  UDOCKER_NVIDIA_LIBDIRS, UDOCKER_NVIDIA_BINDIR, UDOCKER_NVIDIA_ETCDIR\n"
	"                                  where setup --nvidia finds the driver\n"
	"  CURL_CA_BUNDLE, SSL_CERT_FILE   CA certificates for TLS\n"
	"  http_proxy, https_proxy, no_proxy\n"
	"                                  proxies\n";

UD_CMD(help)
{
	(void)cli;
	(void)argc;
	(void)argv;
	fputs(general_help, stdout);
	for (const struct ud_cmd *c = ud_commands; c->name; c++)
		printf("  %-12s %s\n", c->name, c->summary);
	fputs(general_help_tail, stdout);
	return 0;
}

UD_CMD(version)
{
	static const struct ud_cli_grammar g = {
		.help = "Usage: udocker version\n\nPrints the version.\n"};
	UD_CLI_PARSE(&g, pos);
	printf("version: %s\n", UD_VERSION);
	printf("implementation: udocker in C, replacing Python udocker 1.3.16\n");
	const char *top = ud_self_release_top();
	if (top)
		printf("installed: release tarball in %s\n", top);
	else
		printf("installed: program %s\n", ud_self_exe() ? ud_self_exe() : "(unknown)");
	printf("tarball: %s\n", cli->conf.tarball ? cli->conf.tarball : "");
	printf("tarball_release: %s\n", cli->conf.tarball_release);
	return 0;
}

UD_CMD(showconf)
{
	static const struct ud_cli_grammar g = {
		.help = "Usage: udocker showconf\n\nPrints the configuration in effect.\n"};
	UD_CLI_PARSE(&g, pos);
	ud_conf_show(&cli->conf);
	return 0;
}

int main(int argc, char **argv)
{
	ud_self_init();
	setlocale(LC_ALL, "C");
	signal(SIGPIPE, SIG_IGN);
	struct ud_cli cli = {0};
	cli.stdout_tty = isatty(STDOUT_FILENO);
	const char *repo = NULL, *config = NULL;
	bool want_help = false, want_version = false;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (*a == '\0')
			continue;
		if (isalpha((unsigned char)a[0]))
			break;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			want_help = true;
		else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0)
			want_version = true;
		else if (strcmp(a, "-D") == 0 || strcmp(a, "--debug") == 0)
			cli.debug = true;
		else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
			cli.quiet = true;
		else if (strcmp(a, "--insecure") == 0)
			cli.conf.insecure = true;
		else if (strcmp(a, "--allow-root") == 0)
			cli.allow_root = true;
		else if (ud_str_has_prefix(a, "--repo=") || ud_str_has_prefix(a, "--config=")) {
			const char *v = strchr(a, '=') + 1;
			if (a[2] == 'r')
				repo = v;
			else
				config = v;
		} else if ((strcmp(a, "--repo") == 0 || strcmp(a, "--config") == 0) &&
			   i + 1 < argc) {
			if (a[2] == 'r')
				repo = argv[++i];
			else
				config = argv[++i];
		} else {
			ud_cli_error("invalid option: %s (see udocker --help)", a);
			return 1;
		}
	}
	if (geteuid() == 0 && !cli.allow_root) {
		ud_cli_error("do not run as root ! (use --allow-root to permit it)");
		return 1;
	}
	bool insecure = cli.conf.insecure;
	if (config)
		cli.conf.config_file = xstrdup(config);
	struct ud_error *err = NULL;
	if (ud_conf_load(&cli, repo, &err) < 0)
		return ud_cli_fail(err);
	cli.conf.insecure = cli.conf.insecure || insecure;
	cli.conf.repo_given = repo != NULL;
	int level = cli.conf.verbose_level;
	if (cli.quiet)
		level = UD_LOG_MSG;
	if (cli.debug)
		level = UD_LOG_DEBUG;
	ud_log_set_level((enum ud_log_level)level);
	ud_log_set_handler(log_handler, &cli);

	int rc;
	if (want_help || (i >= argc && !want_version)) {
		rc = ud_cmd_help(&cli, 0, NULL);
	} else if (want_version) {
		rc = ud_cmd_version(&cli, 0, NULL);
	} else {
		const struct ud_cmd *cmd = ud_cmd_find(argv[i]);
		if (cmd == NULL) {
			ud_cli_error("invalid command: %s (see udocker help)", argv[i]);
			rc = 1;
		} else if ((cmd->needs & UD_NEEDS_STORE) && ud_cli_store(&cli, &err) == NULL) {
			rc = ud_cli_fail(err);
		} else {
			cli.cmd = cmd->name;
			rc = cmd->fn(&cli, argc - i - 1, argv + i + 1);
		}
	}
	fflush(stdout);
	ud_store_free(cli.store);
	if (cli.host_probed)
		ud_host_probe_release(&cli.host);
	ud_conf_release(&cli.conf);
	return rc;
}
