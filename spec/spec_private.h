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

/* A spec's errors are collected, not only the first: validate reports
 * them all in one run. The first sets *err (and its code); later ones
 * are appended to its message, one per line, up to UD_SPEC_MAX_ERRORS
 * (then one line says how many more there were). Returns -1. */
#define UD_SPEC_MAX_ERRORS 50
int ud_spec_error_add(struct ud_error **err, enum ud_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ud_spec_error_addv(struct ud_error **err, enum ud_error_code code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* Puts the lines of a collected error in file order: lines that start
 * with "name:LINE:COL: " sorted by position (stable), others first. */
void ud_spec_error_sort(struct ud_error *err, const char *name);
/* Validation of a loaded spec; loader_failed: the loader reported errors
 * already (fields it could not read are NULL and are not reported again,
 * nor what follows from them). */
int ud_spec_validate_loaded(struct ud_spec *spec, bool loader_failed, struct ud_error **err);

#endif
