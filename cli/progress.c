/* A one-line progress bar on a terminal; silent otherwise. */
#include "cli/progress.h"

#include <string.h>

void ud_progress_init(struct ud_progress *p, bool enabled, const char *label)
{
	memset(p, 0, sizeof(*p));
	p->enabled = enabled;
	p->label = label;
}

void ud_progress_update(struct ud_progress *p, int64_t done, int64_t total)
{
	if (!p->enabled)
		return;
	int64_t now = ud_now_ms();
	if (now - p->last_ms < 100 && done != total)
		return;
	p->last_ms = now;
	p->drawn = true;
	const int width = 30;
	int fill = total > 0 ? (int)(done * width / total) : 0;
	if (fill > width)
		fill = width;
	char bar[64];
	memset(bar, '=', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(width - fill));
	if (fill < width)
		bar[fill] = '>';
	bar[width] = '\0';
	fprintf(stdout, "\r%s [%s] %.1f/%.1f MB ", p->label, bar, (double)done / 1048576.0,
		(double)total / 1048576.0);
	fflush(stdout);
}

void ud_progress_done(struct ud_progress *p)
{
	if (p->enabled && p->drawn) {
		fputs("\r\033[K", stdout);
		fflush(stdout);
	}
	p->drawn = false;
}
