/* Internal to store/: libarchive is loaded with dlopen() on first use, so
 * commands that read no archive (ps, images, run, ...) do not load it and
 * its dependencies (libxml2, ICU, ...) at every start. Files in store/ call
 * archive_* as usual after ud_archive_load(). */
#ifndef UD_STORE_ARCHIVE_DL_H
#define UD_STORE_ARCHIVE_DL_H

#include <archive.h>
#include <archive_entry.h>

#include "common/common.h"

#define UD_ARCHIVE_FUNCTIONS(X)                                                                    \
	X(archive_error_string)                                                                    \
	X(archive_entry_free)                                                                      \
	X(archive_write_header)                                                                    \
	X(archive_write_free)                                                                      \
	X(archive_read_free)                                                                       \
	X(archive_entry_set_pathname)                                                              \
	X(archive_write_data)                                                                      \
	X(archive_read_support_format_tar)                                                         \
	X(archive_read_support_filter_all)                                                         \
	X(archive_read_next_header)                                                                \
	X(archive_read_new)                                                                        \
	X(archive_entry_set_perm)                                                                  \
	X(archive_entry_pathname)                                                                  \
	X(archive_entry_new)                                                                       \
	X(archive_entry_filetype)                                                                  \
	X(archive_write_set_format_pax_restricted)                                                 \
	X(archive_write_open_fd)                                                                   \
	X(archive_write_new)                                                                       \
	X(archive_write_close)                                                                     \
	X(archive_read_open_filename)                                                              \
	X(archive_read_data_block)                                                                 \
	X(archive_entry_set_size)                                                                  \
	X(archive_entry_set_mtime)                                                                 \
	X(archive_entry_set_filetype)                                                              \
	X(archive_entry_mtime)                                                                     \
	X(archive_entry_hardlink)                                                                  \
	X(archive_write_finish_entry)                                                              \
	X(archive_write_disk_set_options)                                                          \
	X(archive_write_disk_new)                                                                  \
	X(archive_write_data_block)                                                                \
	X(archive_read_open_fd)                                                                    \
	X(archive_read_next_header2)                                                               \
	X(archive_read_disk_set_symlink_physical)                                                  \
	X(archive_read_disk_set_standard_lookup)                                                   \
	X(archive_read_disk_open)                                                                  \
	X(archive_read_disk_new)                                                                   \
	X(archive_read_disk_descend)                                                               \
	X(archive_read_data_skip)                                                                  \
	X(archive_read_data)                                                                       \
	X(archive_entry_symlink)                                                                   \
	X(archive_entry_size)                                                                      \
	X(archive_entry_set_hardlink)                                                              \
	X(archive_entry_perm)                                                                      \
	X(archive_write_add_filter_gzip)                                                           \
	X(archive_write_set_options)                                                               \
	X(archive_entry_set_symlink)                                                               \
	X(archive_filter_bytes)                                                                    \
	X(archive_entry_xattr_reset)                                                               \
	X(archive_entry_xattr_next)                                                                \
	X(archive_entry_linkresolver_new)                                                          \
	X(archive_entry_linkresolver_set_strategy)                                                 \
	X(archive_entry_linkresolver_free)                                                         \
	X(archive_entry_linkify)

struct ud_archive_api {
#define UD_ARCHIVE_FIELD(name) __typeof__(name) *p_##name;
	UD_ARCHIVE_FUNCTIONS(UD_ARCHIVE_FIELD)
#undef UD_ARCHIVE_FIELD
};
extern struct ud_archive_api ud_archive;

/* Loads libarchive once; -1 and *err when it cannot be loaded. */
int ud_archive_load(struct ud_error **err);

/* archive_read_next_header, where a member name or link target that is not
 * valid in the current locale's charset (UTF-8 names from Go's archive/tar
 * under LC_ALL=C) is no failure: the entry keeps its bytes as archived.
 * Any other warning stays ARCHIVE_WARN, which the callers take as an error,
 * never as the end of the archive. */
int ud_archive_next_header(struct archive *a, struct archive_entry **e);

#define archive_error_string ud_archive.p_archive_error_string
#define archive_entry_xattr_reset ud_archive.p_archive_entry_xattr_reset
#define archive_entry_xattr_next ud_archive.p_archive_entry_xattr_next
#define archive_entry_linkresolver_new ud_archive.p_archive_entry_linkresolver_new
#define archive_entry_linkresolver_set_strategy ud_archive.p_archive_entry_linkresolver_set_strategy
#define archive_entry_linkresolver_free ud_archive.p_archive_entry_linkresolver_free
#define archive_entry_linkify ud_archive.p_archive_entry_linkify
#define archive_entry_free ud_archive.p_archive_entry_free
#define archive_write_header ud_archive.p_archive_write_header
#define archive_write_free ud_archive.p_archive_write_free
#define archive_read_free ud_archive.p_archive_read_free
#define archive_entry_set_pathname ud_archive.p_archive_entry_set_pathname
#define archive_write_data ud_archive.p_archive_write_data
#define archive_read_support_format_tar ud_archive.p_archive_read_support_format_tar
#define archive_read_support_filter_all ud_archive.p_archive_read_support_filter_all
#define archive_read_next_header ud_archive.p_archive_read_next_header
#define archive_read_new ud_archive.p_archive_read_new
#define archive_entry_set_perm ud_archive.p_archive_entry_set_perm
#define archive_entry_pathname ud_archive.p_archive_entry_pathname
#define archive_entry_new ud_archive.p_archive_entry_new
#define archive_entry_filetype ud_archive.p_archive_entry_filetype
#define archive_write_set_format_pax_restricted ud_archive.p_archive_write_set_format_pax_restricted
#define archive_write_open_fd ud_archive.p_archive_write_open_fd
#define archive_write_new ud_archive.p_archive_write_new
#define archive_write_close ud_archive.p_archive_write_close
#define archive_read_open_filename ud_archive.p_archive_read_open_filename
#define archive_read_data_block ud_archive.p_archive_read_data_block
#define archive_entry_set_size ud_archive.p_archive_entry_set_size
#define archive_entry_set_mtime ud_archive.p_archive_entry_set_mtime
#define archive_entry_set_filetype ud_archive.p_archive_entry_set_filetype
#define archive_entry_mtime ud_archive.p_archive_entry_mtime
#define archive_entry_hardlink ud_archive.p_archive_entry_hardlink
#define archive_write_finish_entry ud_archive.p_archive_write_finish_entry
#define archive_write_disk_set_options ud_archive.p_archive_write_disk_set_options
#define archive_write_disk_new ud_archive.p_archive_write_disk_new
#define archive_write_data_block ud_archive.p_archive_write_data_block
#define archive_read_open_fd ud_archive.p_archive_read_open_fd
#define archive_read_next_header2 ud_archive.p_archive_read_next_header2
#define archive_read_disk_set_symlink_physical ud_archive.p_archive_read_disk_set_symlink_physical
#define archive_read_disk_set_standard_lookup ud_archive.p_archive_read_disk_set_standard_lookup
#define archive_read_disk_open ud_archive.p_archive_read_disk_open
#define archive_read_disk_new ud_archive.p_archive_read_disk_new
#define archive_read_disk_descend ud_archive.p_archive_read_disk_descend
#define archive_read_data_skip ud_archive.p_archive_read_data_skip
#define archive_read_data ud_archive.p_archive_read_data
#define archive_entry_symlink ud_archive.p_archive_entry_symlink
#define archive_entry_size ud_archive.p_archive_entry_size
#define archive_entry_set_hardlink ud_archive.p_archive_entry_set_hardlink
#define archive_entry_perm ud_archive.p_archive_entry_perm
#define archive_write_add_filter_gzip ud_archive.p_archive_write_add_filter_gzip
#define archive_write_set_options ud_archive.p_archive_write_set_options
#define archive_entry_set_symlink ud_archive.p_archive_entry_set_symlink
#define archive_filter_bytes ud_archive.p_archive_filter_bytes

#endif
