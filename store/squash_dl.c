#include "store/squash_dl.h"

#include <dlfcn.h>
#include <pthread.h>

struct ud_squash_api ud_squash;

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static int loaded; /* 0 not yet, 1 ok, -1 failed */
static char *load_error;

int ud_squash_load(struct ud_error **err)
{
	pthread_mutex_lock(&load_lock);
	if (loaded == 0) {
		void *h = dlopen("libsquashfs.so.1", RTLD_NOW | RTLD_LOCAL);
		loaded = 1;
		if (h == NULL) {
			load_error = xasprintf("cannot load libsquashfs (Debian package "
					       "libsquashfs1): %s",
					       dlerror());
			loaded = -1;
		}
#define UD_SQUASH_SYM(name)                                                                        \
	if (loaded == 1) {                                                                         \
		*(void **)&ud_squash.p_##name = dlsym(h, #name);                                   \
		if (ud_squash.p_##name == NULL) {                                                  \
			load_error = xasprintf("libsquashfs lacks %s (Debian package "             \
					       "libsquashfs1 >= 1.2 needed)",                      \
					       #name);                                             \
			loaded = -1;                                                               \
		}                                                                                  \
	}
		UD_SQUASH_FUNCTIONS(UD_SQUASH_SYM)
#undef UD_SQUASH_SYM
	}
	int r = loaded == 1 ? 0 : ud_error_set(err, UD_ERR_UNSUPPORTED, "%s", load_error);
	pthread_mutex_unlock(&load_lock);
	return r;
}
