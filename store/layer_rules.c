/* What extracting a layer (extract.c) and building an image file from
 * layers (squash.c) both apply, so that the two give the same tree: member
 * name cleaning, kept permissions, the decompressed size cap and the
 * wording of their errors. */
#include "store/archive_dl.h"
#include "store/store_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ud_layer_member_error(const char *layer, struct ud_error **err, const char *name,
			  const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	_cleanup_free_ char *esc = ud_str_escape(name, 256);
	return ud_error_set(err, UD_ERR_INVALID, "layer '%s': member '%s': %s", layer, esc, why);
}

int ud_layer_check_size(const struct ud_layer_read *R, struct ud_error **err)
{
	if (R->max_size <= 0 || R->before + archive_filter_bytes(R->a, 0) <= R->max_size)
		return 0;
	return ud_error_set(err, UD_ERR_INVALID,
			    "layer '%s': decompressed size%s exceeds the limit of %lld bytes "
			    "(UDOCKER_MAX_LAYER_SIZE, udocker.conf max_layer_size)",
			    R->layer, R->before > 0 ? " with the layers before it" : "",
			    (long long)R->max_size);
}

int ud_layer_drain(const struct ud_layer_read *R, struct ud_error **err)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(R->a, &buf, &size, &off)) == ARCHIVE_OK)
		if (ud_layer_check_size(R, err) < 0)
			return -1;
	if (r == ARCHIVE_EOF)
		return 0;
	return ud_layer_archive_error(R, err);
}

int ud_layer_archive_error(const struct ud_layer_read *R, struct ud_error **err)
{
	_cleanup_free_ char *why = ud_str_escape(archive_error_string(R->a), 256);
	return ud_error_set(err, UD_ERR_INVALID, "layer '%s': %s", R->layer, why);
}

int ud_layer_sparse_size_error(const char *layer, const char *member, int64_t size,
			       int64_t max_size, struct ud_error **err)
{
	return ud_layer_member_error(layer, err, member,
				     "sparse size %lld exceeds the limit of %lld bytes "
				     "(UDOCKER_MAX_LAYER_SIZE, udocker.conf max_layer_size)",
				     (long long)size, (long long)max_size);
}

enum ud_layer_path ud_layer_clean_path(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	for (const char *c = in; *c;) {
		size_t len = strcspn(c, "/");
		if (len == 2 && c[0] == '.' && c[1] == '.')
			return UD_LAYER_PATH_DOTDOT;
		if (len > 0 && !(len == 1 && c[0] == '.')) {
			if (o + len + 2 > outlen)
				return UD_LAYER_PATH_LONG;
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, c, len);
			o += len;
		}
		c += len;
		if (*c == '/')
			c++;
	}
	out[o] = '\0';
	return o == 0 ? UD_LAYER_PATH_ROOT : UD_LAYER_PATH_OK;
}

mode_t ud_layer_perm(mode_t mode, bool dir)
{
	mode_t perm = mode & 0755; /* no setuid, setgid, group or other write */
	if (dir && (mode & S_ISVTX))
		perm |= S_ISVTX;
	return perm | (dir ? 0700 : 0600);
}

bool ud_layer_keeps_xattr(const char *name, size_t size)
{
	return ud_str_has_prefix(name, "user.") && size <= 65536;
}

int ud_layer_walk(const char *layer, int64_t max_size, int64_t *total, struct ud_layer_read *R,
		  ud_layer_member_fn fn, void *data, struct ud_error **err)
{
	if (ud_archive_load(err) < 0)
		return -1;
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	*R = (struct ud_layer_read){
		.layer = layer, .a = a, .max_size = max_size, .before = *total, .index = -1};
	int r = archive_read_open_filename(a, layer, 1 << 17);
	bool failed = false;
	struct archive_entry *e;
	while (r == ARCHIVE_OK && (r = ud_archive_next_header(a, &e)) == ARCHIVE_OK) {
		R->index++;
		if (ud_layer_check_size(R, err) < 0) {
			failed = true;
			break;
		}
		const char *member = archive_entry_pathname(e);
		char path[4096];
		enum ud_layer_path kind =
			ud_layer_clean_path(member ? member : "", path, sizeof(path));
		if (kind == UD_LAYER_PATH_LONG) {
			failed = ud_layer_member_error(layer, err, member, "name too long") < 0;
			break;
		}
		int rr = fn(data, R, e, member ? member : "", path, kind, err);
		if (rr == 0)
			rr = ud_layer_drain(R, err);
		if (rr < 0) {
			failed = true;
			break;
		}
	}
	if (!failed && r != ARCHIVE_EOF)
		ud_layer_archive_error(R, err);
	if (!failed && r == ARCHIVE_EOF && ud_layer_check_size(R, err) < 0)
		failed = true;
	*total += archive_filter_bytes(a, 0);
	archive_read_free(a);
	R->a = NULL;
	return !failed && r == ARCHIVE_EOF ? 0 : -1;
}
