/* Internal to store/: the files and symlinks of a layer created by worker
 * threads (store/extract_jobs.c), so that the kernel's cost of creating
 * inodes, the bulk of an extraction, runs on every CPU while the main
 * thread decompresses and walks the tar. */
#ifndef UD_STORE_EXTRACT_JOBS_H
#define UD_STORE_EXTRACT_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* An open directory shared by the directory cache and the jobs creating
 * names in it: the last reference closes fd (when owned). */
struct ud_dir_ref {
	int fd;
	bool owned;
	int refs;
	/* The worker its queued jobs are in, how many: the jobs of one
	 * directory run in order; a directory with none queued goes to the
	 * least busy worker. Under the jobs' lock. */
	int worker, queued;
};

struct ud_dir_ref *ud_dir_ref_new(int fd, bool owned);
struct ud_dir_ref *ud_dir_ref_get(struct ud_dir_ref *d);
void ud_dir_ref_put(struct ud_dir_ref *d);

/* Files up to this size go to a job (their data copied); larger ones are
 * written by the main thread as they are read. */
#define UD_EXTRACT_JOB_MAX_DATA ((int64_t)4 << 20)

enum ud_extract_job_kind { UD_EXTRACT_JOB_FILE, UD_EXTRACT_JOB_SYMLINK };

struct ud_extract_job;
struct ud_extract_jobs;

/* A job creating name (which must not exist) in dir: a regular file with
 * perm, or a symlink to target. member names it in errors. */
struct ud_extract_job *ud_extract_job_new(enum ud_extract_job_kind kind, struct ud_dir_ref *dir,
					  const char *name, const char *member, const char *target,
					  mode_t perm);
/* A file's data at off (copied), its final size (a trailing hole makes it
 * longer than its data) and mtime, a user.* extended attribute. */
void ud_extract_job_add_data(struct ud_extract_job *j, int64_t off, const void *buf, size_t len);
void ud_extract_job_set_end(struct ud_extract_job *j, int64_t size, time_t mtime);
/* The end of the file's data written so far. */
int64_t ud_extract_job_data_end(const struct ud_extract_job *j);
void ud_extract_job_add_xattr(struct ud_extract_job *j, const char *name, const void *value,
			      size_t size);
void ud_extract_job_free(struct ud_extract_job *j);

/* The workers of one layer: as many as there are CPUs (at most 4); none
 * on one CPU, where every job runs in ud_extract_jobs_submit. */
struct ud_extract_jobs *ud_extract_jobs_new(void);

/* Hands job (owned from now on) to a worker (the jobs of one directory
 * run in order, in one thread) and notes path as pending; waits while too
 * much is queued. */
void ud_extract_jobs_submit(struct ud_extract_jobs *J, struct ud_extract_job *job,
			    const char *path);

/* Waits until every queued job has run: the tree then holds all of them,
 * and nothing is pending. Every removal comes after one. */
void ud_extract_jobs_flush(struct ud_extract_jobs *J);

/* Flushes if a job for the path (len bytes) is queued: what the main
 * thread finds at a name no queued job creates is what stays there. */
void ud_extract_jobs_wait_for(struct ud_extract_jobs *J, const char *path, size_t len);

/* The first job that failed: its member, what failed ("cannot create",
 * "cannot write") and errno; false when none did. */
bool ud_extract_jobs_failure(struct ud_extract_jobs *J, const char **member, const char **what,
			     int *errnum);

/* Symlinks that could not be made (counted as skipped). */
long ud_extract_jobs_skipped(struct ud_extract_jobs *J);

/* Stops the workers after the queued jobs ran; frees J. */
void ud_extract_jobs_free(struct ud_extract_jobs *J);

#endif
