/* Blob downloads: libcurl multi, several at once, sha256 while streaming,
 * Range resume after a dropped connection, redirects without credentials
 * to other hosts. */
#include "registry/http.h"

#include <errno.h>
#include <string.h>

#define WRITE_BUF (1024 * 1024)

struct xfer {
	struct ud_blob_fetch *item;
	CURL *h;
	struct curl_slist *hdrs;
	char *url;
	struct ud_http_response resp;
	struct ud_sha256 *sha;
	int64_t have;
	char *buf;
	size_t buf_len;
	int attempts, redirects, stalls;
	size_t error_body; /* bytes of a non-2xx body seen */
	bool authed, first_chunk, overflow, io_error, active, finished, body_cut, bad_range;
	int io_errno;
};

struct fetch_run {
	struct ud_registry_client *c;
	const struct ud_ref *ref;
	char *base, *scope;
	struct xfer *x;
	size_t n;
	ud_blob_progress progress;
	void *progress_data;
	int64_t total, last_progress_ms;
};

static int flush(struct xfer *x)
{
	if (x->buf_len == 0)
		return 0;
	if (ud_write_all(x->item->fd, x->buf, x->buf_len) < 0) {
		x->io_error = true;
		x->io_errno = errno;
		return -1;
	}
	x->buf_len = 0;
	return 0;
}

static void report(struct fetch_run *run, const char *digest, bool force)
{
	if (run->progress == NULL)
		return;
	int64_t now = ud_now_ms();
	if (!force && now - run->last_progress_ms < 100)
		return;
	run->last_progress_ms = now;
	int64_t done = 0;
	for (size_t i = 0; i < run->n; i++)
		done += run->x[i].have;
	run->progress(digest, done, run->total, run->progress_data);
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *p)
{
	struct xfer *x = p;
	size_t n = size * nmemb;
	long status = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200 && status != 206) {
		/* An error body: ignored (the status says it all), up to a cap. */
		x->error_body += n;
		if (x->error_body > UD_HTTP_MAX_ERROR_BODY) {
			x->body_cut = true;
			return 0;
		}
		return n;
	}
	if (x->first_chunk) {
		x->first_chunk = false;
		if (status == 206 && x->resp.range_start > 0 && x->resp.range_start != x->have) {
			/* A range we did not ask for: start over without Range. */
			x->bad_range = true;
			return 0;
		}
		if ((status == 200 || (status == 206 && x->resp.range_start == 0)) && x->have > 0) {
			/* The server ignored our Range: start over. */
			if (ftruncate(x->item->fd, 0) < 0 || lseek(x->item->fd, 0, SEEK_SET) < 0) {
				x->io_error = true;
				x->io_errno = errno;
				return 0;
			}
			ud_sha256_free(x->sha);
			x->sha = ud_sha256_new();
			x->have = 0;
		}
	}
	int64_t limit = x->item->size >= 0 ? x->item->size : UD_BLOB_MAX_UNKNOWN;
	if (x->have + (int64_t)n > limit) {
		x->overflow = true;
		return 0;
	}
	ud_sha256_update(x->sha, data, n);
	x->have += (int64_t)n;
	if (x->buf_len + n > WRITE_BUF && flush(x) < 0)
		return 0;
	if (n >= WRITE_BUF) {
		if (ud_write_all(x->item->fd, data, n) < 0) {
			x->io_error = true;
			x->io_errno = errno;
			return 0;
		}
	} else {
		memcpy(x->buf + x->buf_len, data, n);
		x->buf_len += n;
	}
	return n;
}

static void finish(struct xfer *x, struct ud_error *e);

static void start(struct fetch_run *run, CURLM *multi, struct xfer *x)
{
	ud_http_response_release(&x->resp);
	x->resp.content_length = -1;
	x->resp.range_start = -1;
	x->error_body = 0;
	x->bad_range = false;
	x->body_cut = false;
	x->h = curl_easy_init();
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	if (x->have > 0) {
		_cleanup_free_ char *range = xasprintf("Range: bytes=%lld-", (long long)x->have);
		x->hdrs = curl_slist_append(x->hdrs, range);
	}
	struct ud_error *e = NULL;
	if (ud_http_setup(run->c, x->h, x->url, false,
			  ud_http_cached_auth(run->c, run->ref, run->scope), run->base, &x->hdrs,
			  &e) < 0) {
		curl_easy_cleanup(x->h);
		x->h = NULL;
		ud_error_prefix(&e, "blob %s", x->item->digest);
		finish(x, e);
		return;
	}
	curl_easy_setopt(x->h, CURLOPT_HEADERFUNCTION, ud_http_header_cb);
	curl_easy_setopt(x->h, CURLOPT_HEADERDATA, &x->resp);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->h, CURLOPT_BUFFERSIZE, 256L * 1024);
	x->first_chunk = true;
	x->active = true;
	run->c->counts.blob_requests++;
	run->c->counts.requests++;
	_cleanup_free_ char *m = ud_http_mask_urls(x->url, strlen(x->url));
	_cleanup_free_ char *u = ud_str_escape(m, 0);
	ud_debug("GET %s (from byte %lld)", u, (long long)x->have);
	curl_multi_add_handle(multi, x->h);
}

/* Empties the partial file so the blob is fetched again from byte 0. */
static int restart_blob(struct xfer *x, const char *digest, struct ud_error **err)
{
	if (ftruncate(x->item->fd, 0) < 0 || lseek(x->item->fd, 0, SEEK_SET) < 0)
		return ud_error_sys(err, errno, "blob %s: cannot truncate", digest);
	ud_sha256_free(x->sha);
	x->sha = ud_sha256_new();
	x->have = 0;
	return 0;
}

static void finish(struct xfer *x, struct ud_error *e)
{
	x->finished = true;
	x->item->written = x->have;
	x->item->error = e;
}

/* Decides what a completed request means: done, retry, or failure. */
static void completed(struct fetch_run *run, CURLM *multi, struct xfer *x, CURLcode cc)
{
	long status = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(multi, x->h);
	curl_easy_cleanup(x->h);
	x->h = NULL;
	x->active = false;
	struct ud_error *e = NULL;
	const char *d = x->item->digest;
	if (flush(x) < 0 || x->io_error) {
		ud_error_sys(&e, x->io_errno, "blob %s: cannot write", d);
		finish(x, e);
		return;
	}
	if (x->overflow) {
		/* UD_ERR_DIGEST: the partial file is discarded, not resumed. */
		if (x->item->size >= 0)
			ud_error_set(&e, UD_ERR_DIGEST,
				     "blob %s: the registry sent more than the %lld bytes the "
				     "manifest declares",
				     d, (long long)x->item->size);
		else
			ud_error_set(&e, UD_ERR_DIGEST,
				     "blob %s: larger than %lld bytes, the limit for a blob of "
				     "undeclared size",
				     d, (long long)UD_BLOB_MAX_UNKNOWN);
		finish(x, e);
		return;
	}
	if (cc == CURLE_WRITE_ERROR && x->resp.headers_cut) {
		ud_error_set(&e, UD_ERR_HTTP,
			     "blob %s: the answer's headers are larger than %zu bytes", d,
			     UD_HTTP_MAX_HEADERS);
		finish(x, e);
		return;
	}
	if (cc == CURLE_WRITE_ERROR && x->body_cut)
		cc = CURLE_OK; /* an endless error body: its status is the answer */
	bool retry = false;
	if (cc == CURLE_WRITE_ERROR && x->bad_range) {
		/* The answer's Content-Range does not start where we asked. */
		if (restart_blob(x, d, &e) < 0) {
			finish(x, e);
			return;
		}
		cc = CURLE_OK;
		retry = true;
	}
	bool stalled = cc == CURLE_OPERATION_TIMEDOUT;
	if (stalled && ++x->stalls > 1) {
		/* One resume after a stall; a registry that stalls again fails. */
		ud_error_set(&e, UD_ERR_NETWORK,
			     "blob %s: the transfer stalled: less than %ld bytes/s for %ld s "
			     "(stall timeout, UDOCKER_STALL_TIMEOUT), twice",
			     d, UD_HTTP_MIN_SPEED, run->c->opts.stall_timeout);
		finish(x, e);
		return;
	}
	if (retry) {
		/* a wrong range: asked again from byte 0 */
	} else if (cc != CURLE_OK) {
		retry = true;
	} else if (status == 401 && (!x->authed || !ud_http_same_origin(run->base, x->url))) {
		x->authed = true;
		if (ud_http_authenticate(run->c, run->ref, run->base, x->url,
					 x->resp.www_authenticate, run->scope, &e) < 0) {
			ud_error_prefix(&e, "blob %s", d);
			finish(x, e);
			return;
		}
		start(run, multi, x);
		return;
	} else if (status >= 300 && status < 400 && x->resp.location) {
		if (++x->redirects > 5) {
			ud_error_set(&e, UD_ERR_HTTP, "blob %s: too many redirects", d);
			finish(x, e);
			return;
		}
		CURLU *u = curl_url();
		char *next = NULL;
		curl_url_set(u, CURLUPART_URL, x->url, 0);
		if (curl_url_set(u, CURLUPART_URL, x->resp.location, 0) == CURLUE_OK)
			curl_url_get(u, CURLUPART_URL, &next, 0);
		curl_url_cleanup(u);
		free(x->url);
		x->url = xstrdup(next ? next : x->resp.location);
		curl_free(next);
		start(run, multi, x);
		return;
	} else if (status >= 500 || status == 429) {
		retry = true;
	} else if (status == 200 || status == 206) {
		if (x->item->size >= 0 && x->have < x->item->size) {
			retry = true; /* a short body: resume */
		} else {
			char hex[UD_SHA256_HEX_LEN + 1];
			ud_sha256_final_hex(x->sha, hex);
			if (strcmp(hex, d + 7) != 0)
				ud_error_set(&e, UD_ERR_DIGEST,
					     "blob %s: digest mismatch (got sha256:%s)", d, hex);
			finish(x, e);
			report(run, d, true);
			return;
		}
	} else if (status == 416 && x->have > 0) {
		/* Our partial is longer than the blob: start over. */
		if (restart_blob(x, d, &e) < 0) {
			finish(x, e);
			return;
		}
		retry = true;
	} else {
		_cleanup_free_ char *name = ud_ref_format(run->ref);
		ud_error_set(&e, status == 404 ? UD_ERR_NOT_FOUND : UD_ERR_HTTP,
			     "%s: blob %s: registry answered HTTP %ld", name, d, status);
		finish(x, e);
		return;
	}
	if (retry && ++x->attempts < run->c->opts.retries + 2) {
		ud_debug("blob %s: retrying (%s, HTTP %ld) from byte %lld", d,
			 curl_easy_strerror(cc), status, (long long)x->have);
		ud_http_backoff(x->attempts - 1);
		start(run, multi, x);
		return;
	}
	if (cc != CURLE_OK)
		ud_error_set(&e, UD_ERR_NETWORK, "blob %s: %s (after %d attempts)", d,
			     curl_easy_strerror(cc), x->attempts);
	else if (status == 200 || status == 206)
		ud_error_set(&e, UD_ERR_DIGEST,
			     "blob %s: truncated download: %lld of %lld bytes (after %d attempts)",
			     d, (long long)x->have, (long long)x->item->size, x->attempts);
	else
		ud_error_set(&e, UD_ERR_HTTP,
			     "blob %s: registry answered HTTP %ld (after %d attempts)", d, status,
			     x->attempts);
	finish(x, e);
}

/* Hashes the bytes already in the file, for a resumed download. */
static int prime(struct xfer *x)
{
	x->sha = ud_sha256_new();
	x->have = 0;
	if (x->item->offset <= 0)
		return 0;
	char *buf = xmalloc(WRITE_BUF);
	int64_t off = 0;
	while (off < x->item->offset) {
		size_t want = (size_t)(x->item->offset - off < WRITE_BUF ? x->item->offset - off
									 : WRITE_BUF);
		ssize_t r = pread(x->item->fd, buf, want, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ud_sha256_update(x->sha, buf, (size_t)r);
		off += r;
	}
	free(buf);
	x->have = off;
	return 0;
}

int ud_registry_fetch_blobs(struct ud_registry_client *c, const struct ud_ref *ref,
			    struct ud_blob_fetch *items, size_t n, ud_blob_progress progress,
			    void *progress_data, struct ud_error **err)
{
	struct fetch_run run = {
		.c = c, .ref = ref, .n = n, .progress = progress, .progress_data = progress_data};
	run.base = ud_http_base(c, ref);
	run.scope = xasprintf("repository:%s:pull", ref->path);
	run.x = xcalloc(n + 1, sizeof(struct xfer));
	CURLM *multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->opts.parallel);
	for (size_t i = 0; i < n; i++) {
		struct xfer *x = &run.x[i];
		x->item = &items[i];
		x->item->error = NULL;
		x->buf = xmalloc(WRITE_BUF);
		x->url = xasprintf("%s/v2/%s/blobs/%s", run.base, ref->path, items[i].digest);
		prime(x);
		if (items[i].size > 0)
			run.total += items[i].size;
		/* A partial that is already whole (a crash before commit). */
		if (items[i].size >= 0 && x->have >= items[i].size) {
			char hex[UD_SHA256_HEX_LEN + 1];
			ud_sha256_final_hex(x->sha, hex);
			if (x->have == items[i].size && strcmp(hex, items[i].digest + 7) == 0) {
				finish(x, NULL);
				continue;
			}
			if (ftruncate(items[i].fd, 0) == 0 &&
			    lseek(items[i].fd, 0, SEEK_SET) == 0) {
				ud_sha256_free(x->sha);
				x->sha = ud_sha256_new();
				x->have = 0;
			}
		}
	}
	size_t next = 0;
	for (;;) {
		int active = 0;
		for (size_t i = 0; i < n; i++)
			active += run.x[i].active;
		while (active < c->opts.parallel && next < n) {
			struct xfer *x = &run.x[next++];
			if (x->finished)
				continue;
			start(&run, multi, x);
			active++;
		}
		if (active == 0 && next >= n)
			break;
		int running = 0;
		curl_multi_perform(multi, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct xfer *x = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			completed(&run, multi, x, msg->data.result);
		}
		report(&run, NULL, false);
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 500, NULL);
	}
	curl_multi_cleanup(multi);
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		struct xfer *x = &run.x[i];
		if (x->item->error && r == 0) {
			r = -1;
			ud_error_set(err, x->item->error->code, "%s", x->item->error->msg);
		}
		free(x->buf);
		free(x->url);
		curl_slist_free_all(x->hdrs);
		ud_http_response_release(&x->resp);
		ud_sha256_free(x->sha);
	}
	free(run.x);
	free(run.base);
	free(run.scope);
	return r;
}
