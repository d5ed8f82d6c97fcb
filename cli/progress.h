#ifndef UD_CLI_PROGRESS_H
#define UD_CLI_PROGRESS_H

#include "common/common.h"

struct ud_progress {
	bool enabled, drawn;
	const char *label;
	int64_t last_ms;
};

/* enabled: draw at all (stdout is a terminal and not -q). */
void ud_progress_init(struct ud_progress *p, bool enabled, const char *label);
/* Redraws at most 10 times a second. */
void ud_progress_update(struct ud_progress *p, int64_t done, int64_t total);
/* Clears the line. */
void ud_progress_done(struct ud_progress *p);

#endif
