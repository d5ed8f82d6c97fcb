/* udocker's argument grammar for command options (reference §1.1). */
#include "cli/cli.h"

#include <stddef.h>
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

/* An entry of a table of options several commands share: where its
 * target is in the grammar's struct, and the bit that selects it (0:
 * always). */
struct shared_opt {
	const char *names;
	enum ud_opt_kind kind;
	size_t offset;
	unsigned bit;
};

static const struct shared_opt spec_opts[] = {
	{"-f|--file", UD_OPT_REQUIRED, offsetof(struct ud_cli_spec_opts, spec_path), 0},
	{"--registry", UD_OPT_VALUE, offsetof(struct ud_cli_spec_opts, registry),
	 UD_SPEC_OPT_REGISTRY},
	{"--stage", UD_OPT_FLAG, offsetof(struct ud_cli_spec_opts, stage), UD_SPEC_OPT_STAGE},
	{"--offline", UD_OPT_FLAG, offsetof(struct ud_cli_spec_opts, offline), UD_SPEC_OPT_OFFLINE},
	{"--no-lock", UD_OPT_FLAG, offsetof(struct ud_cli_spec_opts, no_lock), UD_SPEC_OPT_NO_LOCK},
	{"--task", UD_OPT_VALUE, offsetof(struct ud_cli_spec_opts, task), UD_SPEC_OPT_TASK},
};

static const struct shared_opt registry_opts[] = {
	{"--registry", UD_OPT_VALUE, offsetof(struct ud_cli_registry_args, registry),
	 UD_REG_OPT_REGISTRY},
	{"--index", UD_OPT_VALUE, offsetof(struct ud_cli_registry_args, index), UD_REG_OPT_INDEX},
	{"--httpproxy", UD_OPT_VALUE, offsetof(struct ud_cli_registry_args, proxy),
	 UD_REG_OPT_PROXY},
	{"--platform", UD_OPT_VALUE, offsetof(struct ud_cli_registry_args, platform),
	 UD_REG_OPT_PLATFORM},
};

/* The options of a grammar: its own, then the shared ones it selects. */
struct opt_tables {
	const struct ud_opt *own;
	struct ud_opt shared[UD_ARRAY_SIZE(spec_opts) + UD_ARRAY_SIZE(registry_opts) + 1];
};

static size_t select_opts(const struct shared_opt *from, size_t n, void *base, unsigned which,
			  struct ud_opt *out)
{
	size_t k = 0;
	for (size_t i = 0; base && i < n; i++)
		if (from[i].bit == 0 || (which & from[i].bit))
			out[k++] = (struct ud_opt){from[i].names, from[i].kind,
						   (char *)base + from[i].offset};
	return k;
}

static void opt_tables_init(struct opt_tables *t, const struct ud_cli_grammar *g)
{
	t->own = g->opts;
	size_t k =
		select_opts(spec_opts, UD_ARRAY_SIZE(spec_opts), g->spec, g->spec_opts, t->shared);
	k += select_opts(registry_opts, UD_ARRAY_SIZE(registry_opts), g->registry, g->registry_opts,
			 t->shared + k);
	t->shared[k] = (struct ud_opt){0};
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
static int check_grammar(const struct ud_cli *cli, const struct ud_cli_grammar *g,
			 const struct opt_tables *t, char **pos, struct ud_error **err)
{
	size_t n = ud_strv_len(pos);
	bool ok = n >= g->min && n <= g->max;
	const struct ud_opt *tables[] = {t->own, t->shared};
	for (size_t k = 0; k < UD_ARRAY_SIZE(tables); k++)
		for (const struct ud_opt *o = tables[k]; o && o->names; o++)
			ok = ok && (o->kind != UD_OPT_REQUIRED || *(void **)o->target);
	if (ok)
		return 0;
	return usage_error(cli, g->expected ? g->expected : g->spec ? "-f FILE" : NULL, err);
}

static const struct ud_opt *find_any(const struct opt_tables *t, const char *name, size_t len)
{
	const struct ud_opt *o = find_opt(t->own, name, len);
	return o ? o : find_opt(t->shared, name, len);
}

/* The value of option o from the next argument (not an option; "-"
 * for stdout), consumed. */
static int take_value(const struct ud_opt *o, const char *a, int argc, char **argv, int *i,
		      struct ud_error **err)
{
	if (*i + 1 < argc && (argv[*i + 1][0] != '-' || strcmp(argv[*i + 1], "-") == 0)) {
		set_value(o, argv[++*i]);
		return 0;
	}
	return ud_error_set(err, UD_ERR_USAGE, "option %s needs a value", a);
}

/* Single-letter options run together as Docker users type them (-it,
 * -ti, -itv HOST:DIR): each letter one of the command's options, only
 * the last one taking a value (the next argument). Returns 1 when a is
 * not such a group. */
static int parse_group(const struct opt_tables *t, int argc, char **argv, int *i,
		       struct ud_error **err)
{
	const char *a = argv[*i];
	size_t n = strlen(a);
	if (n < 3 || a[0] != '-' || a[1] == '-' || strchr(a, '='))
		return 1;
	for (size_t k = 1; k < n; k++) {
		char one[3] = {'-', a[k], '\0'};
		const struct ud_opt *o = find_any(t, one, 2);
		if (o == NULL || (o->kind != UD_OPT_FLAG && k + 1 < n))
			return 1;
	}
	for (size_t k = 1; k < n; k++) {
		char one[3] = {'-', a[k], '\0'};
		const struct ud_opt *o = find_any(t, one, 2);
		if (o->kind != UD_OPT_FLAG)
			return take_value(o, a, argc, argv, i, err);
		*(bool *)o->target = true;
	}
	return 0;
}

/* One option argument argv[*i]: sets its target (consuming a value
 * argument when it takes one). */
static int parse_option(const struct opt_tables *t, int argc, char **argv, int *i,
			struct ud_error **err)
{
	char *a = argv[*i];
	const char *eq = strchr(a, '=');
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	const struct ud_opt *o = find_any(t, a, len);
	if (o == NULL) {
		int g = parse_group(t, argc, argv, i, err);
		if (g <= 0)
			return g;
		return ud_error_set(err, UD_ERR_USAGE, "syntax error at: %s", a);
	}
	if (o->kind == UD_OPT_FLAG) {
		if (eq)
			return ud_error_set(err, UD_ERR_USAGE,
					    "syntax error at: %s (option takes no value)", a);
		*(bool *)o->target = true;
	} else if (eq) {
		set_value(o, (char *)eq + 1);
	} else {
		return take_value(o, a, argc, argv, i, err);
	}
	return 0;
}

int ud_cli_parse(const struct ud_cli *cli, int argc, char **argv, const struct ud_cli_grammar *g,
		 bool *help, char ***pos, struct ud_error **err)
{
	struct opt_tables t;
	opt_tables_init(&t, g);
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
			r = parse_option(&t, argc, argv, &i, err);
		}
	}
	if (r == 0 && (*help || check_grammar(cli, g, &t, *pos, err) == 0))
		return 0;
	free(*pos);
	*pos = NULL;
	return -1;
}
