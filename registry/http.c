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

void ud_http_setup(struct ud_registry_client *c, CURL *h, bool api)
{
	curl_easy_setopt(h, CURLOPT_USERAGENT, "udocker/" UD_VERSION);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->opts.connect_timeout);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (api)
		curl_easy_setopt(h, CURLOPT_TIMEOUT, c->opts.timeout);
	/* Blobs: no total limit, but a stalled transfer is cut. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	if (c->opts.insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->opts.proxy && *c->opts.proxy)
		curl_easy_setopt(h, CURLOPT_PROXY, c->opts.proxy);
	if (ud_log_get_level() >= UD_LOG_DEBUG)
		curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
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
	if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		/* A new response (after a 100 or a proxy CONNECT): forget headers. */
		free(r->content_type);
		free(r->www_authenticate);
		free(r->location);
		free(r->docker_digest);
		r->content_type = r->www_authenticate = r->location = r->docker_digest = NULL;
		r->content_length = -1;
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
	}
	return len;
}

static size_t body_cb(char *buf, size_t size, size_t n, void *data)
{
	struct ud_buf *b = data;
	/* API bodies are small; refuse anything absurd (an endless body). */
	if (b->len + size * n > 64 * 1024 * 1024)
		return 0;
	ud_buf_append(b, buf, size * n);
	return size * n;
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
	/* Renew a little early. */
	int64_t expires = ud_now_ms() + (lifetime_s > 30 ? lifetime_s - 15 : lifetime_s) * 1000;
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

static char *url_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *r = xstrdup(e ? e : "");
	curl_free(e);
	return r;
}

int ud_http_authenticate(struct ud_registry_client *c, const struct ud_ref *ref,
			 const char *challenge, const char *scope, struct ud_error **err)
{
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
		if (ch.error && strcmp(ch.error, "insufficient_scope") == 0 && !have_creds) {
			ud_challenge_release(&ch);
			return ud_error_set(err, UD_ERR_AUTH,
					    "access to %s denied: insufficient scope", ref->path);
		}
		struct ud_buf url = {0};
		ud_buf_puts(&url, ch.realm);
		char sep = strchr(ch.realm, '?') ? '&' : '?';
		if (ch.service) {
			_cleanup_free_ char *e = url_escape(ch.service);
			ud_buf_printf(&url, "%cservice=%s", sep, e);
			sep = '&';
		}
		const char *want_scope = scope ? scope : ch.scope;
		if (want_scope) {
			_cleanup_free_ char *e = url_escape(want_scope);
			ud_buf_printf(&url, "%cscope=%s", sep, e);
		}
		_cleanup_free_ char *token_url = ud_buf_steal(&url);
		CURL *h = curl_easy_init();
		struct ud_http_response resp = {.content_length = -1};
		ud_http_setup(c, h, true);
		curl_easy_setopt(h, CURLOPT_URL, token_url);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, ud_http_header_cb);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp.body);
		struct curl_slist *hdrs = NULL;
		_cleanup_free_ char *authz = NULL;
		if (have_creds) {
			_cleanup_free_ char *b = basic_auth(user, pass);
			authz = xasprintf("Authorization: Basic %s", b);
			hdrs = curl_slist_append(hdrs, authz);
			curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		}
		c->counts.token_requests++;
		c->counts.requests++;
		ud_debug("token request %s", token_url);
		CURLcode cc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
		curl_easy_cleanup(h);
		curl_slist_free_all(hdrs);
		if (cc != CURLE_OK) {
			r = ud_error_set(err, UD_ERR_NETWORK, "token request to %s: %s", ch.realm,
					 curl_easy_strerror(cc));
		} else if (resp.status == 401 || resp.status == 403) {
			r = ud_error_set(err, UD_ERR_AUTH,
					 "%s for %s: token service %s refused (HTTP %ld)",
					 have_creds ? "invalid username or password"
						    : "authentication required",
					 ref->path, ch.realm, resp.status);
		} else if (resp.status != 200) {
			r = ud_error_set(err, UD_ERR_HTTP, "token request to %s: HTTP %ld",
					 ch.realm, resp.status);
		} else {
			json_error_t je;
			json_t *j = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len,
					       0, &je);
			json_t *t = json_object_get(j, "token");
			if (!json_is_string(t))
				t = json_object_get(j, "access_token");
			json_t *exp = json_object_get(j, "expires_in");
			if (!json_is_string(t)) {
				r = ud_error_set(err, UD_ERR_AUTH,
						 "token service %s answered without a token",
						 ch.realm);
			} else {
				token_store(c, ref, scope,
					    xasprintf("Bearer %s", json_string_value(t)),
					    json_is_integer(exp) ? json_integer_value(exp) : 60);
			}
			json_decref(j);
		}
		ud_http_response_release(&resp);
	} else {
		r = ud_error_set(err, UD_ERR_AUTH, "registry %s: unsupported authentication '%s'",
				 ref->domain, ch.scheme);
	}
	ud_challenge_release(&ch);
	return r;
}

/* ------------------------------------------------------------ requests */

static CURLcode perform(struct ud_registry_client *c, const char *url, const char *const *accept,
			const char *authz, struct ud_http_response *resp)
{
	CURL *h = curl_easy_init();
	ud_http_setup(c, h, true);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, ud_http_header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
	struct curl_slist *hdrs = NULL;
	for (size_t i = 0; accept && accept[i]; i++) {
		_cleanup_free_ char *a = xasprintf("Accept: %s", accept[i]);
		hdrs = curl_slist_append(hdrs, a);
	}
	_cleanup_free_ char *auth_line = authz ? xasprintf("Authorization: %s", authz) : NULL;
	if (auth_line)
		hdrs = curl_slist_append(hdrs, auth_line);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	c->counts.requests++;
	ud_debug("GET %s", url);
	CURLcode cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	return cc;
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
	for (;;) {
		ud_http_response_release(resp);
		resp->content_length = -1;
		const char *authz =
			ud_http_same_host(url, base) ? ud_http_cached_auth(c, ref, scope) : NULL;
		CURLcode cc = perform(c, url, accept, authz, resp);
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
			return ud_error_set(err, UD_ERR_NETWORK, "GET %s: %s", url,
					    curl_easy_strerror(cc));
		}
		if (scheme_known(c, ref->domain) == NULL && ref->scheme == NULL)
			scheme_remember(c, ref->domain,
					ud_str_has_prefix(base, "http://") ? "http" : "https");
		if (resp->status == 401 && !authed && ud_http_same_host(url, base)) {
			authed = true;
			if (ud_http_authenticate(c, ref, resp->www_authenticate, scope, err) < 0)
				return -1;
			continue;
		}
		if (resp->status >= 300 && resp->status < 400 && resp->location) {
			if (++redirects > 5)
				return ud_error_set(err, UD_ERR_HTTP, "GET %s: too many redirects",
						    path);
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
