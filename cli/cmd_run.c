#include "cli/jobs.h"
#include "executor/executor.h"
#include "store/store.h"

#include <sched.h>
#include <string.h>

extern char **environ;

static const char help[] =
	"Usage: udocker run [options] CONTAINER|IMAGE [COMMAND [ARG...]]\n"
	"\n"
	"Runs COMMAND (default: the image's entrypoint and command) in an existing\n"
	"container, or pulls IMAGE when needed, creates a container from it and runs\n"
	"it there (like docker). stdin, stdout and stderr pass through; the\n"
	"command's exit status is udocker's (128+N when killed by signal N; 2 when\n"
	"it could not be prepared).\n"
	"\n"
	"Options:\n"
	"  -v, --volume=HOST:CONTAINER[:ro]   bind a host path (repeatable)\n"
	"  -e, --env=NAME=VALUE               set a variable (repeatable)\n"
	"  --env-file=FILE                    variables from a file (repeatable)\n"
	"  -w, --workdir=DIR                  working directory in the container\n"
	"  -u, --user=USER[:GROUP]            name, uid, uid:gid or root\n"
	"  --entrypoint=CMD                   replace the image's entrypoint (\"\" clears it)\n"
	"  --nometa                           ignore the image's metadata\n"
	"  --hostenv                          start from the host's environment\n"
	"  --bindhome                         bind the host's $HOME\n"
	"  --hostauth, --containerauth        use the host's / the container's passwd\n"
	"  --nosysdirs                        do not bind /dev /proc /sys resolv.conf hosts\n"
	"  --novol                            ignore the volumes (--novol=PATH: refused)\n"
	"  --dri                              bind the host's /usr/lib64/dri /lib64/dri\n"
	"                                     /usr/lib/dri /lib/dri (those present)\n"
	"  --hostname=NAME                    the container's hostname\n"
	"  --kernel=RELEASE                   the kernel release uname reports (P1, P2)\n"
	"  --cpuset-cpus=LIST                 run on these CPUs (e.g. 0,2-3)\n"
	"  --location=DIR                     run in DIR as the root (no image): udocker run\n"
	"                                     --location=DIR CMD [ARG...]\n"
	"  --name=NAME                        name of the container created from IMAGE\n"
	"  --rm                               remove that container afterwards (an\n"
	"                                     image-backed one is then ephemeral)\n"
	"  --rootfs=dir|squash                the new container's root: a directory\n"
	"                                     tree, or the image's one SquashFS file\n"
	"                                     (image-backed; N1; default UDOCKER_ROOTFS)\n"
	"  --ephemeral                        image-backed: changes last one run\n"
	"  --pull=missing|never|always|reuse  pull policy for IMAGE (default missing)\n"
	"  --platform=OS/ARCH[/VARIANT]       platform of IMAGE\n"
	"  -p, --publish=HOST:CONTAINER       P1/P2: a bind to CONTAINER port binds HOST\n"
	"                                     (the container shares the host's network)\n"
	"  -i, -t, -a, --nobanner             accepted for compatibility\n";

static int cpuset(const char *list)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	_cleanup_free_ char *copy = xstrdup(list);
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *end;
		long a = strtol(t, &end, 10), b = a;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (*end != '\0' || a < 0 || b < a || b >= CPU_SETSIZE)
			return -1;
		for (long i = a; i <= b; i++)
			CPU_SET((int)i, &set);
	}
	return sched_setaffinity(0, sizeof(set), &set);
}

/* A bad volume means the run cannot be prepared: exit 2, as udocker. */
static int validate_failed(struct ud_error *err)
{
	int rc = err && err->code == UD_ERR_USAGE ? 2 : 1;
	ud_cli_fail(err);
	return rc;
}

static bool is_mode_suffix(const char *s)
{
	return strcmp(s, "ro") == 0 || strcmp(s, "rw") == 0;
}

/* A -v HOST[:CONTAINER][:ro|rw] argument into v. Paths may hold ':'
 * (cwltool passes them): when splitting at every ':' gives no existing
 * host path, the one split whose left part exists on the host and whose
 * right part is absolute is taken. Returns -1 (with *err) when no
 * reading, or more than one, fits. */
static int parse_volume(const char *text, struct ud_spec_volume *v, struct ud_error **err)
{
	size_t n = strlen(text);
	const char *suffix = n > 3 && text[n - 3] == ':' ? text + n - 2 : NULL;
	size_t body = suffix && is_mode_suffix(suffix) ? n - 3 : n;
	const char *first = strchr(text, ':');
	if (first == NULL) {
		v->host = xstrdup(text); /* docker-style: -v /path means /path:/path */
		v->path = xstrdup(text);
		return 0;
	}
	/* The plain reading: one ':' between the paths, an optional mode. */
	const char *second = strchr(first + 1, ':');
	bool plain = second == NULL || (second == text + body && body < n);
	if (plain && second == NULL && is_mode_suffix(first + 1))
		plain = false; /* "/x:ro": a path, not a mode */
	_cleanup_free_ char *plain_host = xstrndup(text, (size_t)(first - text));
	if (!(plain && ud_path_exists(plain_host))) {
		const char *found = NULL;
		int hits = 0;
		for (const char *c = first; c && c < text + body; c = strchr(c + 1, ':')) {
			_cleanup_free_ char *left = xstrndup(text, (size_t)(c - text));
			if (c[1] == '/' && ud_path_exists(left)) {
				found = c;
				hits++;
			}
		}
		if (hits > 1)
			return ud_error_set(err, UD_ERR_USAGE,
					    "invalid volume '%s': more than one split into an "
					    "existing HOST and an absolute CONTAINER path",
					    text);
		if (hits == 1) {
			first = found;
			plain = true;
		}
	}
	if (!plain || text[n - 1] == ':')
		return ud_error_set(err, UD_ERR_USAGE,
				    "invalid volume: found '%s', expected HOST:CONTAINER[:ro|rw]",
				    text);
	v->host = xstrndup(text, (size_t)(first - text));
	v->path = xstrndup(first + 1, body - (size_t)(first + 1 - text));
	v->readonly = body < n && strcmp(suffix, "ro") == 0;
	return 0;
}

/* Is text an image reference whose tag is in the store? 1 yes, 0 no,
 * -1 when text is no image reference (the planner says why). */
static int image_is_local(struct ud_cli *cli, const char *text)
{
	struct ud_ref ref;
	struct ud_error *err = NULL;
	if (ud_ref_parse(text, cli->conf.registry_url, &ref, &err) < 0) {
		ud_error_free(err);
		return -1;
	}
	bool found = ud_store_tag_exists(cli->store, ref.local_name, ref.local_tag);
	ud_ref_release(&ref);
	return found ? 1 : 0;
}

/* run --rm: the container goes after the run, unless it is protected. */
static int remove_after(struct ud_cli *cli, const char *id)
{
	struct ud_error *err = NULL;
	if (ud_executor_remove(cli->store, id, &err) < 0) {
		ud_cli_fail(err);
		return -1;
	}
	return 0;
}

UD_CMD(run)
{
	_cleanup_free_ char **volumes = NULL, **envs = NULL, **env_files = NULL, **publish = NULL;
	const char *workdir = NULL, *user = NULL, *entrypoint = NULL, *hostname = NULL,
		   *cpus = NULL, *name = NULL, *pull = NULL, *platform = NULL, *location = NULL,
		   *kernel = NULL, *rootfs = NULL;
	bool nometa = false, hostenv = false, bindhome = false, hostauth = false,
	     containerauth = false, nosysdirs = false, novol = false, rm = false, P = false,
	     i_ = false, t_ = false, a_ = false, nobanner = false, dri = false, ephemeral = false;
	struct ud_opt opts[] = {{"-v|--volume", UD_OPT_LIST, &volumes},
				{"-e|--env", UD_OPT_LIST, &envs},
				{"--env-file", UD_OPT_LIST, &env_files},
				{"-w|--workdir", UD_OPT_VALUE, &workdir},
				{"-u|--user", UD_OPT_VALUE, &user},
				{"--entrypoint", UD_OPT_VALUE, &entrypoint},
				{"--nometa", UD_OPT_FLAG, &nometa},
				{"--hostenv", UD_OPT_FLAG, &hostenv},
				{"--bindhome", UD_OPT_FLAG, &bindhome},
				{"--hostauth", UD_OPT_FLAG, &hostauth},
				{"--containerauth", UD_OPT_FLAG, &containerauth},
				{"--nosysdirs", UD_OPT_FLAG, &nosysdirs},
				{"--novol", UD_OPT_FLAG, &novol},
				{"--dri", UD_OPT_FLAG, &dri},
				{"--hostname", UD_OPT_VALUE, &hostname},
				{"--cpuset-cpus", UD_OPT_VALUE, &cpus},
				{"--location", UD_OPT_VALUE, &location},
				{"--kernel", UD_OPT_VALUE, &kernel},
				{"--name", UD_OPT_VALUE, &name},
				{"--rm", UD_OPT_FLAG, &rm},
				{"--pull", UD_OPT_VALUE, &pull},
				{"--platform", UD_OPT_VALUE, &platform},
				{"--rootfs", UD_OPT_VALUE, &rootfs},
				{"--ephemeral", UD_OPT_FLAG, &ephemeral},
				{"-p|--publish", UD_OPT_LIST, &publish},
				{"-P", UD_OPT_FLAG, &P},
				{"-i", UD_OPT_FLAG, &i_},
				{"-t", UD_OPT_FLAG, &t_},
				{"-a", UD_OPT_FLAG, &a_},
				{"--nobanner", UD_OPT_FLAG, &nobanner},
				{0}};
	for (int k = 0; k < argc && argv[k][0] == '-'; k++)
		if (ud_str_has_prefix(argv[k], "--novol=")) {
			ud_cli_error("run --novol=PATH is not supported: the system binds are "
				     "dropped with --nosysdirs, all volumes with --novol");
			return 1;
		}
	const struct ud_cli_grammar g = {.opts = opts,
					 .help = help,
					 .min = 1,
					 .max = UD_CLI_ANY,
					 .expected = "CONTAINER or IMAGE"};
	UD_CLI_PARSE(&g, pos);
	int rc = 0;
	_cleanup_free_ unsigned short(*ports)[2] = NULL;
	size_t n_ports = 0;

	/* -p [IP:]HOST:CONTAINER[/tcp]: P modes remap the container's binds. */
	ports = xcalloc(ud_strv_len(publish) + 1, sizeof(*ports));
	for (size_t k = 0; publish && publish[k]; k++) {
		_cleanup_free_ char *ps = xstrndup(publish[k], strcspn(publish[k], "/"));
		char *last = strrchr(ps, ':');
		long cport = strtol(last ? last + 1 : ps, NULL, 10), hport = cport;
		if (last) {
			*last = '\0';
			char *prev = strrchr(ps, ':');
			hport = strtol(prev ? prev + 1 : ps, NULL, 10);
		}
		if (cport <= 0 || cport > 65535 || hport <= 0 || hport > 65535) {
			ud_cli_error("run: invalid -p '%s': expected [IP:]HOST:CONTAINER",
				     publish[k]);
			return 1;
		}
		ports[n_ports][0] = (unsigned short)cport;
		ports[n_ports][1] = (unsigned short)hport;
		n_ports++;
	}
	if (P)
		ud_cli_warn(cli, "-P: the container shares the host's network; its ports are the "
				 "host's");
	if (workdir && workdir[0] != '/') {
		/* A run that cannot be prepared: 2, as for a missing directory. */
		ud_cli_error("run: invalid working directory: %s: expected an absolute path",
			     workdir);
		return 2;
	}
	if (cpus && cpuset(cpus) < 0) {
		ud_cli_error("run: invalid --cpuset-cpus '%s': expected a list like 0,2-3", cpus);
		return 1;
	}
	{
		struct ud_spec *spec = ud_spec_new();
		struct ud_error *err = NULL;
		/* --pull=reuse --name=N: the container N when it exists (udocker). */
		bool reuse = pull && strcmp(pull, "reuse") == 0 && name;
		struct ud_container *existing =
			location ? NULL
			: reuse	 ? ud_store_container_get(cli->store, name, NULL)
				 : NULL;
		if (existing == NULL && !location)
			existing = ud_store_container_get(cli->store, pos[0], NULL);
		char gen[12] = "run-";
		ud_random_hex(gen + 4, 7);
		const char *cname = existing ? existing->id : name ? name : gen;
		struct ud_spec_container *c = ud_spec_add_container(spec, cname, pos[0]);
		c->user = user ? xstrdup(user) : NULL;
		c->workdir = workdir ? xstrdup(workdir) : NULL;
		c->hostname = hostname ? xstrdup(hostname) : NULL;
		c->hostauth = hostauth;
		c->hostenv = hostenv;
		c->bindhome = bindhome;
		if (entrypoint) {
			c->entrypoint_mode = *entrypoint ? UD_ENTRYPOINT_SET : UD_ENTRYPOINT_CLEAR;
			if (*entrypoint) {
				c->entrypoint = xcalloc(1, sizeof(char *));
				ud_strv_push(&c->entrypoint, xstrdup(entrypoint));
			}
		}
		for (size_t k = 0; volumes && volumes[k]; k++) {
			ud_spec_container_add_volume(c, volumes[k]);
			struct ud_spec_volume *v = &c->volumes[c->n_volumes - 1];
			free(v->path);
			v->path = NULL;
			if (rc == 0 && parse_volume(volumes[k], v, &err) < 0)
				rc = validate_failed(err);
		}
		for (size_t k = 0; envs && envs[k]; k++) {
			char *eq = strchr(envs[k], '=');
			if (eq) {
				_cleanup_free_ char *key =
					xstrndup(envs[k], (size_t)(eq - envs[k]));
				ud_spec_container_add_env(c, key, eq + 1);
			} else if (getenv(envs[k])) {
				ud_spec_container_add_env(c, envs[k], getenv(envs[k]));
			}
		}
		if (env_files) {
			c->env_file = xcalloc(1, sizeof(char *));
			for (size_t k = 0; env_files[k]; k++)
				ud_strv_push(&c->env_file, xstrdup(env_files[k]));
		}
		char **command = pos[1] ? pos + 1 : NULL;
		struct ud_run_options ro = {nometa, hostenv,  environ,	     nosysdirs,
					    novol,  bindhome, containerauth, cli->conf.tmpdir,
					    kernel, ports,    n_ports,	     dri};
		if (rc != 0) {
			/* a volume that cannot be parsed: said above */
		} else if (location) {
			/* --location=DIR: DIR is the root; no image, no container. */
			int status = 0;
			if (ud_spec_validate(spec, &err) < 0)
				rc = validate_failed(err);
			else if (ud_executor_run_location(location, c, pos[0] ? pos : NULL, &ro,
							  &status, &err) < 0) {
				ud_cli_fail(err);
				rc = 2;
			} else {
				rc = status;
			}
		} else if (existing) {
			/* An existing container: no image steps. */
			if (ud_spec_validate(spec, &err) < 0) {
				rc = validate_failed(err);
			} else if (name && !reuse &&
				   ud_executor_add_name(cli->store, existing->id, name, &err) < 0) {
				rc = ud_cli_fail(err);
			} else {
				int status = 0;
				if (ud_executor_run_container(cli->store, existing->id, c, command,
							      &ro, &status, &err) < 0) {
					ud_cli_fail(err);
					rc = 2;
				} else {
					rc = status;
				}
				if (rm && remove_after(cli, existing->id) < 0 && rc == 0)
					rc = 1;
			}
		} else {
			struct ud_spec_image *img = ud_spec_add_image(spec, NULL, pos[0]);
			img->pull = xstrdup(pull ? pull : "missing");
			img->platform = platform ? xstrdup(platform) : NULL;
			/* The container's image step is the same pull, for the same platform. */
			c->platform = platform ? xstrdup(platform) : NULL;
			/* Always a new container: a container already called N is
			 * never reused here, so --rm never removes someone's N. */
			c->fresh = true;
			if (ud_cli_rootfs_options(cli, "run", rootfs, ephemeral, rm, c) < 0)
				return 1;
			ud_spec_container_add_command(c, command);
			/* stdout belongs to the command: udocker's own lines stay out of it. */
			enum ud_log_level level = ud_log_get_level();
			if (level < UD_LOG_DEBUG)
				ud_log_set_level(UD_LOG_WARN);
			struct ud_exec_stats stats = {0};
			/* Neither a container nor an image here: say so before the pull. */
			int local = image_is_local(cli, pos[0]);
			if (local == 0 && !(pull && strcmp(pull, "never") == 0))
				ud_cli_warn(cli,
					    "no container named '%s' and no such image in the "
					    "store: pulling it",
					    pos[0]);
			if (ud_spec_validate(spec, &err) < 0)
				rc = validate_failed(err);
			else
				rc = ud_cli_run_spec(cli, spec, NULL, true, &ro, &stats);
			ud_log_set_level(level);
			if (rc != 0 && local == 0 && !stats.created_id[0] &&
			    image_is_local(cli, pos[0]) == 0)
				ud_cli_error("run: found no container named '%s', then no image of "
					     "that name (neither in the store nor pulled)",
					     pos[0]);
			/* Only the container this run made goes. */
			if (rm && stats.created_id[0] && remove_after(cli, stats.created_id) < 0 &&
			    rc == 0)
				rc = 1;
		}
		ud_store_container_free(existing);
		ud_spec_free(spec);
	}
	return rc;
}
