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

int ud_cli_parse(int argc, char **argv, const struct ud_opt *opts, bool *help, char ***pos,
		 struct ud_error **err)
{
	*pos = xcalloc((size_t)argc + 1, sizeof(char *));
	size_t npos = 0;
	bool scanning = true;
	for (int i = 0; i < argc; i++) {
		char *a = argv[i];
		if (*a == '\0')
			continue; /* udocker ignores empty arguments */
		if (!scanning || a[0] != '-' || strcmp(a, "-") == 0) {
			scanning = false;
			(*pos)[npos++] = a;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			*help = true;
			continue;
		}
		const char *eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a) : strlen(a);
		const struct ud_opt *o = find_opt(opts, a, len);
		if (o == NULL) {
			free(*pos);
			*pos = NULL;
			return ud_error_set(err, UD_ERR_USAGE, "syntax error at: %s", a);
		}
		if (o->kind == UD_OPT_FLAG) {
			if (eq) {
				free(*pos);
				*pos = NULL;
				return ud_error_set(err, UD_ERR_USAGE,
						    "syntax error at: %s (option takes no value)",
						    a);
			}
			*(bool *)o->target = true;
			continue;
		}
		if (eq) {
			set_value(o, (char *)eq + 1);
		} else if (i + 1 < argc && argv[i + 1][0] != '-') {
			set_value(o, argv[++i]);
		} else if (i + 1 < argc && strcmp(argv[i + 1], "-") == 0) {
			set_value(o, argv[++i]); /* "-o -" means stdout */
		} else {
			free(*pos);
			*pos = NULL;
			return ud_error_set(err, UD_ERR_USAGE, "option %s needs a value", a);
		}
	}
	(*pos)[npos] = NULL;
	return 0;
}
