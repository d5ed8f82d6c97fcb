/* planner: a validated spec + the store's state -> an ordered plan of
 * steps, each with a state and a reason. Reads the store, never writes it,
 * never touches the network. */
#ifndef UD_PLANNER_H
#define UD_PLANNER_H

#include "common/common.h"
#include "oci/oci.h"
#include "registry/registry.h"
#include "spec/execmode.h"

struct ud_spec;
struct ud_spec_container;
struct ud_store;
struct ud_host_probe;

enum ud_step_kind {
	UD_STEP_PULL,
	UD_STEP_CREATE, /* ensure a container of that name made from the image */
	UD_STEP_SETUP,	/* ensure the container's execution mode */
	UD_STEP_RUN,	/* run the container's commands: never "present" */
};

enum ud_step_state {
	UD_STEP_PRESENT, /* nothing to do */
	UD_STEP_TODO,	 /* apply will do it */
	UD_STEP_BLOCKED, /* apply cannot do it; reason says why */
};

enum ud_pull_policy {
	UD_PULL_MISSING,
	UD_PULL_ALWAYS,
	UD_PULL_NEVER,
	UD_PULL_EVERY, /* "every DURATION": as ALWAYS once the last resolution is older */
};

struct ud_pull_step {
	char *ref_text;	   /* as written in the spec */
	struct ud_ref ref; /* parsed; the digest is set for pinned images */
	char *local_name;  /* repository name in the store */
	char *local_tag;   /* tag directory name (the digest for pins) */
	struct ud_platform platform;
	bool platform_given; /* platform asked for (else the host's): pulls must have it */
	enum ud_pull_policy policy;
	long every;		/* UD_PULL_EVERY: seconds between resolutions */
	bool locked;		/* the digest comes from the spec's lock file */
	int n_blobs, n_missing; /* from the store, when the tag exists */
};

struct ud_container_step {
	const struct ud_spec_container *spec; /* borrowed from the spec */
	size_t pull_step;		      /* index of the step pulling its image */
	enum ud_execmode mode;		      /* SETUP: the resolved execution mode */
	bool replace; /* CREATE: an existing container of that name goes first */
	/* CREATE: image-backed (rootfs squash; its image file is built first
	 * when missing), with its changes kept for one run only (ephemeral). */
	bool squash, ephemeral;
	bool picked; /* SETUP: mode chosen by auto (refined for the container at setup) */
};

struct ud_step {
	enum ud_step_kind kind;
	enum ud_step_state state;
	char *name;	/* what the step acts on, e.g. "127.0.0.1:5000/test/busybox:latest" */
	char *reason;	/* why it is in that state */
	char *where;	/* "file:line:col" of the spec item, or NULL */
	char **used_by; /* aliases / containers that need it */
	size_t n_used_by, used_by_cap;
	struct ud_pull_step pull;	    /* PULL */
	struct ud_container_step container; /* CREATE, SETUP, RUN */
};

struct ud_plan {
	struct ud_step *steps;
	size_t n_steps;
};

/* A lock file (lock.c): image reference + platform -> digest. */
struct ud_lock_entry {
	char *ref, *platform, *digest;
};
struct ud_lockfile {
	struct ud_lock_entry *entries;
	size_t n;
};
/* FILE.lock for the spec FILE (allocated). */
char *ud_lockfile_path(const char *spec_path);
/* Loads a lock file; *out NULL (and 0) when there is none; -1 with *err
 * when it is malformed. */
int ud_lockfile_load(const char *path, struct ud_lockfile **out, struct ud_error **err);
int ud_lockfile_write(const char *path, const struct ud_lockfile *l, struct ud_error **err);
void ud_lockfile_add(struct ud_lockfile *l, const char *ref, const char *platform,
		     const char *digest);
const char *ud_lockfile_digest(const struct ud_lockfile *l, const char *ref, const char *platform);
void ud_lockfile_free(struct ud_lockfile *l);

struct ud_planner_options {
	const char *registry_url;	/* --registry / UDOCKER_REGISTRY for host-less names */
	const char *hub_url;		/* dockerio_registry_url: Docker Hub or its mirror */
	const struct ud_lockfile *lock; /* pins tags to digests, or NULL */
	bool offline;			/* no registry may be asked: what is missing blocks */
	bool stage;			/* pull, create and set up; run nothing */
	const char *spec_path;		/* for messages ("apply --stage -f FILE") */
	bool no_volumes;		/* the run binds no volumes (run --novol) */
	const char
		*default_mode; /* what auto stands for (UDOCKER_DEFAULT_EXECUTION_MODE), or NULL */
	const char *default_rootfs; /* "dir" or "squash" (UDOCKER_ROOTFS), or NULL: dir */
	/* What this host can run (ud_engines_probe_host), probed once by the
	 * caller; the planner only reads it and runs no probe. Required when
	 * the spec has containers. */
	const struct ud_host_probe *host;
};

/* Builds the plan for spec against store. Returns NULL and sets *err when a
 * reference cannot be parsed or the store cannot be read. Steps that apply
 * cannot carry out are returned BLOCKED (not an error), among them a run
 * whose host volume path does not exist (without create: true) or whose
 * env file is not a regular file. */
struct ud_plan *ud_planner_plan(const struct ud_spec *spec, struct ud_store *store,
				const struct ud_planner_options *opts, struct ud_error **err);
void ud_plan_free(struct ud_plan *plan);

/* Renderings; caller frees. */
char *ud_plan_render_text(const struct ud_plan *plan);
char *ud_plan_render_json(const struct ud_plan *plan);
const char *ud_step_state_name(enum ud_step_state s);
const char *ud_step_kind_name(enum ud_step_kind k);
/* What keeps a run from binding the host side of volume v, as the run
 * would find it (NULL: nothing; else an allocated reason): a path that is
 * missing (without create: true), a dangling symbolic link, a parent that
 * is not a directory, a missing directory that create: true cannot make
 * (its nearest existing ancestor is not a writable directory). Symbolic
 * links are followed, as the bind follows them. */
struct ud_spec_volume;
char *ud_planner_volume_problem(const struct ud_spec_volume *v);
/* True when any step is BLOCKED. */
bool ud_plan_blocked(const struct ud_plan *plan);

#endif
