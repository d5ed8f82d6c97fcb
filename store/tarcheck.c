#include "store/archive_dl.h"
#include "store/store_private.h"

int ud_store_tar_check(const char *path, struct ud_error **err)
{
	if (ud_archive_load(err) < 0)
		return -1;
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	int r = archive_read_open_filename(a, path, 1 << 16);
	struct archive_entry *e;
	while (r == ARCHIVE_OK && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		r = archive_read_data_skip(a);
	if (r != ARCHIVE_EOF)
		ud_error_set(err, UD_ERR_INVALID, "'%s': %s", path, archive_error_string(a));
	archive_read_free(a);
	return r == ARCHIVE_EOF ? 0 : -1;
}
