/* Internal to spec/. */
#ifndef UD_SPEC_PRIVATE_H
#define UD_SPEC_PRIVATE_H

#include "spec/spec.h"

/* Expands ${VAR}, ${VAR:-default} and $$ in s. Returns a new string, or
 * NULL when a variable is unset (*bad_var = its name) or a ${ is malformed
 * (*bad_var = NULL); *bad_offset is the offset of the '$'. */
char *ud_spec_interpolate(const char *s, ud_spec_getenv getenv_fn, void *data, char **bad_var,
			  size_t *bad_offset);

extern const char *const ud_spec_pull_policies[];
/* The list's spelling of v (case-insensitive match), or NULL. */
const char *ud_spec_in_list(const char *v, const char *const *list);
/* "a, b, c"; caller frees. */
char *ud_spec_join_list(const char *const *list);
bool ud_spec_valid_platform(const char *p);
bool ud_spec_valid_digest(const char *d);

#endif
