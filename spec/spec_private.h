/* Internal to spec/. */
#ifndef UD_SPEC_PRIVATE_H
#define UD_SPEC_PRIVATE_H

#include "spec/spec.h"

/* Expands ${VAR}, ${VAR:-default} and $$ in s. Returns a new string, or
 * NULL when a variable is unset (*bad_var = its name) or a ${ is malformed
 * (*bad_var = NULL); *bad_offset is the offset of the '$'. */
char *ud_spec_interpolate(const char *s, ud_spec_getenv getenv_fn, void *data, char **bad_var,
			  size_t *bad_offset);

#endif
