/* A one-line progress bar on a terminal (stderr); silent otherwise. */
#include "cli/progress.h"

#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>

static volatile sig_atomic_t resized;

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

static int term_cols(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

void ud_progress_init(struct ud_progress *p, bool enabled, const char *label)
{
	memset(p, 0, sizeof(*p));
	p->enabled = enabled;
	p->label = label;
	p->fd = STDERR_FILENO;
}

void ud_progress_begin(struct ud_progress *p, const char *image)
{
	p->label = image;
	p->start_ms = ud_now_ms();
	p->last_ms = 0;
	p->done = p->total = p->fetched = 0;
}

void ud_progress_blob(struct ud_progress *p, int64_t offset, int64_t size)
{
	if (size > offset)
		p->fetched += size - offset;
}

/* The last max bytes of s, "..." first when it is cut. */
static void put_tail(struct ud_buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max) {
		ud_buf_puts(b, s);
	} else if (max > 3) {
		ud_buf_puts(b, "...");
		ud_buf_puts(b, s + n - (max - 3));
	}
}

/* Line lengths stay below the width: writing the last column leaves
 * some terminals waiting to wrap. */
static void draw(struct ud_progress *p)
{
	if (!p->winch_set) {
		struct sigaction sa = {0};
		sa.sa_handler = on_winch;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGWINCH, &sa, &p->old_winch);
		p->winch_set = true;
		p->cols = term_cols(p->fd);
	}
	if (resized) {
		resized = 0;
		p->cols = term_cols(p->fd);
	}
	size_t room = p->cols > 1 ? (size_t)p->cols - 1 : 1;
	char tail[64];
	snprintf(tail, sizeof(tail), " %.1f/%.1f MB", (double)p->done / 1048576.0,
		 (double)p->total / 1048576.0);
	size_t tail_len = strlen(tail);
	const char *label = p->label ? p->label : "";
	struct ud_buf b = {0};
	ud_buf_puts(&b, "\r\033[K");
	bool bar = room >= tail_len + 8;
	if (bar) {
		/* LABEL [=====>    ] 1.0/2.0 MB: the bar takes what the label
		 * leaves (5 to 30 columns), the label is cut on the left. */
		size_t free_cols = room - tail_len - 3;
		size_t label_max = free_cols - 5;
		size_t label_len = strlen(label) < label_max ? strlen(label) : label_max;
		/* Cut, a label needs "..." and a byte; with less room: none. */
		if (label_len < strlen(label) && label_len <= 3)
			label_len = 0;
		size_t width = free_cols - label_len < 30 ? free_cols - label_len : 30;
		put_tail(&b, label, label_len);
		ud_buf_puts(&b, label_len ? " [" : "[");
		size_t fill = p->total > 0 ? (size_t)(p->done * (int64_t)width / p->total) : 0;
		if (fill > width)
			fill = width;
		for (size_t i = 0; i < width; i++)
			ud_buf_puts(&b, i < fill ? "=" : i == fill ? ">" : " ");
		ud_buf_puts(&b, "]");
	}
	if (bar)
		ud_buf_puts(&b, tail);
	else /* too narrow for a bar: the numbers, as many as fit */
		ud_buf_append(&b, tail + 1, tail_len - 1 < room ? tail_len - 1 : room);
	_cleanup_free_ char *text = ud_buf_steal(&b);
	fputs(text, stderr);
	fflush(stderr);
	p->drawn = true;
}

void ud_progress_update(struct ud_progress *p, int64_t done, int64_t total)
{
	if (!p->enabled)
		return;
	p->done = done;
	p->total = total;
	int64_t now = ud_now_ms();
	if (now - p->last_ms < 100 && done != total && !resized)
		return;
	p->last_ms = now;
	draw(p);
}

/* "IMAGE: WHAT", the image cut on the left to fit the width. */
static void summary(struct ud_progress *p, const char *image, const char *what)
{
	ud_progress_done(p);
	size_t cols = (size_t)term_cols(p->fd);
	size_t room = cols > 1 ? cols - 1 : 1;
	size_t what_len = strlen(what) + 2;
	struct ud_buf b = {0};
	if (room > what_len + 3)
		put_tail(&b, image, room - what_len);
	ud_buf_printf(&b, "%s%s", b.len ? ": " : "", what);
	_cleanup_free_ char *text = ud_buf_steal(&b);
	if (strlen(text) > room)
		text[room] = '\0';
	fprintf(stderr, "%s\n", text);
	fflush(stderr);
}

void ud_progress_finish(struct ud_progress *p)
{
	if (!p->enabled || p->label == NULL)
		return;
	char what[96];
	double secs = (double)(ud_now_ms() - p->start_ms) / 1000.0;
	if (p->fetched > 0)
		snprintf(what, sizeof(what), "%.1f MB in %.1fs", (double)p->fetched / 1048576.0,
			 secs);
	else
		snprintf(what, sizeof(what), "already present");
	summary(p, p->label, what);
	p->label = NULL;
}

void ud_progress_present(struct ud_progress *p, const char *image)
{
	if (p->enabled)
		summary(p, image, "already present");
}

void ud_progress_done(struct ud_progress *p)
{
	if (p->enabled && p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->drawn = false;
	if (p->winch_set) {
		sigaction(SIGWINCH, &p->old_winch, NULL);
		p->winch_set = false;
	}
}
