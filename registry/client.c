/* Registry API calls: manifests, indexes, tags, catalog, search, login. */
#include "registry/http.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

static const char *const manifest_accept[] = {UD_MT_DOCKER_MANIFEST,
					      UD_MT_DOCKER_LIST,
					      UD_MT_OCI_MANIFEST,
					      UD_MT_OCI_INDEX,
					      UD_MT_DOCKER_MANIFEST_V1_SIGNED,
					      NULL};

/* The host's CA bundle where distributions keep it (the libcurl of a
 * release tarball knows only Debian's place), else the bundle a release
 * ships (share/udocker/ca-certificates.crt); NULL leaves libcurl's own. */
static char *default_ca_file(void)
{
	static const char *const host[] = {
		"/etc/ssl/certs/ca-certificates.crt",		     /* Debian, Ubuntu, Arch */
		"/etc/pki/tls/certs/ca-bundle.crt",		     /* RHEL, Fedora */
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL 7+ */
		"/etc/ssl/ca-bundle.pem",			     /* SUSE */
		"/etc/ssl/cert.pem",				     /* Alpine */
	};
	for (size_t i = 0; i < UD_ARRAY_SIZE(host); i++)
		if (access(host[i], R_OK) == 0)
			return xstrdup(host[i]);
	const char *top = ud_self_release_top();
	if (top) {
		char *p = xasprintf("%s/share/udocker/ca-certificates.crt", top);
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

struct ud_registry_client *ud_registry_client_new(const struct ud_registry_options *opts,
						  struct ud_error **err)
{
	if (ud_curl_load(err) < 0)
		return NULL;
	struct ud_registry_client *c = xcalloc(1, sizeof(*c));
	c->opts = *opts;
	if (c->opts.connect_timeout <= 0)
		c->opts.connect_timeout = 6;
	if (c->opts.timeout <= 0)
		c->opts.timeout = 30;
	if (c->opts.stall_timeout <= 0)
		c->opts.stall_timeout = 60;
	c->protocols_str = curl_version_info(CURLVERSION_NOW)->version_num >= 0x075500;
	if (c->opts.parallel <= 0)
		c->opts.parallel = 3;
	if (c->opts.retries <= 0)
		c->opts.retries = 4;
	const char *ca = opts->ca_file;
	if (ca == NULL || *ca == '\0')
		ca = getenv("CURL_CA_BUNDLE");
	if (ca == NULL || *ca == '\0')
		ca = getenv("SSL_CERT_FILE");
	c->ca_file = ca && *ca ? xstrdup(ca) : default_ca_file();
	return c;
}

void ud_registry_client_free(struct ud_registry_client *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_tokens; i++) {
		free(c->tokens[i].key);
		free(c->tokens[i].value);
	}
	free(c->tokens);
	for (size_t i = 0; i < c->n_schemes; i++) {
		free(c->schemes[i].domain);
		free(c->schemes[i].scheme);
	}
	free(c->schemes);
	free(c->ca_file);
	free(c);
}

void ud_registry_counts(const struct ud_registry_client *c, struct ud_registry_counts *out)
{
	*out = c->counts;
}

void ud_resolved_free(struct ud_resolved *r)
{
	if (r == NULL)
		return;
	free(r->manifest);
	free(r->manifest_digest);
	free(r->media_type);
	ud_manifest_free(r->parsed);
	free(r->index);
	free(r->index_digest);
	free(r);
}

static char *pull_scope(const struct ud_ref *ref)
{
	return xasprintf("repository:%s:pull", ref->path);
}

/* The text of an error answer for a message, control characters escaped
 * and the client's secrets hidden (a registry may echo the Authorization
 * it got): "CODE: message" of the first entry of an error JSON, else the
 * body's first 200 bytes. Caller frees. */
static char *error_text(struct ud_registry_client *c, const struct ud_http_response *resp)
{
	const char *body = resp->body.data ? resp->body.data : "";
	json_error_t je;
	json_t *j = json_loadb(body, resp->body.len, 0, &je);
	json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
	const char *code = json_string_value(json_object_get(e0, "code"));
	const char *msg = json_string_value(json_object_get(e0, "message"));
	char *out;
	if (code || msg) {
		_cleanup_free_ char *cr = ud_http_redact(c, code ? code : "");
		_cleanup_free_ char *mr = ud_http_redact(c, msg ? msg : "");
		_cleanup_free_ char *ce = ud_str_escape(cr, 60);
		_cleanup_free_ char *me = ud_str_escape(mr, 200);
		out = xasprintf("%s%s%s", ce, *ce && *me ? ": " : "", me);
	} else {
		_cleanup_free_ char *br = ud_http_redact(c, body);
		out = ud_str_escape(br, 200);
	}
	json_decref(j);
	return out;
}

/* Turns a non-200 response into an error naming what was asked. */
static int http_error(struct ud_registry_client *c, const struct ud_ref *ref, const char *what,
		      const struct ud_http_response *resp, struct ud_error **err)
{
	_cleanup_free_ char *name = ud_ref_format(ref);
	if (resp->status == 401 || resp->status == 403) {
		ud_error_set(err, UD_ERR_AUTH,
			     "%s: access denied by %s (HTTP %ld): authentication required or "
			     "insufficient permissions",
			     name, ref->domain, resp->status);
		(*err)->http = (int)resp->status;
		return -1;
	}
	if (resp->status == 404) {
		ud_error_set(err, UD_ERR_NOT_FOUND, "%s: %s not found in registry %s", name, what,
			     ref->domain);
		(*err)->http = 404;
		return -1;
	}
	_cleanup_free_ char *text = error_text(c, resp);
	ud_error_set(err, UD_ERR_HTTP, "%s: %s: registry %s answered HTTP %ld%s%s", name, what,
		     ref->domain, resp->status, *text ? ": " : "", text);
	(*err)->http = (int)resp->status;
	return -1;
}

char *ud_registry_get_manifest(struct ud_registry_client *c, const struct ud_ref *ref,
			       const char *reference, size_t *len, char **content_type,
			       struct ud_error **err)
{
	_cleanup_free_ char *scope = pull_scope(ref);
	_cleanup_free_ char *path = xasprintf("/v2/%s/manifests/%s", ref->path, reference);
	struct ud_http_response resp = {.content_length = -1, .max_body = UD_HTTP_MAX_MANIFEST};
	c->counts.manifest_requests++;
	if (ud_http_get(c, ref, path, manifest_accept, scope, &resp, err) < 0)
		return NULL;
	if (resp.status != 200) {
		_cleanup_free_ char *what = xasprintf("manifest '%s'", reference);
		http_error(c, ref, what, &resp, err);
		ud_http_response_release(&resp);
		return NULL;
	}
	/* A digest reference must return exactly those bytes. */
	if (ud_digest_valid(reference)) {
		char hex[UD_SHA256_HEX_LEN + 1];
		ud_sha256_hex(resp.body.data ? resp.body.data : "", resp.body.len, hex);
		if (strcmp(hex, reference + 7) != 0) {
			_cleanup_free_ char *name = ud_ref_format(ref);
			ud_error_set(err, UD_ERR_DIGEST,
				     "%s: manifest %s: digest mismatch (got sha256:%s)", name,
				     reference, hex);
			ud_http_response_release(&resp);
			return NULL;
		}
	}
	*len = resp.body.len;
	if (content_type)
		*content_type = resp.content_type ? xstrdup(resp.content_type) : NULL;
	char *body = ud_buf_steal(&resp.body);
	ud_http_response_release(&resp);
	return body;
}

static char *platforms_of(const struct ud_manifest *index)
{
	struct ud_buf b = {0};
	ud_buf_puts(&b, "");
	for (size_t i = 0; i < index->n_manifests; i++) {
		if (!index->manifests[i].has_platform)
			continue;
		_cleanup_free_ char *p = ud_platform_format(&index->manifests[i].platform);
		ud_buf_printf(&b, "%s%s", b.len ? ", " : "", p);
	}
	return ud_buf_steal(&b);
}

struct ud_resolved *ud_registry_resolve(struct ud_registry_client *c, const struct ud_ref *ref,
					const struct ud_platform *platform, struct ud_error **err)
{
	struct ud_platform host = {0};
	if (platform == NULL) {
		ud_platform_host(&host);
		platform = &host;
	}
	struct ud_resolved *r = xcalloc(1, sizeof(*r));
	_cleanup_free_ char *ctype = NULL;
	const char *reference = ref->digest ? ref->digest : ref->tag;
	size_t len = 0;
	char *body = ud_registry_get_manifest(c, ref, reference, &len, &ctype, err);
	struct ud_manifest *m = body ? ud_manifest_parse(body, len, ctype, err) : NULL;
	if (m == NULL)
		goto fail;
	char hex[UD_SHA256_HEX_LEN + 1];
	ud_sha256_hex(body, len, hex);
	if (m->kind == UD_MANIFEST_INDEX) {
		const struct ud_descriptor *d = ud_manifest_select(m, platform);
		if (d == NULL) {
			_cleanup_free_ char *want = ud_platform_format(platform);
			_cleanup_free_ char *have_raw = platforms_of(m);
			_cleanup_free_ char *have = ud_str_escape(have_raw, 400);
			_cleanup_free_ char *name = ud_ref_format(ref);
			ud_error_set(err, UD_ERR_NOT_FOUND,
				     "%s: no manifest for platform %s (available: %s)", name, want,
				     *have ? have : "none");
			ud_manifest_free(m);
			goto fail;
		}
		r->index = body;
		r->index_len = len;
		r->index_digest = xasprintf("sha256:%s", hex);
		_cleanup_free_ char *digest = xstrdup(d->digest);
		ud_manifest_free(m);
		free(ctype);
		ctype = NULL;
		body = ud_registry_get_manifest(c, ref, digest, &len, &ctype, err);
		m = body ? ud_manifest_parse(body, len, ctype, err) : NULL;
		if (m == NULL)
			goto fail;
		if (m->kind == UD_MANIFEST_INDEX) {
			ud_error_set(err, UD_ERR_INVALID, "manifest %s is a nested index", digest);
			ud_manifest_free(m);
			goto fail;
		}
		ud_sha256_hex(body, len, hex);
	}
	r->manifest = body;
	r->manifest_len = len;
	r->manifest_digest = xasprintf("sha256:%s", hex);
	r->media_type = m->media_type ? xstrdup(m->media_type) : NULL;
	r->parsed = m;
	ud_platform_release(&host);
	return r;
fail:
	if (body != r->index)
		free(body);
	ud_resolved_free(r);
	ud_platform_release(&host);
	return NULL;
}

/* Appends the JSON array `key` of each page, following the n/last
 * pagination. A registry cannot make this endless: a page that does not
 * move past the previous one, more than 1000 pages or more than
 * UD_HTTP_MAX_LIST bytes of entries is an error. */
static char **paged_list(struct ud_registry_client *c, const struct ud_ref *ref, const char *first,
			 const char *key, const char *scope, const char *what,
			 struct ud_error **err)
{
	size_t have = 0, cap = 64;
	char **out = xcalloc(cap + 1, sizeof(char *));
	_cleanup_free_ char *path = xstrdup(first);
	_cleanup_free_ char *prev_last = NULL;
	size_t total = 0;
	int page = 0;
	for (; path; page++) {
		if (page == 1000) {
			ud_strv_free(out);
			ud_error_set(err, UD_ERR_INVALID, "%s from %s: more than 1000 pages", what,
				     ref->domain);
			return NULL;
		}
		struct ud_http_response resp = {.content_length = -1};
		if (ud_http_get(c, ref, path, NULL, scope, &resp, err) < 0) {
			ud_strv_free(out);
			return NULL;
		}
		if (resp.status != 200) {
			http_error(c, ref, what, &resp, err);
			ud_http_response_release(&resp);
			ud_strv_free(out);
			return NULL;
		}
		json_error_t je;
		json_t *j = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, &je);
		ud_http_response_release(&resp);
		json_t *arr = json_object_get(j, key);
		if (j == NULL || (!json_is_array(arr) && !json_is_null(arr))) {
			json_decref(j);
			ud_strv_free(out);
			ud_error_set(err, UD_ERR_INVALID, "%s from %s: invalid JSON answer", what,
				     ref->domain);
			return NULL;
		}
		size_t i, n = json_array_size(arr);
		json_t *e;
		json_array_foreach(arr, i, e)
		{
			if (!json_is_string(e))
				continue;
			total += json_string_length(e) + sizeof(char *);
			if (have == cap) {
				cap *= 2;
				out = xrealloc(out, (cap + 1) * sizeof(char *));
			}
			out[have++] = xstrdup(json_string_value(e));
			out[have] = NULL;
		}
		json_decref(j);
		free(path);
		path = NULL;
		if (total > UD_HTTP_MAX_LIST) {
			ud_strv_free(out);
			ud_error_set(err, UD_ERR_INVALID, "%s from %s: larger than %zu bytes", what,
				     ref->domain, UD_HTTP_MAX_LIST);
			return NULL;
		}
		/* Pagination without the Link header: n/last parameters. */
		if (n >= 100 && have > 0) {
			const char *last = out[have - 1];
			if (prev_last && strcmp(last, prev_last) == 0) {
				_cleanup_free_ char *le = ud_str_escape(last, 100);
				ud_strv_free(out);
				ud_error_set(err, UD_ERR_INVALID,
					     "%s from %s: the page after '%s' ends there again (a "
					     "pagination loop)",
					     what, ref->domain, le);
				return NULL;
			}
			free(prev_last);
			prev_last = xstrdup(last);
			char *esc = curl_easy_escape(NULL, last, 0);
			path = xasprintf("%s%sn=100&last=%s", first, strchr(first, '?') ? "&" : "?",
					 esc);
			curl_free(esc);
		}
	}
	return out;
}

char **ud_registry_tags(struct ud_registry_client *c, const struct ud_ref *ref,
			struct ud_error **err)
{
	_cleanup_free_ char *scope = pull_scope(ref);
	_cleanup_free_ char *path = xasprintf("/v2/%s/tags/list", ref->path);
	return paged_list(c, ref, path, "tags", scope, "tag list", err);
}

char **ud_registry_catalog(struct ud_registry_client *c, const struct ud_ref *ref,
			   struct ud_error **err)
{
	return paged_list(c, ref, "/v2/_catalog", "repositories", "registry:catalog:*", "catalog",
			  err);
}

char **ud_registry_hub_search(struct ud_registry_client *c, const char *query, int limit,
			      struct ud_error **err)
{
	struct ud_ref hub = {.domain = (char *)"hub.docker.com",
			     .scheme = (char *)"https",
			     .path = (char *)"",
			     .hub = true};
	char *esc = curl_easy_escape(NULL, query, 0);
	_cleanup_free_ char *path =
		xasprintf("/v2/search/repositories?query=%s&page_size=%d", esc, limit);
	curl_free(esc);
	struct ud_http_response resp = {.content_length = -1};
	if (ud_http_get(c, &hub, path, NULL, NULL, &resp, err) < 0)
		return NULL;
	if (resp.status != 200) {
		_cleanup_free_ char *text = error_text(c, &resp);
		ud_error_set(err, UD_ERR_HTTP, "search on Docker Hub: HTTP %ld%s%s", resp.status,
			     *text ? ": " : "", text);
		ud_http_response_release(&resp);
		return NULL;
	}
	json_error_t je;
	json_t *j = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, &je);
	ud_http_response_release(&resp);
	json_t *results = json_object_get(j, "results");
	if (!json_is_array(results)) {
		json_decref(j);
		ud_error_set(err, UD_ERR_INVALID, "search on Docker Hub: invalid JSON answer");
		return NULL;
	}
	char **out = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *e;
	json_array_foreach(results, i, e)
	{
		const char *name = json_string_value(json_object_get(e, "repo_name"));
		if (name == NULL)
			name = json_string_value(json_object_get(e, "name"));
		const char *desc = json_string_value(json_object_get(e, "short_description"));
		json_t *stars = json_object_get(e, "star_count");
		ud_strv_push(
			&out,
			xasprintf("%s\t%s\t%lld\t%s", name ? name : "",
				  json_is_true(json_object_get(e, "is_official")) ? "[OK]" : "----",
				  json_is_integer(stars) ? json_integer_value(stars) : 0LL,
				  desc ? desc : ""));
	}
	json_decref(j);
	return out;
}

int ud_registry_login(struct ud_registry_client *c, const struct ud_ref *ref, const char *user,
		      const char *password, struct ud_error **err)
{
	c->opts.user = user;
	c->opts.password = password;
	struct ud_http_response resp = {.content_length = -1};
	/* A scope-less request: Bearer registries then issue a token for the
	 * credentials alone, which is what `docker login` checks too. */
	int r = ud_http_get(c, ref, "/v2/", NULL, NULL, &resp, err);
	if (r == 0 && resp.status != 200) {
		if (resp.status == 401)
			r = ud_error_set(err, UD_ERR_AUTH,
					 "login to %s failed: invalid username or password",
					 ref->domain);
		else {
			_cleanup_free_ char *text = error_text(c, &resp);
			r = ud_error_set(err, UD_ERR_HTTP, "login to %s failed: HTTP %ld%s%s",
					 ref->domain, resp.status, *text ? ": " : "", text);
		}
	}
	ud_http_response_release(&resp);
	c->opts.user = c->opts.password = NULL;
	return r;
}
