/* Spec + store state -> plan. */
#include "engines/engines.h"
#include "planner/planner.h"
#include "spec/spec.h"
#include "store/store.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *ud_step_state_name(enum ud_step_state s)
{
	switch (s) {
	case UD_STEP_PRESENT:
		return "present";
	case UD_STEP_TODO:
		return "to do";
	default:
		return "blocked";
	}
}

const char *ud_step_kind_name(enum ud_step_kind k)
{
	static const char *const names[] = {"pull", "create", "setup", "run"};
	return names[k];
}

bool ud_plan_blocked(const struct ud_plan *plan)
{
	for (size_t i = 0; i < plan->n_steps; i++)
		if (plan->steps[i].state == UD_STEP_BLOCKED)
			return true;
	return false;
}

void ud_plan_free(struct ud_plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t i = 0; i < plan->n_steps; i++) {
		struct ud_step *st = &plan->steps[i];
		free(st->name);
		free(st->reason);
		free(st->where);
		ud_strv_free(st->used_by);
		free(st->pull.ref_text);
		ud_ref_release(&st->pull.ref);
		free(st->pull.local_name);
		free(st->pull.local_tag);
		ud_platform_release(&st->pull.platform);
	}
	free(plan->steps);
	free(plan);
}

static enum ud_pull_policy policy_of(const char *p)
{
	if (ud_spec_pull_every(p, NULL))
		return UD_PULL_EVERY;
	if (p && strcmp(p, "always") == 0)
		return UD_PULL_ALWAYS;
	if (p && strcmp(p, "never") == 0)
		return UD_PULL_NEVER;
	return UD_PULL_MISSING; /* missing, reuse */
}

static char *where_of(const struct ud_spec_pos *pos)
{
	if (pos->file == NULL || pos->line == 0)
		return NULL;
	return xasprintf("%s:%d:%d", pos->file, pos->line, pos->col);
}

static const char *first(const char *a, const char *b, const char *c)
{
	return a ? a : b ? b : c;
}

/* Adds (or finds) the pull step for one image. */
static struct ud_step *add_pull(struct ud_plan *plan, const struct ud_spec *spec,
				const char *ref_text, const char *digest, const char *platform,
				const char *pull, const struct ud_spec_pos *pos,
				const struct ud_planner_options *opts, struct ud_error **err)
{
	_cleanup_free_ char *full = NULL;
	bool locked = false;
	if (digest == NULL && opts->lock && strchr(ref_text, '@') == NULL) {
		struct ud_platform lp = {0};
		const char *ltext = first(platform, spec->def_platform, NULL);
		if (ltext == NULL || ud_platform_parse(ltext, &lp, NULL) == 0) {
			if (ltext == NULL)
				ud_platform_host(&lp);
			_cleanup_free_ char *key = ud_platform_format(&lp);
			digest = ud_lockfile_digest(opts->lock, ref_text, key);
			locked = digest != NULL;
		}
		ud_platform_release(&lp);
	}
	if (digest && strchr(ref_text, '@') == NULL)
		full = xasprintf("%s@%s", ref_text, digest);
	else
		full = xstrdup(ref_text);
	struct ud_ref ref;
	if (ud_ref_parse_hub(full, opts->registry_url, opts->hub_url, &ref, err) < 0) {
		_cleanup_free_ char *w = where_of(pos);
		if (w)
			ud_error_prefix(err, "%s", w);
		return NULL;
	}
	if (digest && !ud_str_eq(ref.digest, digest)) {
		_cleanup_free_ char *w = where_of(pos);
		ud_error_set(err, UD_ERR_INVALID,
			     "%s%simage '%s' names digest %s but the spec pins %s", w ? w : "",
			     w ? ": " : "", ref_text, ref.digest, digest);
		ud_ref_release(&ref);
		return NULL;
	}
	struct ud_platform plat = {0};
	const char *ptext = first(platform, spec->def_platform, NULL);
	if (ptext) {
		if (ud_platform_parse(ptext, &plat, err) < 0) {
			ud_ref_release(&ref);
			return NULL;
		}
	} else {
		ud_platform_host(&plat);
	}
	for (size_t i = 0; i < plan->n_steps; i++) {
		struct ud_step *st = &plan->steps[i];
		if (strcmp(st->pull.local_name, ref.local_name) == 0 &&
		    strcmp(st->pull.local_tag, ref.local_tag) == 0 &&
		    ud_platform_match(&st->pull.platform, &plat) &&
		    ud_platform_match(&plat, &st->pull.platform)) {
			ud_ref_release(&ref);
			ud_platform_release(&plat);
			return st;
		}
	}
	ud_array_grow(plan->steps, plan->n_steps);
	struct ud_step *st = &plan->steps[plan->n_steps++];
	memset(st, 0, sizeof(*st));
	st->kind = UD_STEP_PULL;
	st->pull.ref_text = xstrdup(ref_text);
	st->pull.local_name = xstrdup(ref.local_name);
	st->pull.local_tag = xstrdup(ref.local_tag);
	st->pull.ref = ref;
	st->pull.platform = plat;
	st->pull.platform_given = ptext != NULL;
	const char *policy = first(pull, spec->def_pull, "missing");
	st->pull.policy = policy_of(policy);
	ud_spec_pull_every(policy, &st->pull.every);
	st->pull.locked = locked;
	st->name = ud_ref_local(&st->pull.ref);
	st->where = where_of(pos);
	st->used_by = xcalloc(1, sizeof(char *));
	return st;
}

/* The platform of the image stored for p when it is not the one p asks
 * for (allocated), else NULL. An image that says no platform, or no
 * variant, is taken for any. */
static char *stored_platform_mismatch(struct ud_store *store, const struct ud_pull_step *p)
{
	if (!p->platform_given)
		return NULL;
	_cleanup_error_ struct ud_error *e = NULL;
	struct ud_image *img = ud_store_image_open(store, p->local_name, p->local_tag, &e);
	if (img == NULL)
		return NULL;
	_cleanup_free_ char *text = ud_store_image_platform(img);
	ud_store_image_free(img);
	struct ud_platform have = {0};
	if (strcmp(text, "unknown/unknown") == 0 || ud_platform_parse(text, &have, NULL) < 0)
		return NULL;
	struct ud_platform want = p->platform;
	if (have.variant == NULL)
		want.variant = NULL;
	bool ok = ud_platform_match(&want, &have);
	ud_platform_release(&have);
	return ok ? NULL : steal_pointer(&text);
}

static int decide(struct ud_step *st, struct ud_store *store, const struct ud_planner_options *opts,
		  struct ud_error **err)
{
	struct ud_pull_step *p = &st->pull;
	bool exists = ud_store_tag_exists(store, p->local_name, p->local_tag);
	_cleanup_free_ char *other = exists ? stored_platform_mismatch(store, p) : NULL;
	if (other) {
		_cleanup_free_ char *want = ud_platform_format(&p->platform);
		if (p->policy == UD_PULL_NEVER || opts->offline) {
			st->state = UD_STEP_BLOCKED;
			st->reason = xasprintf(
				"the image in the store is for %s, not %s, and %s", other, want,
				opts->offline ? "this apply is offline" : "pull policy is 'never'");
		} else {
			st->state = UD_STEP_TODO;
			st->reason = xasprintf("the image in the store is for %s: pull for %s",
					       other, want);
		}
		return 0;
	}
	if (exists) {
		_cleanup_error_ struct ud_error *e = NULL;
		if (ud_store_image_blobs_state(store, p->local_name, p->local_tag, &p->n_blobs,
					       &p->n_missing, &e) < 0) {
			/* A v1 image (load/import) or an unreadable manifest. */
			p->n_blobs = p->n_missing = 0;
			struct ud_image *img =
				ud_store_image_open(store, p->local_name, p->local_tag, err);
			if (img == NULL)
				return -1;
			ud_store_image_free(img);
		}
	}
	_cleanup_free_ char *plat = ud_platform_format(&p->platform);
	if (p->policy == UD_PULL_NEVER) {
		if (exists && p->n_missing == 0) {
			st->state = UD_STEP_PRESENT;
			st->reason = xasprintf("in the store (%d blobs present)", p->n_blobs);
		} else {
			st->state = UD_STEP_BLOCKED;
			st->reason = xstrdup(
				exists ? "blobs missing from the store and pull policy is 'never'"
				       : "not in the store and pull policy is 'never'");
		}
	} else if (opts->offline) {
		if (exists && p->n_missing == 0) {
			st->state = UD_STEP_PRESENT;
			st->reason =
				xasprintf("offline: in the store (%d blobs present)%s", p->n_blobs,
					  p->locked ? ", the digest from the lock file" : "");
		} else {
			st->state = UD_STEP_BLOCKED;
			st->reason = xasprintf(
				"offline: %s; stage it first where the registry is reachable: "
				"udocker apply --stage -f %s",
				exists ? "blobs are missing from the store" : "not in the store",
				opts->spec_path ? opts->spec_path : "FILE");
		}
	} else if (p->policy == UD_PULL_ALWAYS && p->ref.digest == NULL) {
		st->state = UD_STEP_TODO;
		st->reason =
			xasprintf("pull policy 'always': resolve the tag again for %s, download "
				  "missing blobs only",
				  plat);
	} else if (p->policy == UD_PULL_EVERY && p->ref.digest == NULL &&
		   (!exists || p->n_missing > 0 ||
		    time(NULL) - ud_store_tag_resolved_at(store, p->local_name, p->local_tag) >=
			    p->every)) {
		st->state = UD_STEP_TODO;
		st->reason = xasprintf("pull policy 'every %lds': resolve the tag again for %s",
				       p->every, plat);
	} else if (!exists) {
		st->state = UD_STEP_TODO;
		st->reason = xasprintf("not in the store: pull for %s", plat);
	} else if (p->n_missing > 0) {
		st->state = UD_STEP_TODO;
		st->reason = xasprintf("%d of %d blobs missing from the store or damaged",
				       p->n_missing, p->n_blobs);
	} else {
		st->state = UD_STEP_PRESENT;
		st->reason =
			xasprintf("in the store, all %d blobs present and verified", p->n_blobs);
	}
	return 0;
}

static struct ud_step *new_step(struct ud_plan *plan, enum ud_step_kind kind,
				const struct ud_spec_container *c, size_t pull_step)
{
	ud_array_grow(plan->steps, plan->n_steps);
	struct ud_step *st = &plan->steps[plan->n_steps++];
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->name = xstrdup(c->name);
	st->where = where_of(&c->pos);
	st->container.spec = c;
	st->container.pull_step = pull_step;
	return st;
}

/* What identifies the image its tag names now (ud_store_image_digest), or NULL. */
static char *image_digest(struct ud_store *store, const struct ud_pull_step *p)
{
	_cleanup_error_ struct ud_error *e = NULL;
	struct ud_image *img = ud_store_image_open(store, p->local_name, p->local_tag, &e);
	char *d = img ? ud_store_image_digest(img) : NULL;
	ud_store_image_free(img);
	return d;
}

/* Can an earlier container of the spec make path on the host before c
 * runs? Its create: true volume makes that directory; its commands may
 * write below a writable volume. */
static bool made_earlier(const struct ud_spec *spec, const struct ud_spec_container *c,
			 const struct ud_planner_options *opts, const char *path)
{
	for (const struct ud_spec_container *e = spec->containers; !opts->no_volumes && e < c;
	     e++) {
		for (size_t i = 0; e->n_commands > 0 && i < e->n_volumes; i++) {
			const struct ud_spec_volume *v = &e->volumes[i];
			size_t n = strlen(v->host);
			if (strcmp(path, v->host) == 0 && v->create)
				return true;
			if (!v->readonly && strncmp(path, v->host, n) == 0 && path[n] == '/')
				return true;
		}
	}
	return false;
}

char *ud_planner_volume_problem(const struct ud_spec_volume *v)
{
	struct stat st;
	if (stat(v->host, &st) == 0)
		return NULL;
	int e = errno;
	if (e == ENOENT && lstat(v->host, &st) == 0)
		return xstrdup("a symbolic link to a missing path");
	if (e != ENOENT || !v->create)
		return xasprintf("%s%s", strerror(e),
				 e == ENOENT ? "; create it, or set 'create: true' on the volume"
					     : "");
	/* create: true makes every missing directory below the nearest one
	 * that exists. */
	_cleanup_free_ char *up = xstrdup(v->host);
	for (;;) {
		char *slash = strrchr(up, '/');
		if (slash == NULL)
			return NULL;
		*(slash == up ? slash + 1 : slash) = '\0';
		if (stat(up, &st) == 0)
			break;
		if (errno != ENOENT)
			return xasprintf("create: true cannot make it: '%s': %s", up,
					 strerror(errno));
		if (strcmp(up, "/") == 0)
			return NULL;
	}
	if (!S_ISDIR(st.st_mode))
		return xasprintf("create: true cannot make it: '%s' is not a directory", up);
	if (access(up, W_OK | X_OK) < 0)
		return xasprintf("create: true cannot make it in '%s': %s", up, strerror(errno));
	return NULL;
}

/* Why env file f cannot be read as the run reads it, or NULL. */
static char *env_file_problem(const char *f)
{
	struct stat st;
	if (stat(f, &st) < 0)
		return xasprintf("env file '%s': %s", f, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return xasprintf("env file '%s': not a regular file", f);
	/* Read as the run reads it: its size and every line. */
	_cleanup_error_ struct ud_error *bad = NULL;
	_cleanup_strv_ char **vars = NULL;
	if (ud_spec_read_env_file(f, NULL, NULL, &vars, &bad) < 0)
		return xstrdup(bad->msg);
	return NULL;
}

/* What on the host the run needs and lacks, as apply would find it: a
 * host volume path that does not exist (create: true makes it), an env
 * file that is missing or not a regular file; unless an earlier
 * container makes it. Every problem, "; " between them; NULL when
 * none. *at: the spec item of the first. */
static char *run_blocker(const struct ud_spec *spec, const struct ud_spec_container *c,
			 const struct ud_planner_options *opts, const struct ud_spec_pos **at)
{
	struct ud_buf b = {0};
	*at = NULL;
	for (size_t i = 0; !opts->no_volumes && i < c->n_volumes; i++) {
		const struct ud_spec_volume *v = &c->volumes[i];
		_cleanup_free_ char *why = ud_planner_volume_problem(v);
		if (why == NULL || made_earlier(spec, c, opts, v->host))
			continue;
		if (*at == NULL)
			*at = &v->pos;
		ud_buf_printf(&b, "%sinvalid host volume path: '%s' (for %s): %s",
			      b.len ? "; " : "", v->host, v->path, why);
	}
	for (size_t i = 0; c->env_file && c->env_file[i]; i++) {
		const char *f = c->env_file[i];
		_cleanup_free_ char *why = env_file_problem(f);
		if (why == NULL || (!ud_path_exists(f) && made_earlier(spec, c, opts, f)))
			continue;
		if (*at == NULL)
			*at = &c->pos;
		ud_buf_printf(&b, "%s%s", b.len ? "; " : "", why);
	}
	return b.len ? ud_buf_steal(&b) : NULL;
}

/* What the host can run, from the caller's host probe (opts->host): the
 * planner runs no probe. Memoised: the checks beyond the probe look for
 * programs, and a spec may hold thousands of containers. */
struct engine_memo {
	const struct ud_host_probe *host;
	bool picked;
	int pick;
	char *pick_why;
	struct {
		bool known, ok;
		char *why;
	} modes[UD_EXECMODE_COUNT];
};

static void engine_memo_release(struct engine_memo *m)
{
	free(m->pick_why);
	for (size_t i = 0; i < UD_EXECMODE_COUNT; i++)
		free(m->modes[i].why);
}

static bool memo_available(struct engine_memo *m, enum ud_execmode mode, char **why)
{
	if (!m->modes[mode].known) {
		m->modes[mode].ok = ud_engine_available_probed(mode, m->host, &m->modes[mode].why);
		m->modes[mode].known = true;
	}
	if (why)
		*why = m->modes[mode].why ? xstrdup(m->modes[mode].why) : NULL;
	return m->modes[mode].ok;
}

/* How the plan and its errors name a kind of container. */
static const char *kind_name(bool squash, bool ephemeral)
{
	return !squash	   ? "a directory container"
	       : ephemeral ? "an ephemeral image-backed container"
			   : "an image-backed container";
}

/* ud_engine_pick_probed; the choice for a container not made yet (no
 * container) is the same for all of them. */
static int memo_pick(struct engine_memo *m, const struct ud_container *have, char **why)
{
	if (have) {
		const struct ud_engine_container ec = {.dir = have->dir,
						       .root = have->root,
						       .image_backed =
							       have->rootfs == UD_ROOTFS_SQUASH};
		return ud_engine_pick_probed(&ec, m->host, why);
	}
	if (!m->picked) {
		m->pick = ud_engine_pick_probed(NULL, m->host, &m->pick_why);
		m->picked = true;
	}
	*why = m->pick_why ? xstrdup(m->pick_why) : NULL;
	return m->pick;
}

static void add_container_steps(struct ud_plan *plan, const struct ud_spec *spec,
				const struct ud_spec_container *c, size_t pull_step,
				struct ud_store *store, const struct ud_planner_options *opts,
				struct engine_memo *memo)
{
	/* The pull step may move when steps are added: copy what we need. */
	struct ud_pull_step *p = &plan->steps[pull_step].pull;
	enum ud_step_state pull_state = plan->steps[pull_step].state;
	_cleanup_free_ char *image = xasprintf("%s:%s", p->local_name, p->local_tag);
	_cleanup_free_ char *want_digest =
		pull_state == UD_STEP_PRESENT ? image_digest(store, p) : NULL;
	_cleanup_error_ struct ud_error *e = NULL;
	struct ud_container *have = ud_store_container_get(store, c->name, &e);

	struct ud_step *st = new_step(plan, UD_STEP_CREATE, c, pull_step);
	st->container.squash =
		strcmp(ud_spec_container_rootfs(spec, c, opts->default_rootfs), "squash") == 0;
	st->container.ephemeral = st->container.squash && c->ephemeral;
	const char *kind = kind_name(st->container.squash, st->container.ephemeral);
	bool same_kind =
		have && have->rootfs == (st->container.squash ? UD_ROOTFS_SQUASH : UD_ROOTFS_DIR) &&
		have->ephemeral == st->container.ephemeral;
	if (pull_state == UD_STEP_BLOCKED) {
		st->state = UD_STEP_BLOCKED;
		st->reason = xasprintf("its image %s cannot be pulled", image);
	} else if (have && c->fresh) {
		st->state = UD_STEP_BLOCKED;
		st->reason = xasprintf("container name already exists: %s (container %s); "
				       "run it by that name, or remove it",
				       c->name, have->id);
	} else if (have == NULL) {
		st->state = UD_STEP_TODO;
		st->reason = xasprintf("no container named %s: create it from %s%s", c->name, image,
				       st->container.squash
					       ? ", image-backed (its image file is built first "
						 "when missing)"
					       : "");
	} else if (want_digest && ud_str_eq(have->digest, want_digest) && !same_kind &&
		   !c->recreate) {
		st->state = UD_STEP_BLOCKED;
		st->reason = xasprintf("the name %s belongs to container %s, %s; this spec asks "
				       "for %s: set 'recreate: true' or remove it",
				       c->name, have->id,
				       kind_name(have->rootfs == UD_ROOTFS_SQUASH, have->ephemeral),
				       kind);
	} else if (want_digest && ud_str_eq(have->digest, want_digest) && !same_kind) {
		st->state = UD_STEP_TODO;
		st->container.replace = true;
		st->reason = xasprintf("container %s is not %s: recreate it (recreate: true)",
				       have->id, kind);
	} else if (want_digest && ud_str_eq(have->digest, want_digest)) {
		st->state = UD_STEP_PRESENT;
		st->reason = xasprintf("container %s exists, made from %s (%.19s)", have->id, image,
				       want_digest);
	} else if (c->recreate) {
		st->state = UD_STEP_TODO;
		st->container.replace = true;
		st->reason = xasprintf("container %s was made from another image: recreate it "
				       "(recreate: true)",
				       have->id);
	} else if (want_digest == NULL && pull_state == UD_STEP_TODO) {
		st->state = UD_STEP_TODO;
		st->reason = xasprintf("container %s exists; checked against %s after the pull",
				       have->id, image);
	} else {
		st->state = UD_STEP_BLOCKED;
		st->reason =
			xasprintf("the name %s belongs to container %s made from another image "
				  "(%s); set 'recreate: true' or remove it",
				  c->name, have->id, have->image ? have->image : "unknown");
	}

	/* new_step() may move the steps: keep what we need of this one. */
	enum ud_step_state create_state = st->state;
	const bool squash = st->container.squash;
	const char *mode = c->execmode ? c->execmode : spec->def_execmode;
	if (opts->default_mode && (mode == NULL || strcmp(mode, "auto") == 0))
		mode = opts->default_mode;
	struct ud_step *su = new_step(plan, UD_STEP_SETUP, c, pull_step);
	char *why = NULL;
	bool is_auto = mode == NULL || strcmp(mode, "auto") == 0;
	int named = is_auto ? -1 : ud_execmode_parse(mode);
	if (squash && (is_auto || named == UD_EXECMODE_N1)) {
		su->container.picked = is_auto;
		su->container.mode = UD_EXECMODE_N1;
		if (!memo_available(memo, UD_EXECMODE_N1, &why)) {
			su->state = UD_STEP_BLOCKED;
			su->reason = xasprintf("image-backed containers run in N1, which cannot "
					       "run here: %s",
					       why);
		} else if (is_auto) {
			su->reason = xstrdup("auto: N1, the mode of image-backed containers");
		}
	} else if (squash && named >= 0) {
		su->state = UD_STEP_BLOCKED;
		su->reason = xasprintf("image-backed containers run in N1, not %s (rootfs: dir "
				       "for a tree %s can use)",
				       mode, mode);
	} else if (is_auto) {
		int pick = memo_pick(memo, have, &why);
		su->container.picked = true;
		su->container.mode = pick < 0 ? UD_EXECMODE_N1 : (enum ud_execmode)pick;
		if (pick < 0) {
			su->state = UD_STEP_BLOCKED;
			su->reason = xasprintf("auto: no mode can run here: %s", why);
		} else if (pick == UD_EXECMODE_N1) {
			su->reason = xasprintf("auto: %s, user namespaces work on this host (the "
					       "fastest built-in mode)",
					       ud_execmode_name(UD_EXECMODE_N1));
		} else {
			char *n1_why = NULL;
			memo_available(memo, UD_EXECMODE_N1, &n1_why);
			su->reason = xasprintf("auto: %s, because %s cannot run here: %s",
					       ud_execmode_name(su->container.mode),
					       ud_execmode_name(UD_EXECMODE_N1), n1_why);
			free(n1_why);
		}
	} else if (named < 0) {
		/* The spec and the CLI validate it: never from them. */
		su->state = UD_STEP_BLOCKED;
		su->reason = xasprintf("unknown execution mode %s", mode);
	} else {
		su->container.mode = (enum ud_execmode)named;
		if (!memo_available(memo, su->container.mode, &why)) {
			su->state = UD_STEP_BLOCKED;
			su->reason = xstrdup(why);
		}
	}
	free(why);
	if (su->state != UD_STEP_BLOCKED) {
		if (have && create_state == UD_STEP_PRESENT &&
		    have->execmode == su->container.mode) {
			su->state = UD_STEP_PRESENT;
			if (su->reason == NULL)
				su->reason = xasprintf("execution mode is %s",
						       ud_execmode_name(have->execmode));
		} else {
			su->state = UD_STEP_TODO;
			if (su->reason == NULL)
				su->reason = xasprintf("set execution mode %s",
						       ud_execmode_name(su->container.mode));
		}
	}
	ud_store_container_free(have);

	if (c->n_commands > 0 && !opts->stage) {
		struct ud_step *run = new_step(plan, UD_STEP_RUN, c, pull_step);
		const struct ud_spec_pos *at = NULL;
		run->reason = run_blocker(spec, c, opts, &at);
		if (run->reason) {
			run->state = UD_STEP_BLOCKED;
			if (at && at->file && at->line > 0) {
				free(run->where);
				run->where = where_of(at);
			}
		} else {
			run->state = UD_STEP_TODO;
			run->reason = xasprintf("%zu command%s (commands always run)",
						c->n_commands, c->n_commands == 1 ? "" : "s");
		}
	}
}

/* Appends to st->used_by in constant time: one image may be used by
 * tens of thousands of containers. */
static void used_by_add(struct ud_step *st, char *what)
{
	if (st->n_used_by + 2 > st->used_by_cap) {
		st->used_by_cap = st->used_by_cap ? 2 * st->used_by_cap : 8;
		st->used_by = xrealloc(st->used_by, st->used_by_cap * sizeof(char *));
	}
	st->used_by[st->n_used_by++] = what;
	st->used_by[st->n_used_by] = NULL;
}

struct ud_plan *ud_planner_plan(const struct ud_spec *spec, struct ud_store *store,
				const struct ud_planner_options *opts, struct ud_error **err)
{
	if (opts->host == NULL && spec->n_containers > 0) {
		ud_error_set(err, UD_ERR_GENERIC, "planner: no host probe in the planner options");
		return NULL;
	}
	struct ud_plan *plan = xcalloc(1, sizeof(*plan));
	size_t *pull_of = xcalloc(spec->n_containers + 1, sizeof(size_t));
	for (size_t i = 0; i < spec->n_images; i++) {
		const struct ud_spec_image *img = &spec->images[i];
		struct ud_step *st = add_pull(plan, spec, img->ref, img->digest, img->platform,
					      img->pull, &img->pos, opts, err);
		if (st == NULL)
			goto fail;
		if (img->alias)
			used_by_add(st, xasprintf("image %s", img->alias));
	}
	for (size_t i = 0; i < spec->n_containers; i++) {
		const struct ud_spec_container *c = &spec->containers[i];
		const struct ud_spec_image *img = ud_spec_find_image(spec, c->image);
		struct ud_step *st;
		if (img)
			st = add_pull(plan, spec, img->ref, img->digest,
				      first(img->platform, c->platform, NULL),
				      first(img->pull, c->pull, NULL), &img->pos, opts, err);
		else
			st = add_pull(plan, spec, c->image, NULL, c->platform, c->pull, &c->pos,
				      opts, err);
		if (st == NULL)
			goto fail;
		used_by_add(st, xasprintf("container %s", c->name));
		pull_of[i] = (size_t)(st - plan->steps);
	}
	for (size_t i = 0; i < plan->n_steps; i++)
		if (decide(&plan->steps[i], store, opts, err) < 0)
			goto fail;
	{
		struct engine_memo memo = {.host = opts->host};
		for (size_t i = 0; i < spec->n_containers; i++)
			add_container_steps(plan, spec, &spec->containers[i], pull_of[i], store,
					    opts, &memo);
		engine_memo_release(&memo);
	}
	free(pull_of);
	return plan;
fail:
	free(pull_of);
	ud_plan_free(plan);
	return NULL;
}
