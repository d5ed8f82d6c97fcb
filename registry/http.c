/* HTTP: libcurl setup, challenges and tokens, redirects, retries. */
#include "registry/http.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void ud_http_response_release(struct ud_http_response *r)
{
	ud_buf_release(&r->body);
	free(r->content_type);
	free(r->www_authenticate);
	free(r->location);
	free(r->docker_digest);
	memset(r, 0, sizeof(*r));
}

/* Headers whose values are secrets: never shown by -D. */
static const char *const secret_headers[] = {"Authorization", "Proxy-Authorization", "Cookie",
					     "Set-Cookie", NULL};

/* Where a secret header's value starts in line (after "Name:"), or NULL.
 * The name may be anywhere: HTTP/2 shows headers as "[name: value]". */
static const char *secret_value(const char *line, size_t len)
{
	for (size_t i = 0; secret_headers[i]; i++) {
		size_t n = strlen(secret_headers[i]);
		for (size_t at = 0; at + n < len; at++)
			if (line[at + n] == ':' &&
			    strncasecmp(line + at, secret_headers[i], n) == 0)
				return line + at + n + 1;
	}
	return NULL;
}

/* Query parameters whose values may be secrets (tokens in redirect URLs,
 * signed storage URLs): a name containing one of these, any case. */
static const char *const secret_params[] = {"token", "sig",    "credential", "key",	"auth",
					    "pass",  "secret", "policy",     "session", NULL};

static bool secret_param(const char *name, size_t n)
{
	_cleanup_free_ char *lower = xstrndup(name, n);
	for (char *q = lower; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	for (size_t i = 0; secret_params[i]; i++)
		if (strstr(lower, secret_params[i]))
			return true;
	return false;
}

/* Where a URL value in a debug line ends. */
static size_t url_span(const char *p, const char *end, const char *stops)
{
	size_t n = 0;
	while (p + n < end && !isspace((unsigned char)p[n]) && !strchr(stops, p[n]))
		n++;
	return n;
}

/* A copy of line with the secrets of any URL in it hidden: the password of
 * a "scheme://user:password@" (a proxy's, from http_proxy) and the values
 * of secret-looking query parameters. */
char *ud_http_mask_urls(const char *line, size_t len)
{
	struct ud_buf b = {0};
	ud_buf_puts(&b, "");
	const char *p = line, *end = line + len;
	while (p < end) {
		if (end - p > 3 && memcmp(p, "://", 3) == 0) {
			ud_buf_append(&b, p, 3);
			p += 3;
			size_t auth = url_span(p, end, "/?#\"'>");
			const char *at = memrchr(p, '@', auth);
			const char *colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
			if (colon) {
				ud_buf_append(&b, p, (size_t)(colon - p));
				ud_buf_puts(&b, ":<hidden>");
				p = at;
			}
			continue;
		}
		if ((*p == '?' || *p == '&' || *p == ';') && p + 1 < end) {
			ud_buf_append(&b, p, 1);
			p++;
			size_t name = url_span(p, end, "=&#\"'>");
			if (p + name < end && p[name] == '=' && name > 0 && secret_param(p, name)) {
				ud_buf_append(&b, p, name + 1);
				ud_buf_puts(&b, "<hidden>");
				p += name + 1;
				p += url_span(p, end, "&#\"'>");
			}
			continue;
		}
		ud_buf_append(&b, p, 1);
		p++;
	}
	return ud_buf_steal(&b);
}

static void debug_line(char dir, const char *line, size_t len)
{
	/* A header continued on the next line (obsolete folding) may carry
	 * the rest of a secret: never shown. */
	if ((dir == '<' || dir == '>') && (line[0] == ' ' || line[0] == '\t')) {
		ud_debug("%c <hidden continuation line>", dir);
		return;
	}
	const char *secret = secret_value(line, len);
	_cleanup_free_ char *l = ud_http_mask_urls(line, secret ? (size_t)(secret - line) : len);
	_cleanup_free_ char *e = ud_str_escape(l, 1000);
	ud_debug("%c %s%s", dir, e, secret ? " <hidden>" : "");
}

/* libcurl's verbose output, one debug message a line; bodies (token
 * answers among them) are never shown. */
static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *user)
{
	(void)h;
	(void)user;
	char dir = type == CURLINFO_TEXT	 ? '*'
		   : type == CURLINFO_HEADER_IN	 ? '<'
		   : type == CURLINFO_HEADER_OUT ? '>'
						 : 0;
	if (dir == 0)
		return 0;
	const char *p = data, *end = data + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		size_t n = (size_t)(stop - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0)
			debug_line(dir, p, n);
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static bool http_url(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

bool ud_http_same_origin(const char *origin, const char *url)
{
	if (origin == NULL || !http_url(url) || !ud_http_same_host(origin, url))
		return false;
	return strncasecmp(origin, "https://", 8) != 0 || strncasecmp(url, "https://", 8) == 0;
}

int ud_http_setup(struct ud_registry_client *c, CURL *h, const char *url, bool api,
		  const char *authz, const char *origin, struct curl_slist **hdrs,
		  struct ud_error **err)
{
	if (!http_url(url)) {
		_cleanup_free_ char *e = ud_str_escape(url, 200);
		return ud_error_set(
			err, UD_ERR_INVALID,
			"refusing to follow '%s': only http and https URLs are followed", e);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "udocker/" UD_VERSION);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->opts.connect_timeout);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* Redirects are followed by hand, but libcurl must refuse other
	 * protocols too: the string form exists from 7.85, the bitmask before. */
	if (c->protocols_str) {
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	} else {
		curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
				 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	}
	if (api)
		curl_easy_setopt(h, CURLOPT_TIMEOUT, c->opts.timeout);
	/* A transfer that stalls is cut: less than UD_HTTP_MIN_SPEED for the
	 * stall timeout, so a registry trickling a byte a second (slowloris)
	 * cannot hold a pull for ever either. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, UD_HTTP_MIN_SPEED);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->opts.stall_timeout);
	if (c->opts.insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->opts.proxy && *c->opts.proxy)
		curl_easy_setopt(h, CURLOPT_PROXY, c->opts.proxy);
	if (ud_log_get_level() >= UD_LOG_DEBUG) {
		curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
		curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	}
	if (authz && ud_http_same_origin(origin, url)) {
		_cleanup_free_ char *line = xasprintf("Authorization: %s", authz);
		*hdrs = curl_slist_append(*hdrs, line);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	return 0;
}

static char *header_value(const char *buf, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len <= n + 1 || strncasecmp(buf, name, n) != 0 || buf[n] != ':')
		return NULL;
	const char *v = buf + n + 1;
	const char *end = buf + len;
	while (v < end && isspace((unsigned char)*v))
		v++;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	return xstrndup(v, (size_t)(end - v));
}

size_t ud_http_header_cb(char *buf, size_t size, size_t n, void *data)
{
	struct ud_http_response *r = data;
	size_t len = size * n;
	/* Headers that never end (libcurl before 8.3 keeps them all). */
	r->header_bytes += len;
	if (r->header_bytes > UD_HTTP_MAX_HEADERS) {
		r->headers_cut = true;
		return 0;
	}
	if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		/* A new response (after a 100 or a proxy CONNECT): forget headers. */
		free(r->content_type);
		free(r->www_authenticate);
		free(r->location);
		free(r->docker_digest);
		r->content_type = r->www_authenticate = r->location = r->docker_digest = NULL;
		r->content_length = -1;
		r->range_start = -1;
		const char *sp = memchr(buf, ' ', len);
		if (sp)
			r->status = strtol(sp + 1, NULL, 10);
		return len;
	}
	char *v;
	if ((v = header_value(buf, len, "Content-Type"))) {
		free(r->content_type);
		r->content_type = v;
	} else if ((v = header_value(buf, len, "WWW-Authenticate"))) {
		free(r->www_authenticate);
		r->www_authenticate = v;
	} else if ((v = header_value(buf, len, "Location"))) {
		free(r->location);
		r->location = v;
	} else if ((v = header_value(buf, len, "Docker-Content-Digest"))) {
		free(r->docker_digest);
		r->docker_digest = v;
	} else if ((v = header_value(buf, len, "Content-Length"))) {
		r->content_length = strtoll(v, NULL, 10);
		free(v);
	} else if ((v = header_value(buf, len, "Content-Range"))) {
		char *end = NULL;
		long long start = -1;
		if (strncasecmp(v, "bytes ", 6) == 0 && isdigit((unsigned char)v[6]))
			start = strtoll(v + 6, &end, 10);
		r->range_start = end && *end == '-' ? start : -1;
		free(v);
	}
	return len;
}

/* Keeps a body up to its cap: max_body for a 2xx answer, a smaller one for
 * an error body. Past the cap the transfer stops (CURLE_WRITE_ERROR) with
 * body_cut set: an endless body ends there. */
static size_t body_cb(char *buf, size_t size, size_t n, void *data)
{
	struct ud_http_response *r = data;
	size_t len = size * n;
	size_t cap = r->status >= 200 && r->status < 300
			     ? (r->max_body ? r->max_body : UD_HTTP_MAX_BODY)
			     : UD_HTTP_MAX_ERROR_BODY;
	if (r->body.len + len > cap) {
		ud_buf_append(&r->body, buf, cap - r->body.len);
		r->body_cut = true;
		return 0;
	}
	ud_buf_append(&r->body, buf, len);
	return len;
}

bool ud_http_is_loopback(const char *domain)
{
	_cleanup_free_ char *host = NULL;
	if (domain[0] == '[')
		host = xstrndup(domain + 1, strcspn(domain + 1, "]"));
	else
		host = xstrndup(domain, strcspn(domain, ":"));
	return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	       strncmp(host, "127.", 4) == 0;
}

static const char *scheme_known(struct ud_registry_client *c, const char *domain)
{
	for (size_t i = 0; i < c->n_schemes; i++)
		if (strcmp(c->schemes[i].domain, domain) == 0)
			return c->schemes[i].scheme;
	return NULL;
}

static void scheme_remember(struct ud_registry_client *c, const char *domain, const char *scheme)
{
	c->schemes = xrealloc(c->schemes, (c->n_schemes + 1) * sizeof(*c->schemes));
	c->schemes[c->n_schemes++] = (struct ud_scheme_choice){xstrdup(domain), xstrdup(scheme)};
}

char *ud_http_base(struct ud_registry_client *c, const struct ud_ref *ref)
{
	const char *scheme = ref->scheme;
	if (scheme == NULL)
		scheme = scheme_known(c, ref->domain);
	if (scheme == NULL) {
		_cleanup_free_ char *host = xstrndup(ref->domain, strcspn(ref->domain, ":"));
		bool insecure = ud_strv_contains(c->opts.insecure_registries, ref->domain) ||
				ud_strv_contains(c->opts.insecure_registries, host);
		scheme = insecure ? "http" : "https";
	}
	return xasprintf("%s://%s", scheme, ref->domain);
}

bool ud_http_same_host(const char *a, const char *b)
{
	CURLU *ua = curl_url(), *ub = curl_url();
	char *ha = NULL, *hb = NULL, *pa = NULL, *pb = NULL;
	bool same = false;
	if (curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
	    curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK &&
	    curl_url_get(ua, CURLUPART_HOST, &ha, 0) == CURLUE_OK &&
	    curl_url_get(ub, CURLUPART_HOST, &hb, 0) == CURLUE_OK) {
		curl_url_get(ua, CURLUPART_PORT, &pa, CURLU_DEFAULT_PORT);
		curl_url_get(ub, CURLUPART_PORT, &pb, CURLU_DEFAULT_PORT);
		same = strcasecmp(ha, hb) == 0 && ud_str_eq(pa, pb);
	}
	curl_free(ha);
	curl_free(hb);
	curl_free(pa);
	curl_free(pb);
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

/* Resolves a possibly relative Location against the request URL. */
static char *resolve_location(const char *base, const char *loc)
{
	CURLU *u = curl_url();
	char *out = NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, loc, 0) == CURLUE_OK)
		curl_url_get(u, CURLUPART_URL, &out, 0);
	curl_url_cleanup(u);
	char *r = out ? xstrdup(out) : xstrdup(loc);
	curl_free(out);
	return r;
}

void ud_http_backoff(int attempt)
{
	long ms = 500L << (attempt < 4 ? attempt : 4);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ challenges */

int ud_challenge_parse(const char *value, struct ud_challenge *out)
{
	memset(out, 0, sizeof(*out));
	const char *p = value;
	while (isspace((unsigned char)*p))
		p++;
	size_t n = strcspn(p, " \t");
	if (n == 0)
		return -1;
	out->scheme = xstrndup(p, n);
	p += n;
	for (;;) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		size_t kn = strcspn(p, "=, \t");
		_cleanup_free_ char *key = xstrndup(p, kn);
		p += kn;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=')
			continue;
		p++;
		while (isspace((unsigned char)*p))
			p++;
		struct ud_buf v = {0};
		ud_buf_puts(&v, "");
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				ud_buf_append(&v, p, 1);
				p++;
			}
			if (*p == '"')
				p++;
		} else {
			size_t vn = strcspn(p, ", \t");
			ud_buf_append(&v, p, vn);
			p += vn;
		}
		char **field = strcasecmp(key, "realm") == 0	 ? &out->realm
			       : strcasecmp(key, "service") == 0 ? &out->service
			       : strcasecmp(key, "scope") == 0	 ? &out->scope
			       : strcasecmp(key, "error") == 0	 ? &out->error
								 : NULL;
		if (field) {
			free(*field);
			*field = ud_buf_steal(&v);
		} else {
			ud_buf_release(&v);
		}
	}
	return 0;
}

void ud_challenge_release(struct ud_challenge *ch)
{
	free(ch->scheme);
	free(ch->realm);
	free(ch->service);
	free(ch->scope);
	free(ch->error);
	memset(ch, 0, sizeof(*ch));
}

/* ------------------------------------------------------------ tokens */

static char *token_key(const struct ud_ref *ref, const char *scope)
{
	return xasprintf("%s|%s", ref->domain, scope ? scope : "");
}

const char *ud_http_cached_auth(struct ud_registry_client *c, const struct ud_ref *ref,
				const char *scope)
{
	_cleanup_free_ char *key = token_key(ref, scope);
	int64_t now = ud_now_ms();
	for (size_t i = 0; i < c->n_tokens; i++)
		if (strcmp(c->tokens[i].key, key) == 0 && c->tokens[i].expires_ms > now)
			return c->tokens[i].value;
	return NULL;
}

static void token_store(struct ud_registry_client *c, const struct ud_ref *ref, const char *scope,
			char *value, int64_t lifetime_s)
{
	_cleanup_free_ char *key = token_key(ref, scope);
	/* A lifetime under a minute (0, negative) or past a day is clamped:
	 * the token is asked for again when the registry refuses it. */
	lifetime_s = lifetime_s < 60 ? 60 : lifetime_s > 86400 ? 86400 : lifetime_s;
	/* Renew a little early. */
	int64_t expires = ud_now_ms() + (lifetime_s - 15) * 1000;
	for (size_t i = 0; i < c->n_tokens; i++) {
		if (strcmp(c->tokens[i].key, key) == 0) {
			free(c->tokens[i].value);
			c->tokens[i].value = value;
			c->tokens[i].expires_ms = expires;
			return;
		}
	}
	c->tokens = xrealloc(c->tokens, (c->n_tokens + 1) * sizeof(*c->tokens));
	c->tokens[c->n_tokens++] = (struct ud_token){steal_pointer(&key), value, expires};
}

static char *basic_auth(const char *user, const char *pass)
{
	_cleanup_free_ char *plain = xasprintf("%s:%s", user, pass);
	size_t n = strlen(plain);
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)plain, (int)n);
	return out;
}

static bool credentials(struct ud_registry_client *c, const struct ud_ref *ref, char **user,
			char **pass)
{
	if (c->opts.user && c->opts.password) {
		*user = xstrdup(c->opts.user);
		*pass = xstrdup(c->opts.password);
		return true;
	}
	if (c->opts.keystore == NULL)
		return false;
	_cleanup_free_ char *k1 = xasprintf("https://%s", ref->domain);
	if (ud_keystore_get(c->opts.keystore, k1, user, pass) == 0)
		return true;
	if (ref->hub &&
	    ud_keystore_get(c->opts.keystore, "https://index.docker.io/v1/", user, pass) == 0)
		return true;
	return ud_keystore_get(c->opts.keystore, ref->domain, user, pass) == 0;
}

static void redact_one(char **text, const char *secret, size_t n)
{
	if (n < 4) /* too short to tell from ordinary text */
		return;
	struct ud_buf b = {0};
	ud_buf_puts(&b, "");
	const char *p = *text, *hit;
	while ((hit = memmem(p, strlen(p), secret, n)) != NULL) {
		ud_buf_append(&b, p, (size_t)(hit - p));
		ud_buf_puts(&b, "<hidden>");
		p = hit + n;
	}
	ud_buf_puts(&b, p);
	free(*text);
	*text = ud_buf_steal(&b);
}

char *ud_http_redact(const struct ud_registry_client *c, const char *text)
{
	char *out = xstrdup(text);
	if (c->opts.password)
		redact_one(&out, c->opts.password, strlen(c->opts.password));
	for (size_t i = 0; i < c->n_tokens; i++) {
		const char *v = c->tokens[i].value;
		const char *cred = strchr(v, ' ');
		cred = cred ? cred + 1 : v;
		redact_one(&out, cred, strlen(cred));
		if (strncasecmp(v, "Basic ", 6) != 0)
			continue;
		/* The password inside a Basic value. */
		size_t n = strlen(cred);
		_cleanup_free_ unsigned char *plain = xcalloc(n + 4, 1);
		int pn = EVP_DecodeBlock(plain, (const unsigned char *)cred, (int)n);
		const char *colon = pn > 0 ? memchr(plain, ':', (size_t)pn) : NULL;
		if (colon)
			redact_one(&out, colon + 1, strlen(colon + 1));
	}
	return out;
}

static char *url_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *r = xstrdup(e ? e : "");
	curl_free(e);
	return r;
}

/* The token service's answer to a valid request: the Bearer value. */
static int token_answer(struct ud_registry_client *c, const struct ud_ref *ref, const char *scope,
			const char *realm_e, const struct ud_http_response *resp,
			struct ud_error **err)
{
	json_error_t je;
	json_t *j = json_loadb(resp->body.data ? resp->body.data : "", resp->body.len, 0, &je);
	json_t *t = json_object_get(j, "token");
	if (!json_is_string(t))
		t = json_object_get(j, "access_token");
	json_t *exp = json_object_get(j, "expires_in");
	int r = 0;
	if (!json_is_string(t))
		r = ud_error_set(err, UD_ERR_AUTH, "token service %s answered without a token",
				 realm_e);
	else
		token_store(c, ref, scope, xasprintf("Bearer %s", json_string_value(t)),
			    json_is_integer(exp) ? json_integer_value(exp) : 60);
	json_decref(j);
	return r;
}

static int bearer_token(struct ud_registry_client *c, const struct ud_ref *ref, const char *base,
			const struct ud_challenge *ch, const char *scope, const char *user,
			const char *pass, struct ud_error **err)
{
	_cleanup_free_ char *realm_e = ud_str_escape(ch->realm, 200);
	if (!http_url(ch->realm))
		return ud_error_set(err, UD_ERR_AUTH,
				    "registry %s: token realm '%s' is not an http or https URL",
				    ref->domain, realm_e);
	/* The user's password goes to a token service over https, or over
	 * http only when the registry itself is reached over http. */
	bool plain_realm = strncasecmp(ch->realm, "http://", 7) == 0;
	bool withheld = user && plain_realm && strncasecmp(base, "https://", 8) == 0;
	struct ud_buf url = {0};
	ud_buf_puts(&url, ch->realm);
	char sep = strchr(ch->realm, '?') ? '&' : '?';
	if (ch->service) {
		_cleanup_free_ char *e = url_escape(ch->service);
		ud_buf_printf(&url, "%cservice=%s", sep, e);
		sep = '&';
	}
	const char *want_scope = scope ? scope : ch->scope;
	if (want_scope) {
		_cleanup_free_ char *e = url_escape(want_scope);
		ud_buf_printf(&url, "%cscope=%s", sep, e);
	}
	_cleanup_free_ char *token_url = ud_buf_steal(&url);
	_cleanup_free_ char *authz = NULL;
	if (user && !withheld) {
		_cleanup_free_ char *b = basic_auth(user, pass);
		authz = xasprintf("Basic %s", b);
	}
	if (withheld)
		ud_debug("credentials for %s withheld from the plain http token service %s",
			 ref->domain, realm_e);
	CURL *h = curl_easy_init();
	struct ud_http_response resp = {.content_length = -1, .max_body = UD_HTTP_MAX_TOKEN};
	struct curl_slist *hdrs = NULL;
	if (ud_http_setup(c, h, token_url, true, authz, token_url, &hdrs, err) < 0) {
		curl_easy_cleanup(h);
		curl_slist_free_all(hdrs);
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, ud_http_header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
	c->counts.token_requests++;
	c->counts.requests++;
	_cleanup_free_ char *masked = ud_http_mask_urls(token_url, strlen(token_url));
	_cleanup_free_ char *masked_e = ud_str_escape(masked, 200);
	ud_debug("token request %s", masked_e);
	CURLcode cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	int r = 0;
	if (cc == CURLE_WRITE_ERROR && resp.headers_cut)
		r = ud_error_set(err, UD_ERR_AUTH,
				 "token service %s: the answer's headers are larger than %zu bytes",
				 realm_e, UD_HTTP_MAX_HEADERS);
	else if (cc == CURLE_WRITE_ERROR && resp.body_cut && resp.status == 200)
		r = ud_error_set(err, UD_ERR_AUTH,
				 "token service %s: the answer is larger than %zu bytes", realm_e,
				 (size_t)UD_HTTP_MAX_TOKEN);
	else if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && resp.body_cut))
		r = ud_error_set(err, UD_ERR_NETWORK, "token request to %s: %s", realm_e,
				 curl_easy_strerror(cc));
	else if ((resp.status == 401 || resp.status == 403) && withheld)
		r = ud_error_set(
			err, UD_ERR_AUTH,
			"authentication required for %s: the token service %s is plain "
			"http, the credentials for the https registry %s are not sent to it",
			ref->path, realm_e, ref->domain);
	else if (resp.status == 401 || resp.status == 403)
		r = ud_error_set(err, UD_ERR_AUTH, "%s for %s: token service %s refused (HTTP %ld)",
				 user ? "invalid username or password" : "authentication required",
				 ref->path, realm_e, resp.status);
	else if (resp.status != 200)
		r = ud_error_set(err, UD_ERR_HTTP, "token request to %s: HTTP %ld", realm_e,
				 resp.status);
	else
		r = token_answer(c, ref, scope, realm_e, &resp, err);
	ud_http_response_release(&resp);
	return r;
}

int ud_http_authenticate(struct ud_registry_client *c, const struct ud_ref *ref, const char *base,
			 const char *url, const char *challenge, const char *scope,
			 struct ud_error **err)
{
	/* Only the registry's own challenges are answered: a redirect target
	 * (blob storage on another host) asking for credentials gets none. */
	if (!ud_http_same_origin(base, url)) {
		_cleanup_free_ char *e = ud_str_escape(url, 200);
		return ud_error_set(err, UD_ERR_AUTH,
				    "'%s' asks for authentication; it is not registry %s, whose "
				    "credentials are not sent there",
				    e, ref->domain);
	}
	struct ud_challenge ch;
	if (challenge == NULL || ud_challenge_parse(challenge, &ch) < 0)
		return ud_error_set(err, UD_ERR_AUTH,
				    "registry %s asks for authentication without a challenge",
				    ref->domain);
	_cleanup_free_ char *user = NULL, *pass = NULL;
	bool have_creds = credentials(c, ref, &user, &pass);
	int r = 0;
	if (strcasecmp(ch.scheme, "Basic") == 0) {
		if (!have_creds) {
			r = ud_error_set(err, UD_ERR_AUTH,
					 "registry %s requires a login (udocker login "
					 "--registry=%s)",
					 ref->domain, ref->domain);
		} else {
			_cleanup_free_ char *b = basic_auth(user, pass);
			token_store(c, ref, scope, xasprintf("Basic %s", b), 24 * 3600);
		}
	} else if (strcasecmp(ch.scheme, "Bearer") == 0 && ch.realm) {
		if (ch.error && strcmp(ch.error, "insufficient_scope") == 0 && !have_creds)
			r = ud_error_set(err, UD_ERR_AUTH,
					 "access to %s denied: insufficient scope", ref->path);
		else
			r = bearer_token(c, ref, base, &ch, scope, have_creds ? user : NULL,
					 have_creds ? pass : NULL, err);
	} else {
		_cleanup_free_ char *e = ud_str_escape(ch.scheme, 60);
		r = ud_error_set(err, UD_ERR_AUTH, "registry %s: unsupported authentication '%s'",
				 ref->domain, e);
	}
	ud_challenge_release(&ch);
	return r;
}

/* ------------------------------------------------------------ requests */

/* One GET; -1 only when the request cannot be made (a URL not http(s)). */
static int perform(struct ud_registry_client *c, const char *url, const char *const *accept,
		   const char *authz, const char *origin, struct ud_http_response *resp,
		   CURLcode *cc, struct ud_error **err)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	for (size_t i = 0; accept && accept[i]; i++) {
		_cleanup_free_ char *a = xasprintf("Accept: %s", accept[i]);
		hdrs = curl_slist_append(hdrs, a);
	}
	if (ud_http_setup(c, h, url, true, authz, origin, &hdrs, err) < 0) {
		curl_easy_cleanup(h);
		curl_slist_free_all(hdrs);
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, ud_http_header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	c->counts.requests++;
	_cleanup_free_ char *m = ud_http_mask_urls(url, strlen(url));
	_cleanup_free_ char *e = ud_str_escape(m, 0);
	ud_debug("GET %s", e);
	*cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	return 0;
}

static bool tls_failure(CURLcode cc)
{
	return cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING ||
	       cc == CURLE_SEND_ERROR || cc == CURLE_UNSUPPORTED_PROTOCOL;
}

int ud_http_get(struct ud_registry_client *c, const struct ud_ref *ref, const char *path,
		const char *const *accept, const char *scope, struct ud_http_response *resp,
		struct ud_error **err)
{
	_cleanup_free_ char *base = ud_http_base(c, ref);
	_cleanup_free_ char *url = path[0] == '/' ? xasprintf("%s%s", base, path) : xstrdup(path);
	bool authed = false;
	int redirects = 0, attempt = 0;
	size_t max_body = resp->max_body ? resp->max_body : UD_HTTP_MAX_BODY;
	for (;;) {
		ud_http_response_release(resp);
		resp->content_length = -1;
		resp->max_body = max_body;
		CURLcode cc = CURLE_OK;
		if (perform(c, url, accept, ud_http_cached_auth(c, ref, scope), base, resp, &cc,
			    err) < 0)
			return -1;
		if (cc == CURLE_WRITE_ERROR && resp->headers_cut) {
			_cleanup_free_ char *e = ud_str_escape(url, 200);
			return ud_error_set(
				err, UD_ERR_INVALID,
				"GET %s: the answer's headers are larger than %zu bytes", e,
				UD_HTTP_MAX_HEADERS);
		}
		if (cc == CURLE_WRITE_ERROR && resp->body_cut) {
			/* An error body is kept up to its cap; an answer past its cap
			 * is refused. */
			if (resp->status >= 200 && resp->status < 300) {
				_cleanup_free_ char *e = ud_str_escape(url, 200);
				return ud_error_set(err, UD_ERR_INVALID,
						    "GET %s: the answer is larger than %zu bytes",
						    e, max_body);
			}
			cc = CURLE_OK;
		}
		if (cc != CURLE_OK) {
			/* A loopback registry that speaks only HTTP (as Docker allows). */
			if (tls_failure(cc) && ref->scheme == NULL &&
			    ud_str_has_prefix(url, "https://") &&
			    ud_http_is_loopback(ref->domain) &&
			    scheme_known(c, ref->domain) == NULL) {
				ud_debug("%s: no HTTPS on loopback registry, using HTTP",
					 ref->domain);
				scheme_remember(c, ref->domain, "http");
				free(base);
				base = ud_http_base(c, ref);
				char *u = xasprintf("http://%s", url + strlen("https://"));
				free(url);
				url = u;
				continue;
			}
			if (++attempt < c->opts.retries && cc != CURLE_SSL_CACERT &&
			    cc != CURLE_PEER_FAILED_VERIFICATION) {
				ud_http_backoff(attempt - 1);
				continue;
			}
			_cleanup_free_ char *e = ud_str_escape(url, 200);
			if (cc == CURLE_OPERATION_TIMEDOUT)
				return ud_error_set(
					err, UD_ERR_NETWORK,
					"GET %s: no answer in time (timeout %ld s, stall "
					"timeout %ld s)",
					e, c->opts.timeout, c->opts.stall_timeout);
			return ud_error_set(err, UD_ERR_NETWORK, "GET %s: %s", e,
					    curl_easy_strerror(cc));
		}
		if (scheme_known(c, ref->domain) == NULL && ref->scheme == NULL)
			scheme_remember(c, ref->domain,
					ud_str_has_prefix(base, "http://") ? "http" : "https");
		/* A 401 from a redirect target is refused with its reason even
		 * after the registry's own challenge was answered. */
		if (resp->status == 401 && (!authed || !ud_http_same_origin(base, url))) {
			authed = true;
			if (ud_http_authenticate(c, ref, base, url, resp->www_authenticate, scope,
						 err) < 0)
				return -1;
			continue;
		}
		if (resp->status >= 300 && resp->status < 400 && resp->location) {
			if (++redirects > 5) {
				_cleanup_free_ char *e = ud_str_escape(path, 200);
				return ud_error_set(err, UD_ERR_HTTP, "GET %s: too many redirects",
						    e);
			}
			char *next = resolve_location(url, resp->location);
			free(url);
			url = next;
			continue;
		}
		if ((resp->status >= 500 || resp->status == 429) && ++attempt < c->opts.retries) {
			ud_http_backoff(attempt - 1);
			continue;
		}
		return 0;
	}
}
