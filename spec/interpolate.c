/* ${VAR} interpolation of scalar values (docs/job-spec.md). */
#include "spec/spec_private.h"

#include <ctype.h>
#include <string.h>

char *ud_spec_interpolate(const char *s, ud_spec_getenv getenv_fn, void *data, char **bad_var,
			  size_t *bad_offset)
{
	struct ud_buf b = {0};
	ud_buf_puts(&b, "");
	for (const char *p = s; *p;) {
		if (p[0] != '$') {
			size_t n = strcspn(p, "$");
			ud_buf_append(&b, p, n);
			p += n;
			continue;
		}
		if (p[1] == '$') {
			ud_buf_append(&b, "$", 1);
			p += 2;
			continue;
		}
		if (p[1] != '{') {
			ud_buf_append(&b, "$", 1);
			p++;
			continue;
		}
		const char *name = p + 2;
		size_t n = 0;
		while (isalnum((unsigned char)name[n]) || name[n] == '_')
			n++;
		const char *after = name + n;
		const char *def = NULL;
		size_t def_len = 0;
		if (n > 0 && after[0] == ':' && after[1] == '-') {
			def = after + 2;
			const char *close = strchr(def, '}');
			after = close ? close : def + strlen(def);
			def_len = (size_t)(after - def);
		}
		if (n == 0 || *after != '}' || isdigit((unsigned char)name[0])) {
			*bad_var = NULL;
			*bad_offset = (size_t)(p - s);
			ud_buf_release(&b);
			return NULL;
		}
		_cleanup_free_ char *var = xstrndup(name, n);
		const char *val = getenv_fn(var, data);
		if (val == NULL || (def && *val == '\0')) {
			if (def == NULL) {
				*bad_var = steal_pointer(&var);
				*bad_offset = (size_t)(p - s);
				ud_buf_release(&b);
				return NULL;
			}
			ud_buf_append(&b, def, def_len);
		} else {
			ud_buf_puts(&b, val);
		}
		p = after + 1;
	}
	return ud_buf_steal(&b);
}
