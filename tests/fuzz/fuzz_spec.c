/* libFuzzer target: the job-spec loader (YAML, validation, ${VAR}). */
#include "spec/spec.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *no_env(const char *name, void *d)
{
	(void)d;
	return name[0] == 'H' ? "/home/fuzz" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ud_error *err = NULL;
	struct ud_spec *s =
		ud_spec_load_string((const char *)data, size, "fuzz.yaml", no_env, NULL, &err);
	ud_spec_free(s);
	ud_error_free(err);
	return 0;
}
