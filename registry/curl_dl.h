/* Internal to registry/: libcurl is loaded with dlopen() on first use, so
 * commands that never touch the network (images, inspect, verify, ...) do
 * not pay for loading it and its dozens of dependencies at every start
 * (measured: about 3 ms of a 9 ms `udocker images`). Code in registry/
 * calls curl_* as usual; the names below map to the loaded functions. */
#ifndef UD_REGISTRY_CURL_DL_H
#define UD_REGISTRY_CURL_DL_H

#define CURL_DISABLE_TYPECHECK 1
/* The bitmask CURLOPT_PROTOCOLS is deprecated in 7.85 but still needed for
 * older libraries (see ud_http_setup). */
#define CURL_DISABLE_DEPRECATION 1
#include <curl/curl.h>

#include "common/common.h"

#define UD_CURL_FUNCTIONS(X)                                                                       \
	X(CURLcode, global_init, (long))                                                           \
	X(CURL *, easy_init, (void))                                                               \
	X(CURLcode, easy_setopt, (CURL *, CURLoption, ...))                                        \
	X(CURLcode, easy_perform, (CURL *))                                                        \
	X(CURLcode, easy_getinfo, (CURL *, CURLINFO, ...))                                         \
	X(void, easy_cleanup, (CURL *))                                                            \
	X(const char *, easy_strerror, (CURLcode))                                                 \
	X(char *, easy_escape, (CURL *, const char *, int))                                        \
	X(void, free, (void *))                                                                    \
	X(struct curl_slist *, slist_append, (struct curl_slist *, const char *))                  \
	X(void, slist_free_all, (struct curl_slist *))                                             \
	X(CURLU *, url, (void))                                                                    \
	X(CURLUcode, url_set, (CURLU *, CURLUPart, const char *, unsigned int))                    \
	X(CURLUcode, url_get, (const CURLU *, CURLUPart, char **, unsigned int))                   \
	X(void, url_cleanup, (CURLU *))                                                            \
	X(CURLM *, multi_init, (void))                                                             \
	X(CURLMcode, multi_setopt, (CURLM *, CURLMoption, ...))                                    \
	X(CURLMcode, multi_add_handle, (CURLM *, CURL *))                                          \
	X(CURLMcode, multi_remove_handle, (CURLM *, CURL *))                                       \
	X(CURLMcode, multi_perform, (CURLM *, int *))                                              \
	X(CURLMsg *, multi_info_read, (CURLM *, int *))                                            \
	X(CURLMcode, multi_poll, (CURLM *, struct curl_waitfd[], unsigned int, int, int *))        \
	X(CURLMcode, multi_cleanup, (CURLM *))                                                     \
	X(curl_version_info_data *, version_info, (CURLversion))

struct ud_curl_api {
#define UD_CURL_FIELD(ret, name, args) ret(*name) args;
	UD_CURL_FUNCTIONS(UD_CURL_FIELD)
#undef UD_CURL_FIELD
};
extern struct ud_curl_api ud_curl;

/* Loads libcurl once (curl_global_init included). -1 and *err when the
 * library cannot be loaded. */
int ud_curl_load(struct ud_error **err);

#define curl_global_init ud_curl.global_init
#define curl_easy_init ud_curl.easy_init
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_easy_setopt ud_curl.easy_setopt
#define curl_easy_perform ud_curl.easy_perform
#define curl_easy_getinfo ud_curl.easy_getinfo
#define curl_easy_cleanup ud_curl.easy_cleanup
#define curl_easy_strerror ud_curl.easy_strerror
#define curl_easy_escape ud_curl.easy_escape
#define curl_free ud_curl.free
#define curl_slist_append ud_curl.slist_append
#define curl_slist_free_all ud_curl.slist_free_all
#define curl_url ud_curl.url
#define curl_url_set ud_curl.url_set
#define curl_url_get ud_curl.url_get
#define curl_url_cleanup ud_curl.url_cleanup
#define curl_multi_init ud_curl.multi_init
#define curl_multi_setopt ud_curl.multi_setopt
#define curl_multi_add_handle ud_curl.multi_add_handle
#define curl_multi_remove_handle ud_curl.multi_remove_handle
#define curl_multi_perform ud_curl.multi_perform
#define curl_multi_info_read ud_curl.multi_info_read
#define curl_multi_poll ud_curl.multi_poll
#define curl_multi_cleanup ud_curl.multi_cleanup
#define curl_version_info ud_curl.version_info

#endif
