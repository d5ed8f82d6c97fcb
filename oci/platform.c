#include "oci/oci.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static char *lower_dup(const char *s, size_t n)
{
	char *d = xstrndup(s, n);
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

int ud_platform_parse(const char *s, struct ud_platform *out, struct ud_error **err)
{
	memset(out, 0, sizeof(*out));
	char *fields[3] = {NULL, NULL, NULL};
	size_t nf = 0;
	const char *p = s;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (nf == 3 || n == 0) {
			for (size_t i = 0; i < nf; i++)
				free(fields[i]);
			return ud_error_set(err, UD_ERR_USAGE,
					    "invalid platform '%s': expected os[/arch[/variant]]",
					    s);
		}
		for (size_t i = 0; i < n; i++) {
			if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-' &&
			    p[i] != '.') {
				for (size_t j = 0; j < nf; j++)
					free(fields[j]);
				return ud_error_set(
					err, UD_ERR_USAGE,
					"invalid platform '%s': expected os[/arch[/variant]]", s);
			}
		}
		fields[nf++] = lower_dup(p, n);
		if (!slash)
			break;
		p = slash + 1;
	}
	out->os = fields[0];
	out->arch = fields[1];
	out->variant = fields[2];
	/* Docker's aliases for the same architecture. */
	if (out->arch && strcmp(out->arch, "x86_64") == 0) {
		free(out->arch);
		out->arch = xstrdup("amd64");
	} else if (out->arch && strcmp(out->arch, "aarch64") == 0) {
		free(out->arch);
		out->arch = xstrdup("arm64");
	}
	return 0;
}

void ud_platform_host(struct ud_platform *out)
{
	out->os = xstrdup("linux");
	out->arch = xstrdup(ud_host_arch());
	const char *v = ud_host_arch_variant();
	out->variant = v ? xstrdup(v) : NULL;
}

char *ud_platform_format(const struct ud_platform *p)
{
	if (p->os == NULL)
		return xstrdup("unknown/unknown");
	if (p->arch == NULL)
		return xstrdup(p->os);
	if (p->variant == NULL)
		return xasprintf("%s/%s", p->os, p->arch);
	return xasprintf("%s/%s/%s", p->os, p->arch, p->variant);
}

void ud_platform_release(struct ud_platform *p)
{
	free(p->os);
	free(p->arch);
	free(p->variant);
	p->os = p->arch = p->variant = NULL;
}

static bool field_match(const char *want, const char *have)
{
	if (want == NULL || *want == '\0')
		return true;
	return have != NULL && strcasecmp(want, have) == 0;
}

bool ud_platform_match(const struct ud_platform *want, const struct ud_platform *have)
{
	return field_match(want->os, have->os) && field_match(want->arch, have->arch) &&
	       field_match(want->variant, have->variant);
}
