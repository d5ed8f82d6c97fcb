/* import: a root filesystem tarball (`docker export`, `udocker export`)
 * becomes a v1-style image with one layer of a random 64-hex id, as
 * udocker 1.3.16 writes it (reference §1.4 import, §2.2). */
#include "store/archive_dl.h"
#include "store/store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Copies fd to a new file path. */
static int copy_fd(int fd, const char *path, struct ud_error **err)
{
	_cleanup_close_ int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		return ud_error_sys(err, errno, "cannot create '%s'", path);
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ud_error_sys(err, errno, "cannot read the tarball");
		if (ud_write_all(out, buf, (size_t)n) < 0)
			return ud_error_sys(err, errno, "cannot write '%s'", path);
	}
	if (fsync(out) < 0)
		return ud_error_sys(err, errno, "cannot write '%s'", path);
	return 0;
}

/* The layer metadata 1.3.16 generates for imports: Docker's legacy image
 * JSON with empty config and container_config. */
static char *import_metadata(const char *id, const char *diff_id, int64_t size,
			     const struct ud_platform *plat)
{
	json_t *cfg =
		json_pack("{s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:b,s:b,s:b,s:n,s:n,s:b,s:b,s:b,s:n,"
			  "s:n,s:s,s:n,s:s,s:n,s:b,s:s,s:n,s:n}",
			  "Hostname", "Domainname", "User", "Memory", "MemorySwap", "CpusShares",
			  "Cpuset", "AttachStdin", 0, "AttachStdout", 0, "AttachStderr", 0,
			  "PortSpecs", "ExposedPorts", "Tty", 0, "OpenStdin", 0, "StdinOnce", 0,
			  "Env", "Cmd", "Image", "", "Volumes", "WorkingDir", "", "Entrypoint",
			  "NetworkDisable", 0, "MacAddress", "", "OnBuild", "Labels");
	char ts[64];
	time_t now = time(NULL);
	struct tm tm;
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S.000000000Z", gmtime_r(&now, &tm));
	json_t *meta =
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:{s:s,s:[s]},s:O,s:O}", "id", id, "comment",
			  "created by udocker", "created", ts, "architecture", plat->arch, "os",
			  plat->os, "size", (json_int_t)size, "rootfs", "type", "layers",
			  "diff_ids", diff_id, "config", cfg, "container_config", cfg);
	if (plat->variant)
		json_object_set_new(meta, "variant", json_string(plat->variant));
	json_decref(cfg);
	char *text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(meta);
	return text;
}

char *ud_store_import(const struct ud_store *s, const char *tarball, int fd, const char *name,
		      const char *tag, const char *platform, bool move, struct ud_error **err)
{
	if (!ud_store_name_valid(name) || !ud_store_tag_valid(tag)) {
		ud_error_set(err, UD_ERR_USAGE, "invalid image name '%s:%s'", name, tag);
		return NULL;
	}
	_cleanup_(ud_platform_release) struct ud_platform plat = {0};
	if (platform == NULL)
		ud_platform_host(&plat);
	else if (ud_platform_parse(platform, &plat, err) < 0)
		return NULL;
	if (ud_archive_load(err) < 0)
		return NULL;
	_cleanup_lock_ struct ud_lock lock = {.fd = -1};
	if (ud_store_tag_lock(s, name, tag, "importing image", &lock, err) < 0)
		return NULL;
	if (ud_store_tag_exists(s, name, tag)) {
		ud_error_set(err, UD_ERR_EXISTS, "tag already exists in repo: %s:%s", name, tag);
		return NULL;
	}
	_cleanup_free_ char *pdir = ud_path_join(s->layers, ".partial");
	if (ud_mkdir_p(pdir, 0755, err) < 0)
		return NULL;
	ud_store_clean_stale_tmp(pdir);
	char id[65];
	ud_random_hex(id, 64);
	_cleanup_free_ char *tmp = xasprintf("%s/import-%s", pdir, id);
	/* Owned while it exists: a concurrent sweep must not take it, least
	 * of all the user's own file linked here by --mv. */
	_cleanup_lock_ struct ud_lock owner = {.fd = -1};
	if (!ud_store_owner_lock(tmp, "importing an image", &owner, err))
		return NULL;
	/* --mv: the user's tarball stays at its path, linked at tmp, until
	 * the layer is in the store; only then its old name goes. */
	bool linked = false;
	int r = 0;
	if (tarball && strcmp(tarball, "-") != 0) {
		/* Copied to tmp itself, not through a temporary of its own: a
		 * killed import leaves only what the stale sweep takes. */
		_cleanup_close_ int in = -1;
		if (move && linkat(AT_FDCWD, tarball, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0)
			linked = true;
		else if ((in = open(tarball, O_RDONLY | O_CLOEXEC)) < 0)
			r = ud_error_sys(err, errno, "cannot open '%s'", tarball);
		else
			r = copy_fd(in, tmp, err);
	} else {
		r = copy_fd(fd, tmp, err);
	}
	if (r == 0 && ud_store_tar_check(tmp, s->max_layer_size, err) < 0)
		r = ud_error_prefix(err, "import: not a tar archive");
	char hex[UD_SHA256_HEX_LEN + 1];
	struct stat st;
	if (r == 0 && ud_sha256_file(tmp, hex, err) < 0)
		r = -1;
	if (r == 0 && stat(tmp, &st) < 0)
		r = ud_error_sys(err, errno, "cannot stat '%s'", tmp);
	_cleanup_free_ char *layer = xasprintf("%s/%s.layer", s->layers, id);
	_cleanup_free_ char *jpath = xasprintf("%s/%s.json", s->layers, id);
	_cleanup_free_ char *dir = ud_store_tag_dir(s, name, tag);
	if (r == 0) {
		_cleanup_free_ char *diff = xasprintf("sha256:%s", hex);
		_cleanup_free_ char *text = import_metadata(id, diff, st.st_size, &plat);
		r = ud_write_file_atomic(jpath, text, strlen(text), 0644, err);
	}
	if (r == 0 && rename(tmp, layer) < 0)
		r = ud_error_sys(err, errno, "cannot rename '%s' to '%s'", tmp, layer);
	if (r == 0)
		r = ud_fsync_parent(layer, err);
	if (r == 0)
		r = ud_mkdir_p(dir, 0755, err);
	const char *suffixes[] = {"layer", "json"};
	for (size_t i = 0; r == 0 && i < 2; i++) {
		_cleanup_free_ char *lname = xasprintf("%s.%s", id, suffixes[i]);
		r = ud_store_tag_link(s, dir, lname, lname, err);
	}
	/* The v1 layout, TAG last. */
	_cleanup_free_ char *anc = xasprintf("[\"%s\"]", id);
	_cleanup_free_ char *ap = ud_path_join(dir, "ancestry");
	_cleanup_free_ char *v1 = ud_path_join(dir, "v1");
	if (r == 0)
		r = ud_write_file_atomic(ap, anc, strlen(anc), 0644, err);
	if (r == 0)
		r = ud_write_file_atomic(v1, "", 0, 0644, err);
	if (r == 0)
		r = ud_store_tag_finish(s, name, tag, err);
	if (r == 0) {
		if (linked && unlink(tarball) < 0)
			ud_log(UD_LOG_WARN, "cannot remove '%s' after importing it: %s", tarball,
			       strerror(errno));
		ud_store_owner_unlock(tmp, &owner);
		return xstrdup(id);
	}
	unlink(tmp);
	unlink(layer);
	unlink(jpath);
	ud_store_tag_remove_files(dir, true, NULL);
	ud_store_rmdir_parents(s, name);
	ud_store_owner_unlock(tmp, &owner);
	return NULL;
}
