/* Execution modes: the one list, shared by the spec (validation), the
 * planner, the engines (engines/engine.c maps each to its engine) and the
 * help texts. Header only: the spec links no engine. */
#ifndef UD_SPEC_EXECMODE_H
#define UD_SPEC_EXECMODE_H

#include <string.h>

#define UD_EXECMODES(X) X(N1) X(P1) X(P2) X(F1) X(F2) X(F3) X(F4) X(R1) X(R2) X(R3) X(S1)

enum ud_execmode {
#define UD_EXECMODE_ENUM(m) UD_EXECMODE_##m,
	UD_EXECMODES(UD_EXECMODE_ENUM)
#undef UD_EXECMODE_ENUM
		UD_EXECMODE_COUNT
};

#define UD_EXECMODE_STRING(m) #m,
/* The mode's name ("N1"). */
static inline const char *ud_execmode_name(enum ud_execmode m)
{
	static const char *const names[] = {UD_EXECMODES(UD_EXECMODE_STRING)};
	return (unsigned)m < UD_EXECMODE_COUNT ? names[m] : "?";
}

/* The mode named name (canonical spelling), or -1. */
static inline int ud_execmode_parse(const char *name)
{
	for (int m = 0; name && m < UD_EXECMODE_COUNT; m++)
		if (strcmp(name, ud_execmode_name((enum ud_execmode)m)) == 0)
			return m;
	return -1;
}

#endif
