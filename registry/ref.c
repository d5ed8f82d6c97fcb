/* Image references: Docker's grammar (fixes udocker 1.3.16's split on the
 * first ':', so host:port/name:tag works). */
#include "registry/registry.h"

#include <ctype.h>
#include <string.h>

static bool is_hub_domain(const char *d)
{
	return strcmp(d, "docker.io") == 0 || strcmp(d, "index.docker.io") == 0 ||
	       strcmp(d, UD_DOCKER_HUB) == 0;
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [._] | __ | [-]+ */
static bool valid_component(const char *s, size_t n, bool *upper)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isupper(ch))
			*upper = true;
		if (!islower(ch) && !isdigit(ch) && !isupper(ch) && ch != '.' && ch != '_' &&
		    ch != '-')
			return false;
	}
	return isalnum((unsigned char)s[0]) && isalnum((unsigned char)s[n - 1]);
}

static bool valid_tag(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-')
			return false;
	return true;
}

static bool valid_domain(const char *d)
{
	if (*d == '\0')
		return false;
	if (d[0] == '[') /* [::1]:5000 */
		return strchr(d, ']') != NULL;
	for (const char *p = d; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != ':')
			return false;
	return true;
}

/* Splits "scheme://host[:port][/]" into scheme and host. */
static int split_url(const char *url, char **scheme, char **host, struct ud_error **err)
{
	const char *p = strstr(url, "://");
	if (p) {
		*scheme = xstrndup(url, (size_t)(p - url));
		p += 3;
	} else {
		/* No scheme: https, or http for a loopback registry without TLS. */
		*scheme = NULL;
		p = url;
	}
	if (*scheme && strcmp(*scheme, "http") != 0 && strcmp(*scheme, "https") != 0) {
		ud_error_set(err, UD_ERR_USAGE,
			     "invalid registry URL '%s': expected http:// or https://", url);
		free(*scheme);
		*scheme = NULL;
		return -1;
	}
	*host = xstrndup(p, strcspn(p, "/"));
	if (!valid_domain(*host)) {
		ud_error_set(err, UD_ERR_USAGE, "invalid registry URL '%s': expected a host name",
			     url);
		free(*scheme);
		free(*host);
		*scheme = *host = NULL;
		return -1;
	}
	return 0;
}

int ud_ref_parse(const char *text, const char *registry_url, struct ud_ref *out,
		 struct ud_error **err)
{
	return ud_ref_parse_hub(text, registry_url, NULL, out, err);
}

int ud_ref_parse_hub(const char *text, const char *registry_url, const char *hub_url,
		     struct ud_ref *out, struct ud_error **err)
{
	memset(out, 0, sizeof(*out));
	const char *expect = "expected [HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST]";
	if (text == NULL || *text == '\0')
		return ud_error_set(err, UD_ERR_USAGE, "empty image reference: %s", expect);
	_cleanup_free_ char *name = xstrdup(text);
	char *at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (!ud_digest_valid(at + 1))
			return ud_error_set(
				err, UD_ERR_USAGE,
				"invalid image reference '%s': bad digest '%s', expected "
				"sha256:<64 lowercase hex digits>",
				text, at + 1);
		out->digest = xstrdup(at + 1);
	}
	char *last_slash = strrchr(name, '/');
	char *colon = strrchr(last_slash ? last_slash : name, ':');
	if (colon) {
		*colon = '\0';
		if (!valid_tag(colon + 1)) {
			ud_ref_release(out);
			return ud_error_set(err, UD_ERR_USAGE,
					    "invalid image reference '%s': bad tag '%s', expected "
					    "letters, digits, '_', '.', '-' (at most 128)",
					    text, colon + 1);
		}
		out->tag = xstrdup(colon + 1);
	}
	char *slash = strchr(name, '/');
	const char *rest = name;
	if (slash) {
		size_t n = (size_t)(slash - name);
		_cleanup_free_ char *first = xstrndup(name, n);
		if (strchr(first, '.') || strchr(first, ':') || strcmp(first, "localhost") == 0 ||
		    first[0] == '[') {
			if (!valid_domain(first)) {
				ud_ref_release(out);
				return ud_error_set(
					err, UD_ERR_USAGE,
					"invalid image reference '%s': bad registry host "
					"'%s'",
					text, first);
			}
			out->domain = steal_pointer(&first);
			rest = slash + 1;
		}
	}
	bool upper = false;
	for (const char *p = rest;;) {
		size_t n = strcspn(p, "/");
		if (!valid_component(p, n, &upper)) {
			ud_ref_release(out);
			return ud_error_set(err, UD_ERR_USAGE, "invalid image reference '%s': %s",
					    text, expect);
		}
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	if (upper) {
		ud_ref_release(out);
		return ud_error_set(err, UD_ERR_USAGE,
				    "invalid image reference '%s': repository names must be "
				    "lowercase",
				    text);
	}
	/* Docker Hub's names: no host, or Docker Hub's own. One-component ones
	 * are official images under library/, wherever they are pulled from
	 * (udocker 1.3.16 does so for --registry too: a mirror serves them so). */
	bool hub_name = out->domain == NULL || is_hub_domain(out->domain);
	const char *url = NULL;
	if (out->domain == NULL && registry_url && *registry_url)
		url = registry_url;
	else if (hub_name && hub_url && *hub_url)
		url = hub_url;
	if (url) {
		free(out->domain);
		out->domain = NULL;
		if (split_url(url, &out->scheme, &out->domain, err) < 0) {
			ud_ref_release(out);
			return -1;
		}
	}
	if (is_hub_domain(out->domain ? out->domain : UD_DOCKER_HUB)) {
		free(out->domain);
		out->domain = xstrdup(UD_DOCKER_HUB);
		out->hub = true;
	}
	out->path = hub_name && strchr(rest, '/') == NULL ? xasprintf("library/%s", rest)
							  : xstrdup(rest);
	if (out->tag == NULL && out->digest == NULL)
		out->tag = xstrdup("latest");
	/* udocker keeps the name as typed as the local repository name. */
	out->local_name = xstrdup(name);
	out->local_tag = xstrdup(out->digest ? out->digest : out->tag);
	return 0;
}

void ud_ref_release(struct ud_ref *r)
{
	free(r->domain);
	free(r->scheme);
	free(r->path);
	free(r->tag);
	free(r->digest);
	free(r->local_name);
	free(r->local_tag);
	memset(r, 0, sizeof(*r));
}

char *ud_ref_format(const struct ud_ref *r)
{
	return xasprintf("%s/%s%s%s%s%s", r->hub ? "docker.io" : r->domain, r->path,
			 r->tag ? ":" : "", r->tag ? r->tag : "", r->digest ? "@" : "",
			 r->digest ? r->digest : "");
}

char *ud_ref_local(const struct ud_ref *r)
{
	return xasprintf("%s:%s", r->local_name, r->local_tag);
}
