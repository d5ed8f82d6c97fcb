/* The spec model: construction, validation, release. */
#include "spec/execmode.h"
#include "spec/spec_private.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

const char *const ud_spec_execmodes[] = {"auto", UD_EXECMODES(UD_EXECMODE_STRING) NULL};
const char *const ud_spec_rootfs_kinds[] = {"dir", "squash", NULL};
const char *const ud_spec_pull_policies[] = {"missing", "always", "never", "reuse", NULL};
#define pull_policies ud_spec_pull_policies

struct ud_spec *ud_spec_new(void)
{
	struct ud_spec *s = xcalloc(1, sizeof(*s));
	s->version = 1;
	return s;
}

struct ud_spec_image *ud_spec_add_image(struct ud_spec *spec, const char *alias, const char *ref)
{
	ud_array_grow(spec->images, spec->n_images);
	struct ud_spec_image *img = &spec->images[spec->n_images++];
	memset(img, 0, sizeof(*img));
	img->alias = alias ? xstrdup(alias) : NULL;
	img->ref = xstrdup(ref);
	return img;
}

struct ud_spec_container *ud_spec_add_container(struct ud_spec *spec, const char *name,
						const char *image)
{
	ud_array_grow(spec->containers, spec->n_containers);
	struct ud_spec_container *c = &spec->containers[spec->n_containers++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	c->image = xstrdup(image);
	return c;
}

void ud_spec_container_add_volume(struct ud_spec_container *c, const char *text)
{
	ud_array_grow(c->volumes, c->n_volumes);
	struct ud_spec_volume *v = &c->volumes[c->n_volumes++];
	memset(v, 0, sizeof(*v));
	v->path = xstrdup(text);
}

void ud_spec_container_add_env(struct ud_spec_container *c, const char *key, const char *value)
{
	ud_array_grow(c->env, c->n_env);
	c->env[c->n_env++] = (struct ud_spec_kv){xstrdup(key), xstrdup(value)};
}

void ud_spec_container_add_command(struct ud_spec_container *c, char *const *argv)
{
	ud_array_grow(c->commands, c->n_commands);
	struct ud_spec_command *cmd = &c->commands[c->n_commands++];
	memset(cmd, 0, sizeof(*cmd));
	cmd->image_default = argv == NULL;
	cmd->argv = argv ? ud_strv_dup(argv) : NULL;
}

static int image_alias_cmp(const void *a, const void *b)
{
	const struct ud_spec_image *const *x = a, *const *y = b;
	return strcmp((*x)->alias, (*y)->alias);
}

static int alias_key_cmp(const void *key, const void *elem)
{
	const struct ud_spec_image *const *img = elem;
	return strcmp(key, (*img)->alias);
}

/* A spec may name tens of thousands of images: lookups by alias go
 * through a sorted index, not a scan per container. */
static void index_images(struct ud_spec *spec)
{
	free(spec->image_index);
	spec->image_index = xcalloc(spec->n_images + 1, sizeof(*spec->image_index));
	spec->n_image_index = 0;
	for (size_t i = 0; i < spec->n_images; i++)
		if (spec->images[i].alias)
			spec->image_index[spec->n_image_index++] = &spec->images[i];
	qsort(spec->image_index, spec->n_image_index, sizeof(*spec->image_index), image_alias_cmp);
	spec->image_index_of = spec->n_images;
}

const struct ud_spec_image *ud_spec_find_image(const struct ud_spec *spec, const char *alias)
{
	if (spec->image_index && spec->image_index_of == spec->n_images) {
		struct ud_spec_image **hit = bsearch(alias, spec->image_index, spec->n_image_index,
						     sizeof(*spec->image_index), alias_key_cmp);
		return hit ? *hit : NULL;
	}
	for (size_t i = 0; i < spec->n_images; i++)
		if (spec->images[i].alias && strcmp(spec->images[i].alias, alias) == 0)
			return &spec->images[i];
	return NULL;
}

static void volume_release(struct ud_spec_volume *v)
{
	free(v->name);
	free(v->host);
	free(v->path);
}

void ud_spec_free(struct ud_spec *s)
{
	if (s == NULL)
		return;
	ud_strv_free(s->tasks);
	for (size_t i = 0; i < s->n_images; i++) {
		struct ud_spec_image *img = &s->images[i];
		free(img->alias);
		free(img->ref);
		free(img->digest);
		free(img->platform);
		free(img->pull);
	}
	free(s->images);
	free(s->image_index);
	for (size_t i = 0; i < s->n_volumes; i++)
		volume_release(&s->volumes[i]);
	free(s->volumes);
	for (size_t i = 0; i < s->n_containers; i++) {
		struct ud_spec_container *c = &s->containers[i];
		free(c->name);
		free(c->image);
		free(c->execmode);
		free(c->user);
		free(c->workdir);
		free(c->hostname);
		free(c->platform);
		free(c->pull);
		free(c->rootfs);
		for (size_t j = 0; j < c->n_env; j++) {
			free(c->env[j].key);
			free(c->env[j].value);
		}
		free(c->env);
		ud_strv_free(c->env_file);
		for (size_t j = 0; j < c->n_volumes; j++)
			volume_release(&c->volumes[j]);
		free(c->volumes);
		ud_strv_free(c->entrypoint);
		for (size_t j = 0; j < c->n_commands; j++) {
			ud_strv_free(c->commands[j].argv);
			free(c->commands[j].shell);
		}
		free(c->commands);
	}
	free(s->containers);
	free(s->def_execmode);
	free(s->def_pull);
	free(s->def_platform);
	free(s->def_rootfs);
	free(s->file);
	free(s->dir);
	free(s);
}

#define MORE_ERRORS "... and "

int ud_spec_error_addv(struct ud_error **err, enum ud_error_code code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	_cleanup_free_ char *raw = xvasprintf(fmt, ap);
	/* One message, one line: a key or value from the file cannot make
	 * two, nor move the terminal's cursor. */
	_cleanup_free_ char *msg = ud_str_escape(raw, 0);
	if (*err == NULL)
		return ud_error_set(err, code, "%s", msg);
	char *text = (*err)->msg;
	size_t lines = 1;
	for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	char *full;
	if (lines < UD_SPEC_MAX_ERRORS) {
		full = xasprintf("%s\n%s", text, msg);
	} else if (lines == UD_SPEC_MAX_ERRORS) {
		full = xasprintf("%s\n" MORE_ERRORS "1 more error", text);
	} else {
		char *last = strrchr(text, '\n');
		unsigned long more = strtoul(last + 1 + strlen(MORE_ERRORS), NULL, 10);
		*last = '\0';
		full = xasprintf("%s\n" MORE_ERRORS "%lu more errors", text, more + 1);
	}
	free((*err)->msg);
	(*err)->msg = full;
	return -1;
}

int ud_spec_error_add(struct ud_error **err, enum ud_error_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ud_spec_error_addv(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

struct error_line {
	char *text;
	unsigned long line, col;
	size_t index;
};

static int error_line_cmp(const void *a, const void *b)
{
	const struct error_line *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

void ud_spec_error_sort(struct ud_error *err, const char *name)
{
	if (err == NULL || strchr(err->msg, '\n') == NULL)
		return;
	size_t n = 0, name_len = strlen(name);
	struct error_line *lines = NULL;
	for (char *rest = err->msg, *t; (t = strsep(&rest, "\n")) != NULL;) {
		ud_array_grow(lines, n);
		struct error_line *l = &lines[n];
		*l = (struct error_line){t, 0, 0, n};
		char *end;
		if (ud_str_has_prefix(t, MORE_ERRORS)) {
			l->line = (unsigned long)-1; /* stays last */
		} else if (strncmp(t, name, name_len) == 0 && t[name_len] == ':') {
			l->line = strtoul(t + name_len + 1, &end, 10);
			if (*end == ':')
				l->col = strtoul(end + 1, &end, 10);
			if (*end != ':')
				l->line = l->col = 0;
		}
		n++;
	}
	qsort(lines, n, sizeof(*lines), error_line_cmp);
	struct ud_buf b = {0};
	for (size_t i = 0; i < n; i++)
		ud_buf_printf(&b, "%s%s", i ? "\n" : "", lines[i].text);
	free(lines);
	free(err->msg);
	err->msg = ud_buf_steal(&b);
}

/* "file:line:col: " or the item's name for CLI-built specs. */
static int vfail_va(struct ud_error **err, enum ud_error_code code, const struct ud_spec_pos *pos,
		    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static int vfail_va(struct ud_error **err, enum ud_error_code code, const struct ud_spec_pos *pos,
		    const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	if (pos && pos->file && pos->line > 0)
		return ud_spec_error_add(err, code, "%s:%d:%d: %s", pos->file, pos->line, pos->col,
					 msg);
	return ud_spec_error_add(err, code, "%s", msg);
}

static int vfail(struct ud_error **err, const struct ud_spec_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int vfail(struct ud_error **err, const struct ud_spec_pos *pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfail_va(err, UD_ERR_INVALID, pos, fmt, ap);
	va_end(ap);
	return r;
}

/* A bad volume: UD_ERR_USAGE, so that a docker-style run exits 2. */
static int volfail(struct ud_error **err, const struct ud_spec_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int volfail(struct ud_error **err, const struct ud_spec_pos *pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfail_va(err, UD_ERR_USAGE, pos, fmt, ap);
	va_end(ap);
	return r;
}

const char *ud_spec_in_list(const char *v, const char *const *list)
{
	for (const char *const *l = list; *l; l++)
		if (strcasecmp(v, *l) == 0)
			return *l;
	return NULL;
}

char *ud_spec_join_list(const char *const *list)
{
	struct ud_buf b = {0};
	for (const char *const *l = list; *l; l++)
		ud_buf_printf(&b, "%s%s", l == list ? "" : ", ", *l);
	return ud_buf_steal(&b);
}

/* Canonicalises *v in place to the list's spelling, or fails. */
bool ud_spec_pull_every(const char *v, long *seconds)
{
	long n = 0;
	char unit = 0, extra;
	if (v == NULL || sscanf(v, "every %ld%c%c", &n, &unit, &extra) != 2 || n <= 0)
		return false;
	long mult = unit == 's'	  ? 1
		    : unit == 'm' ? 60
		    : unit == 'h' ? 3600
		    : unit == 'd' ? 86400
				  : 0;
	if (mult == 0)
		return false;
	if (seconds)
		*seconds = n * mult;
	return true;
}

static int check_enum(struct ud_error **err, const struct ud_spec_pos *pos, const char *what,
		      char **v, const char *const *list)
{
	if (*v == NULL)
		return 0;
	if (list == pull_policies && ud_spec_pull_every(*v, NULL))
		return 0;
	const char *canon = ud_spec_in_list(*v, list);
	if (canon == NULL) {
		_cleanup_free_ char *all = ud_spec_join_list(list);
		return vfail(err, pos, "%s: found '%s', expected one of %s%s", what, *v, all,
			     list == pull_policies ? ", or every DURATION (e.g. 'every 1h')" : "");
	}
	free(*v);
	*v = xstrdup(canon);
	return 0;
}

bool ud_spec_valid_platform(const char *p)
{
	int parts = 0;
	for (const char *s = p;; s++) {
		const char *start = s;
		while (isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.')
			s++;
		if (s == start)
			return false;
		parts++;
		if (*s == '\0')
			return parts <= 3;
		if (*s != '/')
			return false;
	}
}

bool ud_spec_valid_digest(const char *d)
{
	if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return false;
	for (const char *p = d + 7; *p; p++)
		if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
			return false;
	return true;
}

static int check_ref(struct ud_error **err, const struct ud_spec_pos *pos, const char *what,
		     const char *ref)
{
	if (ref == NULL || *ref == '\0')
		return vfail(err, pos, "%s: empty image reference, expected NAME[:TAG]", what);
	for (const char *p = ref; *p; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return vfail(err, pos,
				     "%s: image reference '%s' contains whitespace, expected "
				     "NAME[:TAG][@DIGEST]",
				     what, ref);
	return 0;
}

static int check_image(struct ud_error **err, struct ud_spec_image *img)
{
	if (img->ref == NULL)
		return -1; /* the loader said why */
	_cleanup_free_ char *what = img->alias ? xasprintf("image '%s'", img->alias)
					       : xasprintf("image '%s'", img->ref);
	int r = check_ref(err, &img->pos, what, img->ref);
	if (img->digest && !ud_spec_valid_digest(img->digest))
		r = vfail(err, &img->pos, "%s: digest: found '%s', expected sha256:<64 hex digits>",
			  what, img->digest);
	if (img->platform && !ud_spec_valid_platform(img->platform))
		r = vfail(err, &img->pos, "%s: platform: found '%s', expected os[/arch[/variant]]",
			  what, img->platform);
	if (check_enum(err, &img->pos, what, &img->pull, pull_policies) < 0)
		r = -1;
	return r;
}

/* The alias one edit away from name (the first in alias order), or NULL.
 * Only for names and aliases of 3 characters or more, and a bare name: "x:tag", "host/x" or "x@digest" is a reference
 * as written. */
static const char *near_alias(const struct ud_spec *s, const char *name)
{
	if (strpbrk(name, "/:@") != NULL)
		return NULL;
	size_t len = strlen(name);
	for (size_t i = 0; i < s->n_image_index; i++) {
		const char *alias = s->image_index[i]->alias;
		size_t alen = strlen(alias);
		if (alen + 1 < len || len + 1 < alen)
			continue; /* more than one edit apart: skip the distance */
		if (alen < 3 || len < 3)
			continue; /* "x" is one edit from every short alias */
		if (ud_str_distance(alias, name) == 1)
			return alias;
	}
	return NULL;
}

static bool valid_container_name(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > 2048)
		return false;
	return strpbrk(n, "/. []") == NULL;
}

static bool valid_env_name(const char *n)
{
	if (!isalpha((unsigned char)*n) && *n != '_')
		return false;
	for (; *n; n++)
		if (!isalnum((unsigned char)*n) && *n != '_')
			return false;
	return true;
}

static int check_volume_paths(struct ud_error **err, const struct ud_spec_pos *pos,
			      const char *what, const char *dir, struct ud_spec_volume *v)
{
	if (v->host[0] == '\0' || v->path[0] == '\0')
		return volfail(err, pos, "%s: empty path, expected HOST:CONTAINER[:ro]", what);
	if (v->path[0] != '/')
		return volfail(err, pos,
			       "%s: container path '%s' is relative, expected an absolute path",
			       what, v->path);
	/* The container path is joined to the container's root: a ".." that
	 * climbs above "/" would bind outside it. */
	char *norm = ud_path_normalize(v->path);
	if (norm == NULL)
		return volfail(err, pos,
			       "%s: invalid container volume path '%s': '..' climbs above '/', "
			       "expected a path inside the container",
			       what, v->path);
	if (strcmp(norm, "/") == 0) {
		free(norm);
		return volfail(err, pos,
			       "%s: invalid container volume path '%s': expected a path below "
			       "'/', not the container's root",
			       what, v->path);
	}
	free(v->path);
	v->path = norm;
	if (v->host[0] != '/') {
		if (dir == NULL)
			return volfail(err, pos,
				       "%s: host path '%s' is relative, expected an absolute path",
				       what, v->host);
		char *abs = ud_path_join(dir, v->host);
		free(v->host);
		v->host = abs;
	}
	return 0;
}

static int volume_name_cmp(const void *a, const void *b)
{
	const struct ud_spec_volume *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static int volume_key_cmp(const void *key, const void *elem)
{
	const struct ud_spec_volume *const *v = elem;
	return strcmp(key, (*v)->name);
}

/* A container's volume entry is a name from volumes: (found in by_name,
 * the spec's volumes sorted by name) or HOST:PATH[:ro|rw]. */
static int resolve_volume(struct ud_error **err, struct ud_spec *s,
			  struct ud_spec_volume *const *by_name, size_t n_by_name, const char *what,
			  struct ud_spec_volume *v)
{
	if (v->host != NULL)
		return check_volume_paths(err, &v->pos, what, s->dir, v);
	_cleanup_free_ char *text = v->path;
	v->path = NULL;
	if (strchr(text, ':') == NULL) {
		struct ud_spec_volume *const *hit =
			bsearch(text, by_name, n_by_name, sizeof(*by_name), volume_key_cmp);
		if (hit && ((*hit)->host == NULL || (*hit)->path == NULL))
			return -1; /* the loader said what is wrong with it */
		if (hit) {
			v->name = xstrdup(text);
			v->host = xstrdup((*hit)->host);
			v->path = xstrdup((*hit)->path);
			v->readonly = (*hit)->readonly;
			v->create = (*hit)->create;
			return 0;
		}
		return volfail(err, &v->pos,
			       "%s: no volume named '%s' in volumes:, expected a volume name or "
			       "HOST:CONTAINER[:ro]",
			       what, text);
	}
	_cleanup_strv_ char **parts = xcalloc(1, sizeof(char *));
	_cleanup_free_ char *copy = xstrdup(text);
	/* Every ':' separates: "/h::/x" is three parts, not "/h:/x". */
	for (char *rest = copy, *t; (t = strsep(&rest, ":")) != NULL;)
		ud_strv_push(&parts, xstrdup(t));
	size_t n = ud_strv_len(parts);
	if (n < 2 || n > 3 ||
	    (n == 3 && strcmp(parts[2], "ro") != 0 && strcmp(parts[2], "rw") != 0))
		return volfail(err, &v->pos, "%s: found '%s', expected HOST:CONTAINER[:ro|rw]",
			       what, text);
	v->host = xstrdup(parts[0]);
	v->path = xstrdup(parts[1]);
	v->readonly = n == 3 && strcmp(parts[2], "ro") == 0;
	return check_volume_paths(err, &v->pos, what, s->dir, v);
}

/* The position of a field when the loader knew it, else the item's. */
static const struct ud_spec_pos *at(const struct ud_spec_pos *field, const struct ud_spec_pos *item)
{
	return field->line > 0 ? field : item;
}

/* Checks one container; -1 when anything is wrong (all of it reported). */
static int check_container(struct ud_error **err, struct ud_spec *s,
			   struct ud_spec_volume *const *by_name, size_t n_by_name,
			   struct ud_spec_container *c)
{
	_cleanup_free_ char *what = xasprintf("container '%s'", c->name);
	int r = 0;
	if (!valid_container_name(c->name))
		r = vfail(err, &c->pos,
			  "%s: invalid name, expected at most 2048 characters without '/', '.', "
			  "' ', '[' or ']'",
			  what);
	const char *near = NULL;
	if (c->image == NULL)
		r = -1; /* the loader said why */
	else if (ud_spec_find_image(s, c->image) != NULL)
		;
	else if ((near = near_alias(s, c->image)) != NULL)
		r = vfail(err, at(&c->image_pos, &c->pos),
			  "%s: image '%s' is not an alias in images: (did you mean '%s'?); for "
			  "the registry's image write '%s:latest'",
			  what, c->image, near, c->image);
	else if (check_ref(err, at(&c->image_pos, &c->pos), what, c->image) < 0)
		r = -1;
	if (check_enum(err, &c->pos, what, &c->execmode, ud_spec_execmodes) < 0 ||
	    check_enum(err, &c->pos, what, &c->pull, pull_policies) < 0 ||
	    check_enum(err, &c->pos, what, &c->rootfs, ud_spec_rootfs_kinds) < 0)
		r = -1;
	const char *rootfs = ud_spec_container_rootfs(s, c, NULL);
	if (c->ephemeral && strcmp(rootfs, "squash") != 0)
		r = vfail(err, &c->pos,
			  "%s: ephemeral: true needs rootfs: squash (a directory container "
			  "keeps its changes in its own tree)",
			  what);
	if (c->platform && !ud_spec_valid_platform(c->platform))
		r = vfail(err, &c->pos, "%s: platform: found '%s', expected os[/arch[/variant]]",
			  what, c->platform);
	if (c->user && (c->user[0] == '\0' || strchr(c->user, ' ')))
		r = vfail(err, at(&c->user_pos, &c->pos),
			  "%s: user: found '%s', expected NAME, UID or UID:GID", what, c->user);
	if (c->workdir && c->workdir[0] != '/')
		r = vfail(err, at(&c->workdir_pos, &c->pos),
			  "%s: workdir: found '%s', expected an absolute path", what, c->workdir);
	for (size_t j = 0; j < c->n_env; j++)
		if (!valid_env_name(c->env[j].key))
			r = vfail(err, &c->pos,
				  "%s: env: invalid variable name '%s', expected letters, digits "
				  "and '_'",
				  what, c->env[j].key);
	for (size_t j = 0; j < c->n_volumes; j++)
		if (c->volumes[j].path == NULL && c->volumes[j].host == NULL)
			r = -1; /* the loader said why */
		else if (resolve_volume(err, s, by_name, n_by_name, what, &c->volumes[j]) < 0)
			r = -1;
	for (size_t j = 0; j < c->n_commands; j++) {
		struct ud_spec_command *cmd = &c->commands[j];
		if (!cmd->image_default &&
		    ((cmd->argv && cmd->argv[0] == NULL) || (cmd->shell && !*cmd->shell)))
			r = vfail(err, &cmd->pos, "%s: commands: empty command", what);
	}
	return r;
}

const char *ud_spec_container_rootfs(const struct ud_spec *s, const struct ud_spec_container *c,
				     const char *fallback)
{
	return c->rootfs ? c->rootfs : s->def_rootfs ? s->def_rootfs : fallback ? fallback : "dir";
}

int ud_spec_validate_loaded(struct ud_spec *s, bool loader_failed, struct ud_error **err)
{
	/* Validation canonicalises enum spellings and resolves paths; it is
	 * part of building the spec, before anyone else sees it. */
	struct ud_spec_pos top = {s->file, 1, 1};
	int r = loader_failed ? -1 : 0;
	if (s->version != 1 && !loader_failed)
		r = vfail(err, &top, "version: expected 1");
	if (check_enum(err, &top, "defaults: execmode", &s->def_execmode, ud_spec_execmodes) < 0 ||
	    check_enum(err, &top, "defaults: pull", &s->def_pull, pull_policies) < 0 ||
	    check_enum(err, &top, "defaults: rootfs", &s->def_rootfs, ud_spec_rootfs_kinds) < 0)
		r = -1;
	if (s->def_platform && !ud_spec_valid_platform(s->def_platform))
		r = vfail(err, &top, "defaults: platform: found '%s', expected os[/arch[/variant]]",
			  s->def_platform);
	if (s->n_images == 0 && s->n_containers == 0 && !loader_failed)
		r = vfail(err, &top,
			  "the spec has no images and no containers, expected at least one of "
			  "them");
	for (size_t i = 0; i < s->n_images; i++)
		if (check_image(err, &s->images[i]) < 0)
			r = -1;
	index_images(s);
	for (size_t i = 0; i < s->n_volumes; i++) {
		struct ud_spec_volume *v = &s->volumes[i];
		_cleanup_free_ char *what = xasprintf("volume '%s'", v->name);
		if (v->host == NULL || v->path == NULL)
			r = -1; /* the loader said why */
		else if (check_volume_paths(err, &v->pos, what, s->dir, v) < 0)
			r = -1;
	}
	_cleanup_free_ struct ud_spec_volume **by_name =
		xcalloc(s->n_volumes + 1, sizeof(*by_name));
	size_t n_named = s->n_volumes;
	for (size_t i = 0; i < s->n_volumes; i++)
		by_name[i] = &s->volumes[i];
	qsort(by_name, n_named, sizeof(*by_name), volume_name_cmp);
	for (size_t i = 0; i < s->n_containers; i++)
		if (check_container(err, s, by_name, n_named, &s->containers[i]) < 0)
			r = -1;
	return r;
}

int ud_spec_validate(const struct ud_spec *cspec, struct ud_error **err)
{
	return ud_spec_validate_loaded((struct ud_spec *)cspec, false, err);
}
