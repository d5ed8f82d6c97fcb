/* registry: image references, and a client for the Registry HTTP API v2 /
 * OCI distribution API: auth, manifests, indexes, blobs, tags, catalog,
 * search, and the credentials keystore. */
#ifndef UD_REGISTRY_H
#define UD_REGISTRY_H

#include "common/common.h"
#include "oci/oci.h"

#define UD_DOCKER_HUB "registry-1.docker.io"

/* An image reference in Docker's grammar. */
struct ud_ref {
	char *domain;	  /* registry host[:port]; UD_DOCKER_HUB for Docker Hub */
	char *scheme;	  /* "http" or "https" when fixed by --registry, else NULL (auto) */
	char *path;	  /* repository path on the registry ("library/debian") */
	char *tag;	  /* NULL for digest-only references */
	char *digest;	  /* "sha256:<hex>" or NULL */
	char *local_name; /* repository name in the store: as typed, no tag/digest */
	char *local_tag;  /* tag directory: the tag, or the digest when pinned */
	bool hub;
};

/* Parses text. registry_url (may be NULL) is --registry: it applies to
 * names without a registry host. Fills *out (release with
 * ud_ref_release()). Errors are UD_ERR_USAGE and say what was expected. */
int ud_ref_parse(const char *text, const char *registry_url, struct ud_ref *out,
		 struct ud_error **err);
/* As ud_ref_parse(); hub_url (may be NULL) is dockerio_registry_url: Docker
 * Hub or its mirror, for names with no host when registry_url is NULL and for
 * docker.io/ names. Single-component names of either kind get library/. */
int ud_ref_parse_hub(const char *text, const char *registry_url, const char *hub_url,
		     struct ud_ref *out, struct ud_error **err);
void ud_ref_release(struct ud_ref *ref);
/* "domain/path:tag[@digest]"; caller frees. */
char *ud_ref_format(const struct ud_ref *ref);
/* Local "name:tag" as the store names it; caller frees. */
char *ud_ref_local(const struct ud_ref *ref);

struct ud_registry_options {
	bool insecure;			  /* no TLS verification */
	const char *ca_file;		  /* else CURL_CA_BUNDLE / SSL_CERT_FILE / system */
	const char *proxy;		  /* else the usual environment variables */
	char *const *insecure_registries; /* hosts reached over plain HTTP */
	const char *keystore;		  /* credentials file, or NULL */
	long connect_timeout;		  /* seconds (6) */
	long timeout;			  /* API request seconds (30) */
	long stall_timeout;		  /* seconds with no byte before a transfer fails (60) */
	int parallel;			  /* blobs at once (3) */
	int retries;			  /* attempts on connection errors and 5xx (4) */
	const char *user, *password;	  /* explicit credentials (login), else keystore */
};

struct ud_registry_client;
/* NULL with *err when libcurl cannot be loaded. */
struct ud_registry_client *ud_registry_client_new(const struct ud_registry_options *opts,
						  struct ud_error **err);
void ud_registry_client_free(struct ud_registry_client *c);
/* Requests sent so far (manifests, blobs, tokens), for reports and tests. */
struct ud_registry_counts {
	int manifest_requests, blob_requests, token_requests, requests;
};
void ud_registry_counts(const struct ud_registry_client *c, struct ud_registry_counts *out);

/* The outcome of resolving a reference to one platform's image manifest. */
struct ud_resolved {
	char *manifest; /* raw bytes of the image manifest */
	size_t manifest_len;
	char *manifest_digest; /* sha256 of those bytes */
	char *media_type;
	struct ud_manifest *parsed;
	char *index; /* raw index/list when the reference named one, else NULL */
	size_t index_len;
	char *index_digest;
};
void ud_resolved_free(struct ud_resolved *r);

/* Fetches the manifest for ref; when it is an index, selects the entry for
 * platform (NULL: host) and fetches that. Manifests fetched by digest are
 * verified. NULL on error. */
struct ud_resolved *ud_registry_resolve(struct ud_registry_client *c, const struct ud_ref *ref,
					const struct ud_platform *platform, struct ud_error **err);
/* Fetches the manifest or index for ref as it is (manifest inspect).
 * Returns the raw body (caller frees), its length and content type. */
char *ud_registry_get_manifest(struct ud_registry_client *c, const struct ud_ref *ref,
			       const char *reference, size_t *len, char **content_type,
			       struct ud_error **err);

/* One blob to download into fd. */
struct ud_blob_fetch {
	const char *digest;
	int64_t size;	/* expected size, or -1 */
	int fd;		/* open for writing, positioned at `offset` */
	int64_t offset; /* bytes already in the file (resumed with a Range request) */
	/* results */
	int64_t written;	/* bytes in the file at the end */
	struct ud_error *error; /* NULL on success; owned by the item */
};

typedef void (*ud_blob_progress)(const char *digest, int64_t done, int64_t total, void *data);

/* Downloads every item, at most opts->parallel at once, hashing while
 * streaming; an item succeeds only when its size and sha256 match. Items
 * fail independently (their .error); returns 0 when all succeeded, else -1
 * with *err describing the first failure. */
int ud_registry_fetch_blobs(struct ud_registry_client *c, const struct ud_ref *ref,
			    struct ud_blob_fetch *items, size_t n, ud_blob_progress progress,
			    void *progress_data, struct ud_error **err);

/* GET /v2/<path>/tags/list (all pages). */
char **ud_registry_tags(struct ud_registry_client *c, const struct ud_ref *ref,
			struct ud_error **err);
/* GET /v2/_catalog (all pages) of the registry of ref. */
char **ud_registry_catalog(struct ud_registry_client *c, const struct ud_ref *ref,
			   struct ud_error **err);
/* Docker Hub search; results as "name\tofficial\tstars\tdescription". */
char **ud_registry_hub_search(struct ud_registry_client *c, const char *query, int limit,
			      struct ud_error **err);
/* Checks user/password against the registry at domain (scheme per the
 * usual rules). 0 when accepted; UD_ERR_AUTH when refused. */
int ud_registry_login(struct ud_registry_client *c, const struct ud_ref *ref, const char *user,
		      const char *password, struct ud_error **err);

/* Keystore (udocker 1.3.16 format: {"<url>": {"auth": base64(user:pass), "email": ""}}). */
int ud_keystore_get(const char *path, const char *registry, char **user, char **password);
int ud_keystore_put(const char *path, const char *registry, const char *user, const char *password,
		    struct ud_error **err);
int ud_keystore_delete(const char *path, const char *registry, struct ud_error **err);
int ud_keystore_delete_all(const char *path, struct ud_error **err);
/* The keystore key for a registry domain: "https://<domain>". Caller frees. */
char *ud_keystore_key(const char *domain, const char *scheme);

#endif
