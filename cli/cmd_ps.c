#include "cli/jobs.h"
#include "store/store.h"

#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] = "Usage: udocker ps [-m] [-s] [-p] [--json|--format=json]\n"
			   "\n"
			   "Lists the containers: id, P (protected) or '.', W/R (root writable or\n"
			   "not), names and image.\n"
			   "\n"
			   "Options:\n"
			   "  -m   also the execution mode\n"
			   "  -s   also the size in MB (reads the whole tree: slow; an\n"
			   "       image-backed container's own changes, not its image file)\n"
			   "  -p   also the platform\n"
			   "  --json, --format=json\n"
			   "       a JSON list: id, names, image, protected, root (writable,\n"
			   "       read-only, missing, not-a-directory), execmode, platform,\n"
			   "       directory, size_mb (with -s, else null), rootfs (dir or\n"
			   "       squash), ephemeral, image_file (squash, else null)\n";

static long long du_total;
static int du_add(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)p;
	(void)type;
	(void)f;
	du_total += (long long)st->st_blocks * 512;
	return 0;
}

/* What the M column shows of ROOT: W writable, R not, N missing, D not a
 * directory. An image-backed container's root is its image file (N when
 * it is missing) and its changes go to upper/ (memory when ephemeral). */
static char root_state(const struct ud_container *c)
{
	struct stat st;
	if (c->rootfs == UD_ROOTFS_SQUASH) {
		if (c->image_file == NULL || stat(c->image_file, &st) < 0)
			return 'N';
		if (c->ephemeral)
			return 'W';
		return stat(c->upper, &st) < 0	     ? 'N'
		       : !S_ISDIR(st.st_mode)	     ? 'D'
		       : access(c->upper, W_OK) == 0 ? 'W'
						     : 'R';
	}
	if (stat(c->root, &st) < 0)
		return 'N';
	return !S_ISDIR(st.st_mode) ? 'D' : access(c->root, W_OK) == 0 ? 'W' : 'R';
}

/* du -s -m -x ROOT (an image-backed container: upper/): MiB rounded up. */
static long long size_mb(const struct ud_container *c)
{
	du_total = 0;
	const char *tree = c->rootfs == UD_ROOTFS_SQUASH ? c->upper : c->root;
	if (tree == NULL)
		return 0; /* ephemeral: nothing on disk */
	if (nftw(tree, du_add, 32, FTW_PHYS | FTW_MOUNT) < 0)
		return -1;
	return (du_total + 1048575) / 1048576;
}

static char *platform_of(const struct ud_container *c)
{
	_cleanup_free_ char *cj = ud_path_join(c->dir, "container.json");
	_cleanup_free_ char *text = ud_read_file(cj, NULL, NULL);
	struct ud_image_config cfg = {0};
	char *p = text && ud_image_config_parse(text, strlen(text), &cfg, NULL) == 0
			  ? ud_platform_format(&cfg.platform)
			  : xstrdup("unknown/unknown");
	ud_image_config_release(&cfg);
	return p;
}

/* ps --json: one object per container (docs/udocker.1, JSON OUTPUT). */
static json_t *container_json(const struct ud_container *c, bool size)
{
	static const char *const states[] = {"writable", "read-only", "missing", "not-a-directory"};
	char m = root_state(c);
	const char *state = states[m == 'W' ? 0 : m == 'R' ? 1 : m == 'N' ? 2 : 3];
	json_t *names = json_array();
	for (size_t k = 0; c->names[k]; k++)
		json_array_append_new(names, json_string(c->names[k]));
	_cleanup_free_ char *plat = platform_of(c);
	json_t *o = json_pack("{s:s, s:o, s:s, s:b, s:s, s:s, s:s, s:s}", "id", c->id, "names",
			      names, "image", c->image ? c->image : "", "protected", c->protected,
			      "root", state, "execmode", ud_execmode_name(c->execmode), "platform",
			      plat, "directory", c->dir);
	json_object_set_new(o, "size_mb", size ? json_integer(size_mb(c)) : json_null());
	ud_cli_rootfs_json(o, c, false);
	return o;
}

UD_CMD(ps)
{
	bool mode = false, size = false, plat = false, json = false;
	const char *format = NULL;
	struct ud_opt opts[] = {{"-m", UD_OPT_FLAG, &mode},
				{"-s", UD_OPT_FLAG, &size},
				{"-p", UD_OPT_FLAG, &plat},
				UD_CLI_FORMAT_OPTS(json, format),
				{0}};
	const struct ud_cli_grammar g = {.opts = opts, .help = help};
	UD_CLI_PARSE(&g, pos);
	int rc = ud_cli_want_json(cli, json, format, &json);
	if (rc)
		return rc;
	struct ud_error *err = NULL;
	struct ud_container **c = NULL;
	size_t n = 0;
	if (ud_store_container_list(cli->store, &c, &n, &err) < 0)
		return ud_cli_fail(err);
	if (json) {
		json_t *list = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, container_json(c[i], size));
		ud_store_container_list_free(c, n);
		return ud_cli_put_json(list);
	}
	/* udocker 1.3.16's columns, byte for byte: "%-36.36s %c %c " then
	 * "%2.2s " (-m), "%5.5s " (-s), "%-18.18s " (-p), "%-18.100s
	 * %-20.100s" (the header's IMAGE "%-20.20s"). */
	printf("%-36.36s P M %s%s%s%-18s %-20.20s\n", "CONTAINER ID", mode ? "MOD " : "",
	       size ? "SIZE " : "", plat ? "PLATFORM           " : "", "NAMES", "IMAGE");
	for (size_t i = 0; i < n; i++) {
		struct ud_buf names = {0};
		ud_buf_puts(&names, "[");
		for (size_t k = 0; c[i]->names[k]; k++)
			ud_buf_printf(&names, "%s'%s'", k ? ", " : "", c[i]->names[k]);
		ud_buf_puts(&names, "]");
		printf("%-36.36s %c %c ", c[i]->id, c[i]->protected ? 'P' : '.', root_state(c[i]));
		if (mode)
			printf("%2.2s ", ud_execmode_name(c[i]->execmode));
		if (size) {
			char mb[24];
			snprintf(mb, sizeof(mb), "%lld", size_mb(c[i]));
			printf("%5.5s ", mb);
		}
		if (plat) {
			_cleanup_free_ char *p = platform_of(c[i]);
			printf("%-18.18s ", p);
		}
		printf("%-18.100s %-20.100s\n", names.data, c[i]->image ? c[i]->image : "");
		ud_buf_release(&names);
	}
	ud_store_container_list_free(c, n);
	return 0;
}
