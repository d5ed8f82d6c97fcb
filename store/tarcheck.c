#include "store/archive_dl.h"
#include "store/store_private.h"

int ud_store_tar_check(const char *path, int64_t max_size, struct ud_error **err)
{
	if (ud_archive_load(err) < 0)
		return -1;
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	int r = archive_read_open_filename(a, path, 1 << 16);
	struct archive_entry *e;
	const void *buf;
	size_t size;
	la_int64_t off;
	bool over = false;
	/* Data is read block by block, not skipped: a bomb stops at the cap. */
	while (!over && r == ARCHIVE_OK && (r = ud_archive_next_header(a, &e)) == ARCHIVE_OK) {
		while (!over && (r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
			over = max_size > 0 && archive_filter_bytes(a, 0) > max_size;
		if (r == ARCHIVE_EOF)
			r = ARCHIVE_OK; /* the end of this member */
	}
	over = over || (max_size > 0 && archive_filter_bytes(a, 0) > max_size);
	if (over)
		ud_error_set(err, UD_ERR_INVALID,
			     "'%s': decompressed size exceeds the limit of %lld bytes "
			     "(UDOCKER_MAX_LAYER_SIZE, udocker.conf max_layer_size)",
			     path, (long long)max_size);
	else if (r != ARCHIVE_EOF) {
		_cleanup_free_ char *why = ud_str_escape(archive_error_string(a), 256);
		ud_error_set(err, UD_ERR_INVALID, "'%s': %s", path, why);
	}
	archive_read_free(a);
	return !over && r == ARCHIVE_EOF ? 0 : -1;
}
