/* The credentials keystore, in udocker 1.3.16's format (reference §3.7). */
#include "registry/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>

char *ud_keystore_key(const char *domain, const char *scheme)
{
	return xasprintf("%s://%s", scheme ? scheme : "https", domain);
}

/* The file must be ours and private, as udocker insists. */
static int check_safe(const char *path, struct ud_error **err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : ud_error_sys(err, errno, "keystore '%s'", path);
	if (!S_ISREG(st.st_mode) || st.st_uid != getuid())
		return ud_error_set(err, UD_ERR_USAGE,
				    "keystore '%s' is not a regular file owned by you", path);
	if (st.st_mode & 077)
		return ud_error_set(
			err, UD_ERR_USAGE,
			"keystore '%s' is readable by others (mode %03o), expected 0600", path,
			st.st_mode & 0777);
	return 0;
}

static json_t *load(const char *path, struct ud_error **err)
{
	if (check_safe(path, err) < 0)
		return NULL;
	if (!ud_path_exists(path))
		return json_object();
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		ud_error_set(err, UD_ERR_INVALID, "keystore '%s' is not a JSON object: %s", path,
			     je.text);
		return NULL;
	}
	return j;
}

static json_t *find(json_t *ks, const char *registry)
{
	json_t *e = json_object_get(ks, registry);
	if (e)
		return e;
	const char *bare = strstr(registry, "://");
	bare = bare ? bare + 3 : registry;
	const char *key;
	json_t *v;
	json_object_foreach(ks, key, v)
	{
		const char *kb = strstr(key, "://");
		kb = kb ? kb + 3 : key;
		size_t n = strcspn(kb, "/");
		if (strlen(bare) == n && strncmp(kb, bare, n) == 0)
			return v;
	}
	return NULL;
}

int ud_keystore_get(const char *path, const char *registry, char **user, char **password)
{
	_cleanup_error_ struct ud_error *err = NULL;
	json_t *ks = load(path, &err);
	if (ks == NULL)
		return -1;
	json_t *e = find(ks, registry);
	const char *auth = json_string_value(json_object_get(e, "auth"));
	int r = -1;
	if (auth && *auth) {
		size_t n = strlen(auth);
		unsigned char *dec = xcalloc(n + 4, 1);
		int dn = EVP_DecodeBlock(dec, (const unsigned char *)auth, (int)n);
		if (dn > 0) {
			char *colon = memchr(dec, ':', (size_t)dn);
			if (colon) {
				*user = xstrndup((char *)dec, (size_t)(colon - (char *)dec));
				*password = xstrdup(colon + 1);
				r = 0;
			}
		}
		free(dec);
	}
	json_decref(ks);
	return r;
}

static int save(const char *path, json_t *ks, struct ud_error **err)
{
	char *text = json_dumps(ks, JSON_INDENT(4) | JSON_SORT_KEYS);
	_cleanup_free_ char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		if (*dir && ud_mkdir_p(dir, 0700, err) < 0) {
			free(text);
			return -1;
		}
	}
	int r = ud_write_file_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return r;
}

int ud_keystore_put(const char *path, const char *registry, const char *user, const char *password,
		    struct ud_error **err)
{
	json_t *ks = load(path, err);
	if (ks == NULL)
		return -1;
	_cleanup_free_ char *plain = xasprintf("%s:%s", user, password);
	size_t n = strlen(plain);
	_cleanup_free_ char *b64 = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)plain, (int)n);
	json_object_set_new(ks, registry, json_pack("{s:s,s:s}", "auth", b64, "email", ""));
	int r = save(path, ks, err);
	json_decref(ks);
	return r;
}

int ud_keystore_delete(const char *path, const char *registry, struct ud_error **err)
{
	json_t *ks = load(path, err);
	if (ks == NULL)
		return -1;
	int r;
	json_t *e = find(ks, registry);
	if (e == NULL) {
		r = ud_error_set(err, UD_ERR_NOT_FOUND,
				 "deleting credentials: no credentials for %s", registry);
	} else {
		const char *key;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(ks, tmp, key, v)
		{
			if (v == e)
				json_object_del(ks, key);
		}
		r = save(path, ks, err);
	}
	json_decref(ks);
	return r;
}

int ud_keystore_delete_all(const char *path, struct ud_error **err)
{
	if (check_safe(path, err) < 0)
		return -1;
	struct stat st;
	if (stat(path, &st) < 0)
		return ud_error_set(err, UD_ERR_NOT_FOUND, "deleting credentials: no keystore '%s'",
				    path);
	/* Overwrite before unlinking, as udocker does. */
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		char spaces[4096];
		memset(spaces, ' ', sizeof(spaces));
		for (off_t done = 0; done < st.st_size; done += (off_t)sizeof(spaces))
			if (ud_write_all(fd, spaces, sizeof(spaces)) < 0)
				break;
		fsync(fd);
		close(fd);
	}
	if (unlink(path) < 0)
		return ud_error_sys(err, errno, "cannot delete keystore '%s'", path);
	return 0;
}
