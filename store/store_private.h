/* Internal to store/. */
#ifndef UD_STORE_PRIVATE_H
#define UD_STORE_PRIVATE_H

#include "store/store.h"

/* Reads every entry of a (possibly compressed) tar file. */
int ud_store_tar_check(const char *path, struct ud_error **err);

/* Relative path from directory `from` to `to` (absolute, normalised). */
char *ud_store_relpath(const char *from, const char *to);

/* Applies one layer file (tar, compressed or not) to the root open at
 * rootfd (see extract.c for what is refused). */
int ud_store_extract_layer(int rootfd, const char *layer, struct ud_extract_stats *stats,
			   struct ud_error **err);

#endif
