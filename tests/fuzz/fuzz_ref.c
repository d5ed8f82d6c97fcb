/* libFuzzer target: image references (Docker's grammar). */
#include "registry/registry.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct ud_error *err = NULL;
	struct ud_ref ref;
	if (ud_ref_parse(text, size % 2 ? "https://registry.example:5000" : NULL, &ref, &err) == 0)
		ud_ref_release(&ref);
	ud_error_free(err);
	free(text);
	return 0;
}
