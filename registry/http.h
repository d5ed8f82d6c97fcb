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
};

struct ud_http_response {
	long status;
	struct ud_buf body;
	char *content_type;
	char *www_authenticate;
	char *location;
	char *docker_digest;
	int64_t content_length;
};
void ud_http_response_release(struct ud_http_response *r);

/* Applies TLS, proxy, timeouts and user agent to an easy handle. */
void ud_http_setup(struct ud_registry_client *c, CURL *h, bool api);
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
/* Answers a 401 challenge: obtains (and caches) the Authorization value for
 * scope. -1 with UD_ERR_AUTH when refused. */
int ud_http_authenticate(struct ud_registry_client *c, const struct ud_ref *ref,
			 const char *challenge, const char *scope, struct ud_error **err);

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
