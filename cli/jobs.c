/* Shared by apply and the docker-style commands: spec -> plan -> executor,
 * with progress on a terminal and Info lines otherwise. */
#include "cli/jobs.h"

#include "cli/progress.h"
#include "engines/engines.h"
#include "executor/executor.h"
#include "registry/registry.h"
#include "store/store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct ud_host_probe *ud_cli_host_probe(struct ud_cli *cli)
{
	if (!cli->host_probed) {
		ud_engines_probe_host(&cli->host);
		cli->host_probed = true;
	}
	return &cli->host;
}

struct ud_store *ud_cli_store(struct ud_cli *cli, struct ud_error **err)
{
	if (cli->store)
		return cli->store;
	struct ud_conf *c = &cli->conf;
	bool exists = ud_store_is_repo(c->topdir);
	if (!exists && cli->conf.repo_given) {
		ud_error_set(err, UD_ERR_USAGE, "invalid udocker repository: %s", c->topdir);
		return NULL;
	}
	struct ud_store_paths p = {c->topdir, c->reposdir, c->layersdir, c->containersdir,
				   c->bindir, c->libdir,   c->docdir,	 c->tmpdir};
	if (!ud_is_dir(c->topdir))
		ud_log(UD_LOG_INFO, "creating repo: %s", c->topdir);
	cli->store = ud_store_open(&p, true, err);
	if (cli->store) {
		cli->store->max_layer_size = c->max_layer_size;
		cli->store->squash_compression = c->squash_compression;
	}
	return cli->store;
}

void ud_cli_registry_options(struct ud_cli *cli, struct ud_registry_options *o)
{
	memset(o, 0, sizeof(*o));
	o->insecure = cli->conf.insecure;
	o->ca_file = cli->conf.ca_file;
	o->proxy = cli->conf.http_proxy;
	o->insecure_registries = cli->conf.insecure_registries;
	o->keystore = cli->conf.keystore;
	o->connect_timeout = cli->conf.ctimeout;
	o->stall_timeout = cli->conf.stall_timeout;
	o->timeout = cli->conf.timeout > 30 ? cli->conf.timeout : 30;
	o->parallel = cli->conf.parallel_downloads;
}

struct printer {
	struct ud_cli *cli;
	struct ud_progress bar;
	bool present_lines; /* a summary line for images found present too */
	char label[512];    /* the bar's label while an image file is built */
};

static void on_event(enum ud_event ev, const struct ud_event_info *info, void *data)
{
	struct printer *p = data;
	bool pull = info->step->kind == UD_STEP_PULL;
	switch (ev) {
	case UD_EV_STEP_BEGIN:
		if (info->step->kind == UD_STEP_RUN)
			break;
		ud_log(UD_LOG_INFO, "%s %s: %s", ud_step_kind_name(info->step->kind),
		       info->step->name, info->step->reason);
		if (pull)
			ud_progress_begin(&p->bar, info->step->name);
		break;
	case UD_EV_STEP_SKIP:
		ud_log(UD_LOG_VERBOSE, "%s %s: present (%s)", ud_step_kind_name(info->step->kind),
		       info->step->name, info->step->reason);
		if (pull && p->present_lines)
			ud_progress_present(&p->bar, info->step->name);
		break;
	case UD_EV_BLOB_BEGIN:
		ud_progress_blob(&p->bar, info->done, info->total);
		if (!p->bar.enabled)
			ud_log(UD_LOG_INFO, "downloading layer %s", info->digest);
		break;
	case UD_EV_BLOB_REUSED:
		ud_log(UD_LOG_VERBOSE, "layer %s already in the store", info->digest);
		break;
	case UD_EV_BLOB_WAIT:
		ud_log(UD_LOG_INFO, "waiting for another process downloading %s", info->digest);
		break;
	case UD_EV_PROGRESS:
		ud_progress_update(&p->bar, info->done, info->total);
		break;
	case UD_EV_STEP_DONE:
		if (pull)
			ud_progress_finish(&p->bar);
		ud_progress_done(&p->bar);
		break;
	case UD_EV_BUILD_BEGIN:
		if (!p->bar.enabled)
			ud_log(UD_LOG_INFO, "building the image file of %s", info->digest);
		snprintf(p->label, sizeof(p->label), "image file of %s", info->digest);
		ud_progress_begin(&p->bar, p->label);
		ud_progress_blob(&p->bar, 0, info->total);
		break;
	case UD_EV_BUILD_DONE:
		ud_progress_finish(&p->bar);
		break;
	}
}

struct task_env {
	const char *task;
};

static const char *task_getenv(const char *name, void *data)
{
	const struct task_env *t = data;
	if (strcmp(name, "TASK") == 0)
		return t->task;
	return getenv(name);
}

struct ud_spec *ud_cli_load_spec(const char *file, const char *task, struct ud_error **err)
{
	/* Without --task, ${TASK} is empty: fine for staging and locking
	 * (images must not depend on the task); runs are refused below. */
	struct task_env t = {task ? task : ""};
	struct ud_spec *spec = ud_spec_load_file_env(file, task_getenv, &t, err);
	if (spec == NULL || task == NULL || spec->tasks == NULL)
		return spec;
	if (!ud_strv_contains(spec->tasks, task)) {
		size_t n = ud_strv_len(spec->tasks);
		ud_error_set(err, UD_ERR_USAGE,
			     "%s: task '%s' is not one of the spec's tasks (%s%s%s)", file, task,
			     spec->tasks[0], n > 1 ? " ... " : "", n > 1 ? spec->tasks[n - 1] : "");
		ud_spec_free(spec);
		return NULL;
	}
	return spec;
}

int ud_cli_rootfs_options(struct ud_cli *cli, const char *cmd, const char *rootfs, bool ephemeral,
			  bool rm, struct ud_spec_container *c)
{
	if (rootfs && strcasecmp(rootfs, "dir") && strcasecmp(rootfs, "squash")) {
		_cleanup_free_ char *shown = ud_str_escape(rootfs, 64);
		ud_cli_error("%s: invalid --rootfs '%s': expected dir or squash", cmd, shown);
		return -1;
	}
	const char *kind = rootfs ? rootfs : cli->conf.rootfs ? cli->conf.rootfs : "dir";
	bool squash = strcasecmp(kind, "squash") == 0;
	if (ephemeral && !squash) {
		ud_cli_error("%s: --ephemeral needs an image-backed container (--rootfs=squash)",
			     cmd);
		return -1;
	}
	c->rootfs = xstrdup(squash ? "squash" : "dir");
	c->ephemeral = squash && (ephemeral || rm);
	return 0;
}

int ud_cli_default_mode(struct ud_cli *cli, const char **mode, struct ud_error **err)
{
	*mode = NULL;
	char *m = cli->conf.default_execution_mode;
	if (m == NULL || *m == '\0')
		return 0;
	for (char *p = m; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (strcmp(m, "AUTO") == 0)
		return 0;
	for (size_t i = 0; ud_engine_all_modes[i]; i++)
		if (strcmp(m, ud_engine_all_modes[i]) == 0) {
			*mode = m;
			return 0;
		}
	_cleanup_free_ char *shown = ud_str_escape(m, 64);
	return ud_error_set(err, UD_ERR_USAGE,
			    "invalid default execution mode '%s' (UDOCKER_DEFAULT_EXECUTION_MODE "
			    "or default_execution_mode in udocker.conf): expected one of "
			    "auto" UD_CLI_MODES_COMMA,
			    shown);
}

static void replace(char **setting, const char *value)
{
	if (value == NULL)
		return;
	free(*setting);
	*setting = xstrdup(value);
}

void ud_cli_use_registry_args(struct ud_cli *cli, const struct ud_cli_registry_args *ra)
{
	replace(&cli->conf.registry_url, ra->registry);
	replace(&cli->conf.http_proxy, ra->proxy);
}

struct ud_registry_client *ud_cli_registry_client(struct ud_cli *cli, bool keystore,
						  struct ud_error **err)
{
	struct ud_registry_options ro;
	ud_cli_registry_options(cli, &ro);
	if (!keystore)
		ro.keystore = NULL;
	return ud_registry_client_new(&ro, err);
}

/* Fills planner options from o; *lock is the loaded lock file (free with
 * ud_lockfile_free). -1 with *err for a bad lock file. */
static int planner_options(struct ud_cli *cli, const struct ud_cli_spec_opts *o,
			   struct ud_planner_options *popts, struct ud_lockfile **lock,
			   struct ud_error **err)
{
	*lock = NULL;
	memset(popts, 0, sizeof(*popts));
	popts->registry_url = o->registry ? o->registry : cli->conf.registry_url;
	popts->hub_url = cli->conf.hub_url;
	popts->offline = o->offline;
	popts->stage = o->stage;
	popts->spec_path = o->spec_path;
	popts->host = ud_cli_host_probe(cli);
	popts->default_rootfs = cli->conf.rootfs;
	if (ud_cli_default_mode(cli, &popts->default_mode, err) < 0)
		return -1;
	/* A spec read from stdin ("-f -") has no FILE.lock beside it. */
	if (o->spec_path && strcmp(o->spec_path, "-") != 0 && !o->no_lock) {
		_cleanup_free_ char *lp = ud_lockfile_path(o->spec_path);
		if (ud_lockfile_load(lp, lock, err) < 0)
			return -1;
		popts->lock = *lock;
	}
	return 0;
}

struct ud_plan *ud_cli_plan(struct ud_cli *cli, const struct ud_spec *spec,
			    const struct ud_cli_spec_opts *o, bool no_volumes,
			    struct ud_store **store, struct ud_error **err)
{
	static const struct ud_cli_spec_opts none = {0};
	struct ud_store *s = ud_cli_store(cli, err);
	if (store)
		*store = s;
	struct ud_planner_options popts;
	struct ud_lockfile *lock = NULL;
	if (s == NULL || planner_options(cli, o ? o : &none, &popts, &lock, err) < 0)
		return NULL;
	popts.no_volumes = no_volumes;
	struct ud_plan *plan = ud_planner_plan(spec, s, &popts, err);
	ud_lockfile_free(lock);
	return plan;
}

struct ud_plan *ud_cli_plan_file(struct ud_cli *cli, const struct ud_cli_spec_opts *o,
				 struct ud_spec **spec, struct ud_error **err)
{
	*spec = ud_cli_load_spec(o->spec_path, o->task, err);
	struct ud_plan *plan = *spec ? ud_cli_plan(cli, *spec, o, false, NULL, err) : NULL;
	if (plan == NULL) {
		ud_spec_free(*spec);
		*spec = NULL;
	}
	return plan;
}

int ud_cli_run_spec(struct ud_cli *cli, const struct ud_spec *spec,
		    const struct ud_cli_spec_opts *o, bool quiet_summary,
		    const struct ud_run_options *run, struct ud_exec_stats *out)
{
	struct ud_exec_stats mine;
	struct ud_exec_stats *sp = out ? out : &mine;
	memset(sp, 0, sizeof(*sp));
	struct ud_error *err = NULL;
	struct ud_store *store = NULL;
	struct ud_plan *plan = ud_cli_plan(cli, spec, o, run && run->novol, &store, &err);
	if (plan == NULL)
		return ud_cli_fail(err);
	struct ud_registry_options ropts;
	ud_cli_registry_options(cli, &ropts);
	/* The pull display (on stderr) for pull, run, create and apply
	 * alike; apply also lists the images it found present. */
	struct printer pr = {.cli = cli, .present_lines = !quiet_summary};
	/* -q silences it; a run's lowered log level (its stdout is the
	 * command's) does not: the display is on stderr. */
	ud_progress_init(&pr.bar, isatty(STDERR_FILENO) && !cli->quiet, "Downloading");
	struct ud_executor_options eopts = {&ropts, run, on_event, &pr};
	struct ud_exec_stats stats;
	int r = ud_executor_apply(plan, store, &eopts, &stats, &err);
	*sp = stats;
	ud_progress_done(&pr.bar);
	ud_plan_free(plan);
	if (r < 0) {
		ud_cli_fail(err);
		return stats.prepare_failed ? 2 : 1;
	}
	if (stats.job_status != 0) {
		/* apply's job failed: an error. run's command status is its
		 * own, passed through as Docker does, reported only with -v. */
		if (!quiet_summary)
			ud_cli_error("%s exited with status %d", stats.failed_command,
				     stats.job_status);
		else
			ud_log(UD_LOG_VERBOSE, "%s exited with status %d", stats.failed_command,
			       stats.job_status);
		return stats.job_status;
	}
	if (!quiet_summary)
		ud_log(UD_LOG_INFO,
		       "done: %d step%s done, %d present; %d blob%s downloaded (%.1f MB), %d "
		       "already in the store; %d manifest request%s",
		       stats.steps_done, stats.steps_done == 1 ? "" : "s", stats.steps_skipped,
		       stats.blobs_downloaded, stats.blobs_downloaded == 1 ? "" : "s",
		       (double)stats.bytes_downloaded / 1048576.0, stats.blobs_reused,
		       stats.manifest_requests, stats.manifest_requests == 1 ? "" : "s");
	return 0;
}

struct build_bar {
	struct ud_progress bar;
	bool begun;
};

/* The builder calls it only when it builds. */
static void build_progress(int64_t done, int64_t total, void *data)
{
	struct build_bar *b = data;
	if (!b->begun) {
		if (!b->bar.enabled)
			ud_log(UD_LOG_INFO, "building the image file of %s", b->bar.label);
		ud_progress_begin(&b->bar, b->bar.label);
		ud_progress_blob(&b->bar, 0, total);
	}
	b->begun = true;
	ud_progress_update(&b->bar, done, total);
}

int ud_cli_prepare_image_file(struct ud_cli *cli, const char *text)
{
	if (cli->conf.rootfs == NULL || strcmp(cli->conf.rootfs, "squash") != 0)
		return 0;
	struct ud_ref ref;
	int rc = ud_cli_parse_image(cli, text, &ref);
	if (rc)
		return rc;
	if (!ud_store_tag_exists(cli->store, ref.local_name, ref.local_tag)) {
		ud_ref_release(&ref);
		return 0; /* pulled under another tag (a platform's): its first create builds it */
	}
	_cleanup_free_ char *label = xasprintf("%s:%s", ref.local_name, ref.local_tag);
	struct build_bar b = {0};
	ud_progress_init(&b.bar, isatty(STDERR_FILENO) && !cli->quiet, label);
	struct ud_error *err = NULL;
	_cleanup_free_ char *path = NULL;
	int64_t t0 = ud_now_ms();
	int r = ud_store_squash_build(cli->store, ref.local_name, ref.local_tag, build_progress, &b,
				      &path, &err);
	if (r == 0 && b.begun)
		ud_progress_finish(&b.bar);
	ud_progress_done(&b.bar);
	if (r == 0 && b.begun)
		ud_log(UD_LOG_INFO, "built the image file of %s in %.1f s", label,
		       (double)(ud_now_ms() - t0) / 1000.0);
	ud_ref_release(&ref);
	return r < 0 ? ud_cli_fail(err) : 0;
}

int ud_cli_parse_image(struct ud_cli *cli, const char *text, struct ud_ref *ref)
{
	struct ud_error *err = NULL;
	if (ud_ref_parse_hub(text, cli->conf.registry_url, cli->conf.hub_url, ref, &err) < 0)
		return ud_cli_fail(err);
	return 0;
}
