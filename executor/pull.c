/* The pull step: resolve the manifest, download the missing blobs (in
 * parallel, each under its lock, verified while streaming), write the tag. */
#include "executor/executor_private.h"

#include <string.h>

static void emit(const struct ud_executor_options *o, enum ud_event ev, const struct ud_step *st,
		 const char *digest, int64_t done, int64_t total)
{
	if (o->on_event == NULL)
		return;
	struct ud_event_info info = {st, digest, done, total};
	o->on_event(ev, &info, o->data);
}

struct progress_ctx {
	const struct ud_executor_options *o;
	const struct ud_step *st;
	int64_t base; /* bytes of blobs already finished before this batch */
	int64_t total;
};

static void on_progress(const char *digest, int64_t done, int64_t total, void *data)
{
	struct progress_ctx *p = data;
	(void)total;
	emit(p->o, UD_EV_PROGRESS, p->st, digest, p->base + done, p->total);
}

/* Downloads the blobs whose writers are open; commits the good ones. */
static int fetch_batch(struct ud_exec_ctx *x, const struct ud_step *st, struct ud_blob_writer *w,
		       const struct ud_descriptor **d, size_t n, struct progress_ctx *pc,
		       struct ud_exec_stats *stats, struct ud_error **err)
{
	if (n == 0)
		return 0;
	struct ud_blob_fetch *items = xcalloc(n, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		items[i].digest = d[i]->digest;
		items[i].size = d[i]->size;
		items[i].fd = w[i].fd;
		items[i].offset = w[i].offset;
		emit(x->opts, UD_EV_BLOB_BEGIN, st, d[i]->digest, w[i].offset, d[i]->size);
	}
	int r = ud_registry_fetch_blobs(x->client, &st->pull.ref, items, n, on_progress, pc, err);
	for (size_t i = 0; i < n; i++) {
		if (items[i].error == NULL) {
			if (ud_store_blob_commit(x->store, &w[i], err) < 0)
				r = -1;
			else {
				stats->blobs_downloaded++;
				stats->bytes_downloaded += items[i].written - w[i].offset;
			}
		} else {
			/* Content that does not match its digest is thrown away; an
			 * interrupted download is kept for the next pull to resume. */
			ud_store_blob_abort(&w[i], items[i].error->code == UD_ERR_DIGEST);
			ud_error_free(items[i].error);
		}
		if (d[i]->size > 0)
			pc->base += d[i]->size;
	}
	free(items);
	return r;
}

/* Larger image configs are not read for their platform. */
#define UD_CONFIG_MAX_BYTES (8u << 20)

/* A platform asked for and a single image manifest (no index to pick
 * from): its config, fetched first, must be for that platform, so that
 * another platform's image is never pulled in its place. */
static int check_platform(struct ud_exec_ctx *x, const struct ud_step *st,
			  const struct ud_resolved *res, struct progress_ctx *pc,
			  struct ud_exec_stats *stats, bool *fetched, struct ud_error **err)
{
	*fetched = false;
	const struct ud_pull_step *p = &st->pull;
	const struct ud_manifest *m = res->parsed;
	if (!p->platform_given || res->index || m->kind != UD_MANIFEST_IMAGE)
		return 0;
	const struct ud_descriptor *d = &m->config;
	if (d->size < 0 || d->size > (int64_t)UD_CONFIG_MAX_BYTES)
		return 0;
	bool present = false;
	struct ud_blob_writer w;
	if (ud_store_blob_begin(x->store, d->digest, d->size, ud_lock_default_timeout_ms(), &w,
				&present, err) < 0)
		return -1;
	if (!present && fetch_batch(x, st, &w, &d, 1, pc, stats, err) < 0)
		return -1;
	*fetched = !present; /* not counted again with the others */
	_cleanup_free_ char *path = ud_store_blob_path(x->store, d->digest);
	size_t len = 0;
	_cleanup_free_ char *text = ud_read_file(path, &len, err);
	if (text == NULL)
		return -1;
	struct ud_image_config cfg = {0};
	if (ud_image_config_parse(text, len, &cfg, NULL) < 0 || cfg.platform.os == NULL ||
	    cfg.platform.arch == NULL) {
		ud_image_config_release(&cfg);
		return 0; /* says no platform: taken for any */
	}
	struct ud_platform want = p->platform;
	if (cfg.platform.variant == NULL)
		want.variant = NULL;
	int r = 0;
	if (!ud_platform_match(&want, &cfg.platform)) {
		_cleanup_free_ char *w1 = ud_platform_format(&p->platform);
		_cleanup_free_ char *h = ud_platform_format(&cfg.platform);
		_cleanup_free_ char *name = ud_ref_format(&p->ref);
		r = ud_error_set(err, UD_ERR_NOT_FOUND,
				 "%s: no manifest for platform %s (the image is for %s only)", name,
				 w1, h);
	}
	ud_image_config_release(&cfg);
	return r;
}

int ud_exec_pull(struct ud_exec_ctx *x, const struct ud_step *st, struct ud_exec_stats *stats,
		 struct ud_error **err)
{
	const struct ud_pull_step *p = &st->pull;
	struct ud_registry_counts before;
	ud_registry_counts(x->client, &before);
	struct ud_resolved *res = ud_registry_resolve(x->client, &p->ref, &p->platform, err);
	struct ud_registry_counts after;
	ud_registry_counts(x->client, &after);
	stats->manifest_requests += after.manifest_requests - before.manifest_requests;
	if (res == NULL)
		return -1;
	const struct ud_manifest *m = res->parsed;
	size_t nd = m->n_layers + (m->kind == UD_MANIFEST_IMAGE ? 1 : 0);
	const struct ud_descriptor **all = xcalloc(nd + 1, sizeof(*all));
	char **names = xcalloc(nd + 1, sizeof(char *));
	size_t n_all = 0;
	int64_t total = 0;
	for (size_t i = 0; i < nd; i++) {
		const struct ud_descriptor *d = i < m->n_layers ? &m->layers[i] : &m->config;
		if (ud_strv_contains(names, d->digest))
			continue; /* a layer listed twice is stored once */
		names[n_all] = xstrdup(d->digest);
		all[n_all++] = d;
		if (d->size > 0)
			total += d->size;
	}
	struct progress_ctx pc = {x->opts, st, 0, total};
	/* Blobs found present must stay until the tag links to them. */
	_cleanup_lock_ struct ud_lock gc = {.fd = -1};
	if (ud_store_gc_lock(x->store, true, &gc, err) < 0) {
		free(all);
		ud_strv_free(names);
		ud_resolved_free(res);
		return -1;
	}
	bool config_fetched = false;
	if (check_platform(x, st, res, &pc, stats, &config_fetched, err) < 0) {
		free(all);
		ud_strv_free(names);
		ud_resolved_free(res);
		return -1;
	}
	struct ud_blob_writer *w = xcalloc(n_all + 1, sizeof(*w));
	const struct ud_descriptor **mine = xcalloc(n_all + 1, sizeof(*mine));
	const struct ud_descriptor **waiting = xcalloc(n_all + 1, sizeof(*waiting));
	size_t n_mine = 0, n_wait = 0;
	int r = 0;
	/* Take what we can at once; blobs another process is downloading are
	 * waited for afterwards (and then usually present). */
	for (size_t i = 0; r == 0 && i < n_all; i++) {
		bool present = false;
		if (config_fetched && all[i] == &m->config)
			continue;
		_cleanup_error_ struct ud_error *lerr = NULL;
		if (ud_store_blob_begin(x->store, all[i]->digest, all[i]->size, 0, &w[n_mine],
					&present, &lerr) < 0) {
			if (lerr->code == UD_ERR_LOCKED) {
				waiting[n_wait++] = all[i];
				continue;
			}
			r = ud_error_set(err, lerr->code, "%s", lerr->msg);
			break;
		}
		if (present) {
			stats->blobs_reused++;
			if (all[i]->size > 0)
				pc.base += all[i]->size;
			emit(x->opts, UD_EV_BLOB_REUSED, st, all[i]->digest, all[i]->size,
			     all[i]->size);
			continue;
		}
		mine[n_mine++] = all[i];
	}
	if (r == 0)
		r = fetch_batch(x, st, w, mine, n_mine, &pc, stats, err);
	else
		for (size_t i = 0; i < n_mine; i++)
			ud_store_blob_abort(&w[i], false);
	for (size_t i = 0; r == 0 && i < n_wait; i++) {
		bool present = false;
		struct ud_blob_writer one;
		emit(x->opts, UD_EV_BLOB_WAIT, st, waiting[i]->digest, 0, waiting[i]->size);
		if (ud_store_blob_begin(x->store, waiting[i]->digest, waiting[i]->size,
					ud_lock_default_timeout_ms(), &one, &present, err) < 0) {
			r = -1;
			break;
		}
		if (present) {
			stats->blobs_reused++;
			if (waiting[i]->size > 0)
				pc.base += waiting[i]->size;
			continue;
		}
		r = fetch_batch(x, st, &one, &waiting[i], 1, &pc, stats, err);
	}
	if (r == 0)
		r = ud_store_tag_write(x->store, p->local_name, p->local_tag, res->manifest,
				       res->manifest_len, names, err);
	/* For the pull policy "every": when the registry was last asked. */
	if (r == 0)
		ud_store_tag_set_resolved(x->store, p->local_name, p->local_tag, NULL);
	free(w);
	free(mine);
	free(waiting);
	free(all);
	ud_strv_free(names);
	ud_resolved_free(res);
	return r;
}
