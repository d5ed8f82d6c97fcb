/* udocker's argument grammar for command options (reference §1.1). */
#include "cli/cli.h"

#include <string.h>

/* Finds the option whose spelling equals name (up to len chars). */
static const struct ud_opt *find_opt(const struct ud_opt *opts, const char *name, size_t len)
{
	for (const struct ud_opt *o = opts; o && o->names; o++) {
		const char *p = o->names;
		while (*p) {
			size_t n = strcspn(p, "|");
			if (n == len && strncmp(p, name, len) == 0)
				return o;
			p += n;
			if (*p == '|')
				p++;
		}
	}
	return NULL;
}

static void set_value(const struct ud_opt *o, char *value)
{
	if (o->kind == UD_OPT_LIST) {
		char ***list = o->target;
		size_t n = ud_strv_len(*list);
		*list = xrealloc(*list, (n + 2) * sizeof(char *));
		(*list)[n] = value;
		(*list)[n + 1] = NULL;
	} else {
		*(const char **)o->target = value;
	}
}

void ud_cli_select_opts(const struct ud_opt_field *fields, size_t n, void *base, unsigned which,
			struct ud_opt *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < UD_CLI_SHARED_MAX; i++)
		if (fields[i].bit == 0 || (which & fields[i].bit))
			out[k++] = (struct ud_opt){fields[i].names, fields[i].kind,
						   (char *)base + fields[i].offset};
	out[k] = (struct ud_opt){0};
}

static const char *command_name(const struct ud_cli *cli)
{
	return cli && cli->cmd ? cli->cmd : "udocker";
}

static int usage_error(const struct ud_cli *cli, const char *expected, struct ud_error **err)
{
	const char *cmd = command_name(cli);
	if (expected == NULL)
		return ud_error_set(err, UD_ERR_USAGE,
				    "%s: takes no arguments (see udocker %s --help)", cmd, cmd);
	return ud_error_set(err, UD_ERR_USAGE, "%s: expected %s (see udocker %s --help)", cmd,
			    expected, cmd);
}

int ud_cli_usage(const struct ud_cli *cli, const char *expected)
{
	struct ud_error *err = NULL;
	usage_error(cli, expected, &err);
	return ud_cli_fail(err);
}

/* What g says of the positionals and required options. */
static int check_grammar(const struct ud_cli *cli, const struct ud_cli_grammar *g, char **pos,
			 struct ud_error **err)
{
	size_t n = ud_strv_len(pos);
	bool ok = n >= g->min_pos && n <= g->max_pos;
	const struct ud_opt *tables[] = {g->opts, g->shared};
	for (size_t t = 0; t < UD_ARRAY_SIZE(tables); t++)
		for (const struct ud_opt *o = tables[t]; o && o->names; o++)
			ok = ok && (o->kind != UD_OPT_REQUIRED || *(void **)o->target);
	return ok ? 0 : usage_error(cli, g->expected, err);
}

static const struct ud_opt *find_any(const struct ud_cli_grammar *g, const char *name, size_t len)
{
	const struct ud_opt *o = find_opt(g->opts, name, len);
	return o ? o : find_opt(g->shared, name, len);
}

/* One option argument argv[*i]: sets its target (consuming a value
 * argument when it takes one). */
static int parse_option(const struct ud_cli_grammar *g, int argc, char **argv, int *i,
			struct ud_error **err)
{
	char *a = argv[*i];
	const char *eq = strchr(a, '=');
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	const struct ud_opt *o = find_any(g, a, len);
	if (o == NULL)
		return ud_error_set(err, UD_ERR_USAGE, "syntax error at: %s", a);
	if (o->kind == UD_OPT_FLAG) {
		if (eq)
			return ud_error_set(err, UD_ERR_USAGE,
					    "syntax error at: %s (option takes no value)", a);
		*(bool *)o->target = true;
	} else if (eq) {
		set_value(o, (char *)eq + 1);
	} else if (*i + 1 < argc && argv[*i + 1][0] != '-') {
		set_value(o, argv[++*i]);
	} else if (*i + 1 < argc && strcmp(argv[*i + 1], "-") == 0) {
		set_value(o, argv[++*i]); /* "-o -" means stdout */
	} else {
		return ud_error_set(err, UD_ERR_USAGE, "option %s needs a value", a);
	}
	return 0;
}

int ud_cli_parse(const struct ud_cli *cli, int argc, char **argv, const struct ud_cli_grammar *g,
		 bool *help, char ***pos, struct ud_error **err)
{
	*pos = xcalloc((size_t)argc + 1, sizeof(char *));
	size_t npos = 0;
	bool scanning = true;
	int r = 0;
	for (int i = 0; r == 0 && i < argc; i++) {
		char *a = argv[i];
		if (*a == '\0')
			continue; /* udocker ignores empty arguments */
		if (!scanning || a[0] != '-' || strcmp(a, "-") == 0) {
			scanning = false;
			(*pos)[npos++] = a;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			*help = true;
		} else {
			r = parse_option(g, argc, argv, &i, err);
		}
	}
	if (r == 0 && (*help || check_grammar(cli, g, *pos, err) == 0))
		return 0;
	free(*pos);
	*pos = NULL;
	return -1;
}
