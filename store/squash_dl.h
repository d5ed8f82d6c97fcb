/* Internal to store/: libsquashfs (squashfs-tools-ng) is loaded with
 * dlopen() on first use, as libarchive is (archive_dl.h): only commands
 * that build or read an image file load it. Files in store/ call sqfs_*
 * as usual after ud_squash_load(). */
#ifndef UD_STORE_SQUASH_DL_H
#define UD_STORE_SQUASH_DL_H

#include <sqfs/block.h>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir_reader.h>
#include <sqfs/dir_writer.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_writer.h>
#include <sqfs/super.h>
#include <sqfs/xattr_writer.h>

#include "common/common.h"

#define UD_SQUASH_FUNCTIONS(X)                                                                     \
	X(sqfs_open_file)                                                                          \
	X(sqfs_compressor_config_init)                                                             \
	X(sqfs_compressor_create)                                                                  \
	X(sqfs_super_init)                                                                         \
	X(sqfs_super_write)                                                                        \
	X(sqfs_super_read)                                                                         \
	X(sqfs_block_writer_create)                                                                \
	X(sqfs_frag_table_create)                                                                  \
	X(sqfs_frag_table_write)                                                                   \
	X(sqfs_block_processor_create)                                                             \
	X(sqfs_block_processor_begin_file)                                                         \
	X(sqfs_block_processor_append)                                                             \
	X(sqfs_block_processor_end_file)                                                           \
	X(sqfs_block_processor_finish)                                                             \
	X(sqfs_meta_writer_create)                                                                 \
	X(sqfs_meta_writer_flush)                                                                  \
	X(sqfs_meta_writer_get_position)                                                           \
	X(sqfs_meta_write_write_to_file)                                                           \
	X(sqfs_meta_writer_write_inode)                                                            \
	X(sqfs_dir_writer_create)                                                                  \
	X(sqfs_dir_writer_begin)                                                                   \
	X(sqfs_dir_writer_add_entry)                                                               \
	X(sqfs_dir_writer_end)                                                                     \
	X(sqfs_dir_writer_create_inode)                                                            \
	X(sqfs_id_table_create)                                                                    \
	X(sqfs_id_table_id_to_index)                                                               \
	X(sqfs_id_table_write)                                                                     \
	X(sqfs_xattr_writer_create)                                                                \
	X(sqfs_xattr_writer_begin)                                                                 \
	X(sqfs_xattr_writer_add)                                                                   \
	X(sqfs_xattr_writer_end)                                                                   \
	X(sqfs_xattr_writer_flush)                                                                 \
	X(sqfs_inode_set_xattr_index)                                                              \
	X(sqfs_inode_make_extended)                                                                \
	X(sqfs_inode_get_file_size)                                                                \
	X(sqfs_free)                                                                               \
	X(sqfs_dir_reader_create)                                                                  \
	X(sqfs_dir_reader_open_dir)                                                                \
	X(sqfs_dir_reader_find)                                                                    \
	X(sqfs_dir_reader_get_inode)                                                               \
	X(sqfs_dir_reader_get_root_inode)                                                          \
	X(sqfs_data_reader_create)                                                                 \
	X(sqfs_data_reader_load_fragment_table)                                                    \
	X(sqfs_data_reader_read)

struct ud_squash_api {
#define UD_SQUASH_FIELD(name) __typeof__(name) *p_##name;
	UD_SQUASH_FUNCTIONS(UD_SQUASH_FIELD)
#undef UD_SQUASH_FIELD
};
extern struct ud_squash_api ud_squash;

/* Loads libsquashfs once; -1 and *err (naming the Debian package) when it
 * cannot be loaded. */
int ud_squash_load(struct ud_error **err);

#define sqfs_open_file ud_squash.p_sqfs_open_file
#define sqfs_compressor_config_init ud_squash.p_sqfs_compressor_config_init
#define sqfs_compressor_create ud_squash.p_sqfs_compressor_create
#define sqfs_super_init ud_squash.p_sqfs_super_init
#define sqfs_super_write ud_squash.p_sqfs_super_write
#define sqfs_super_read ud_squash.p_sqfs_super_read
#define sqfs_block_writer_create ud_squash.p_sqfs_block_writer_create
#define sqfs_frag_table_create ud_squash.p_sqfs_frag_table_create
#define sqfs_frag_table_write ud_squash.p_sqfs_frag_table_write
#define sqfs_block_processor_create ud_squash.p_sqfs_block_processor_create
#define sqfs_block_processor_begin_file ud_squash.p_sqfs_block_processor_begin_file
#define sqfs_block_processor_append ud_squash.p_sqfs_block_processor_append
#define sqfs_block_processor_end_file ud_squash.p_sqfs_block_processor_end_file
#define sqfs_block_processor_finish ud_squash.p_sqfs_block_processor_finish
#define sqfs_meta_writer_create ud_squash.p_sqfs_meta_writer_create
#define sqfs_meta_writer_flush ud_squash.p_sqfs_meta_writer_flush
#define sqfs_meta_writer_get_position ud_squash.p_sqfs_meta_writer_get_position
#define sqfs_meta_write_write_to_file ud_squash.p_sqfs_meta_write_write_to_file
#define sqfs_meta_writer_write_inode ud_squash.p_sqfs_meta_writer_write_inode
#define sqfs_dir_writer_create ud_squash.p_sqfs_dir_writer_create
#define sqfs_dir_writer_begin ud_squash.p_sqfs_dir_writer_begin
#define sqfs_dir_writer_add_entry ud_squash.p_sqfs_dir_writer_add_entry
#define sqfs_dir_writer_end ud_squash.p_sqfs_dir_writer_end
#define sqfs_dir_writer_create_inode ud_squash.p_sqfs_dir_writer_create_inode
#define sqfs_id_table_create ud_squash.p_sqfs_id_table_create
#define sqfs_id_table_id_to_index ud_squash.p_sqfs_id_table_id_to_index
#define sqfs_id_table_write ud_squash.p_sqfs_id_table_write
#define sqfs_xattr_writer_create ud_squash.p_sqfs_xattr_writer_create
#define sqfs_xattr_writer_begin ud_squash.p_sqfs_xattr_writer_begin
#define sqfs_xattr_writer_add ud_squash.p_sqfs_xattr_writer_add
#define sqfs_xattr_writer_end ud_squash.p_sqfs_xattr_writer_end
#define sqfs_xattr_writer_flush ud_squash.p_sqfs_xattr_writer_flush
#define sqfs_inode_set_xattr_index ud_squash.p_sqfs_inode_set_xattr_index
#define sqfs_inode_make_extended ud_squash.p_sqfs_inode_make_extended
#define sqfs_inode_get_file_size ud_squash.p_sqfs_inode_get_file_size
#define sqfs_free ud_squash.p_sqfs_free
#define sqfs_dir_reader_create ud_squash.p_sqfs_dir_reader_create
#define sqfs_dir_reader_open_dir ud_squash.p_sqfs_dir_reader_open_dir
#define sqfs_dir_reader_find ud_squash.p_sqfs_dir_reader_find
#define sqfs_dir_reader_get_inode ud_squash.p_sqfs_dir_reader_get_inode
#define sqfs_dir_reader_get_root_inode ud_squash.p_sqfs_dir_reader_get_root_inode
#define sqfs_data_reader_create ud_squash.p_sqfs_data_reader_create
#define sqfs_data_reader_load_fragment_table ud_squash.p_sqfs_data_reader_load_fragment_table
#define sqfs_data_reader_read ud_squash.p_sqfs_data_reader_read

#endif
