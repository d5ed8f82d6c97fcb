/* oci: the image data model shared by registry/ and store/: manifests
 * (Docker v2 schema 1 and 2, OCI), indexes (Docker manifest list, OCI
 * index), platforms and digests. Pure parsing: no I/O. */
#ifndef UD_OCI_H
#define UD_OCI_H

#include "common/common.h"

#define UD_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define UD_MT_DOCKER_MANIFEST_V1 "application/vnd.docker.distribution.manifest.v1+json"
#define UD_MT_DOCKER_MANIFEST_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define UD_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define UD_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define UD_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"

struct ud_platform {
	char *os;      /* "linux" */
	char *arch;    /* Docker naming: "amd64", "arm64", ... */
	char *variant; /* NULL when none */
};
/* Parses "os[/arch[/variant]]" (lower-cased). Empty fields are an error. */
int ud_platform_parse(const char *s, struct ud_platform *out, struct ud_error **err);
/* The host's platform ("linux/<arch>", no variant unless the arch needs one). */
void ud_platform_host(struct ud_platform *out);
/* "os/arch[/variant]"; caller frees. */
char *ud_platform_format(const struct ud_platform *p);
void ud_platform_release(struct ud_platform *p);
/* True when `have` satisfies `want`: os and arch equal (case-insensitive),
 * variant equal when want has one. NULL fields in want match anything. */
bool ud_platform_match(const struct ud_platform *want, const struct ud_platform *have);

struct ud_descriptor {
	char *media_type;	     /* may be NULL (schema 1) */
	char *digest;		     /* "sha256:<hex>" */
	int64_t size;		     /* -1 when unknown (schema 1) */
	struct ud_platform platform; /* index entries only; fields NULL otherwise */
	bool has_platform;
};

enum ud_manifest_kind {
	UD_MANIFEST_IMAGE, /* schema 2 or OCI image manifest */
	UD_MANIFEST_SCHEMA1,
	UD_MANIFEST_INDEX, /* Docker manifest list or OCI index */
};

struct ud_manifest {
	enum ud_manifest_kind kind;
	char *media_type;	     /* from the JSON or the Content-Type; may be NULL */
	struct ud_descriptor config; /* IMAGE only */
	struct ud_descriptor
		*layers; /* IMAGE: base first; SCHEMA1: base first (reversed fsLayers) */
	size_t n_layers;
	struct ud_descriptor *manifests; /* INDEX only */
	size_t n_manifests;
	char *schema1_config; /* SCHEMA1: history[0].v1Compatibility JSON text */
};

/* Parses a manifest or index. content_type (may be NULL) helps when the
 * JSON has no mediaType. Returns NULL and sets *err for malformed JSON or
 * missing required fields (the message says which). */
struct ud_manifest *ud_manifest_parse(const char *json, size_t len, const char *content_type,
				      struct ud_error **err);
void ud_manifest_free(struct ud_manifest *m);
/* Picks the first index entry matching the platform; NULL when none.
 * Entries without a platform are skipped (not an abort, unlike 1.3.16). */
const struct ud_descriptor *ud_manifest_select(const struct ud_manifest *index,
					       const struct ud_platform *want);

/* Image config essentials (from the config blob JSON). */
struct ud_image_config {
	struct ud_platform platform;
	char **env;	   /* "K=V" */
	char **cmd;	   /* NULL when absent */
	char **entrypoint; /* NULL when absent */
	char *workdir;
	char *user;
	bool has_cmd, has_entrypoint;
};
int ud_image_config_parse(const char *json, size_t len, struct ud_image_config *out,
			  struct ud_error **err);
void ud_image_config_release(struct ud_image_config *c);

#endif
