#include "store/archive_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

struct ud_archive_api ud_archive;

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static int loaded; /* 0 not yet, 1 ok, -1 failed */
static char *load_error;

int ud_archive_load(struct ud_error **err)
{
	pthread_mutex_lock(&load_lock);
	if (loaded == 0) {
		void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
		loaded = 1;
		if (h == NULL) {
			load_error = xasprintf("cannot load libarchive: %s", dlerror());
			loaded = -1;
		}
#define UD_ARCHIVE_SYM(name)                                                                       \
	if (loaded == 1) {                                                                         \
		*(void **)&ud_archive.p_##name = dlsym(h, #name);                                  \
		if (ud_archive.p_##name == NULL) {                                                 \
			load_error = xasprintf("libarchive lacks %s", #name);                      \
			loaded = -1;                                                               \
		}                                                                                  \
	}
		UD_ARCHIVE_FUNCTIONS(UD_ARCHIVE_SYM)
#undef UD_ARCHIVE_SYM
	}
	int r = loaded == 1 ? 0 : ud_error_set(err, UD_ERR_UNSUPPORTED, "%s", load_error);
	pthread_mutex_unlock(&load_lock);
	return r;
}

int ud_archive_next_header(struct archive *a, struct archive_entry **e)
{
	int r = archive_read_next_header(a, e);
	/* A name that is not valid in this locale's charset: libarchive keeps
	 * the bytes as they are in the archive and warns; that is the name. */
	const char *why = r == ARCHIVE_WARN ? archive_error_string(a) : NULL;
	if (why && strstr(why, "can't be converted from"))
		return ARCHIVE_OK;
	return r;
}
