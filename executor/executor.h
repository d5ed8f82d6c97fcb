/* executor: carries out a plan's steps against the store and the registry.
 * Steps that are PRESENT are skipped; the first failing step stops the
 * run. Progress and events go to callbacks; nothing is printed here. */
#ifndef UD_EXECUTOR_H
#define UD_EXECUTOR_H

#include "planner/planner.h"
#include "registry/registry.h"

#include <sys/types.h>

struct ud_store;

enum ud_event {
	UD_EV_STEP_BEGIN,  /* step starts (not called for PRESENT steps) */
	UD_EV_STEP_SKIP,   /* step already done */
	UD_EV_BLOB_BEGIN,  /* a blob download starts: digest, total */
	UD_EV_BLOB_REUSED, /* a blob is already in the store: digest */
	UD_EV_BLOB_WAIT,   /* waiting for another process downloading the blob */
	UD_EV_PROGRESS,	   /* bytes done/total over the whole step */
	UD_EV_STEP_DONE,
	/* A create step builds its image's image file: digest is the image
	 * ("name:tag"); PROGRESS events follow (layer bytes read), then
	 * BUILD_DONE. */
	UD_EV_BUILD_BEGIN,
	UD_EV_BUILD_DONE,
};

struct ud_event_info {
	const struct ud_step *step;
	const char *digest; /* blob events */
	int64_t done, total;
};

/* Docker-style run options that are not part of the job spec. */
struct ud_run_options {
	bool nometa;  /* ignore the image's metadata */
	bool hostenv; /* start from the host's environment */
	char **host_environ;
	bool nosysdirs;			  /* no /dev, /proc, /sys, resolv.conf, hosts */
	bool novol;			  /* ignore volumes */
	bool bindhome;			  /* bind the host's $HOME */
	bool containerauth;		  /* the container's passwd/group as they are */
	const char *tmpdir;		  /* for generated files; NULL: $TMPDIR or /tmp */
	const char *kernel;		  /* --kernel: release reported by uname (P modes) */
	const unsigned short (*ports)[2]; /* -p: {container, host} pairs (P modes) */
	size_t n_ports;
	bool dri; /* --dri: bind the host's DRI driver directories */
};

struct ud_executor_options {
	const struct ud_registry_options *registry;
	const struct ud_run_options *run; /* may be NULL */
	void (*on_event)(enum ud_event ev, const struct ud_event_info *info, void *data);
	void *data;
};

/* Totals of one apply. */
struct ud_exec_stats {
	int steps_done, steps_skipped;
	int blobs_downloaded, blobs_reused;
	int64_t bytes_downloaded;
	int manifest_requests;
	int job_status; /* the first failing command's status, else 0 */
	/* With job_status: "container NAME: command N", the one that failed. */
	char failed_command[160];
	bool prepare_failed; /* a command could not be prepared (exit status 2) */
	char created_id[80]; /* the last container this apply created, or "" */
};

/* Executes plan in order. Returns 0 when every step is done; -1 with *err
 * (prefixed with the step) at the first failure. A plan with a BLOCKED
 * step fails before any step runs (stats->prepare_failed when it is a
 * run). */
int ud_executor_apply(const struct ud_plan *plan, struct ud_store *store,
		      const struct ud_executor_options *opts, struct ud_exec_stats *stats,
		      struct ud_error **err);

/* Gives the container id_or_name the name `name` as well; 0 when it has
 * it already; -1 (UD_ERR_EXISTS) when another container has it. */
int ud_executor_add_name(struct ud_store *store, const char *id_or_name, const char *name,
			 struct ud_error **err);
/* create: the container made under the temporary name tmp gets `name`
 * (NULL: none) and loses tmp; *id (allocated) is its id. With name taken
 * the container keeps no name and -1 (UD_ERR_EXISTS) is returned. */
int ud_executor_rename(struct ud_store *store, const char *tmp, const char *name, char **id,
		       struct ud_error **err);
/* setup --execmode and apply's setup step: sets the execution mode of
 * the container (MODE in any case; auto: the fastest for this container)
 * after the engine's conversion; *chosen (may be NULL) the mode set.
 * Refused for a protected container or a mode this host cannot run. */
int ud_executor_setup(struct ud_store *store, const char *id_or_name, const char *mode,
		      enum ud_execmode *chosen, struct ud_error **err);
/* run --rm: removes the container (its names too); protected ones stay
 * (-1, UD_ERR_PROTECTED). */
int ud_executor_remove(struct ud_store *store, const char *id, struct ud_error **err);
/* export: the container's root filesystem as a tar on fd (whole: its
 * directory, for import --clone). An image-backed container's tree is
 * mounted for it as a run mounts it (N1); whole is refused for one (clone
 * copies it). */
int ud_executor_export(struct ud_store *store, const char *id, bool whole, int fd,
		       struct ud_error **err);

/* Runs command (NULL: the image's) in the existing container `name` with
 * the options of sc (user, env, volumes, workdir, entrypoint). -1 with *err
 * when it could not be prepared; else *status is the command's. */
int ud_executor_run_container(struct ud_store *store, const char *name,
			      const struct ud_spec_container *sc, char *const *command,
			      const struct ud_run_options *o, int *status, struct ud_error **err);

/* Runs command in N1 with the directory dir as the root (run --location). */
int ud_executor_run_location(const char *dir, const struct ud_spec_container *sc,
			     char *const *command, const struct ud_run_options *o, int *status,
			     struct ud_error **err);

/* lock: resolves the tag of every pull step of plan that is not pinned
 * by digest in the spec (one manifest request each, with ropts) and
 * writes the digests to the lock file at path (FILE.lock). *locked (the
 * caller frees it with ud_lockfile_free) holds what was resolved, also
 * when a later image fails; *manifest_requests the requests made. -1
 * with *err ("lock 'REF': ...") when one cannot be resolved or the file
 * not written. */
int ud_executor_lock(const struct ud_plan *plan, const struct ud_registry_options *ropts,
		     const char *path, struct ud_lockfile **locked, int *manifest_requests,
		     struct ud_error **err);

/* submit: the spec's tasks as one Slurm job array (run by sbatch from
 * PATH); task N runs `udocker apply --offline --task N -f SPEC` with this
 * udocker program, so the caller stages the spec first. */
struct ud_submit_options {
	const char *spec_path;	     /* absolute: the compute nodes read it */
	const char *spec_name;	     /* as the user named it, for messages */
	char *const *tasks;	     /* the spec's tasks (numbers), may be NULL */
	char *const *sbatch_options; /* passed to sbatch as they are, may be NULL */
	bool allow_root, no_lock;    /* the tasks' --allow-root and --no-lock */
	bool wait;		     /* sbatch --wait: it ends with the array */
};
struct ud_submission {
	char *array;  /* the tasks as sbatch --array wants them ("1-3,5") */
	char *sbatch; /* the sbatch program */
	char *dir;    /* beside the spec: task.sh, each task's output and status */
	char *job_id; /* what sbatch printed */
	pid_t pid;    /* sbatch, until ud_executor_submit_wait */
	int out_fd;
};
/* Before anything is staged: the tasks are numbers and sbatch is on
 * PATH; -1 with *err when not. Release s with ud_submission_release. */
int ud_executor_submit_check(const struct ud_submit_options *o, struct ud_submission *s,
			     struct ud_error **err);
/* Writes the task script into a new directory beside the spec and starts
 * sbatch; returns once sbatch printed the job id (s->job_id), while sbatch
 * may still wait for the array (o->wait). -1 with *err when the script
 * cannot be written or sbatch printed no id ("sbatch failed (exit status
 * N)"); the new directory is removed then. */
int ud_executor_submit(const struct ud_submit_options *o, struct ud_submission *s,
		       struct ud_error **err);
/* Waits for sbatch to end. With o->wait returns each task's exit status
 * (allocated, in the order of o->tasks; -1: the task left none: killed,
 * or never ran), else NULL. */
int *ud_executor_submit_wait(const struct ud_submit_options *o, struct ud_submission *s);
void ud_submission_release(struct ud_submission *s);

#endif
