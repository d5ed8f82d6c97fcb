/* Image files go with the last thing that uses them: an image tag of
 * their digest or an image-backed container made from it. */
#include "store/store_private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Does a tag of the store have the digest? */
static bool tag_has_digest(const struct ud_store *s, const char *digest)
{
	struct ud_image_entry *e = NULL;
	size_t n = 0;
	if (ud_store_list(s, &e, &n, NULL) < 0)
		return true; /* cannot tell: keep the file */
	bool found = false;
	for (size_t i = 0; i < n && !found; i++) {
		struct ud_image *img = ud_store_image_open(s, e[i].name, e[i].tag, NULL);
		_cleanup_free_ char *d = img ? ud_store_image_digest(img) : NULL;
		found = ud_str_eq(d, digest);
		ud_store_image_free(img);
	}
	ud_store_list_free(e, n);
	return found;
}

/* Does an image-backed container use the digest's image file? */
static bool container_uses(const struct ud_store *s, const char *digest)
{
	struct ud_container **c = NULL;
	size_t n = 0;
	if (ud_store_container_list(s, &c, &n, NULL) < 0)
		return true;
	bool found = false;
	for (size_t i = 0; i < n && !found; i++)
		found = c[i]->rootfs == UD_ROOTFS_SQUASH && ud_str_eq(c[i]->digest, digest);
	ud_store_container_list_free(c, n);
	return found;
}

int ud_store_squash_release(const struct ud_store *s, const char *digest, struct ud_error **err)
{
	_cleanup_free_ char *file = digest ? ud_store_squash_file(s, digest) : NULL;
	if (file == NULL || access(file, F_OK) < 0)
		return 0;
	/* The builder's lock: no build of this file is under way. */
	_cleanup_free_ char *lock_path = xasprintf("%s/squash/.locks/%s", s->top, digest);
	_cleanup_lock_ struct ud_lock lock = {.fd = -1};
	if (ud_lock_acquire(&lock, lock_path, "removing an image file",
			    ud_lock_default_timeout_ms(), err) < 0)
		return -1;
	if (tag_has_digest(s, digest) || container_uses(s, digest))
		return 0;
	if (unlink(file) < 0 && errno != ENOENT)
		return ud_error_sys(err, errno, "cannot remove the image file '%s'", file);
	ud_log(UD_LOG_INFO, "removed the image file %s (nothing uses it)", file);
	return 0;
}
