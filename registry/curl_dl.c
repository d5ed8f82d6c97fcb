#include "registry/curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>

struct ud_curl_api ud_curl;

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static int loaded; /* 0 not yet, 1 ok, -1 failed */
static char *load_error;

int ud_curl_load(struct ud_error **err)
{
	pthread_mutex_lock(&load_lock);
	if (loaded == 0) {
		void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
		loaded = 1;
		if (h == NULL) {
			load_error = xasprintf("cannot load libcurl: %s", dlerror());
			loaded = -1;
		}
#define UD_CURL_SYM(ret, name, args)                                                               \
	if (loaded == 1) {                                                                         \
		*(void **)&ud_curl.name = dlsym(h, "curl_" #name);                                 \
		if (ud_curl.name == NULL) {                                                        \
			load_error =                                                               \
				xasprintf("libcurl lacks curl_%s (needs 7.68 or newer)", #name);   \
			loaded = -1;                                                               \
		}                                                                                  \
	}
		UD_CURL_FUNCTIONS(UD_CURL_SYM)
#undef UD_CURL_SYM
		if (loaded == 1)
			ud_curl.global_init(CURL_GLOBAL_DEFAULT);
	}
	int r = loaded == 1 ? 0 : ud_error_set(err, UD_ERR_UNSUPPORTED, "%s", load_error);
	pthread_mutex_unlock(&load_lock);
	return r;
}
