/* libFuzzer target: manifests and indexes (Docker v2, OCI, schema 1). */
#include "oci/oci.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {
		NULL, "application/vnd.oci.image.index.v1+json",
		"application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.docker.distribution.manifest.v1+prettyjws"};
	struct ud_error *err = NULL;
	struct ud_manifest *m = ud_manifest_parse((const char *)data, size, types[size % 4], &err);
	if (m) {
		struct ud_platform p;
		ud_platform_host(&p);
		ud_manifest_select(m, &p);
		ud_platform_release(&p);
	}
	ud_manifest_free(m);
	ud_error_free(err);
	return 0;
}
