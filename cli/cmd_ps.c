#include "cli/jobs.h"
#include "store/store.h"

#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] = "Usage: udocker ps [-m] [-s] [-p]\n"
			   "\n"
			   "Lists the containers: id, P (protected) or '.', W/R (root writable or\n"
			   "not), names and image.\n"
			   "\n"
			   "Options:\n"
			   "  -m   also the execution mode\n"
			   "  -s   also the size in MB (reads the whole tree: slow)\n"
			   "  -p   also the platform\n";

static long long du_total;
static int du_add(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)p;
	(void)type;
	(void)f;
	du_total += (long long)st->st_blocks * 512;
	return 0;
}

UD_CMD(ps)
{
	bool mode = false, size = false, plat = false;
	struct ud_opt opts[] = {{"-m", UD_OPT_FLAG, &mode},
				{"-s", UD_OPT_FLAG, &size},
				{"-p", UD_OPT_FLAG, &plat},
				{0}};
	char **pos = NULL;
	UD_CLI_PARSE_OR_RETURN(argc, argv, opts, help, pos);
	bool extra = pos[0] != NULL;
	free(pos);
	if (extra) {
		ud_cli_error("ps: takes no arguments");
		return 1;
	}
	struct ud_error *err = NULL;
	struct ud_container **c = NULL;
	size_t n = 0;
	if (ud_store_container_list(cli->store, &c, &n, &err) < 0)
		return ud_cli_fail(err);
	printf("%-36s P M %s%s%s%-18s %s\n", "CONTAINER ID", mode ? "MOD " : "",
	       size ? "SIZE " : "", plat ? "PLATFORM           " : "", "NAMES", "IMAGE");
	for (size_t i = 0; i < n; i++) {
		char m = 'N';
		struct stat st;
		if (stat(c[i]->root, &st) == 0)
			m = !S_ISDIR(st.st_mode) ? 'D' : access(c[i]->root, W_OK) == 0 ? 'W' : 'R';
		struct ud_buf names = {0};
		ud_buf_puts(&names, "[");
		for (size_t k = 0; c[i]->names[k]; k++)
			ud_buf_printf(&names, "%s'%s'", k ? ", " : "", c[i]->names[k]);
		ud_buf_puts(&names, "]");
		printf("%-36s %c %c ", c[i]->id, c[i]->protected ? 'P' : '.', m);
		if (mode)
			printf("%-3s ", ud_execmode_name(c[i]->execmode));
		if (size) {
			du_total = 0;
			nftw(c[i]->root, du_add, 32, FTW_PHYS | FTW_MOUNT);
			printf("%4lld ", (du_total + 1048575) / 1048576);
		}
		if (plat) {
			_cleanup_free_ char *cj = ud_path_join(c[i]->dir, "container.json");
			_cleanup_free_ char *text = ud_read_file(cj, NULL, NULL);
			struct ud_image_config cfg = {0};
			_cleanup_free_ char *p =
				text && ud_image_config_parse(text, strlen(text), &cfg, NULL) == 0
					? ud_platform_format(&cfg.platform)
					: xstrdup("unknown/unknown");
			ud_image_config_release(&cfg);
			printf("%-18.18s ", p);
		}
		printf("%-18s %s\n", names.data, c[i]->image ? c[i]->image : "");
		ud_buf_release(&names);
	}
	ud_store_container_list_free(c, n);
	return 0;
}
