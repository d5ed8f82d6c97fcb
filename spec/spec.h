/* spec: the job-spec data model (docs/job-spec.md), its YAML loader with
 * file:line:column errors, validation, ${VAR} interpolation, and a builder
 * the CLI uses for docker-style commands. A loaded spec is immutable. */
#ifndef UD_SPEC_H
#define UD_SPEC_H

#include "common/common.h"

struct ud_spec_pos {
	const char *file; /* borrowed from the spec; NULL for CLI-built specs */
	int line, col;	  /* 1-based; 0 when unknown */
};

struct ud_spec_kv {
	char *key, *value;
};

struct ud_spec_image {
	char *alias; /* key under images:, or NULL for a container's direct reference */
	char *ref;
	char *digest;	/* "sha256:<hex>" pin, or NULL */
	char *platform; /* "os/arch[/variant]" or NULL (defaults, then host) */
	char *pull;	/* missing | always | never | reuse, or NULL (defaults) */
	struct ud_spec_pos pos;
};

struct ud_spec_volume {
	char *name; /* key under volumes:, or NULL for an inline "host:path[:ro]" */
	char *host, *path;
	bool readonly, create;
	struct ud_spec_pos pos;
};

struct ud_spec_command {
	bool image_default; /* docker-style run without a command: the image's Cmd */
	char **argv;	    /* a list in the spec */
	char *shell;	    /* a string in the spec: run under /bin/sh -c */
	struct ud_spec_pos pos;
};

enum ud_spec_entrypoint { UD_ENTRYPOINT_IMAGE, UD_ENTRYPOINT_CLEAR, UD_ENTRYPOINT_SET };

struct ud_spec_container {
	char *name;
	char *image; /* alias or reference */
	char *execmode, *user, *workdir, *hostname, *platform, *pull;
	char *rootfs;	/* "dir" or "squash" (image-backed); NULL: defaults.rootfs */
	bool ephemeral; /* squash: the container's changes last one run */
	struct ud_spec_kv *env;
	size_t n_env;
	char **env_file; /* resolved against the spec's directory */
	bool hostauth, hostenv, bindhome, nvidia, recreate;
	bool fresh; /* run/create IMAGE: always a new container; the name must be free */
	struct ud_spec_volume *volumes;
	size_t n_volumes;
	enum ud_spec_entrypoint entrypoint_mode;
	char **entrypoint;
	struct ud_spec_command *commands;
	size_t n_commands;
	struct ud_spec_pos pos;
	/* Where image:, user: and workdir: are written (line 0: unknown, the
	 * container's pos is used). */
	struct ud_spec_pos image_pos, user_pos, workdir_pos;
};

struct ud_spec {
	char *file; /* path the spec came from, or NULL */
	char *dir;  /* its directory (relative paths resolve here) */
	int version;
	char *def_execmode, *def_pull, *def_platform, *def_rootfs;
	struct ud_spec_image *images;
	size_t n_images;
	struct ud_spec_volume *volumes;
	size_t n_volumes;
	struct ud_spec_container *containers;
	size_t n_containers;
	char **tasks; /* tasks: the values ${TASK} may take (NULL-terminated), or NULL */
	/* Images with an alias sorted by it, built by ud_spec_validate() for
	 * ud_spec_find_image(); used while n_images is still image_index_of. */
	struct ud_spec_image **image_index;
	size_t n_image_index, image_index_of;
};

/* Looks a variable up; returns NULL when unset. */
typedef const char *(*ud_spec_getenv)(const char *name, void *data);

/* Loads and validates a spec from text. name is used in messages.
 * getenv NULL means the process environment. Returns NULL and sets *err
 * ("name:line:col: ...") on any syntax or validation error. */
struct ud_spec *ud_spec_load_string(const char *text, size_t len, const char *name,
				    ud_spec_getenv getenv_fn, void *getenv_data,
				    struct ud_error **err);
/* Same, from a file (at most 1 MiB). */
struct ud_spec *ud_spec_load_file(const char *path, struct ud_error **err);
struct ud_spec *ud_spec_load_file_env(const char *path, ud_spec_getenv getenv_fn, void *getenv_data,
				      struct ud_error **err);
void ud_spec_free(struct ud_spec *spec);

/* Finds an image alias; NULL when none. */
const struct ud_spec_image *ud_spec_find_image(const struct ud_spec *spec, const char *alias);

/* Builder for docker-style commands: an empty version-1 spec, then items. */
struct ud_spec *ud_spec_new(void);
struct ud_spec_image *ud_spec_add_image(struct ud_spec *spec, const char *alias, const char *ref);
/* Adds a container (fields to fill by the caller); volumes are given as
 * "HOST:CONTAINER[:ro]" in path (resolved by ud_spec_validate()). */
struct ud_spec_container *ud_spec_add_container(struct ud_spec *spec, const char *name,
						const char *image);
void ud_spec_container_add_volume(struct ud_spec_container *c, const char *text);
void ud_spec_container_add_env(struct ud_spec_container *c, const char *key, const char *value);
/* argv NULL: the image's default command. */
void ud_spec_container_add_command(struct ud_spec_container *c, char *const *argv);
/* Validates a built spec with the same rules as files (messages name the
 * item instead of a position). Volume container paths come out normalised
 * ("/data//x/./" -> "/data/x"); one that leaves the container ("/../x") or
 * is "/" is an error. Errors about volumes have code UD_ERR_USAGE (a run
 * that cannot be prepared), the others UD_ERR_INVALID. */
int ud_spec_validate(const struct ud_spec *spec, struct ud_error **err);

/* Reads an env file as Docker does: NAME=VALUE lines (leading whitespace,
 * blank and '#' lines skipped, a UTF-8 BOM and CRLF endings allowed);
 * NAME alone takes getenv_fn's value (NULL: the process environment) or
 * is left out when unset. A name that is empty or holds whitespace, a NUL
 * byte or invalid UTF-8 is an error naming the line (UD_ERR_USAGE); so
 * is a file that is not a regular file of at most 1 MiB. *out gets the
 * NAME=VALUE strings (caller frees with ud_strv_free). */
int ud_spec_read_env_file(const char *path, ud_spec_getenv getenv_fn, void *getenv_data,
			  char ***out, struct ud_error **err);

extern const char *const ud_spec_execmodes[];	 /* NULL-terminated, canonical spelling */
extern const char *const ud_spec_rootfs_kinds[]; /* "dir", "squash" */
/* The kind of root the container c asks for: its rootfs, else the spec's
 * defaults, else fallback (the configuration's, or NULL for "dir"). */
const char *ud_spec_container_rootfs(const struct ud_spec *s, const struct ud_spec_container *c,
				     const char *fallback);

/* Is v a pull policy "every N[smhd]" (re-resolve the tag when the last
 * resolution is older)? *seconds gets the interval. */
bool ud_spec_pull_every(const char *v, long *seconds);

#endif
