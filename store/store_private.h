/* Internal to store/. */
#ifndef UD_STORE_PRIVATE_H
#define UD_STORE_PRIVATE_H

#include "store/store.h"

/* Reads every entry of a (possibly compressed) tar file. */
int ud_store_tar_check(const char *path, struct ud_error **err);

/* Relative path from directory `from` to `to` (absolute, normalised). */
char *ud_store_relpath(const char *from, const char *to);

#endif
