/* Internal to registry/: the HTTP layer shared by API calls and blobs. */
#ifndef UD_REGISTRY_HTTP_H
#define UD_REGISTRY_HTTP_H

#include "registry/registry.h"

#include "registry/curl_dl.h"

struct ud_token {
	char *key;   /* realm|service|scope */
	char *value; /* "Bearer xxx" or "Basic xxx" */
	int64_t expires_ms;
};

struct ud_scheme_choice {
	char *domain;
	char *scheme;
};

struct ud_registry_client {
	struct ud_registry_options opts;
	char *ca_file;
	struct ud_token *tokens;
	size_t n_tokens;
	struct ud_scheme_choice *schemes;
	size_t n_schemes;
	struct ud_registry_counts counts;
	bool protocols_str; /* libcurl >= 7.85: CURLOPT_PROTOCOLS_STR */
};

/* Size caps (documented in docs/architecture.md): an answer past its cap is
 * refused, an error body past its cap is cut there. */
#define UD_HTTP_MAX_BODY ((size_t)8 << 20)	  /* API answers: lists, search pages */
#define UD_HTTP_MAX_MANIFEST ((size_t)4 << 20)	  /* manifests and indexes */
#define UD_HTTP_MAX_TOKEN ((size_t)1 << 20)	  /* token service answers */
#define UD_HTTP_MAX_ERROR_BODY ((size_t)64 << 10) /* bodies of non-2xx answers */
#define UD_HTTP_MAX_HEADERS ((size_t)256 << 10)	  /* all header lines of an answer */
#define UD_HTTP_MAX_LIST ((size_t)64 << 20)	  /* a tag list or catalog, all pages */
#define UD_HTTP_MIN_SPEED 1024L /* bytes/s: slower for the stall timeout is a stall */
#define UD_BLOB_MAX_UNKNOWN ((int64_t)16 << 30) /* a blob whose size is not declared */

struct ud_http_response {
	long status;
	struct ud_buf body;
	char *content_type;
	char *www_authenticate;
	char *location;
	char *docker_digest;
	int64_t content_length;
	int64_t range_start; /* first byte of a Content-Range: bytes START-END/TOTAL, or -1 */
	size_t max_body;     /* cap of a 2xx body; 0: UD_HTTP_MAX_BODY */
	bool body_cut;	     /* the body passed its cap: the transfer was stopped */
	size_t header_bytes;
	bool headers_cut; /* the headers passed UD_HTTP_MAX_HEADERS: stopped */
};
void ud_http_response_release(struct ud_http_response *r);

/* Prepares easy handle h for a GET of url, the one path every request takes:
 * TLS, proxy, timeouts (api: a total limit; always the stall timeout), only
 * http and https followed, -D output with secrets masked. authz (may be
 * NULL) becomes the Authorization header only when url has the host and
 * port of origin and does not downgrade its https: credentials never go
 * anywhere else. *hdrs (may hold other headers) gets it and is set on h.
 * -1 with *err (UD_ERR_INVALID) when url is not http or https. */
int ud_http_setup(struct ud_registry_client *c, CURL *h, const char *url, bool api,
		  const char *authz, const char *origin, struct curl_slist **hdrs,
		  struct ud_error **err);
/* A copy of len bytes of line (for -D output) with the password of any
 * "scheme://user:password@" and the values of secret-looking URL query
 * parameters (token, signature, credential, key, ...) replaced by
 * "<hidden>". Caller frees. */
char *ud_http_mask_urls(const char *line, size_t len);
/* A copy of text (a registry's error answer) with the client's secrets
 * replaced by "<hidden>": the password of a login, the credential of every
 * cached Authorization value, the password inside a Basic one. */
char *ud_http_redact(const struct ud_registry_client *c, const char *text);
/* May the Authorization value held for origin be sent to url? */
bool ud_http_same_origin(const char *origin, const char *url);
/* Header callback filling a response's headers (status line resets them). */
size_t ud_http_header_cb(char *buf, size_t size, size_t n, void *data);

/* The base URL "scheme://domain" for ref's registry: the ref's fixed scheme,
 * http for insecure registries, else https; loopback registries without
 * HTTPS are detected on first contact (ud_http_request falls back). */
char *ud_http_base(struct ud_registry_client *c, const struct ud_ref *ref);

/* GET url (relative to the registry base when it starts with '/') with the
 * given Accept headers, handling 401 challenges (Bearer token or Basic for
 * scope), redirects (Authorization never crosses to another host), and
 * retries with backoff. The response is returned whatever its status;
 * -1 only when no response could be had. */
int ud_http_get(struct ud_registry_client *c, const struct ud_ref *ref, const char *url,
		const char *const *accept, const char *scope, struct ud_http_response *resp,
		struct ud_error **err);

/* The Authorization header value currently held for scope, or NULL. */
const char *ud_http_cached_auth(struct ud_registry_client *c, const struct ud_ref *ref,
				const char *scope);
/* Answers a 401 challenge that url gave: obtains (and caches) the
 * Authorization value for scope. Only a url of the registry itself (base)
 * is answered; a token realm must be http or https, and gets the user's
 * credentials only over https when base is https. -1 with UD_ERR_AUTH
 * when refused. */
int ud_http_authenticate(struct ud_registry_client *c, const struct ud_ref *ref, const char *base,
			 const char *url, const char *challenge, const char *scope,
			 struct ud_error **err);

/* Parses a WWW-Authenticate value: scheme ("Bearer"/"Basic") and params. */
struct ud_challenge {
	char *scheme;
	char *realm, *service, *scope, *error;
};
int ud_challenge_parse(const char *value, struct ud_challenge *out);
void ud_challenge_release(struct ud_challenge *ch);

/* Same host (and port) in two URLs. */
bool ud_http_same_host(const char *a, const char *b);
/* Seconds of backoff before attempt n (0-based): 0.5, 1, 2, 4 ... */
void ud_http_backoff(int attempt);
/* Is the host a loopback address (localhost, 127/8, ::1)? */
bool ud_http_is_loopback(const char *domain);

#endif
