/* YAML loader: libyaml's document API, every node keeps its mark, so
 * every error names file:line:column. */
#include "spec/spec_private.h"

#include <ctype.h>
#include <libgen.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#define SPEC_MAX_BYTES UD_USER_FILE_MAX_BYTES
/* Deeper collections are refused while the events are read: libyaml's
 * scanner does work proportional to the depth for every token, so a deep
 * flow collection ("[[[[...") costs quadratic time if it is parsed whole.
 * A job spec needs about 6 levels. */
#define SPEC_MAX_DEPTH 64

struct loader {
	const char *name;
	yaml_document_t doc;
	ud_spec_getenv getenv_fn;
	void *getenv_data;
	struct ud_spec *spec;
	struct ud_error **err;
	bool failed; /* an error was reported: the spec is not loaded */
	/* What an unset variable in the scalar being read may have meant:
	 * for commands, a variable of the shell (or the program). */
	enum { HINT_NONE, HINT_SHELL, HINT_ARGV } hint;
};

static int fail_at(struct loader *L, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct loader *L, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	L->failed = true;
	return ud_spec_error_add(L->err, UD_ERR_INVALID, "%s:%zu:%zu: %s", L->name,
				 n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0,
				 msg);
}

static struct ud_spec_pos pos_of(struct loader *L, const yaml_node_t *n)
{
	return (struct ud_spec_pos){L->spec->file ? L->spec->file : L->name,
				    (int)n->start_mark.line + 1, (int)n->start_mark.column + 1};
}

static const char *kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static yaml_node_t *node(struct loader *L, int id)
{
	return yaml_document_get_node(&L->doc, id);
}

static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return *v == '\0' || strcmp(v, "~") == 0 || strcasecmp(v, "null") == 0;
}

/* A scalar's text, interpolated. */
static int get_str(struct loader *L, const yaml_node_t *n, const char *what, char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail_at(L, n, "%s: found %s, expected a string", what, kind_name(n));
	char *bad = NULL;
	size_t off = 0;
	char *v = ud_spec_interpolate((const char *)n->data.scalar.value, L->getenv_fn,
				      L->getenv_data, &bad, &off);
	if (v == NULL) {
		_cleanup_free_ char *b = bad;
		/* Point at the '$' when the scalar is on one line and plain/quoted. */
		yaml_node_t at = *n;
		if (n->start_mark.line == n->end_mark.line)
			at.start_mark.column +=
				off + (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? 0 : 1);
		if (b && L->hint == HINT_SHELL)
			return fail_at(L, &at,
				       "%s: variable '%s' is not set (for the shell's variable "
				       "write $${%s} or $%s)",
				       what, b, b, b);
		if (b && L->hint == HINT_ARGV)
			return fail_at(L, &at,
				       "%s: variable '%s' is not set (for a literal '${%s}' "
				       "write $${%s})",
				       what, b, b, b);
		if (b)
			return fail_at(L, &at, "%s: variable '%s' is not set", what, b);
		return fail_at(L, &at, "%s: malformed '${': expected ${NAME} or ${NAME:-default}",
			       what);
	}
	free(*out);
	*out = v;
	return 0;
}

/* get_str() and a check of the value against a list of choices. */
static int get_enum(struct loader *L, const yaml_node_t *n, const char *what, char **out,
		    const char *const *list)
{
	if (get_str(L, n, what, out) < 0)
		return -1;
	if (list == ud_spec_pull_policies && ud_spec_pull_every(*out, NULL))
		return 0;
	const char *canon = ud_spec_in_list(*out, list);
	if (canon == NULL) {
		_cleanup_free_ char *all = ud_spec_join_list(list);
		_cleanup_free_ char *bad = steal_pointer(out); /* reported once, here */
		return fail_at(L, n, "%s: found '%s', expected one of %s%s", what, bad, all,
			       list == ud_spec_pull_policies
				       ? ", or every DURATION (e.g. 'every 1h')"
				       : "");
	}
	free(*out);
	*out = xstrdup(canon);
	return 0;
}

static int get_platform(struct loader *L, const yaml_node_t *n, const char *what, char **out)
{
	if (get_str(L, n, what, out) < 0)
		return -1;
	if (!ud_spec_valid_platform(*out)) {
		_cleanup_free_ char *bad = steal_pointer(out); /* reported once, here */
		return fail_at(L, n, "%s: found '%s', expected os[/arch[/variant]]", what, bad);
	}
	return 0;
}

static int get_bool(struct loader *L, const yaml_node_t *n, const char *what, bool *out)
{
	_cleanup_free_ char *v = NULL;
	if (get_str(L, n, what, &v) < 0)
		return -1;
	if (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 || strcmp(v, "on") == 0)
		*out = true;
	else if (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 || strcmp(v, "off") == 0)
		*out = false;
	else
		return fail_at(L, n, "%s: found '%s', expected true or false", what, v);
	return 0;
}

static int get_strlist(struct loader *L, const yaml_node_t *n, const char *what, char ***out)
{
	char **v = xcalloc(1, sizeof(char *));
	if (n->type == YAML_SCALAR_NODE) {
		char *s = NULL;
		if (get_str(L, n, what, &s) < 0) {
			ud_strv_free(v);
			return -1;
		}
		ud_strv_push(&v, s);
	} else if (n->type == YAML_SEQUENCE_NODE) {
		bool bad = false;
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			char *s = NULL;
			if (get_str(L, node(L, *it), what, &s) < 0)
				bad = true;
			else
				ud_strv_push(&v, s);
		}
		if (bad) {
			ud_strv_free(v);
			return -1;
		}
	} else {
		ud_strv_free(v);
		return fail_at(L, n, "%s: found %s, expected a string or a list of strings", what,
			       kind_name(n));
	}
	ud_strv_free(*out);
	*out = v;
	return 0;
}

struct key_at {
	const char *key;
	size_t index;
	const yaml_node_t *node;
};

static int key_at_cmp(const void *a, const void *b)
{
	const struct key_at *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : x->index < y->index ? -1 : x->index > y->index;
}

static const char *in_list(const char *key, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(key, *list) == 0)
			return *list;
	return NULL;
}

static size_t pair_count(const yaml_node_t *n)
{
	return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

/* For each key of n that repeats an earlier one, that earlier key
 * (earlier[i]; NULL for the others). Sorting keeps this O(n log n): a
 * spec may hold tens of thousands of keys in one mapping. */
static void find_duplicates(struct loader *L, const yaml_node_t *n, const yaml_node_t **earlier)
{
	size_t count = pair_count(n);
	_cleanup_free_ struct key_at *keys = xcalloc(count + 1, sizeof(*keys));
	size_t m = 0;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *k = node(L, n->data.mapping.pairs.start[i].key);
		if (k->type == YAML_SCALAR_NODE)
			keys[m++] = (struct key_at){(const char *)k->data.scalar.value, i, k};
	}
	qsort(keys, m, sizeof(*keys), key_at_cmp);
	for (size_t i = 1, start = 0; i < m; i++) {
		if (strcmp(keys[i].key, keys[start].key) != 0)
			start = i;
		else
			earlier[keys[i].index] = keys[start].node;
	}
}

/* Reports an unknown key, with the nearest allowed one when it is close. */
static void unknown_key(struct loader *L, const yaml_node_t *k, const char *what,
			const char *const *allowed)
{
	const char *key = (const char *)k->data.scalar.value;
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (const char *const *a = allowed; *a; a++) {
		size_t d = ud_str_distance(*a, key);
		if (d < best_d) {
			best_d = d;
			best = *a;
		}
	}
	if (best && best_d <= 3) {
		fail_at(L, k, "unknown key '%s' in %s (did you mean '%s'?)", key, what, best);
		return;
	}
	_cleanup_free_ char *list = ud_spec_join_list(allowed);
	fail_at(L, k, "unknown key '%s' in %s (expected one of: %s)", key, what, list);
}

/* Checks a mapping's keys: all scalars, none repeated, all in allowed
 * (when allowed is not NULL). Every bad key is reported; the others are
 * read. Returns one flag per pair, true for the pairs to read (caller
 * frees), or NULL (reported) when n is not a mapping. */
static bool *check_mapping(struct loader *L, const yaml_node_t *n, const char *what,
			   const char *const *allowed)
{
	if (n->type != YAML_MAPPING_NODE) {
		fail_at(L, n, "%s: found %s, expected a mapping", what, kind_name(n));
		return NULL;
	}
	size_t count = pair_count(n);
	bool *ok = xcalloc(count + 1, sizeof(*ok));
	_cleanup_free_ const yaml_node_t **earlier = xcalloc(count + 1, sizeof(*earlier));
	find_duplicates(L, n, earlier);
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *k = node(L, n->data.mapping.pairs.start[i].key);
		if (k->type != YAML_SCALAR_NODE) {
			fail_at(L, k, "%s: found %s as a key, expected a name", what, kind_name(k));
			continue;
		}
		const char *key = (const char *)k->data.scalar.value;
		if (earlier[i]) {
			fail_at(L, k, "%s: duplicate key '%s' (first at line %zu)", what, key,
				earlier[i]->start_mark.line + 1);
			continue;
		}
		if (allowed && in_list(key, allowed) == NULL) {
			unknown_key(L, k, what, allowed);
			continue;
		}
		ok[i] = true;
	}
	return ok;
}

/* The pairs of mapping n that check_mapping() let through (ok). */
#define FOREACH_PAIR(L, n, ok, k, v)                                                               \
	for (size_t i_##k = 0; i_##k < pair_count(n); i_##k++)                                     \
		if (!(ok)[i_##k] ||                                                                \
		    ((k) = node(L, (n)->data.mapping.pairs.start[i_##k].key)) == NULL ||           \
		    ((v) = node(L, (n)->data.mapping.pairs.start[i_##k].value)) == NULL)           \
			continue;                                                                  \
		else

static const char *key_of(const yaml_node_t *k)
{
	return (const char *)k->data.scalar.value;
}

static int load_image(struct loader *L, const yaml_node_t *k, const yaml_node_t *v)
{
	static const char *const keys[] = {"ref", "digest", "platform", "pull", NULL};
	struct ud_spec *s = L->spec;
	ud_array_grow(s->images, s->n_images);
	struct ud_spec_image *img = &s->images[s->n_images++];
	memset(img, 0, sizeof(*img));
	img->alias = xstrdup(key_of(k));
	img->pos = pos_of(L, k);
	_cleanup_free_ char *what = xasprintf("image '%s'", img->alias);
	if (v->type == YAML_SCALAR_NODE)
		return get_str(L, v, what, &img->ref);
	_cleanup_free_ bool *ok = check_mapping(L, v, what, keys);
	if (ok == NULL)
		return -1;
	int r = 0;
	bool ref_given = false;
	yaml_node_t *kk, *vv;
	FOREACH_PAIR(L, v, ok, kk, vv)
	{
		const char *key = key_of(kk);
		_cleanup_free_ char *w = xasprintf("%s: %s", what, key);
		bool is_ref = strcmp(key, "ref") == 0;
		char **field = is_ref			      ? &img->ref
			       : strcmp(key, "digest") == 0   ? &img->digest
			       : strcmp(key, "platform") == 0 ? &img->platform
							      : &img->pull;
		ref_given |= is_ref;
		if (get_str(L, vv, w, field) < 0)
			r = -1;
	}
	if (!ref_given)
		return fail_at(L, k, "%s: missing key 'ref' (the image reference)", what);
	return r;
}

static int load_volume(struct loader *L, const yaml_node_t *k, const yaml_node_t *v,
		       struct ud_spec_volume *vol)
{
	static const char *const keys[] = {"host", "path", "readonly", "create", NULL};
	memset(vol, 0, sizeof(*vol));
	vol->name = xstrdup(key_of(k));
	vol->pos = pos_of(L, k);
	_cleanup_free_ char *what = xasprintf("volume '%s'", vol->name);
	_cleanup_free_ bool *ok = check_mapping(L, v, what, keys);
	if (ok == NULL)
		return -1;
	int r = 0;
	bool have_host = false, have_path = false;
	yaml_node_t *kk, *vv;
	FOREACH_PAIR(L, v, ok, kk, vv)
	{
		const char *key = key_of(kk);
		_cleanup_free_ char *w = xasprintf("%s: %s", what, key);
		have_host |= strcmp(key, "host") == 0;
		have_path |= strcmp(key, "path") == 0;
		if ((strcmp(key, "host") == 0	    ? get_str(L, vv, w, &vol->host)
		     : strcmp(key, "path") == 0	    ? get_str(L, vv, w, &vol->path)
		     : strcmp(key, "readonly") == 0 ? get_bool(L, vv, w, &vol->readonly)
						    : get_bool(L, vv, w, &vol->create)) < 0)
			r = -1;
	}
	if (!have_host || !have_path)
		return fail_at(L, k, "%s: missing key '%s'", what, have_host ? "path" : "host");
	if (r < 0) {
		/* Not resolved: validation skips it. */
		free(vol->host);
		free(vol->path);
		vol->host = vol->path = NULL;
	}
	return r;
}

static int load_env(struct loader *L, struct ud_spec_container *c, const yaml_node_t *v,
		    const char *what)
{
	int r = 0;
	if (v->type == YAML_MAPPING_NODE) {
		_cleanup_free_ bool *ok = check_mapping(L, v, what, NULL);
		yaml_node_t *kk, *vv;
		FOREACH_PAIR(L, v, ok, kk, vv)
		{
			_cleanup_free_ char *w = xasprintf("%s: %s", what, key_of(kk));
			char *val = NULL;
			if (vv->type != YAML_SCALAR_NODE)
				r = fail_at(L, vv, "%s: found %s, expected a string", w,
					    kind_name(vv));
			else if (get_str(L, vv, w, &val) < 0)
				r = -1;
			if (val == NULL)
				continue;
			ud_array_grow(c->env, c->n_env);
			c->env[c->n_env++] = (struct ud_spec_kv){xstrdup(key_of(kk)), val};
		}
		return r;
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return fail_at(L, v, "%s: found %s, expected a mapping or a list of NAME=VALUE",
			       what, kind_name(v));
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = node(L, *it);
		_cleanup_free_ char *s = NULL;
		if (get_str(L, e, what, &s) < 0) {
			r = -1;
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			r = fail_at(L, e, "%s: found '%s', expected NAME=VALUE", what, s);
			continue;
		}
		*eq = '\0';
		ud_array_grow(c->env, c->n_env);
		c->env[c->n_env++] = (struct ud_spec_kv){xstrdup(s), xstrdup(eq + 1)};
	}
	return r;
}

static int load_commands(struct loader *L, struct ud_spec_container *c, const yaml_node_t *v,
			 const char *what)
{
	if (v->type != YAML_SEQUENCE_NODE)
		return fail_at(L, v, "%s: found %s, expected a list of commands", what,
			       kind_name(v));
	int r = 0;
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = node(L, *it);
		struct ud_spec_command cmd = {.pos = pos_of(L, e)};
		if (e->type == YAML_SCALAR_NODE) {
			L->hint = HINT_SHELL;
			if (get_str(L, e, what, &cmd.shell) < 0)
				r = -1;
		} else if (e->type == YAML_SEQUENCE_NODE) {
			L->hint = HINT_ARGV;
			if (get_strlist(L, e, what, &cmd.argv) < 0)
				r = -1;
		} else {
			r = fail_at(L, e,
				    "%s: found %s, expected a list of arguments or a shell string",
				    what, kind_name(e));
		}
		L->hint = HINT_NONE;
		if (cmd.shell == NULL && cmd.argv == NULL)
			continue;
		ud_array_grow(c->commands, c->n_commands);
		c->commands[c->n_commands++] = cmd;
	}
	return r;
}

static int load_volume_list(struct loader *L, struct ud_spec_container *c, const yaml_node_t *v,
			    const char *what)
{
	if (v->type != YAML_SEQUENCE_NODE)
		return fail_at(L, v, "%s: found %s, expected a list", what, kind_name(v));
	int r = 0;
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = node(L, *it);
		char *text = NULL;
		/* Resolved against volumes: by ud_spec_validate(). */
		if (get_str(L, e, what, &text) < 0) {
			r = -1;
			continue;
		}
		ud_array_grow(c->volumes, c->n_volumes);
		struct ud_spec_volume *vol = &c->volumes[c->n_volumes++];
		memset(vol, 0, sizeof(*vol));
		vol->pos = pos_of(L, e);
		vol->path = text;
	}
	return r;
}

static int load_env_file(struct loader *L, struct ud_spec_container *c, const yaml_node_t *v,
			 const char *what)
{
	if (get_strlist(L, v, what, &c->env_file) < 0)
		return -1;
	for (size_t i = 0; c->env_file[i]; i++) {
		if (c->env_file[i][0] != '/' && L->spec->dir) {
			char *abs = ud_path_join(L->spec->dir, c->env_file[i]);
			free(c->env_file[i]);
			c->env_file[i] = abs;
		}
	}
	return 0;
}

static int load_entrypoint(struct loader *L, struct ud_spec_container *c, const yaml_node_t *v,
			   const char *what)
{
	if (is_null(v)) {
		c->entrypoint_mode = UD_ENTRYPOINT_IMAGE;
		return 0;
	}
	if (v->type == YAML_SCALAR_NODE && v->data.scalar.value[0] == '\0') {
		c->entrypoint_mode = UD_ENTRYPOINT_CLEAR;
		return 0;
	}
	c->entrypoint_mode = UD_ENTRYPOINT_SET;
	return get_strlist(L, v, what, &c->entrypoint);
}

static int load_container(struct loader *L, const yaml_node_t *k, const yaml_node_t *v)
{
	static const char *const keys[] = {"image",	 "execmode", "user",	  "env",
					   "env_file",	 "hostauth", "hostenv",	  "bindhome",
					   "nvidia",	 "recreate", "volumes",	  "workdir",
					   "entrypoint", "commands", "hostname",  "platform",
					   "pull",	 "rootfs",   "ephemeral", NULL};
	struct ud_spec *s = L->spec;
	ud_array_grow(s->containers, s->n_containers);
	struct ud_spec_container *c = &s->containers[s->n_containers++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(key_of(k));
	c->pos = pos_of(L, k);
	_cleanup_free_ char *what = xasprintf("container '%s'", c->name);
	_cleanup_free_ bool *ok = check_mapping(L, v, what, keys);
	if (ok == NULL)
		return -1;
	int r = 0;
	bool image_given = false;
	yaml_node_t *kk, *vv;
	FOREACH_PAIR(L, v, ok, kk, vv)
	{
		const char *key = key_of(kk);
		_cleanup_free_ char *w = xasprintf("%s: %s", what, key);
		int kr = 0;
		if (strcmp(key, "image") == 0) {
			image_given = true;
			c->image_pos = pos_of(L, vv);
			kr = get_str(L, vv, w, &c->image);
		} else if (strcmp(key, "execmode") == 0) {
			kr = get_enum(L, vv, w, &c->execmode, ud_spec_execmodes);
		} else if (strcmp(key, "user") == 0) {
			c->user_pos = pos_of(L, vv);
			kr = get_str(L, vv, w, &c->user);
		} else if (strcmp(key, "workdir") == 0) {
			c->workdir_pos = pos_of(L, vv);
			kr = get_str(L, vv, w, &c->workdir);
		} else if (strcmp(key, "hostname") == 0)
			kr = get_str(L, vv, w, &c->hostname);
		else if (strcmp(key, "platform") == 0)
			kr = get_platform(L, vv, w, &c->platform);
		else if (strcmp(key, "pull") == 0)
			kr = get_enum(L, vv, w, &c->pull, ud_spec_pull_policies);
		else if (strcmp(key, "hostauth") == 0)
			kr = get_bool(L, vv, w, &c->hostauth);
		else if (strcmp(key, "hostenv") == 0)
			kr = get_bool(L, vv, w, &c->hostenv);
		else if (strcmp(key, "bindhome") == 0)
			kr = get_bool(L, vv, w, &c->bindhome);
		else if (strcmp(key, "nvidia") == 0)
			kr = get_bool(L, vv, w, &c->nvidia);
		else if (strcmp(key, "recreate") == 0)
			kr = get_bool(L, vv, w, &c->recreate);
		else if (strcmp(key, "rootfs") == 0)
			kr = get_enum(L, vv, w, &c->rootfs, ud_spec_rootfs_kinds);
		else if (strcmp(key, "ephemeral") == 0)
			kr = get_bool(L, vv, w, &c->ephemeral);
		else if (strcmp(key, "env") == 0)
			kr = load_env(L, c, vv, w);
		else if (strcmp(key, "env_file") == 0)
			kr = load_env_file(L, c, vv, w);
		else if (strcmp(key, "entrypoint") == 0)
			kr = load_entrypoint(L, c, vv, w);
		else if (strcmp(key, "commands") == 0)
			kr = load_commands(L, c, vv, w);
		else if (strcmp(key, "volumes") == 0)
			kr = load_volume_list(L, c, vv, w);
		if (kr < 0)
			r = -1;
	}
	if (!image_given)
		return fail_at(L, k, "%s: missing key 'image'", what);
	return r;
}

/* tasks: "FIRST-LAST" (numbers) or a list of names. */
static int load_tasks(struct loader *L, const yaml_node_t *v)
{
	struct ud_spec *s = L->spec;
	if (v->type == YAML_SCALAR_NODE) {
		_cleanup_free_ char *text = NULL;
		if (get_str(L, v, "tasks", &text) < 0)
			return -1;
		long a, b;
		char extra;
		int n = sscanf(text, "%ld-%ld%c", &a, &b, &extra);
		if (n == 1 && sscanf(text, "%ld%c", &a, &extra) == 1)
			b = a;
		else if (n != 2 || a < 0 || b < a || b - a >= 100000)
			return fail_at(L, v,
				       "tasks: found '%s', expected FIRST-LAST (e.g. 1-32) or a "
				       "list",
				       text);
		for (long i = a; i <= b; i++)
			ud_strv_push(&s->tasks, xasprintf("%ld", i));
		return 0;
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return fail_at(L, v, "tasks: found %s, expected FIRST-LAST or a list",
			       kind_name(v));
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		char *t = NULL;
		if (get_str(L, node(L, *it), "tasks", &t) == 0)
			ud_strv_push(&s->tasks, t);
	}
	if (s->tasks == NULL && !L->failed)
		return fail_at(L, v, "tasks: the list is empty");
	return 0;
}

static void load_defaults(struct loader *L, const yaml_node_t *v)
{
	static const char *const def_keys[] = {"execmode", "pull", "platform", "rootfs", NULL};
	struct ud_spec *s = L->spec;
	_cleanup_free_ bool *ok = check_mapping(L, v, "defaults", def_keys);
	if (ok == NULL)
		return;
	yaml_node_t *kk, *vv;
	FOREACH_PAIR(L, v, ok, kk, vv)
	{
		const char *dk = key_of(kk);
		_cleanup_free_ char *w = xasprintf("defaults: %s", dk);
		if (strcmp(dk, "execmode") == 0)
			get_enum(L, vv, w, &s->def_execmode, ud_spec_execmodes);
		else if (strcmp(dk, "pull") == 0)
			get_enum(L, vv, w, &s->def_pull, ud_spec_pull_policies);
		else if (strcmp(dk, "rootfs") == 0)
			get_enum(L, vv, w, &s->def_rootfs, ud_spec_rootfs_kinds);
		else
			get_platform(L, vv, w, &s->def_platform);
	}
}

/* A section of named items (images:, volumes:, containers:). */
static void load_section(struct loader *L, const char *key, const yaml_node_t *v)
{
	struct ud_spec *s = L->spec;
	_cleanup_free_ bool *ok = check_mapping(L, v, key, NULL);
	if (ok == NULL)
		return;
	yaml_node_t *kk, *vv;
	FOREACH_PAIR(L, v, ok, kk, vv)
	{
		if (strcmp(key, "images") == 0) {
			load_image(L, kk, vv);
		} else if (strcmp(key, "volumes") == 0) {
			ud_array_grow(s->volumes, s->n_volumes);
			load_volume(L, kk, vv, &s->volumes[s->n_volumes++]);
		} else {
			load_container(L, kk, vv);
		}
	}
}

/* Loads what it can and reports every error (L->failed). */
static void load_root(struct loader *L, const yaml_node_t *root)
{
	static const char *const keys[] = {"version",	 "defaults", "images", "volumes",
					   "containers", "tasks",    NULL};
	if (root->type != YAML_MAPPING_NODE) {
		fail_at(L, root, "found %s, expected a mapping with 'version: 1'", kind_name(root));
		return;
	}
	_cleanup_free_ bool *ok = check_mapping(L, root, "the spec", keys);
	struct ud_spec *s = L->spec;
	bool have_version = false;
	yaml_node_t *k, *v;
	FOREACH_PAIR(L, root, ok, k, v)
	{
		const char *key = key_of(k);
		if (strcmp(key, "version") == 0) {
			_cleanup_free_ char *ver = NULL;
			have_version = true;
			s->version = 1; /* a wrong one is reported here, not again */
			if (get_str(L, v, "version", &ver) == 0 && strcmp(ver, "1") != 0)
				fail_at(L, v, "version: found '%s', expected 1", ver);
		} else if (strcmp(key, "defaults") == 0) {
			load_defaults(L, v);
		} else if (strcmp(key, "tasks") == 0) {
			load_tasks(L, v);
		} else if (!is_null(v)) { /* null: an empty section */
			load_section(L, key, v);
		}
	}
	if (!have_version) {
		s->version = 1;
		fail_at(L, root, "missing key 'version' (expected 'version: 1')");
	}
}

/* Tags that only restate what a plain value is. Any other (!!binary,
 * !!python/object, !local) asks for a meaning the loader does not give:
 * refused rather than read as the plain text. */
static bool plain_tag(const char *tag)
{
	static const char *const core[] = {"str", "int", "bool", "null", "float", "map", "seq"};
	if (strcmp(tag, "!") == 0)
		return true;
	if (strncmp(tag, "tag:yaml.org,2002:", 18) != 0)
		return false;
	for (size_t i = 0; i < UD_ARRAY_SIZE(core); i++)
		if (strcmp(tag + 18, core[i]) == 0)
			return true;
	return false;
}

/* 1-based line and column (in characters, as libyaml counts them) of the
 * byte at offset in text. */
static void line_col(const char *text, size_t offset, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			++*line;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			++*col;
		}
	}
}

/* A first pass over the events: YAML syntax errors with their marks,
 * aliases refused (they would let a small file expand without bound, a
 * "billion laughs"), nesting deeper than SPEC_MAX_DEPTH refused at the
 * first event past it, before libyaml reads further. */
static int scan_events(struct loader *L, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int docs = 0, depth = 0, r = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_mark_t m = parser.problem_mark;
			/* The reader (bad UTF-8, control characters) reports a byte
			 * offset, not a mark. */
			if (parser.error == YAML_READER_ERROR) {
				line_col(text,
					 parser.problem_offset < len ? parser.problem_offset : len,
					 &m.line, &m.column);
				m.line--;
				m.column--;
			}
			r = ud_error_set(
				L->err, UD_ERR_INVALID, "%s:%zu:%zu: YAML syntax error: %s%s%s",
				L->name, m.line + 1, m.column + 1,
				parser.problem ? parser.problem : "invalid document",
				parser.context ? " " : "", parser.context ? parser.context : "");
			break;
		}
		yaml_event_type_t t = ev.type;
		yaml_mark_t m = ev.start_mark;
		const yaml_char_t *tag = t == YAML_SCALAR_EVENT ? ev.data.scalar.tag
					 : t == YAML_SEQUENCE_START_EVENT
						 ? ev.data.sequence_start.tag
					 : t == YAML_MAPPING_START_EVENT ? ev.data.mapping_start.tag
									 : NULL;
		if (tag && !plain_tag((const char *)tag)) {
			const char *tt = (const char *)tag;
			_cleanup_free_ char *shown = ud_str_escape(
				ud_str_has_prefix(tt, "tag:yaml.org,2002:") ? tt + 16 : tt, 200);
			if (ud_str_has_prefix(tt, "tag:yaml.org,2002:"))
				shown[0] = shown[1] = '!';
			r = ud_error_set(L->err, UD_ERR_INVALID,
					 "%s:%zu:%zu: YAML tag '%s' is not supported in job specs, "
					 "expected plain values",
					 L->name, m.line + 1, m.column + 1, shown);
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
		if (t == YAML_ALIAS_EVENT) {
			r = ud_error_set(
				L->err, UD_ERR_INVALID,
				"%s:%zu:%zu: YAML aliases (*name) are not supported in job specs",
				L->name, m.line + 1, m.column + 1);
			break;
		}
		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
			if (++depth > SPEC_MAX_DEPTH) {
				r = ud_error_set(
					L->err, UD_ERR_INVALID,
					"%s:%zu:%zu: collections nested more than %d levels deep, "
					"expected at most %d",
					L->name, m.line + 1, m.column + 1, SPEC_MAX_DEPTH,
					SPEC_MAX_DEPTH);
				break;
			}
		} else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			r = ud_error_set(L->err, UD_ERR_INVALID,
					 "%s:%zu:%zu: found a second YAML document, expected one",
					 L->name, m.line + 1, m.column + 1);
			break;
		}
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
	if (r == 0 && docs == 0)
		r = ud_error_set(L->err, UD_ERR_INVALID,
				 "%s: the spec is empty, expected a mapping with 'version: 1'",
				 L->name);
	return r;
}

static const char *process_getenv(const char *name, void *data)
{
	(void)data;
	return getenv(name);
}

struct ud_spec *ud_spec_load_string(const char *text, size_t len, const char *name,
				    ud_spec_getenv getenv_fn, void *getenv_data,
				    struct ud_error **err)
{
	struct loader L = {.name = name ? name : "<spec>",
			   .getenv_fn = getenv_fn ? getenv_fn : process_getenv,
			   .getenv_data = getenv_data,
			   .err = err};
	if (len > SPEC_MAX_BYTES) {
		ud_error_set(err, UD_ERR_INVALID, "%s: spec is %zu bytes, expected at most %d",
			     L.name, len, SPEC_MAX_BYTES);
		return NULL;
	}
	const char *nul = memchr(text, '\0', len);
	if (nul != NULL) {
		size_t line, col;
		line_col(text, (size_t)(nul - text), &line, &col);
		ud_error_set(err, UD_ERR_INVALID,
			     "%s:%zu:%zu: spec contains a NUL byte, expected text", L.name, line,
			     col);
		return NULL;
	}
	if (scan_events(&L, text, len) < 0)
		return NULL;
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &L.doc)) {
		ud_error_set(err, UD_ERR_INVALID, "%s:%zu:%zu: YAML error: %s", L.name,
			     parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			     parser.problem ? parser.problem : "invalid document");
		yaml_parser_delete(&parser);
		return NULL;
	}
	yaml_parser_delete(&parser);
	L.spec = ud_spec_new();
	L.spec->version = 0;
	if (name) {
		L.spec->file = xstrdup(name);
		_cleanup_free_ char *copy = xstrdup(name);
		L.spec->dir = xstrdup(dirname(copy));
	}
	yaml_node_t *root = yaml_document_get_root_node(&L.doc);
	int r = 0;
	if (root) {
		load_root(&L, root);
		r = ud_spec_validate_loaded(L.spec, L.failed, err);
		ud_spec_error_sort(err ? *err : NULL, L.name);
	} else {
		r = ud_error_set(err, UD_ERR_INVALID, "%s: the spec is empty", L.name);
	}
	yaml_document_delete(&L.doc);
	if (r < 0) {
		ud_spec_free(L.spec);
		return NULL;
	}
	return L.spec;
}

struct ud_spec *ud_spec_load_file_env(const char *path, ud_spec_getenv getenv_fn, void *getenv_data,
				      struct ud_error **err)
{
	size_t len = 0;
	bool from_stdin = strcmp(path, "-") == 0;
	_cleanup_free_ char *text =
		from_stdin ? ud_read_small_fd(STDIN_FILENO, "<stdin>", SPEC_MAX_BYTES, &len, err)
			   : ud_read_small_file(path, SPEC_MAX_BYTES, &len, err);
	if (text == NULL)
		return NULL;
	return ud_spec_load_string(text, len, from_stdin ? "<stdin>" : path, getenv_fn, getenv_data,
				   err);
}

struct ud_spec *ud_spec_load_file(const char *path, struct ud_error **err)
{
	return ud_spec_load_file_env(path, NULL, NULL, err);
}
