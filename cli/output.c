/* Output: warnings, errors, JSON, files written whole or not at all. */
#include "cli/cli.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>

/* "Prefix: message" on f. */
static void vreport(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

void ud_cli_warn(struct ud_cli *cli, const char *fmt, ...)
{
	(void)cli;
	if (ud_log_get_level() < UD_LOG_WARN)
		return;
	va_list ap;
	va_start(ap, fmt);
	vreport(stderr, "Warning: ", fmt, ap);
	va_end(ap);
}

void ud_cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fflush(stdout);
	vreport(stderr, "Error: ", fmt, ap);
	va_end(ap);
}

int ud_cli_fail(struct ud_error *err)
{
	/* An error of several lines (every error of a job spec): each line
	 * is an error of its own. */
	const char *msg = err ? err->msg : "unknown error";
	for (const char *nl; (nl = strchr(msg, '\n')) != NULL; msg = nl + 1)
		ud_cli_error("%.*s", (int)(nl - msg), msg);
	ud_cli_error("%s", msg);
	ud_error_free(err);
	return 1;
}

int ud_cli_print_json(const char *text, size_t len, const char *what)
{
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);
	if (j == NULL) {
		_cleanup_free_ char *e = ud_str_escape(je.text, 200);
		ud_cli_error("%s is not valid JSON: %s", what, e);
		return 1;
	}
	return ud_cli_put_json(j);
}

int ud_cli_want_json(const struct ud_cli *cli, bool json, const char *format, bool *want)
{
	*want = json;
	if (format == NULL)
		return 0;
	if (strcmp(format, "json") == 0 || strcmp(format, "text") == 0) {
		*want = json || format[0] == 'j';
		return 0;
	}
	ud_cli_error("%s: unknown format: %s (json or text)", cli->cmd, format);
	return 1;
}

void ud_cli_rootfs_json(json_t *o, const struct ud_container *c, bool upper)
{
	bool squash = c->rootfs == UD_ROOTFS_SQUASH;
	json_object_set_new(o, "rootfs",
			    json_string(squash			     ? "squash"
					: c->rootfs == UD_ROOTFS_DIR ? "dir"
								     : "unknown"));
	json_object_set_new(o, "ephemeral", json_boolean(c->ephemeral));
	json_object_set_new(o, "image_file",
			    squash && c->image_file ? json_string(c->image_file) : json_null());
	if (upper)
		json_object_set_new(o, "upper",
				    squash && c->upper ? json_string(c->upper) : json_null());
}

int ud_cli_put_json(json_t *j)
{
	char *out = json_dumps(j, JSON_INDENT(4) | JSON_SORT_KEYS);
	puts(out);
	free(out);
	json_decref(j);
	return 0;
}

void ud_cli_print_help(const char *text)
{
	fputs(text, stdout);
}

int ud_cli_output_open(const struct ud_cli *cli, struct ud_cli_output *o, const char *path)
{
	o->fd = 1;
	o->tmp = NULL;
	o->path = path;
	if (path == NULL || strcmp(path, "-") == 0)
		return 0;
	o->tmp = xasprintf("%s.tmp-%ld", path, (long)getpid());
	o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (o->fd >= 0)
		return 0;
	ud_cli_error("%s: cannot create '%s': %s", cli->cmd, o->tmp, strerror(errno));
	free(o->tmp);
	o->tmp = NULL;
	return -1;
}

int ud_cli_output_close(const struct ud_cli *cli, struct ud_cli_output *o, int rc)
{
	if (o->tmp == NULL)
		return rc;
	if (rc == 0 && (fsync(o->fd) < 0 || rename(o->tmp, o->path) < 0)) {
		ud_cli_error("%s: cannot write '%s': %s", cli->cmd, o->path, strerror(errno));
		rc = 1;
	}
	close(o->fd);
	if (rc)
		unlink(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
	return rc;
}
