#include "engines/squashfuse_dl.h"

#include <dlfcn.h>
#include <pthread.h>

struct ud_sqfuse_api ud_sqfuse;

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static int loaded; /* 0 not yet, 1 ok, -1 failed */
static char *load_error;

/* dlopen of soname, or NULL with load_error set (package: Debian's). */
static void *open_lib(const char *soname, const char *package)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL && load_error == NULL)
		load_error = xasprintf("image-backed containers need %s (Debian package %s): %s",
				       soname, package, dlerror());
	return h;
}

/* The symbol name of the library lib open at h (NULL: not loaded), or
 * NULL with loaded and load_error set. */
static void *sym(void *h, const char *name, const char *lib)
{
	void *p = h && loaded == 1 ? dlsym(h, name) : NULL;
	if (p == NULL && loaded == 1) {
		load_error = xasprintf("%s lacks %s", lib, name);
		loaded = -1;
	}
	return p;
}

int ud_sqfuse_load(struct ud_error **err)
{
	pthread_mutex_lock(&load_lock);
	if (loaded == 0) {
		void *fuse = open_lib("libfuse3.so.3", "fuse3");
		void *sqfs = fuse ? open_lib("libsquashfuse_ll.so.0", "libsquashfuse0") : NULL;
		loaded = sqfs ? 1 : -1;
#define UD_SQFUSE_FUSE_SYM(name) *(void **)&ud_sqfuse.p_##name = sym(fuse, #name, "libfuse3.so.3");
#define UD_SQFUSE_SQFS_SYM(name)                                                                   \
	*(void **)&ud_sqfuse.p_##name = sym(sqfs, #name, "libsquashfuse_ll.so.0");
		UD_SQFUSE_FUSE_FUNCTIONS(UD_SQFUSE_FUSE_SYM)
		UD_SQFUSE_SQFS_FUNCTIONS(UD_SQFUSE_SQFS_SYM)
#undef UD_SQFUSE_FUSE_SYM
#undef UD_SQFUSE_SQFS_SYM
	}
	int r = loaded == 1 ? 0 : ud_error_set(err, UD_ERR_UNSUPPORTED, "%s", load_error);
	pthread_mutex_unlock(&load_lock);
	return r;
}
