/* Container steps: create, setup, run. The run request is assembled here
 * from the image's metadata and the spec; the engine only executes it. */
#include "engines/engines.h"
#include "executor/executor_private.h"
#include "spec/spec.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

/* The image file being built for a create step: its events. */
struct build_ctx {
	const struct ud_exec_ctx *x;
	const struct ud_step *st;
	const char *image;
	bool begun;
	int64_t total;
};

static void build_event(const struct build_ctx *b, enum ud_event ev, int64_t done)
{
	const struct ud_executor_options *o = b->x->opts;
	struct ud_event_info info = {b->st, b->image, done, b->total};
	if (o->on_event)
		o->on_event(ev, &info, o->data);
}

/* Called by the builder only when it builds (never for a file present). */
static void on_build(int64_t done, int64_t total, void *data)
{
	struct build_ctx *b = data;
	b->total = total;
	if (!b->begun)
		build_event(b, UD_EV_BUILD_BEGIN, 0);
	b->begun = true;
	build_event(b, UD_EV_PROGRESS, done);
}

int ud_exec_create(struct ud_exec_ctx *x, const struct ud_plan *plan, const struct ud_step *st,
		   struct ud_exec_stats *stats, struct ud_error **err)
{
	const struct ud_pull_step *p = &plan->steps[st->container.pull_step].pull;
	const struct ud_spec_container *sc = st->container.spec;
	struct ud_image *img = ud_store_image_open(x->store, p->local_name, p->local_tag, err);
	if (img == NULL)
		return -1;
	_cleanup_free_ char *digest = ud_store_image_digest(img);
	ud_store_image_free(img);
	/* Jobs applying the same spec at once: one creates, the others reuse. */
	_cleanup_lock_ struct ud_lock lock = {.fd = -1};
	if (ud_store_container_lock(x->store, sc->name, &lock, err) < 0)
		return -1;
	struct ud_container *old = ud_store_container_get(x->store, sc->name, NULL);
	if (old && sc->fresh) {
		/* run/create IMAGE: a container made meanwhile under this name is
		 * someone else's, never reused (run --rm would remove it). */
		ud_error_set(err, UD_ERR_EXISTS, "container name already exists: %s (container %s)",
			     sc->name, old->id);
		ud_store_container_free(old);
		return -1;
	}
	const bool squash = st->container.squash, ephemeral = st->container.ephemeral;
	if (old) {
		bool same_kind = old->rootfs == (squash ? UD_ROOTFS_SQUASH : UD_ROOTFS_DIR) &&
				 old->ephemeral == ephemeral;
		bool same = digest && ud_str_eq(old->digest, digest);
		int r = 0;
		if (same && same_kind) {
			ud_store_container_free(old);
			return 0; /* made meanwhile, or known only now the image is pulled */
		}
		if (!sc->recreate && !same)
			r = ud_error_set(err, UD_ERR_EXISTS,
					 "the name %s belongs to container %s made from another "
					 "image; set 'recreate: true' or remove it",
					 sc->name, old->id);
		else if (!sc->recreate)
			r = ud_error_set(err, UD_ERR_EXISTS,
					 "the name %s belongs to container %s, %s; set 'recreate: "
					 "true' or remove it",
					 sc->name, old->id,
					 old->rootfs != UD_ROOTFS_SQUASH ? "a directory container"
					 : old->ephemeral ? "an ephemeral image-backed container"
							  : "an image-backed container");
		else if ((r = ud_store_container_rmname(x->store, sc->name, err)) == 0)
			r = ud_store_container_remove(x->store, old->id, err);
		ud_store_container_free(old);
		if (r < 0)
			return -1;
	}
	struct ud_extract_stats es = {0};
	_cleanup_free_ char *image = xasprintf("%s:%s", p->local_name, p->local_tag);
	struct build_ctx bc = {.x = x, .st = st, .image = image};
	const struct ud_create_options co = {
		.squash = squash, .ephemeral = ephemeral, .progress = on_build, .data = &bc};
	int64_t t0 = ud_now_ms();
	_cleanup_free_ char *id =
		ud_store_container_create(x->store, p->local_name, p->local_tag, &co, &es, err);
	if (bc.begun) {
		build_event(&bc, UD_EV_BUILD_DONE, bc.total);
		if (id)
			ud_log(UD_LOG_INFO, "built the image file of %s in %.1f s", image,
			       (double)(ud_now_ms() - t0) / 1000.0);
	}
	if (id == NULL)
		return -1;
	if (es.skipped > 0)
		ud_log(UD_LOG_WARN,
		       "container %s: %ld layer entries skipped (devices, paths leaving the root, "
		       "links to missing files)",
		       id, es.skipped);
	if (ud_store_container_name(x->store, id, sc->name, err) < 0) {
		ud_store_container_remove(x->store, id, NULL);
		return -1;
	}
	if (stats)
		snprintf(stats->created_id, sizeof(stats->created_id), "%s", id);
	ud_log(UD_LOG_INFO, "created container %s (%s)", id, sc->name);
	return 0;
}

/* The container c as the engines get it. */
static struct ud_engine_container engine_container(const struct ud_container *c)
{
	return (struct ud_engine_container){
		.dir = c->dir, .root = c->root, .image_backed = c->rootfs == UD_ROOTFS_SQUASH};
}

/* The mode named `mode` in any case, or auto (-1 in *m); -1 with *err
 * for a name that is neither. */
static int parse_mode(const char *mode, int *m, struct ud_error **err)
{
	_cleanup_free_ char *up = xstrdup(mode);
	for (char *p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	bool is_auto = strcmp(up, "AUTO") == 0;
	*m = is_auto ? -1 : ud_execmode_parse(up);
	if (is_auto || *m >= 0)
		return 0;
	struct ud_buf names = {0};
	for (int k = 0; k < UD_EXECMODE_COUNT; k++)
		ud_buf_printf(&names, "%s%s", k ? ", " : "", ud_execmode_name(k));
	_cleanup_free_ char *list = ud_buf_steal(&names);
	return ud_error_set(err, UD_ERR_UNSUPPORTED,
			    "container setup failed: execution mode %s is not built in this "
			    "version (available: %s, auto)",
			    mode, list);
}

/* ud_executor_setup with the mode parsed: m, or auto when m < 0. */
static int setup_mode(struct ud_store *store, const char *id_or_name, int m,
		      enum ud_execmode *chosen, struct ud_error **err)
{
	struct ud_container *c = ud_store_container_get(store, id_or_name, err);
	if (c == NULL)
		return -1;
	const bool automatic = m < 0;
	const struct ud_engine_container ec = engine_container(c);
	char *why = NULL;
	int r = 0;
	if (c->rootfs == UD_ROOTFS_SQUASH && m >= 0 && m != UD_EXECMODE_N1) {
		/* The P, F, R and S modes work on a tree the host can reach. */
		r = ud_error_set(err, UD_ERR_UNSUPPORTED,
				 "container setup failed: container %s is image-backed and runs in "
				 "N1 only (%s works on a tree on the host: make a directory "
				 "container, udocker create %s)",
				 c->id, ud_execmode_name((enum ud_execmode)m),
				 c->image ? c->image : "IMAGE");
	} else if (c->rootfs == UD_ROOTFS_SQUASH) {
		m = UD_EXECMODE_N1;
		if (!ud_engine_available(UD_EXECMODE_N1, &why))
			r = ud_error_set(err, UD_ERR_UNSUPPORTED,
					 "container setup failed: container %s is image-backed and "
					 "runs in N1 only: %s",
					 c->id, why);
	} else if (m < 0) {
		/* The container exists: its kind of libc is known. */
		m = ud_engine_pick(&ec, &why);
		if (m < 0)
			r = ud_error_set(err, UD_ERR_UNSUPPORTED,
					 "container setup failed: auto: no mode can run here: %s",
					 why);
	} else if (!ud_engine_available((enum ud_execmode)m, &why)) {
		r = ud_error_set(err, UD_ERR_UNSUPPORTED, "container setup failed: %s", why);
	}
	free(why);
	_cleanup_lock_ struct ud_lock lock = {.fd = -1};
	if (r == 0 && c->protected)
		r = ud_error_set(err, UD_ERR_PROTECTED, "container is protected: %s", c->id);
	else if (r == 0 && (ud_engine_setup_lock(&ec, &lock, err) < 0 ||
			    ud_engine_setup(&ec, c->execmode, (enum ud_execmode)m, err) < 0 ||
			    ud_store_container_set_execmode(store, c->id, (enum ud_execmode)m,
							    automatic, err) < 0))
		r = -1;
	if (r == 0 && chosen)
		*chosen = (enum ud_execmode)m;
	ud_store_container_free(c);
	return r;
}

int ud_executor_setup(struct ud_store *store, const char *id_or_name, const char *mode,
		      enum ud_execmode *chosen, struct ud_error **err)
{
	int m;
	if (parse_mode(mode, &m, err) < 0)
		return -1;
	return setup_mode(store, id_or_name, m, chosen, err);
}

int ud_exec_setup(struct ud_exec_ctx *x, const struct ud_step *st, struct ud_error **err)
{
	/* auto: picked again for the container, which exists now. */
	enum ud_execmode mode;
	if (setup_mode(x->store, st->container.spec->name,
		       st->container.picked ? -1 : (int)st->container.mode, &mode, err) < 0)
		return -1;
	if (mode != st->container.mode)
		ud_log(UD_LOG_INFO, "container %s: auto picks %s for this container",
		       st->container.spec->name, ud_execmode_name(mode));
	return 0;
}

extern char **environ;

/* Larger passwd and group files are refused (and ignored). */
#define UD_ACCOUNT_FILE_MAX_BYTES (16u << 20)

/* ------------------------------------------------------- the run request */

/* The container's /etc/passwd and /etc/group resolved in its tree (ROOT,
 * or an image-backed container's upper directory over its image file), as
 * the container sees it, read once per run request when first needed: an
 * image's link to a host file or a FIFO is never read; a missing or
 * refused one is NULL (a warning says why). */
struct accounts {
	const struct ud_container *c;
	bool loaded;
	char *text[2]; /* passwd, group */
};

static void accounts_release(struct accounts *a)
{
	free(a->text[0]);
	free(a->text[1]);
}

static const char *account_file(struct accounts *a, const char *file)
{
	static const char *const paths[2] = {"/etc/passwd", "/etc/group"};
	if (!a->loaded) {
		struct ud_error *e[2] = {NULL, NULL};
		ud_store_container_read_files(a->c, paths, 2, UD_ACCOUNT_FILE_MAX_BYTES, a->text,
					      NULL, e);
		for (int k = 0; k < 2; k++) {
			if (e[k] && e[k]->code != UD_ERR_NOT_FOUND)
				ud_log(UD_LOG_WARN, "ignoring the container's %s: %s", paths[k],
				       e[k]->msg);
			ud_error_free(e[k]);
		}
		a->loaded = true;
	}
	return a->text[strcmp(file, "passwd") == 0 ? 0 : 1];
}

/* Looks a user (or group) up in the container's passwd (group) file:
 * name -> id fields. Returns true when found. */
static bool lookup(struct accounts *a, const char *file, const char *name, unsigned *id,
		   unsigned *gid, char **home)
{
	const char *t = account_file(a, file);
	if (t == NULL)
		return false;
	_cleanup_free_ char *text = xstrdup(t);
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7] = {0};
		int n = 0;
		for (char *p = line; n < 7; n++) {
			f[n] = p;
			char *colon = strchr(p, ':');
			if (colon == NULL) {
				n++;
				break;
			}
			*colon = '\0';
			p = colon + 1;
		}
		if (n < 3 || (strcmp(f[0], name) != 0 && strcmp(f[2], name) != 0))
			continue;
		*id = (unsigned)strtoul(f[2], NULL, 10);
		if (gid && n >= 4)
			*gid = (unsigned)strtoul(f[3], NULL, 10);
		if (home && n >= 6)
			*home = xstrdup(f[5]);
		return true;
	}
	return false;
}

static bool all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* USER[:GROUP] with names or ids, "root", or empty for the host user. */
static int resolve_user(struct accounts *c, const char *spec, uid_t *uid, gid_t *gid, char **home,
			struct ud_error **err)
{
	*uid = getuid();
	*gid = getgid();
	if (spec == NULL || *spec == '\0') {
		/* The host user: its home is its entry's, when the container has one. */
		_cleanup_free_ char *me = xasprintf("%u", (unsigned)*uid);
		unsigned dummy;
		lookup(c, "passwd", me, &dummy, NULL, home);
		return 0;
	}
	_cleanup_free_ char *u = xstrdup(spec);
	char *g = strchr(u, ':');
	if (g)
		*g++ = '\0';
	unsigned id = 0, gid_from_passwd = 0;
	bool have_gid = false;
	if (lookup(c, "passwd", u, &id, &gid_from_passwd, home)) {
		have_gid = true;
	} else if (all_digits(u)) {
		id = (unsigned)strtoul(u, NULL, 10);
	} else {
		return ud_error_set(err, UD_ERR_USAGE,
				    "invalid user: %s: not in the container's "
				    "/etc/passwd and not a number",
				    u);
	}
	*uid = id;
	*gid = have_gid ? gid_from_passwd : id;
	if (g && *g) {
		unsigned gg;
		if (lookup(c, "group", g, &gg, NULL, NULL))
			*gid = gg;
		else if (all_digits(g))
			*gid = (gid_t)strtoul(g, NULL, 10);
		else
			return ud_error_set(err, UD_ERR_USAGE, "invalid group: %s", g);
	}
	return 0;
}

static void env_set(char ***env, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	for (size_t i = 0; (*env)[i]; i++) {
		if (strncmp((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=') {
			free((*env)[i]);
			(*env)[i] = xstrdup(kv);
			return;
		}
	}
	ud_strv_push(env, xstrdup(kv));
}

static bool env_has(char **env, const char *key)
{
	size_t k = strlen(key);
	for (size_t i = 0; env[i]; i++)
		if (strncmp(env[i], key, k) == 0 && env[i][k] == '=')
			return true;
	return false;
}

static int read_env_file(const char *path, char ***env, struct ud_error **err)
{
	_cleanup_strv_ char **vars = NULL;
	if (ud_spec_read_env_file(path, NULL, NULL, &vars, err) < 0)
		return -1;
	for (size_t i = 0; vars[i]; i++)
		env_set(env, vars[i]);
	return 0;
}

void ud_run_request_release(struct ud_run_request *r)
{
	ud_strv_free(r->argv);
	ud_strv_free(r->env);
	free((char *)r->workdir);
	for (size_t i = 0; i < r->n_binds; i++) {
		free(r->binds[i].host);
		free(r->binds[i].path);
	}
	free(r->binds);
	free((char *)r->root);
	free((char *)r->dir);
	free((char *)r->image_file);
	free((char *)r->upper);
	free((char *)r->work);
	if (r->tmpdir)
		ud_rmtree(r->tmpdir, NULL);
	free(r->tmpdir);
	free(r->mountpoints);
	memset(r, 0, sizeof(*r));
}

static void add_bind(struct ud_run_request *r, const char *host, const char *path, bool ro)
{
	r->binds = xrealloc(r->binds, (r->n_binds + 1) * sizeof(*r->binds));
	r->binds[r->n_binds++] = (struct ud_bind){xstrdup(host), xstrdup(path), ro};
}

/* Accounts and udocker's environment additions (reference §5.1.1, §5.1). */
static int add_accounts_and_env(const struct ud_container *c, struct accounts *acc,
				const struct ud_spec_container *sc, const struct ud_run_options *o,
				const char *home, struct ud_run_request *r, struct ud_error **err)
{
	/* Accounts (reference §5.1.1): the host's with hostauth; otherwise the
	 * container's, with an entry added for a user it does not know, so
	 * whoami, ls -l and shells work; containerauth leaves them alone. */
	unsigned dummy;
	_cleanup_free_ char *uidtext = xasprintf("%u", (unsigned)r->uid);
	if (sc->hostauth) {
		add_bind(r, "/etc/passwd", "/etc/passwd", true);
		add_bind(r, "/etc/group", "/etc/group", true);
	} else if (!(o && o->containerauth) && r->uid != 0 &&
		   !lookup(acc, "passwd", uidtext, &dummy, NULL, NULL)) {
		const char *t = o && o->tmpdir ? o->tmpdir : getenv("TMPDIR");
		r->tmpdir = ud_mkdtemp(t && *t ? t : "/tmp", "auth", err);
		if (r->tmpdir == NULL)
			return -1;
		const char *names[2] = {"passwd", "group"};
		for (int k = 0; k < 2; k++) {
			_cleanup_free_ char *dst = ud_path_join(r->tmpdir, names[k]);
			const char *text = account_file(acc, names[k]);
			_cleanup_free_ char *line =
				k == 0 ? xasprintf("udoc%.4u:x:%u:%u:*UDOCKER*:%s:/bin/sh\n",
						   (unsigned)r->uid, (unsigned)r->uid,
						   (unsigned)r->gid, home ? home : "/")
				       : xasprintf("udoc%.4u:x:%u:\n", (unsigned)r->gid,
						   (unsigned)r->gid);
			struct ud_buf b = {0};
			ud_buf_puts(&b, text ? text : "");
			if (b.len && b.data[b.len - 1] != '\n')
				ud_buf_puts(&b, "\n");
			ud_buf_puts(&b, line);
			_cleanup_free_ char *all = ud_buf_steal(&b);
			if (ud_write_file_atomic(dst, all, strlen(all), 0644, err) < 0)
				return -1;
			_cleanup_free_ char *target = xasprintf("/etc/%s", names[k]);
			add_bind(r, dst, target, true);
		}
	}
	/* What udocker adds to every container's environment. */
	_cleanup_free_ char *uname = NULL;
	if (r->uid == 0)
		uname = xstrdup("root");
	else if (sc->user && !all_digits(sc->user) && strchr(sc->user, ':') == NULL)
		uname = xstrdup(sc->user);
	else
		uname = xasprintf("udoc%.4u", (unsigned)r->uid);
	const char *vars[] = {"USER", "LOGNAME", "USERNAME"};
	for (size_t k = 0; k < UD_ARRAY_SIZE(vars); k++) {
		_cleanup_free_ char *kv = xasprintf("%s=%s", vars[k], uname);
		if (!env_has(r->env, vars[k]))
			env_set(&r->env, kv);
	}
	_cleanup_free_ char *e1 = xasprintf("container_uuid=%s", c->id);
	_cleanup_free_ char *e2 = xasprintf("container_root=%s", c->root);
	_cleanup_free_ char *e3 = xasprintf("container_execmode=%s", ud_execmode_name(c->execmode));
	struct ud_buf nb = {0};
	ud_buf_puts(&nb, "container_names=");
	for (size_t k = 0; c->names && c->names[k]; k++)
		ud_buf_printf(&nb, "%s%s", k ? "," : "", c->names[k]);
	_cleanup_free_ char *e4 = ud_buf_steal(&nb);
	const char *ruser = getenv("USER");
	_cleanup_free_ char *e5 = xasprintf("container_ruser=%s", ruser ? ruser : "");
	const char *extra[] = {e1, e2, e3, e4, e5};
	for (size_t k = 0; k < UD_ARRAY_SIZE(extra); k++)
		env_set(&r->env, extra[k]);
	return 0;
}

int ud_exec_build_request(const struct ud_container *c, const struct ud_spec_container *sc,
			  char *const *command, const struct ud_run_options *o,
			  struct ud_run_request *r, struct ud_error **err)
{
	memset(r, 0, sizeof(*r));
	r->root = xstrdup(c->root);
	r->dir = xstrdup(c->dir);
	if (c->rootfs == UD_ROOTFS_SQUASH) {
		if (c->image_file == NULL) {
			ud_error_set(err, UD_ERR_INVALID,
				     "container %s is image-backed but has no image digest "
				     "(image.digest) naming its image file",
				     c->id);
			ud_run_request_release(r);
			return -1;
		}
		r->image_file = xstrdup(c->image_file);
		r->upper = c->upper ? xstrdup(c->upper) : NULL;
		r->work = c->work ? xstrdup(c->work) : NULL;
	} else if (c->rootfs != UD_ROOTFS_DIR) {
		ud_error_set(err, UD_ERR_INVALID,
			     "container %s: its rootfs file names no kind of root this version "
			     "knows",
			     c->id);
		ud_run_request_release(r);
		return -1;
	}
	r->mountpoints = ud_path_join(c->dir, ".mountpoints");
	struct ud_image_config cfg = {0};
	_cleanup_free_ char *cpath = ud_path_join(c->dir, "container.json");
	_cleanup_free_ char *ctext = ud_read_file(cpath, NULL, NULL);
	if (ctext && !(o && o->nometa))
		ud_image_config_parse(ctext, strlen(ctext), &cfg, NULL);
	_cleanup_free_ char *home = NULL;
	struct accounts acc = {.c = c};
	const char *user = sc->user ? sc->user : cfg.user;
	const char *term = getenv("TERM"), *wd;
	const char *pmix_dir = getenv("PMIX_SERVER_TMPDIR");
	char *const *cmd;
	if (resolve_user(&acc, user, &r->uid, &r->gid, &home, err) < 0)
		goto fail;
	/* HOME as udocker sets it: the host's with --bindhome, else the
	 * user's entry in the container's passwd, /root for root. */
	if (o && o->bindhome && getenv("HOME") && *getenv("HOME")) {
		free(home);
		home = xstrdup(getenv("HOME"));
	}
	if (home && *home == '\0') {
		free(home);
		home = NULL;
	}
	r->env = xcalloc(1, sizeof(char *));
	if (o && o->hostenv)
		for (char **e = o->host_environ; e && *e; e++)
			env_set(&r->env, *e);
	/* One rank of `srun --mpi=pmix`: the MPI library in the container
	 * reaches Slurm's PMIx server with these (and the directory bound
	 * below). */
	for (char **e = environ; pmix_dir && *e; e++)
		if (ud_str_has_prefix(*e, "PMIX_") || ud_str_has_prefix(*e, "SLURM_"))
			env_set(&r->env, *e);
	for (size_t i = 0; cfg.env && cfg.env[i]; i++)
		env_set(&r->env, cfg.env[i]);
	for (size_t i = 0; sc->env_file && sc->env_file[i]; i++)
		if (read_env_file(sc->env_file[i], &r->env, err) < 0)
			goto fail;
	for (size_t i = 0; i < sc->n_env; i++) {
		_cleanup_free_ char *kv = xasprintf("%s=%s", sc->env[i].key, sc->env[i].value);
		env_set(&r->env, kv);
	}
	if (!env_has(r->env, "PATH"))
		env_set(&r->env, r->uid == 0 ? "PATH=/usr/sbin:/sbin:/usr/bin:/bin"
					     : "PATH=/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin");
	if (!env_has(r->env, "HOME")) {
		_cleanup_free_ char *h = xasprintf("HOME=%s", home	    ? home
							      : r->uid == 0 ? "/root"
									    : "/");
		env_set(&r->env, h);
	}
	if (term && !env_has(r->env, "TERM")) {
		_cleanup_free_ char *t = xasprintf("TERM=%s", term);
		env_set(&r->env, t);
	}
	wd = sc->workdir ? sc->workdir : cfg.workdir && *cfg.workdir ? cfg.workdir : "/";
	r->workdir = xstrdup(wd);
	/* argv: entrypoint (image's, cleared or replaced) + command (given, or the image's Cmd). */
	r->argv = xcalloc(1, sizeof(char *));
	if (sc->entrypoint_mode == UD_ENTRYPOINT_SET)
		for (size_t i = 0; sc->entrypoint[i]; i++)
			ud_strv_push(&r->argv, xstrdup(sc->entrypoint[i]));
	else if (sc->entrypoint_mode == UD_ENTRYPOINT_IMAGE)
		for (size_t i = 0; cfg.entrypoint && cfg.entrypoint[i]; i++)
			ud_strv_push(&r->argv, xstrdup(cfg.entrypoint[i]));
	/* --entrypoint (set or cleared) drops the image's Cmd, as Docker and
	 * udocker do: only the given arguments follow it. */
	cmd = command && command[0]			   ? command
	      : sc->entrypoint_mode == UD_ENTRYPOINT_IMAGE ? cfg.cmd
							   : NULL;
	for (size_t i = 0; cmd && cmd[i]; i++)
		ud_strv_push(&r->argv, xstrdup(cmd[i]));
	if (r->argv[0] == NULL) {
		ud_strv_push(&r->argv, xstrdup("/bin/sh"));
	}
	/* System files and directories, then volumes. */
	if (!(o && o->nosysdirs)) {
		static const char *const sys[] = {"/dev", "/proc", "/sys", "/etc/resolv.conf",
						  "/etc/hosts"};
		for (size_t i = 0; i < UD_ARRAY_SIZE(sys); i++)
			if (ud_path_exists(sys[i]))
				add_bind(r, sys[i], sys[i], false);
	}
	if (o && o->dri) {
		static const char *const dri[] = {"/usr/lib64/dri", "/lib64/dri", "/usr/lib/dri",
						  "/lib/dri"};
		for (size_t i = 0; i < UD_ARRAY_SIZE(dri); i++)
			if (ud_is_dir(dri[i]))
				add_bind(r, dri[i], dri[i], false);
	}
	if (pmix_dir && ud_is_dir(pmix_dir)) {
		_cleanup_free_ char *dir = xstrdup(pmix_dir);
		size_t n = strlen(dir);
		while (n > 1 && dir[n - 1] == '/')
			dir[--n] = '\0';
		add_bind(r, dir, dir, false);
	}
	if (o && o->bindhome) {
		const char *h = getenv("HOME");
		if (h && *h)
			add_bind(r, h, h, false);
	}
	for (size_t i = 0; !(o && o->novol) && i < sc->n_volumes; i++) {
		const struct ud_spec_volume *v = &sc->volumes[i];
		/* The check plan made: what it finds, plan reported. */
		_cleanup_free_ char *why = ud_planner_volume_problem(v);
		if (why) {
			ud_error_set(err, UD_ERR_USAGE,
				     "invalid host volume path: '%s' (for %s): %s", v->host,
				     v->path, why);
			goto fail;
		}
		if (v->create && !ud_path_exists(v->host) && ud_mkdir_p(v->host, 0755, err) < 0)
			goto fail;
		add_bind(r, v->host, v->path, v->readonly);
	}
	if (add_accounts_and_env(c, &acc, sc, o, home, r, err) < 0)
		goto fail;
	r->hostname = sc->hostname;
	r->kernel = o ? o->kernel : NULL;
	r->ports = o ? o->ports : NULL;
	r->n_ports = o ? o->n_ports : 0;
	ud_image_config_release(&cfg);
	accounts_release(&acc);
	return 0;
fail:
	ud_image_config_release(&cfg);
	accounts_release(&acc);
	ud_run_request_release(r);
	return -1;
}

/* An image-backed container whose image file is gone (removed by hand, or
 * as damaged) gets it built again while its image, of the same digest, is
 * still in the store; else the run says the file is missing. */
static void ensure_image_file(struct ud_store *store, const struct ud_container *c)
{
	if (c->rootfs != UD_ROOTFS_SQUASH || c->image_file == NULL || c->image == NULL ||
	    access(c->image_file, F_OK) == 0)
		return;
	const char *colon = strrchr(c->image, ':');
	if (colon == NULL || strchr(colon, '/'))
		return;
	_cleanup_free_ char *name = xstrndup(c->image, (size_t)(colon - c->image));
	struct ud_image *img = ud_store_image_open(store, name, colon + 1, NULL);
	_cleanup_free_ char *digest = img ? ud_store_image_digest(img) : NULL;
	ud_store_image_free(img);
	if (!ud_str_eq(digest, c->digest))
		return;
	ud_log(UD_LOG_WARN, "container %s: its image file is missing: building it again from %s",
	       c->id, c->image);
	_cleanup_free_ char *path = NULL;
	_cleanup_error_ struct ud_error *e = NULL;
	if (ud_store_squash_build(store, name, colon + 1, NULL, NULL, &path, &e) < 0)
		ud_log(UD_LOG_WARN, "%s", e->msg);
}

int ud_exec_run(struct ud_exec_ctx *x, const struct ud_step *st, struct ud_exec_stats *stats,
		struct ud_error **err)
{
	int *job_status = &stats->job_status;
	const struct ud_spec_container *sc = st->container.spec;
	struct ud_container *c = ud_store_container_get(x->store, sc->name, err);
	if (c == NULL)
		return -1;
	ensure_image_file(x->store, c);
	int r = 0;
	*job_status = 0;
	for (size_t i = 0; r == 0 && i < sc->n_commands; i++) {
		const struct ud_spec_command *cmd = &sc->commands[i];
		char *shell[] = {(char *)"/bin/sh", (char *)"-c", cmd->shell, NULL};
		char *const *argv = cmd->image_default ? NULL : cmd->argv ? cmd->argv : shell;
		struct ud_run_request req;
		if (ud_exec_build_request(c, sc, argv, x->opts->run, &req, err) < 0) {
			r = -1;
			break;
		}
		int status = 0;
		r = ud_engine_run(c->execmode, &req, &status, err);
		ud_run_request_release(&req);
		if (r == 0 && status != 0) {
			*job_status = status;
			snprintf(stats->failed_command, sizeof(stats->failed_command),
				 "container %s: command %zu", sc->name, i + 1);
			break;
		}
	}
	ud_store_container_free(c);
	return r;
}

int ud_executor_run_container(struct ud_store *store, const char *name,
			      const struct ud_spec_container *sc, char *const *command,
			      const struct ud_run_options *o, int *status, struct ud_error **err)
{
	struct ud_container *c = ud_store_container_get(store, name, err);
	if (c == NULL)
		return -1;
	ensure_image_file(store, c);
	struct ud_run_request req;
	int r = ud_exec_build_request(c, sc, command, o, &req, err);
	if (r == 0) {
		r = ud_engine_run(c->execmode, &req, status, err);
		ud_run_request_release(&req);
	}
	ud_store_container_free(c);
	return r;
}

int ud_executor_run_location(const char *dir, const struct ud_spec_container *sc,
			     char *const *command, const struct ud_run_options *o, int *status,
			     struct ud_error **err)
{
	if (!ud_is_dir(dir))
		return ud_error_set(err, UD_ERR_USAGE, "invalid location: %s is not a directory",
				    dir);
	/* A root directory outside the repository: no metadata, no names. */
	char *names[] = {NULL};
	struct ud_container c = {.id = (char *)"location",
				 .dir = (char *)dir,
				 .root = (char *)dir,
				 .names = names,
				 .execmode = UD_EXECMODE_N1};
	struct ud_run_options nometa = o ? *o : (struct ud_run_options){0};
	nometa.nometa = true;
	struct ud_run_request req;
	if (ud_exec_build_request(&c, sc, command, &nometa, &req, err) < 0)
		return -1;
	int r = ud_engine_run(c.execmode, &req, status, err);
	ud_run_request_release(&req);
	return r;
}

/* ------------------------------------------- names and removal (the CLI) */

int ud_executor_add_name(struct ud_store *store, const char *id_or_name, const char *name,
			 struct ud_error **err)
{
	struct ud_container *c = ud_store_container_get(store, id_or_name, err);
	if (c == NULL)
		return -1;
	int r = ud_strv_contains(c->names, name) ? 0
						 : ud_store_container_name(store, c->id, name, err);
	ud_store_container_free(c);
	return r;
}

int ud_executor_rename(struct ud_store *store, const char *tmp, const char *name, char **id,
		       struct ud_error **err)
{
	*id = NULL;
	struct ud_container *c = ud_store_container_get(store, tmp, err);
	if (c == NULL)
		return -1;
	*id = xstrdup(c->id);
	ud_store_container_free(c);
	int r = name ? ud_store_container_name(store, *id, name, err) : 0;
	ud_store_container_rmname(store, tmp, NULL);
	return r;
}

static int export_visit(const char *root, void *data)
{
	struct ud_error *err = NULL;
	if (ud_store_tar_tree(root, *(int *)data, &err) == 0)
		return 0;
	ud_log(UD_LOG_ERROR, "%s", err->msg);
	ud_error_free(err);
	return 1;
}

int ud_executor_export(struct ud_store *store, const char *id, bool whole, int fd,
		       struct ud_error **err)
{
	struct ud_container *c = ud_store_container_get(store, id, err);
	if (c == NULL)
		return -1;
	int r;
	if (c->rootfs != UD_ROOTFS_SQUASH) {
		r = ud_store_container_export(store, c->id, whole, fd, err);
	} else if (whole) {
		r = ud_error_set(err, UD_ERR_UNSUPPORTED,
				 "export --clone of image-backed container %s: its directory holds "
				 "no tree (udocker clone copies it; export without --clone writes "
				 "its files)",
				 c->id);
	} else if (c->image_file == NULL) {
		r = ud_error_set(err, UD_ERR_INVALID,
				 "container %s is image-backed but names no image file", c->id);
	} else {
		/* Files owned by the container's root: the user, as in a run. */
		const struct ud_run_request req = {.root = c->root,
						   .dir = c->dir,
						   .image_file = c->image_file,
						   .upper = c->upper,
						   .work = c->work};
		r = ud_engine_n1_visit(&req, export_visit, &fd, err);
	}
	ud_store_container_free(c);
	return r;
}

int ud_executor_remove(struct ud_store *store, const char *id, struct ud_error **err)
{
	return ud_store_container_remove(store, id, err);
}
