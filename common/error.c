#include "common/common.h"

#include <errno.h>
#include <string.h>

static int error_setv(struct ud_error **err, enum ud_error_code code, int sys, const char *fmt,
		      va_list ap) __attribute__((format(printf, 4, 0)));

static int error_setv(struct ud_error **err, enum ud_error_code code, int sys, const char *fmt,
		      va_list ap)
{
	if (err == NULL || *err != NULL)
		return -1;
	struct ud_error *e = xcalloc(1, sizeof(*e));
	e->code = code;
	e->sys = sys;
	e->msg = xvasprintf(fmt, ap);
	if (sys != 0) {
		char *full = xasprintf("%s: %s", e->msg, strerror(sys));
		free(e->msg);
		e->msg = full;
	}
	*err = e;
	return -1;
}

int ud_error_set(struct ud_error **err, enum ud_error_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_setv(err, code, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int ud_error_sys(struct ud_error **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_setv(err, UD_ERR_IO, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int ud_error_prefix(struct ud_error **err, const char *fmt, ...)
{
	if (err == NULL || *err == NULL)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *ctx = xvasprintf(fmt, ap);
	va_end(ap);
	char *full = xasprintf("%s: %s", ctx, (*err)->msg);
	free((*err)->msg);
	(*err)->msg = full;
	return -1;
}

void ud_error_free(struct ud_error *err)
{
	if (err == NULL)
		return;
	free(err->msg);
	free(err);
}

void ud_error_clear(struct ud_error **err)
{
	if (err == NULL)
		return;
	ud_error_free(*err);
	*err = NULL;
}

void ud_error_freep(struct ud_error **e)
{
	ud_error_clear(e);
}
