/* Containers: containers/<id>/ as udocker 1.3.16 writes them (§2.4, §2.5). */
#include "store/archive_dl.h"
#include "store/store_private.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>

static char *container_dir(const struct ud_store *s, const char *id)
{
	return ud_path_join(s->containers, id);
}

static char *read_small(const char *dir, const char *file)
{
	_cleanup_free_ char *p = ud_path_join(dir, file);
	char *t = ud_read_file(p, NULL, NULL);
	if (t)
		t[strcspn(t, "\n")] = '\0';
	return t;
}

static int write_small(const char *dir, const char *file, const char *text, struct ud_error **err)
{
	_cleanup_free_ char *p = ud_path_join(dir, file);
	return ud_write_file_atomic(p, text, strlen(text), 0644, err);
}

/* A create or rm in progress holds ".<id>.creating.lock" (".removing.lock")
 * beside its hidden directory (ud_store_owner_lock). */
static bool owner_lock(const char *hidden, struct ud_lock *lock, struct ud_error **err)
{
	return ud_store_owner_lock(hidden, "creating or removing a container", lock, err);
}

static void owner_unlock(const char *hidden, struct ud_lock *lock)
{
	ud_store_owner_unlock(hidden, lock);
}

/* Removes what killed creates and removals left behind. */
static void clean_leftovers(const struct ud_store *s)
{
	DIR *d = opendir(s->containers);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		size_t len = strlen(n);
		bool lockfile = len > 5 && strcmp(n + len - 5, ".lock") == 0;
		size_t base = lockfile ? len - 5 : len;
		bool creating = base > 9 && strncmp(n + base - 9, ".creating", 9) == 0;
		bool removing = base > 9 && strncmp(n + base - 9, ".removing", 9) == 0;
		if (n[0] != '.' || !(creating || removing))
			continue;
		_cleanup_free_ char *hidden = xasprintf("%s/%.*s", s->containers, (int)base, n);
		struct ud_lock lock = {.fd = -1};
		if (!ud_store_owner_gone(hidden, &lock))
			continue; /* its owner is at work */
		ud_log(UD_LOG_VERBOSE, "removing '%s', left by a create or rm that was killed",
		       hidden);
		ud_rmtree(hidden, NULL);
		owner_unlock(hidden, &lock);
	}
	closedir(d);
}

/* The directory of a container being made, readable by its owner only
 * (another user must not reach its ROOT), and root inside it (NULL: none). */
static int make_hidden(const char *hidden, const char *root, struct ud_error **err)
{
	if (mkdir(hidden, 0700) < 0 && errno != EEXIST)
		return ud_error_sys(err, errno, "cannot create directory '%s'", hidden);
	if (chmod(hidden, 0700) < 0)
		return ud_error_sys(err, errno, "cannot change the mode of '%s'", hidden);
	return root ? ud_mkdir_p(root, 0755, err) : 0;
}

/* The files of a container being made in its hidden directory: written
 * without a sync each, synced together before the directory is renamed
 * into place (one journal commit instead of two per file; a crash before
 * leaves the hidden directory, which the next create removes). */
struct new_files {
	int fd[8];
	size_t n;
};

static int new_file(struct new_files *nf, const char *dir, const char *file, const char *text,
		    struct ud_error **err)
{
	_cleanup_free_ char *p = ud_path_join(dir, file);
	int fd = nf->n < UD_ARRAY_SIZE(nf->fd)
			 ? open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)
			 : -1;
	if (fd < 0)
		return ud_error_sys(err, nf->n < UD_ARRAY_SIZE(nf->fd) ? errno : EMFILE,
				    "cannot create '%s'", p);
	nf->fd[nf->n++] = fd;
	if (ud_write_all(fd, text, strlen(text)) < 0)
		return ud_error_sys(err, errno, "cannot write '%s'", p);
	return 0;
}

/* Syncs (when sync) and closes them, then the directory. */
static int new_files_done(struct new_files *nf, const char *dir, bool sync, struct ud_error **err)
{
	int r = 0;
	for (size_t i = 0; i < nf->n; i++) {
		if (sync && r == 0 && fsync(nf->fd[i]) < 0)
			r = ud_error_sys(err, errno, "cannot write the files of '%s'", dir);
		close(nf->fd[i]);
	}
	nf->n = 0;
	_cleanup_close_ int dfd =
		sync && r == 0 ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (sync && r == 0 && (dfd < 0 || fsync(dfd) < 0))
		r = ud_error_sys(err, errno, "cannot write the files of '%s'", dir);
	return r;
}

/* An image-backed container's own files beside the empty ROOT. */
static int make_squash_files(struct new_files *nf, const char *hidden,
			     const struct ud_create_options *o, struct ud_error **err)
{
	if (new_file(nf, hidden, "rootfs", o->ephemeral ? "squash ephemeral" : "squash", err) < 0)
		return -1;
	if (o->ephemeral)
		return 0;
	_cleanup_free_ char *upper = ud_path_join(hidden, "upper");
	_cleanup_free_ char *work = ud_path_join(hidden, "work");
	if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0)
		return ud_error_sys(err, errno, "cannot create the directories of '%s'", hidden);
	return 0;
}

char *ud_store_container_create(const struct ud_store *s, const char *name, const char *tag,
				const struct ud_create_options *o, struct ud_extract_stats *stats,
				struct ud_error **err)
{
	clean_leftovers(s);
	bool squash = o && o->squash;
	if (squash) {
		/* Before anything of the container exists: a long build holds
		 * no container lock, and a failed one leaves nothing. */
		_cleanup_free_ char *file = NULL;
		if (ud_store_squash_build(s, name, tag, o->progress, o->data, &file, err) < 0)
			return NULL;
	}
	struct ud_image *img = ud_store_image_open(s, name, tag, err);
	if (img == NULL)
		return NULL;
	char id[37];
	ud_uuid(id);
	_cleanup_free_ char *hidden = xasprintf("%s/.%s.creating", s->containers, id);
	_cleanup_free_ char *final = container_dir(s, id);
	_cleanup_free_ char *root = ud_path_join(hidden, "ROOT");
	_cleanup_free_ char *imgname = xasprintf("%s:%s", name, tag);
	struct ud_lock owner = {.fd = -1};
	if (!owner_lock(hidden, &owner, err)) {
		ud_store_image_free(img);
		return NULL;
	}
	int r = make_hidden(hidden, root, err);
	struct new_files nf = {0};
	if (r == 0)
		r = new_file(&nf, hidden, "imagerepo.name", imgname, err);
	if (r == 0 && img->config)
		r = new_file(&nf, hidden, "container.json", img->config, err);
	_cleanup_free_ char *digest = ud_store_image_digest(img);
	if (r == 0 && digest)
		r = new_file(&nf, hidden, "image.digest", digest, err);
	if (r == 0 && squash)
		r = make_squash_files(&nf, hidden, o, err);
	int rootfd = r == 0 && !squash ? open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (r == 0 && !squash && rootfd < 0)
		r = ud_error_sys(err, errno, "cannot open '%s'", root);
	int64_t total = 0; /* the cap is on all layers together */
	for (size_t i = 0; r == 0 && !squash && img->layer_files[i]; i++)
		if (ud_store_extract_layer(rootfd, img->layer_files[i], s->max_layer_size, &total,
					   stats, err) < 0)
			r = ud_error_prefix(err, "create from %s", imgname);
	if (rootfd >= 0)
		close(rootfd);
	if (new_files_done(&nf, hidden, r == 0, err) < 0)
		r = -1;
	if (r == 0 && rename(hidden, final) < 0)
		r = ud_error_sys(err, errno, "cannot rename '%s'", hidden);
	ud_store_image_free(img);
	if (r < 0)
		ud_rmtree(hidden, NULL);
	owner_unlock(hidden, &owner);
	return r < 0 ? NULL : xstrdup(id);
}

/* Names pointing at id. */
static char **names_of(const struct ud_store *s, const char *id)
{
	char **out = xcalloc(1, sizeof(char *));
	DIR *d = opendir(s->containers);
	if (d == NULL)
		return out;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char target[4096];
		ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		const char *base = strrchr(target, '/');
		if (strcmp(base ? base + 1 : target, id) == 0)
			ud_strv_push(&out, xstrdup(de->d_name));
	}
	closedir(d);
	return out;
}

/* The mode the execmode file in dir names, else the automatic choice
 * recorded in execmode.auto (a file udocker 1.3.16 never reads), else N1:
 * the one place the store's mode text becomes the enum. */
static enum ud_execmode execmode_of(const char *dir)
{
	_cleanup_free_ char *text = read_small(dir, "execmode");
	if (text == NULL)
		text = read_small(dir, "execmode.auto");
	/* Any case, as the spec and setup --execmode take it (a hand edit). */
	for (char *p = text; p && *p; p++)
		*p = (char)toupper((unsigned char)*p);
	int m = text ? ud_execmode_parse(text) : UD_EXECMODE_N1;
	return m < 0 ? UD_EXECMODE_COUNT : (enum ud_execmode)m;
}

char *ud_store_squash_file(const struct ud_store *s, const char *digest)
{
	size_t n = strlen(digest);
	if (n == 0 || n > 200 || digest[0] == '.' ||
	    strspn(digest, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:._-") !=
		    n)
		return NULL;
	return xasprintf("%s/squash/%s.sqsh", s->top, digest);
}

/* The container's `rootfs` file: none is a directory container. */
static void rootfs_of(const struct ud_store *s, struct ud_container *c)
{
	_cleanup_free_ char *text = read_small(c->dir, "rootfs");
	c->rootfs = UD_ROOTFS_DIR;
	if (text == NULL)
		return;
	if (strcmp(text, "squash") == 0 || strcmp(text, "squash ephemeral") == 0) {
		c->rootfs = UD_ROOTFS_SQUASH;
		c->ephemeral = text[6] != '\0';
	} else {
		c->rootfs = UD_ROOTFS_UNKNOWN;
		return;
	}
	c->image_file = c->digest ? ud_store_squash_file(s, c->digest) : NULL;
	if (!c->ephemeral) {
		c->upper = ud_path_join(c->dir, "upper");
		c->work = ud_path_join(c->dir, "work");
	}
}

static struct ud_container *load(const struct ud_store *s, const char *id)
{
	struct ud_container *c = xcalloc(1, sizeof(*c));
	c->id = xstrdup(id);
	c->dir = container_dir(s, id);
	c->root = ud_path_join(c->dir, "ROOT");
	c->image = read_small(c->dir, "imagerepo.name");
	c->digest = read_small(c->dir, "image.digest");
	c->execmode = execmode_of(c->dir);
	rootfs_of(s, c);
	_cleanup_free_ char *prot = ud_path_join(c->dir, "PROTECT");
	c->protected = ud_path_exists(prot);
	return c;
}

struct ud_container *ud_store_container_get(const struct ud_store *s, const char *id_or_name,
					    struct ud_error **err)
{
	if (*id_or_name == '\0' || *id_or_name == '.' || strchr(id_or_name, '/')) {
		ud_error_set(err, UD_ERR_NOT_FOUND, "invalid container id or name: %s", id_or_name);
		return NULL;
	}
	_cleanup_free_ char *p = container_dir(s, id_or_name);
	struct stat st;
	if (lstat(p, &st) < 0) {
		ud_error_set(err, UD_ERR_NOT_FOUND, "container not found: %s", id_or_name);
		return NULL;
	}
	const char *id = id_or_name;
	char target[4096];
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(p, target, sizeof(target) - 1);
		if (n <= 0) {
			ud_error_set(err, UD_ERR_NOT_FOUND, "container not found: %s", id_or_name);
			return NULL;
		}
		target[n] = '\0';
		const char *base = strrchr(target, '/');
		id = base ? base + 1 : target;
	}
	_cleanup_free_ char *dir = container_dir(s, id);
	if (!ud_is_dir(dir)) {
		ud_error_set(err, UD_ERR_NOT_FOUND, "container not found: %s", id_or_name);
		return NULL;
	}
	struct ud_container *c = load(s, id);
	c->names = names_of(s, id);
	return c;
}

void ud_store_container_free(struct ud_container *c)
{
	if (c == NULL)
		return;
	free(c->id);
	free(c->dir);
	free(c->root);
	ud_strv_free(c->names);
	free(c->image);
	free(c->digest);
	free(c->image_file);
	free(c->upper);
	free(c->work);
	free(c);
}

static int cmp_container(const void *a, const void *b)
{
	return strcmp((*(struct ud_container *const *)a)->id,
		      (*(struct ud_container *const *)b)->id);
}

int ud_store_container_list(const struct ud_store *s, struct ud_container ***out, size_t *n,
			    struct ud_error **err)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(s->containers);
	if (d == NULL)
		return ud_error_sys(err, errno, "cannot read '%s'", s->containers);
	/* One pass: directories are containers, symlinks are names. */
	size_t cap = 0;
	char **links = xcalloc(1, sizeof(char *)), **targets = xcalloc(1, sizeof(char *));
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_LNK) {
			char target[4096];
			ssize_t len = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
			if (len > 0) {
				target[len] = '\0';
				const char *base = strrchr(target, '/');
				ud_strv_push(&links, xstrdup(de->d_name));
				ud_strv_push(&targets, xstrdup(base ? base + 1 : target));
			}
			continue;
		}
		if (de->d_type != DT_DIR)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		(*out)[(*n)++] = load(s, de->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < *n; i++) {
		(*out)[i]->names = xcalloc(1, sizeof(char *));
		for (size_t k = 0; links[k]; k++)
			if (strcmp(targets[k], (*out)[i]->id) == 0)
				ud_strv_push(&(*out)[i]->names, xstrdup(links[k]));
	}
	ud_strv_free(links);
	ud_strv_free(targets);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_container);
	return 0;
}

void ud_store_container_list_free(struct ud_container **c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ud_store_container_free(c[i]);
	free(c);
}

int ud_store_container_remove(const struct ud_store *s, const char *id, struct ud_error **err)
{
	struct ud_container *c = ud_store_container_get(s, id, err);
	if (c == NULL)
		return -1;
	if (c->protected) {
		ud_store_container_free(c);
		return ud_error_set(err, UD_ERR_PROTECTED, "container is protected: %s", id);
	}
	for (size_t i = 0; c->names[i]; i++) {
		_cleanup_free_ char *p = container_dir(s, c->names[i]);
		unlink(p);
	}
	/* Rename first: the container disappears at once, then the tree goes. */
	_cleanup_free_ char *gone = xasprintf("%s/.%s.removing", s->containers, c->id);
	struct ud_lock owner = {.fd = -1};
	if (!owner_lock(gone, &owner, err)) {
		ud_store_container_free(c);
		return -1;
	}
	int r = rename(c->dir, gone) < 0 ? ud_error_sys(err, errno, "cannot remove '%s'", c->dir)
					 : ud_rmtree(gone, err);
	owner_unlock(gone, &owner);
	if (r == 0 && c->rootfs == UD_ROOTFS_SQUASH)
		ud_store_squash_release(s, c->digest, NULL);
	ud_store_container_free(c);
	clean_leftovers(s);
	return r;
}

bool ud_store_container_name_valid(const char *name)
{
	size_t n = strlen(name);
	return n > 0 && n <= 2048 && strpbrk(name, "/. []") == NULL;
}

int ud_store_container_name(const struct ud_store *s, const char *id, const char *name,
			    struct ud_error **err)
{
	if (!ud_store_container_name_valid(name))
		return ud_error_set(err, UD_ERR_USAGE,
				    "invalid container name '%s': expected at most 2048 characters "
				    "without '/', '.', ' ', '[' or ']'",
				    name);
	_cleanup_free_ char *p = container_dir(s, name);
	if (symlink(id, p) < 0) {
		if (errno == EEXIST)
			return ud_error_set(err, UD_ERR_EXISTS, "container name already exists: %s",
					    name);
		return ud_error_sys(err, errno, "cannot create name '%s'", name);
	}
	return 0;
}

int ud_store_container_rmname(const struct ud_store *s, const char *name, struct ud_error **err)
{
	_cleanup_free_ char *p = container_dir(s, name);
	struct stat st;
	if (!ud_store_container_name_valid(name) || lstat(p, &st) < 0 || !S_ISLNK(st.st_mode))
		return ud_error_set(err, UD_ERR_NOT_FOUND, "name does not exist: %s", name);
	if (unlink(p) < 0)
		return ud_error_sys(err, errno, "cannot remove name '%s'", name);
	return 0;
}

int ud_store_container_protect(const struct ud_store *s, const char *id, bool on,
			       struct ud_error **err)
{
	_cleanup_free_ char *dir = container_dir(s, id);
	_cleanup_free_ char *p = ud_path_join(dir, "PROTECT");
	if (on)
		return ud_write_file_atomic(p, "", 0, 0644, err);
	if (unlink(p) < 0 && errno != ENOENT)
		return ud_error_sys(err, errno, "cannot remove '%s'", p);
	return 0;
}

/* Removes dir/file; a file already missing is no error. */
static int remove_small(const char *dir, const char *file, struct ud_error **err)
{
	_cleanup_free_ char *p = ud_path_join(dir, file);
	if (unlink(p) < 0 && errno != ENOENT)
		return ud_error_sys(err, errno, "cannot remove '%s'", p);
	return 0;
}

int ud_store_container_set_execmode(const struct ud_store *s, const char *id, enum ud_execmode mode,
				    bool automatic, struct ud_error **err)
{
	_cleanup_free_ char *dir = container_dir(s, id);
	if (!automatic)
		return remove_small(dir, "execmode.auto", err) < 0
			       ? -1
			       : write_small(dir, "execmode", ud_execmode_name(mode), err);
	/* udocker 1.3.16 knows every mode but N1 and refuses a container
	 * whose execmode it does not know; without the file it runs its own
	 * default, which needs nothing of the container. */
	if (write_small(dir, "execmode.auto", ud_execmode_name(mode), err) < 0)
		return -1;
	return mode == UD_EXECMODE_N1 ? remove_small(dir, "execmode", err)
				      : write_small(dir, "execmode", ud_execmode_name(mode), err);
}

/* Writes dir's tree as a tar to fd, members named "./<relative path>". */
static int tar_tree(const char *dir, int fd, struct ud_error **err)
{
	if (ud_archive_load(err) < 0)
		return -1;
	struct archive *disk = archive_read_disk_new();
	struct archive *out = archive_write_new();
	/* Hard links stay links: a later name of an inode is written as a link
	 * to the first one. */
	struct archive_entry_linkresolver *links = archive_entry_linkresolver_new();
	int r = 0;
	size_t plen = strlen(dir);
	if (disk == NULL || out == NULL || links == NULL) {
		r = ud_error_set(err, UD_ERR_IO, "export '%s': cannot allocate the archive", dir);
		goto out;
	}
	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_standard_lookup(disk);
	archive_write_set_format_pax_restricted(out);
	archive_entry_linkresolver_set_strategy(links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	if (archive_write_open_fd(out, fd) != ARCHIVE_OK ||
	    archive_read_disk_open(disk, dir) != ARCHIVE_OK) {
		r = ud_error_set(err, UD_ERR_IO, "export '%s': %s", dir,
				 archive_error_string(disk) ? archive_error_string(disk)
							    : archive_error_string(out));
		goto out;
	}
	for (;;) {
		struct archive_entry *e = archive_entry_new();
		int rr = archive_read_next_header2(disk, e);
		if (rr == ARCHIVE_EOF) {
			archive_entry_free(e);
			break;
		}
		if (rr < ARCHIVE_WARN) {
			r = ud_error_set(err, UD_ERR_IO, "export: %s", archive_error_string(disk));
			archive_entry_free(e);
			break;
		}
		archive_read_disk_descend(disk);
		const char *p = archive_entry_pathname(e);
		_cleanup_free_ char *rel = xasprintf(".%s", strlen(p) > plen ? p + plen : "/");
		archive_entry_set_pathname(e, rel);
		struct archive_entry *spare = NULL;
		archive_entry_linkify(links, &e, &spare);
		if (archive_write_header(out, e) < ARCHIVE_WARN) {
			r = ud_error_set(err, UD_ERR_IO, "export '%s': %s", rel,
					 archive_error_string(out));
			archive_entry_free(e);
			break;
		}
		if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0) {
			char buf[1 << 16];
			la_ssize_t n;
			while ((n = archive_read_data(disk, buf, sizeof(buf))) > 0)
				if (archive_write_data(out, buf, (size_t)n) != n) {
					r = ud_error_set(err, UD_ERR_IO, "export '%s': %s", rel,
							 archive_error_string(out));
					break;
				}
			if (n < 0)
				r = ud_error_set(err, UD_ERR_IO, "export '%s': %s", rel,
						 archive_error_string(disk));
		}
		archive_entry_free(e);
		if (r < 0)
			break;
	}
	if (archive_write_close(out) != ARCHIVE_OK && r == 0)
		r = ud_error_set(err, UD_ERR_IO, "export: %s", archive_error_string(out));
out:
	archive_entry_linkresolver_free(links);
	archive_read_free(disk);
	archive_write_free(out);
	return r;
}

int ud_store_container_export(const struct ud_store *s, const char *id, bool whole, int fd,
			      struct ud_error **err)
{
	if (ud_archive_load(err) < 0)
		return -1;
	struct ud_container *c = ud_store_container_get(s, id, err);
	if (c == NULL)
		return -1;
	int r = c->rootfs == UD_ROOTFS_SQUASH
			? ud_error_set(err, UD_ERR_UNSUPPORTED,
				       "container %s is image-backed: its tree exists only where "
				       "it is mounted (udocker export and clone mount it)",
				       c->id)
			: tar_tree(whole ? c->dir : c->root, fd, err);
	ud_store_container_free(c);
	return r;
}

int ud_store_tar_tree(const char *dir, int fd, struct ud_error **err)
{
	return tar_tree(dir, fd, err);
}

/* Copies what dfd's name holds at sfd's name: directories (recursively),
 * files, symlinks, fifos, overlayfs whiteouts (character devices 0:0),
 * with their modes and user.* extended attributes (overlayfs's opaque
 * marker among them). Nothing is followed. */
static int copy_entry(int sfd, int dfd, const char *name, int depth, struct ud_error **err)
{
	struct stat st;
	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return ud_error_sys(err, errno, "cannot read '%s'", name);
	/* Each level holds two fds: deeper than the fd limit allows is an
	 * error, never a tree copied in part. */
	struct rlimit rl;
	long max_depth = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur / 2 < 4096 + 32
				 ? (long)(rl.rlim_cur / 2) - 32
				 : 4096;
	if (depth > max_depth)
		return ud_error_set(err, UD_ERR_INVALID,
				    "'%s': directories nested more than %ld deep: not copied", name,
				    max_depth);
	mode_t perm = st.st_mode & 07777;
	int r = 0;
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(sfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return ud_error_sys(err, errno, "cannot read the link '%s'", name);
		target[n] = '\0';
		if (symlinkat(target, dfd, name) < 0)
			return ud_error_sys(err, errno, "cannot create the link '%s'", name);
		return 0;
	}
	if (S_ISCHR(st.st_mode) && st.st_rdev == 0)
		return mknodat(dfd, name, S_IFCHR | perm, 0) < 0
			       ? ud_error_sys(err, errno, "cannot create the whiteout '%s'", name)
			       : 0;
	if (S_ISFIFO(st.st_mode))
		return mkfifoat(dfd, name, perm) < 0
			       ? ud_error_sys(err, errno, "cannot create '%s'", name)
			       : 0;
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return 0; /* nothing else belongs in an upper layer */
	_cleanup_close_ int in =
		openat(sfd, name,
		       O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (in < 0)
		return ud_error_sys(err, errno, "cannot open '%s'", name);
	_cleanup_close_ int out = -1;
	DIR *d = NULL;
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(dfd, name, 0700) < 0 ||
		    (out = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return ud_error_sys(err, errno, "cannot create '%s'", name);
		d = fdopendir(in);
		if (d == NULL)
			return ud_error_sys(err, errno, "cannot read the directory '%s'", name);
		in = dirfd(d); /* the DIR's now: closedir closes it */
		struct dirent *de;
		errno = 0;
		while (r == 0 && (de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				r = copy_entry(in, out, de->d_name, depth + 1, err);
			errno = 0;
		}
		if (r == 0 && errno != 0)
			r = ud_error_sys(err, errno, "cannot read the directory '%s'", name);
	} else {
		out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0)
			return ud_error_sys(err, errno, "cannot create '%s'", name);
		static char buf[1 << 16]; /* static: nothing holds it across the recursion */
		ssize_t n;
		while (r == 0 && (n = read(in, buf, sizeof(buf))) != 0)
			if (n < 0 || ud_write_all(out, buf, (size_t)n) < 0)
				r = ud_error_sys(err, errno, "cannot copy '%s'", name);
	}
	/* overlayfs's opaque marker is one of them: none is dropped quietly. */
	static char names[65536];
	ssize_t len = r == 0 ? flistxattr(in, names, sizeof(names)) : 0;
	if (len < 0 && errno != ENOTSUP)
		r = ud_error_sys(err, errno, "cannot list the extended attributes of '%s'", name);
	for (ssize_t at = 0; r == 0 && len > 0 && at < len; at += (ssize_t)strlen(names + at) + 1) {
		static char value[65536];
		if (!ud_str_has_prefix(names + at, "user."))
			continue;
		ssize_t vn = fgetxattr(in, names + at, value, sizeof(value));
		if (vn < 0 || fsetxattr(out, names + at, value, (size_t)vn, 0) < 0)
			r = ud_error_sys(err, errno,
					 "cannot copy the extended attribute %s of '%s'",
					 names + at, name);
	}
	if (r == 0 && fchmod(out, perm) < 0)
		r = ud_error_sys(err, errno, "cannot set the mode of '%s'", name);
	if (d) {
		closedir(d);
		in = -1;
	}
	return r;
}

char *ud_store_container_clone_squash(const struct ud_store *s, const char *id,
				      struct ud_error **err)
{
	struct ud_container *c = ud_store_container_get(s, id, err);
	if (c == NULL)
		return NULL;
	char nid[37];
	ud_uuid(nid);
	_cleanup_free_ char *hidden = xasprintf("%s/.%s.creating", s->containers, nid);
	_cleanup_free_ char *final = container_dir(s, nid);
	_cleanup_free_ char *root = ud_path_join(hidden, "ROOT");
	struct ud_lock owner = {.fd = -1};
	int r = c->rootfs == UD_ROOTFS_SQUASH
			? 0
			: ud_error_set(err, UD_ERR_INVALID, "container %s is not image-backed",
				       c->id);
	if (r == 0 && !owner_lock(hidden, &owner, err))
		r = -1;
	bool locked = r == 0;
	if (r == 0)
		r = make_hidden(hidden, root, err);
	/* Names and protection are not cloned. */
	static const char *const files[] = {"container.json", "imagerepo.name", "image.digest",
					    "rootfs",	      "execmode",	"execmode.auto"};
	struct new_files nf = {0};
	for (size_t i = 0; r == 0 && i < UD_ARRAY_SIZE(files); i++) {
		/* Whole: container.json may span lines (read_small keeps one). */
		_cleanup_free_ char *p = ud_path_join(c->dir, files[i]);
		_cleanup_free_ char *text = ud_read_file(p, NULL, NULL);
		if (text)
			r = new_file(&nf, hidden, files[i], text, err);
	}
	if (r == 0 && c->upper) {
		_cleanup_close_ int from = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		_cleanup_close_ int to = open(hidden, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = from < 0 || to < 0 ? ud_error_sys(err, errno, "cannot open '%s'", c->dir)
				       : copy_entry(from, to, "upper", 0, err);
		if (r == 0 && mkdirat(to, "work", 0700) < 0)
			r = ud_error_sys(err, errno, "cannot create the work directory");
	}
	if (new_files_done(&nf, hidden, r == 0, err) < 0)
		r = -1;
	if (r == 0 && rename(hidden, final) < 0)
		r = ud_error_sys(err, errno, "cannot rename '%s'", hidden);
	if (r < 0 && locked)
		ud_rmtree(hidden, NULL);
	if (locked)
		owner_unlock(hidden, &owner);
	ud_store_container_free(c);
	return r < 0 ? NULL : xstrdup(nid);
}

char *ud_store_container_import(const struct ud_store *s, const char *tarball, bool clone,
				const char *image_name, struct ud_error **err)
{
	char id[37];
	ud_uuid(id);
	_cleanup_free_ char *hidden = xasprintf("%s/.%s.creating", s->containers, id);
	_cleanup_free_ char *final = container_dir(s, id);
	_cleanup_free_ char *target = clone ? xstrdup(hidden) : ud_path_join(hidden, "ROOT");
	clean_leftovers(s);
	struct ud_lock owner = {.fd = -1};
	if (!owner_lock(hidden, &owner, err))
		return NULL;
	int r = make_hidden(hidden, clone ? NULL : target, err);
	if (r == 0 && !clone)
		r = write_small(hidden, "imagerepo.name",
				image_name ? image_name : "IMPORTED:unknown", err);
	int fd = r == 0 ? open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	struct ud_extract_stats st = {0};
	int64_t total = 0;
	if (r == 0 && (fd < 0 || ud_store_extract_layer(fd, tarball, s->max_layer_size, &total, &st,
							err) < 0))
		r = fd < 0 ? ud_error_sys(err, errno, "cannot open '%s'", target) : -1;
	if (fd >= 0)
		close(fd);
	_cleanup_free_ char *root = ud_path_join(hidden, "ROOT");
	/* lstat: a ROOT that is a symlink (to a host directory, to another
	 * container's ROOT) would have every run write there. */
	struct stat rst;
	if (r == 0 && lstat(root, &rst) < 0)
		r = ud_error_set(err, UD_ERR_INVALID, "'%s' is not a container export (no ROOT)",
				 tarball);
	else if (r == 0 && !S_ISDIR(rst.st_mode))
		r = ud_error_set(err, UD_ERR_INVALID,
				 "'%s' is not a container export (its ROOT is not a directory)",
				 tarball);
	if (r == 0 && clone) {
		/* Names and protection are not cloned. */
		_cleanup_free_ char *prot = ud_path_join(hidden, "PROTECT");
		unlink(prot);
	}
	if (r == 0 && rename(hidden, final) < 0)
		r = ud_error_sys(err, errno, "cannot rename '%s'", hidden);
	if (r < 0)
		ud_rmtree(hidden, NULL);
	owner_unlock(hidden, &owner);
	return r < 0 ? NULL : xstrdup(id);
}

int ud_store_container_lock(const struct ud_store *s, const char *name, struct ud_lock *lock,
			    struct ud_error **err)
{
	/* Under repos/.locks, which 1.3.16 never lists (containers/ it does). */
	_cleanup_free_ char *file = xasprintf(".locks/container:%s", name);
	_cleanup_free_ char *path = ud_path_join(s->repos, file);
	return ud_lock_acquire(lock, path, "creating a container", ud_lock_default_timeout_ms(),
			       err);
}

int ud_store_container_purge(const struct ud_store *s, const char *id, int *removed,
			     struct ud_error **err)
{
	*removed = 0;
	struct ud_container *c = ud_store_container_get(s, id, err);
	if (c == NULL)
		return -1;
	_cleanup_free_ char *records = ud_path_join(c->dir, ".mountpoints");
	_cleanup_close_ int root_fd = open(c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* Never a directory .mountpoints leads to (a hostile clone's link). */
	int rfd =
		root_fd >= 0 ? open(records, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	DIR *d = rfd >= 0 ? fdopendir(rfd) : NULL;
	if (rfd >= 0 && d == NULL)
		close(rfd);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			char path[4096];
			ssize_t n = readlinkat(dirfd(d), de->d_name, path, sizeof(path) - 1);
			if (n <= 0 || path[0] != '/')
				continue;
			path[n] = '\0';
			/* Only what udocker made: an empty directory or an empty
			 * file, where a run made it (resolved in the root, as
			 * the run did: never a host file through a symlink). */
			_cleanup_free_ char *name = NULL;
			_cleanup_close_ int dir =
				ud_root_open_parent(root_fd, path, true, false, &name, NULL);
			struct stat st;
			if (dir >= 0 && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    ((S_ISDIR(st.st_mode) && unlinkat(dir, name, AT_REMOVEDIR) == 0) ||
			     (S_ISREG(st.st_mode) && st.st_size == 0 &&
			      unlinkat(dir, name, 0) == 0)))
				(*removed)++;
			unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
		rmdir(records);
	}
	ud_store_container_free(c);
	return 0;
}
