#ifndef UD_CLI_PROGRESS_H
#define UD_CLI_PROGRESS_H

#include "common/common.h"

#include <signal.h>

/* The pull display on stderr when it is a terminal: one bar per image
 * being pulled, as wide as the terminal (redrawn when it is resized),
 * then one summary line per image. Disabled, it writes nothing. */
struct ud_progress {
	bool enabled, drawn, winch_set;
	int fd;
	int cols;
	const char *label; /* the image being pulled (borrowed) */
	int64_t start_ms, last_ms;
	int64_t done, total; /* bytes over the whole image */
	int64_t fetched;     /* bytes this pull downloads */
	struct sigaction old_winch;
};

/* enabled: draw at all (stderr is a terminal and not -q). label: what
 * the bar is for until ud_progress_begin() names an image. */
void ud_progress_init(struct ud_progress *p, bool enabled, const char *label);
/* A pull of image starts (image borrowed until ud_progress_finish). */
void ud_progress_begin(struct ud_progress *p, const char *image);
/* A blob download starts: size bytes, offset of them already there. */
void ud_progress_blob(struct ud_progress *p, int64_t offset, int64_t size);
/* Redraws at most 10 times a second, and at once after a resize. */
void ud_progress_update(struct ud_progress *p, int64_t done, int64_t total);
/* The pull of the image ended well: clears the bar and prints its
 * summary ("IMAGE: 12.3 MB in 1.2s", or "already present" when nothing
 * was downloaded). */
void ud_progress_finish(struct ud_progress *p);
/* A line for an image the plan found present. */
void ud_progress_present(struct ud_progress *p, const char *image);
/* Clears the bar (a failed pull, or any other end). */
void ud_progress_done(struct ud_progress *p);

#endif
