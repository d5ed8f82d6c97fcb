/* Worker threads creating the files and symlinks of a layer.
 *
 * Creating an inode is most of an extraction's time (ext4 scans its inode
 * bitmap, and skips the inodes deleted in the last seconds one by one), so
 * store/extract.c hands the creation of regular files and symlinks, with
 * their data, to workers, one queue per worker, and keeps everything else
 * (directories, removals, hard links, fifos) in the main thread. What keeps
 * it as safe as doing it all in order:
 *  - a job only creates a name (O_EXCL, O_NOFOLLOW; symlinkat never
 *    follows) in a directory fd the main thread walked, held by reference;
 *  - the jobs of one directory run in one worker, in order (a directory
 *    with no job queued goes to the worker with the fewest);
 *  - the main thread flushes (waits for every queued job) before any
 *    removal and any hard link, and before it looks at a path a queued job
 *    creates (ud_extract_jobs_wait_for), so it never acts on a tree that a
 *    queued job would change under it;
 *  - the data is read, and counted against the size cap, by the main
 *    thread; a job holds a copy, at most UD_EXTRACT_JOB_MAX_DATA bytes, and
 *    at most MAX_QUEUED_BYTES are queued in all, names, link targets and
 *    extended attributes included (a layer's are as long as it likes);
 *  - every directory with a job queued keeps its fd open: at most
 *    busy_max of them (a quarter of RLIMIT_NOFILE, at most MAX_BUSY_DIRS),
 *    or a layer spreading its files over many directories runs out of
 *    file descriptors. */
#include "store/extract_jobs.h"

#include "common/common.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_WORKERS 4
#define MAX_QUEUED_JOBS 4096
#define MAX_QUEUED_BYTES ((size_t)64 << 20)
#define MAX_BUSY_DIRS 256

struct ud_dir_ref *ud_dir_ref_new(int fd, bool owned)
{
	struct ud_dir_ref *d = xmalloc(sizeof(*d));
	*d = (struct ud_dir_ref){.fd = fd, .owned = owned, .refs = 1};
	return d;
}

struct ud_dir_ref *ud_dir_ref_get(struct ud_dir_ref *d)
{
	__atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
	return d;
}

void ud_dir_ref_put(struct ud_dir_ref *d)
{
	if (d == NULL || __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (d->owned)
		close(d->fd);
	free(d);
}

struct segment {
	int64_t off;
	size_t len;
};

struct xattr_copy {
	char *name;
	void *value;
	size_t size;
};

struct ud_extract_job {
	struct ud_extract_job *next;
	enum ud_extract_job_kind kind;
	struct ud_dir_ref *dir;
	char *name, *member, *target;
	mode_t perm;
	int64_t size;
	time_t mtime;
	char *data;
	size_t len, cap;
	struct segment *segs;
	size_t n_segs, cap_segs;
	struct xattr_copy *xattrs;
	size_t n_xattrs;
	size_t bytes; /* of memory held, counted against MAX_QUEUED_BYTES */
};

struct ud_extract_job *ud_extract_job_new(enum ud_extract_job_kind kind, struct ud_dir_ref *dir,
					  const char *name, const char *member, const char *target,
					  mode_t perm)
{
	struct ud_extract_job *j = xcalloc(1, sizeof(*j));
	j->kind = kind;
	j->dir = ud_dir_ref_get(dir);
	j->name = xstrdup(name);
	j->member = xstrdup(member);
	j->target = target ? xstrdup(target) : NULL;
	j->perm = perm;
	j->bytes = sizeof(*j) + strlen(name) + strlen(member) + (target ? strlen(target) : 0);
	return j;
}

void ud_extract_job_add_data(struct ud_extract_job *j, int64_t off, const void *buf, size_t len)
{
	if (len == 0)
		return;
	if (j->len + len > j->cap) {
		j->cap = j->cap ? 2 * j->cap : 4096;
		while (j->cap < j->len + len)
			j->cap *= 2;
		j->data = xrealloc(j->data, j->cap);
	}
	memcpy(j->data + j->len, buf, len);
	j->len += len;
	j->bytes += len;
	struct segment *last = j->n_segs ? &j->segs[j->n_segs - 1] : NULL;
	if (last && last->off + (int64_t)last->len == off) {
		last->len += len;
		return;
	}
	if (j->n_segs == j->cap_segs) {
		j->cap_segs = j->cap_segs ? 2 * j->cap_segs : 4;
		j->segs = xrealloc(j->segs, j->cap_segs * sizeof(*j->segs));
	}
	j->segs[j->n_segs++] = (struct segment){.off = off, .len = len};
}

int64_t ud_extract_job_data_end(const struct ud_extract_job *j)
{
	int64_t end = 0;
	for (size_t i = 0; i < j->n_segs; i++)
		if (j->segs[i].off + (int64_t)j->segs[i].len > end)
			end = j->segs[i].off + (int64_t)j->segs[i].len;
	return end;
}

void ud_extract_job_set_end(struct ud_extract_job *j, int64_t size, time_t mtime)
{
	j->size = size;
	j->mtime = mtime;
}

void ud_extract_job_add_xattr(struct ud_extract_job *j, const char *name, const void *value,
			      size_t size)
{
	j->xattrs = xrealloc(j->xattrs, (j->n_xattrs + 1) * sizeof(*j->xattrs));
	struct xattr_copy *x = &j->xattrs[j->n_xattrs++];
	x->name = xstrdup(name);
	x->value = xmalloc(size ? size : 1);
	memcpy(x->value, value, size);
	x->size = size;
	j->bytes += sizeof(*x) + strlen(name) + size;
}

void ud_extract_job_free(struct ud_extract_job *j)
{
	if (j == NULL)
		return;
	ud_dir_ref_put(j->dir);
	free(j->name);
	free(j->member);
	free(j->target);
	free(j->data);
	free(j->segs);
	for (size_t i = 0; i < j->n_xattrs; i++) {
		free(j->xattrs[i].name);
		free(j->xattrs[i].value);
	}
	free(j->xattrs);
	free(j);
}

/* The paths of the queued jobs: a set, open addressing. */
struct path_set {
	char **slot;
	size_t cap, n;
};

static size_t path_hash(const char *s, size_t len)
{
	size_t h = 14695981039346656037u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

static bool path_set_has(const struct path_set *p, const char *s, size_t len)
{
	if (p->n == 0)
		return false;
	for (size_t i = path_hash(s, len) & (p->cap - 1);; i = (i + 1) & (p->cap - 1)) {
		const char *e = p->slot[i];
		if (e == NULL)
			return false;
		if (strncmp(e, s, len) == 0 && e[len] == '\0')
			return true;
	}
}

static void path_set_put(struct path_set *p, char *s)
{
	for (size_t i = path_hash(s, strlen(s)) & (p->cap - 1);; i = (i + 1) & (p->cap - 1))
		if (p->slot[i] == NULL) {
			p->slot[i] = s;
			p->n++;
			return;
		}
}

static void path_set_add(struct path_set *p, const char *s)
{
	if (path_set_has(p, s, strlen(s)))
		return;
	if (2 * (p->n + 1) > p->cap) {
		struct path_set bigger = {.cap = p->cap ? 2 * p->cap : 1024};
		bigger.slot = xcalloc(bigger.cap, sizeof(char *));
		for (size_t i = 0; i < p->cap; i++)
			if (p->slot[i])
				path_set_put(&bigger, p->slot[i]);
		free(p->slot);
		*p = bigger;
	}
	path_set_put(p, xstrdup(s));
}

static void path_set_clear(struct path_set *p)
{
	for (size_t i = 0; i < p->cap && p->n > 0; i++)
		if (p->slot[i]) {
			free(p->slot[i]);
			p->slot[i] = NULL;
			p->n--;
		}
}

struct worker {
	struct ud_extract_jobs *pool;
	pthread_t thread;
	pthread_cond_t ready;
	bool idle; /* waiting on ready */
	size_t queued;
	struct ud_extract_job *head, *tail;
};

struct ud_extract_jobs {
	pthread_mutex_t lock;
	pthread_cond_t room; /* a job finished */
	bool waiting;	     /* the main thread waits on room */
	struct worker w[MAX_WORKERS];
	int n_workers;
	bool stopping;
	size_t queued, queued_bytes;
	size_t busy_dirs, busy_max; /* directories with jobs queued, and their cap */
	struct path_set pending;    /* the main thread's only */
	/* The first failure; failed_member owned. */
	char *failed_member;
	const char *failed_what;
	int failed_errno;
	long skipped;
};

static void fail(struct ud_extract_jobs *J, const struct ud_extract_job *j, const char *what,
		 int errnum)
{
	pthread_mutex_lock(&J->lock);
	if (J->failed_member == NULL) {
		J->failed_member = xstrdup(j->member);
		J->failed_what = what;
		J->failed_errno = errnum;
	}
	pthread_mutex_unlock(&J->lock);
}

static bool has_failed(struct ud_extract_jobs *J)
{
	pthread_mutex_lock(&J->lock);
	bool failed = J->failed_member != NULL;
	pthread_mutex_unlock(&J->lock);
	return failed;
}

static int write_segments(const struct ud_extract_job *j, int fd)
{
	const char *p = j->data;
	for (size_t s = 0; s < j->n_segs; s++) {
		for (size_t done = 0; done < j->segs[s].len;) {
			ssize_t n = pwrite(fd, p + done, j->segs[s].len - done,
					   j->segs[s].off + (off_t)done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return n < 0 ? errno : EIO;
			done += (size_t)n;
		}
		p += j->segs[s].len;
	}
	if (j->size > ud_extract_job_data_end(j) && ftruncate(fd, j->size) < 0)
		return errno;
	return 0;
}

static void run_job(struct ud_extract_jobs *J, struct ud_extract_job *j)
{
	if (has_failed(J))
		return; /* the layer fails: the rest is not worth making */
	if (j->kind == UD_EXTRACT_JOB_SYMLINK) {
		if (symlinkat(j->target, j->dir->fd, j->name) < 0)
			__atomic_add_fetch(&J->skipped, 1, __ATOMIC_RELAXED);
		return;
	}
	int fd = openat(j->dir->fd, j->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			j->perm);
	if (fd < 0) {
		fail(J, j, "cannot create", errno);
		return;
	}
	int e = write_segments(j, fd);
	if (e != 0) {
		fail(J, j, "cannot write", e);
	} else {
		for (size_t i = 0; i < j->n_xattrs; i++)
			(void)fsetxattr(fd, j->xattrs[i].name, j->xattrs[i].value,
					j->xattrs[i].size, 0);
		struct timespec ts[2] = {{j->mtime, 0}, {j->mtime, 0}};
		futimens(fd, ts);
	}
	close(fd);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ud_extract_jobs *J = w->pool;
	pthread_mutex_lock(&J->lock);
	for (;;) {
		while (w->head == NULL && !J->stopping) {
			w->idle = true;
			pthread_cond_wait(&w->ready, &J->lock);
			w->idle = false;
		}
		struct ud_extract_job *j = w->head;
		if (j == NULL)
			break;
		w->head = j->next;
		if (w->head == NULL)
			w->tail = NULL;
		pthread_mutex_unlock(&J->lock);
		run_job(J, j);
		size_t bytes = j->bytes;
		struct ud_dir_ref *d = ud_dir_ref_get(j->dir);
		ud_extract_job_free(j);
		pthread_mutex_lock(&J->lock);
		J->queued--;
		J->queued_bytes -= bytes;
		w->queued--;
		if (--d->queued == 0)
			J->busy_dirs--;
		ud_dir_ref_put(d);
		if (J->waiting)
			pthread_cond_signal(&J->room);
	}
	pthread_mutex_unlock(&J->lock);
	return NULL;
}

struct ud_extract_jobs *ud_extract_jobs_new(void)
{
	struct ud_extract_jobs *J = xcalloc(1, sizeof(*J));
	pthread_mutex_init(&J->lock, NULL);
	pthread_cond_init(&J->room, NULL);
	struct rlimit rl;
	J->busy_max = MAX_BUSY_DIRS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur / 4 < J->busy_max)
		J->busy_max = rl.rlim_cur / 4 > 1 ? rl.rlim_cur / 4 : 1;
	cpu_set_t set;
	long cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
	int want = cpus <= 1 ? 0 : cpus > MAX_WORKERS ? MAX_WORKERS : (int)cpus;
	for (int i = 0; i < want; i++) {
		struct worker *w = &J->w[J->n_workers];
		w->pool = J;
		pthread_cond_init(&w->ready, NULL);
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			pthread_cond_destroy(&w->ready);
			break; /* fewer workers, or none: jobs run in the caller */
		}
		J->n_workers++;
	}
	return J;
}

/* Waits, J->lock held, until a job finished. */
static void wait_room(struct ud_extract_jobs *J)
{
	J->waiting = true;
	pthread_cond_wait(&J->room, &J->lock);
	J->waiting = false;
}

void ud_extract_jobs_submit(struct ud_extract_jobs *J, struct ud_extract_job *job, const char *path)
{
	if (J->n_workers == 0) {
		run_job(J, job);
		ud_extract_job_free(job);
		return;
	}
	path_set_add(&J->pending, path);
	pthread_mutex_lock(&J->lock);
	struct ud_dir_ref *d = job->dir;
	while (J->queued > 0 &&
	       (J->queued >= MAX_QUEUED_JOBS || J->queued_bytes + job->bytes > MAX_QUEUED_BYTES ||
		(d->queued == 0 && J->busy_dirs >= J->busy_max)))
		wait_room(J);
	if (d->queued == 0)
		J->busy_dirs++;
	if (d->queued == 0)
		for (int i = 0; i < J->n_workers; i++)
			if (i == 0 || J->w[i].queued < J->w[d->worker].queued)
				d->worker = i;
	struct worker *w = &J->w[d->worker];
	d->queued++;
	w->queued++;
	J->queued++;
	J->queued_bytes += job->bytes;
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	if (w->idle)
		pthread_cond_signal(&w->ready);
	pthread_mutex_unlock(&J->lock);
}

void ud_extract_jobs_flush(struct ud_extract_jobs *J)
{
	if (J->pending.n == 0)
		return; /* nothing was queued since the last flush */
	pthread_mutex_lock(&J->lock);
	while (J->queued > 0)
		wait_room(J);
	pthread_mutex_unlock(&J->lock);
	path_set_clear(&J->pending);
}

void ud_extract_jobs_wait_for(struct ud_extract_jobs *J, const char *path, size_t len)
{
	if (path_set_has(&J->pending, path, len))
		ud_extract_jobs_flush(J);
}

bool ud_extract_jobs_failure(struct ud_extract_jobs *J, const char **member, const char **what,
			     int *errnum)
{
	pthread_mutex_lock(&J->lock);
	bool failed = J->failed_member != NULL;
	*member = J->failed_member;
	*what = J->failed_what;
	*errnum = J->failed_errno;
	pthread_mutex_unlock(&J->lock);
	return failed;
}

long ud_extract_jobs_skipped(struct ud_extract_jobs *J)
{
	return __atomic_load_n(&J->skipped, __ATOMIC_RELAXED);
}

void ud_extract_jobs_free(struct ud_extract_jobs *J)
{
	if (J == NULL)
		return;
	pthread_mutex_lock(&J->lock);
	J->stopping = true;
	for (int i = 0; i < J->n_workers; i++)
		pthread_cond_signal(&J->w[i].ready);
	pthread_mutex_unlock(&J->lock);
	for (int i = 0; i < J->n_workers; i++) {
		pthread_join(J->w[i].thread, NULL);
		pthread_cond_destroy(&J->w[i].ready);
	}
	path_set_clear(&J->pending);
	free(J->pending.slot);
	free(J->failed_member);
	pthread_cond_destroy(&J->room);
	pthread_mutex_destroy(&J->lock);
	free(J);
}
