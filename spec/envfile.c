/* Env files (--env-file, env_file:), read as Docker reads them. */
#include "spec/spec.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80	     ? 1
		     : (s[0] & 0xE0) == 0xC0 ? 2
		     : (s[0] & 0xF0) == 0xE0 ? 3
		     : (s[0] & 0xF8) == 0xF0 ? 4
					     : 0;
	if (len == 0 || len > n || (len == 2 && s[0] < 0xC2) || (len == 4 && s[0] > 0xF4))
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if (len == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
		return 0; /* overlong, or a UTF-16 surrogate */
	if (len == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)))
		return 0;
	return len;
}

static int line_fail(struct ud_error **err, const char *path, size_t lineno, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int line_fail(struct ud_error **err, const char *path, size_t lineno, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	return ud_error_set(err, UD_ERR_USAGE, "env file '%s': line %zu: %s", path, lineno, msg);
}

int ud_spec_read_env_file(const char *path, ud_spec_getenv getenv_fn, void *getenv_data,
			  char ***out, struct ud_error **err)
{
	size_t len = 0;
	_cleanup_free_ char *text = ud_read_small_file(path, UD_USER_FILE_MAX_BYTES, &len, err);
	if (text == NULL)
		return ud_error_prefix(err, "env file");
	char **vars = xcalloc(1, sizeof(char *));
	size_t start = strncmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0, lineno = 0;
	int r = 0;
	while (r == 0 && start < len) {
		lineno++;
		char *line = text + start;
		char *nl = memchr(line, '\n', len - start);
		size_t n = nl ? (size_t)(nl - line) : len - start;
		start += n + 1;
		if (memchr(line, '\0', n)) {
			r = line_fail(err, path, lineno, "contains a NUL byte%s, expected text",
				      "");
			break;
		}
		for (size_t i = 0; i < n;) {
			size_t k = utf8_seq((const unsigned char *)line + i, n - i);
			if (k == 0) {
				r = line_fail(err, path, lineno, "invalid UTF-8, expected text");
				break;
			}
			i += k;
		}
		if (r < 0)
			break;
		line[n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		while (isspace((unsigned char)*line))
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		size_t name_len = strcspn(line, "=");
		_cleanup_free_ char *name = xstrndup(line, name_len);
		_cleanup_free_ char *shown = ud_str_escape(name_len ? name : line, 200);
		if (name_len == 0)
			r = line_fail(err, path, lineno,
				      "'%s' has no variable name, expected NAME=VALUE", shown);
		else if (strpbrk(name, " \t\v\f\r") != NULL)
			r = line_fail(err, path, lineno,
				      "variable name '%s' contains whitespace, expected NAME=VALUE",
				      shown);
		else if (line[name_len] == '=')
			ud_strv_push(&vars, xstrdup(line));
		else {
			/* NAME alone: the value it has here, when it has one. */
			const char *v = getenv_fn ? getenv_fn(name, getenv_data) : getenv(name);
			if (v)
				ud_strv_push(&vars, xasprintf("%s=%s", name, v));
		}
	}
	if (r < 0) {
		ud_strv_free(vars);
		return -1;
	}
	*out = vars;
	return 0;
}
