#include "cli/jobs.h"

#include <ctype.h>
#include <string.h>
#include <termios.h>

static const char help_login[] =
	"Usage: udocker login [--username=USER] [--password=PASS | --password-stdin]\n"
	"                     [--registry=URL]\n"
	"\n"
	"Checks the credentials against the registry (Docker Hub by default) and,\n"
	"when it accepts them, stores them in the keystore (mode 0600, the format\n"
	"of udocker 1.3.16). Asks for what is not given when standard input is a\n"
	"terminal, and fails at once when it is not.\n";

static const char help_logout[] = "Usage: udocker logout [-a] [--registry=URL]\n"
				  "\n"
				  "Forgets the stored credentials of the registry (Docker Hub by\n"
				  "default); -a forgets all of them (deletes the keystore).\n";

static char *read_line(FILE *f, bool echo)
{
	struct termios old, noecho;
	bool tty = !echo && isatty(fileno(f)) && tcgetattr(fileno(f), &old) == 0;
	if (tty) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(f), TCSANOW, &noecho);
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	if (tty) {
		tcsetattr(fileno(f), TCSANOW, &old);
		fputc('\n', stderr);
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

/* The registry a login applies to: its ref (for requests) and keystore key. */
static int target(const char *registry, struct ud_ref *ref, char **key)
{
	struct ud_error *err = NULL;
	if (ud_ref_parse("x/x", registry, ref, &err) < 0)
		return ud_cli_fail(err);
	*key = ref->hub ? xstrdup("https://" UD_DOCKER_HUB)
			: ud_keystore_key(ref->domain, ref->scheme);
	return 0;
}

UD_CMD(login)
{
	const char *user = NULL, *pass = NULL;
	bool from_stdin = false;
	struct ud_opt opts[] = {{"--username", UD_OPT_VALUE, &user},
				{"--password", UD_OPT_VALUE, &pass},
				{"--password-stdin", UD_OPT_FLAG, &from_stdin},
				{0}};
	struct ud_cli_registry_args ra = {0};
	const struct ud_cli_grammar g = {.opts = opts,
					 .help = help_login,
					 .registry = &ra,
					 .registry_opts = UD_REG_OPT_REGISTRY};
	UD_CLI_PARSE(&g, pos);
	_cleanup_free_ char *u = user ? xstrdup(user) : NULL;
	_cleanup_free_ char *p = pass ? xstrdup(pass) : NULL;
	/* A prompt nobody can answer would wait for ever (a batch job, a
	 * script with stdin at /dev/null): only a terminal is asked. */
	if (!isatty(STDIN_FILENO) && (u == NULL || (p == NULL && !from_stdin))) {
		ud_cli_error("login: no %s given and standard input is not a terminal (use %s)",
			     u == NULL ? "username" : "password",
			     u == NULL ? "--username=USER" : "--password=PASS or --password-stdin");
		return 1;
	}
	if (u == NULL) {
		fputs("username: ", stderr);
		u = read_line(stdin, true);
	}
	if (p == NULL) {
		if (!from_stdin)
			fputs("password: ", stderr);
		p = read_line(stdin, from_stdin);
	}
	if (u == NULL || p == NULL || *u == '\0' || *p == '\0') {
		ud_cli_error("invalid credentials: empty username or password");
		return 1;
	}
	bool upper = true;
	for (const char *c = p; *c; c++)
		if (islower((unsigned char)*c))
			upper = false;
	if (upper)
		ud_cli_warn(cli, "password in uppercase Caps Lock ?");
	struct ud_ref ref;
	_cleanup_free_ char *key = NULL;
	if (target(ra.registry, &ref, &key) != 0)
		return 1;
	struct ud_error *err = NULL;
	struct ud_registry_client *c = ud_cli_registry_client(cli, false, &err);
	int rc = 0;
	if (c == NULL || ud_registry_login(c, &ref, u, p, &err) < 0 ||
	    ud_keystore_put(cli->conf.keystore, key, u, p, &err) < 0)
		rc = ud_cli_fail(err);
	else
		printf("Login succeeded: %s\n", key);
	ud_registry_client_free(c);
	ud_ref_release(&ref);
	return rc;
}

UD_CMD(logout)
{
	bool all = false;
	struct ud_opt opts[] = {{"-a", UD_OPT_FLAG, &all}, {0}};
	struct ud_cli_registry_args ra = {0};
	const struct ud_cli_grammar g = {.opts = opts,
					 .help = help_logout,
					 .registry = &ra,
					 .registry_opts = UD_REG_OPT_REGISTRY};
	UD_CLI_PARSE(&g, pos);
	struct ud_error *err = NULL;
	if (all)
		return ud_keystore_delete_all(cli->conf.keystore, &err) < 0 ? ud_cli_fail(err) : 0;
	struct ud_ref ref;
	_cleanup_free_ char *key = NULL;
	if (target(ra.registry, &ref, &key) != 0)
		return 1;
	int rc = ud_keystore_delete(cli->conf.keystore, key, &err) < 0 ? ud_cli_fail(err) : 0;
	ud_ref_release(&ref);
	return rc;
}
