#include "cli/jobs.h"
#include "store/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] = "Usage: udocker images [-l] [-p]\n"
			   "\n"
			   "Lists the images in the local repository: NAME:TAG and '.' or 'P'\n"
			   "(protected).\n"
			   "\n"
			   "Options:\n"
			   "  -l   also the tag directory and each layer with its size\n"
			   "  -p   also the platform (os/arch[/variant])\n"
			   "  --no-trunc, -a, --all   accepted as udocker 1.3.16 does (cwltool\n"
			   "       sends them); nothing is truncated or hidden, so they change\n"
			   "       nothing\n";

static void print_layers(const char *dir)
{
	printf(" %s\n", dir);
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISLNK(st.st_mode))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0)
			st.st_size = 0;
		/* Rounded up: a small layer is not "0 MB" (quirk 3). */
		printf("    /%s (%lld MB)\n", de->d_name,
		       (long long)((st.st_size + 1048575) / 1048576));
	}
	closedir(d);
}

static char *platform_of(const struct ud_store *s, const struct ud_image_entry *e)
{
	_cleanup_error_ struct ud_error *err = NULL;
	struct ud_image *img = ud_store_image_open(s, e->name, e->tag, &err);
	if (img == NULL || img->config == NULL) {
		ud_store_image_free(img);
		return xstrdup("unknown/unknown");
	}
	struct ud_image_config cfg;
	char *p = ud_image_config_parse(img->config, strlen(img->config), &cfg, &err) == 0
			  ? ud_platform_format(&cfg.platform)
			  : xstrdup("unknown/unknown");
	if (cfg.platform.os)
		ud_image_config_release(&cfg);
	ud_store_image_free(img);
	return p;
}

UD_CMD(images)
{
	bool longfmt = false, plat = false, notrunc = false, all = false;
	struct ud_opt opts[] = {{"-l", UD_OPT_FLAG, &longfmt},
				{"-p", UD_OPT_FLAG, &plat},
				{"--no-trunc", UD_OPT_FLAG, &notrunc},
				{"-a|--all", UD_OPT_FLAG, &all},
				{0}};
	const struct ud_cli_grammar g = {.opts = opts, .help = help};
	UD_CLI_PARSE(&g, pos);
	struct ud_error *err = NULL;
	struct ud_image_entry *e = NULL;
	size_t n = 0;
	if (ud_store_list(cli->store, &e, &n, &err) < 0)
		return ud_cli_fail(err);
	if (ud_log_get_level() >= UD_LOG_INFO)
		printf("REPOSITORY\n");
	for (size_t i = 0; i < n; i++) {
		if (plat) {
			_cleanup_free_ char *p = platform_of(cli->store, &e[i]);
			printf("%-18.18s %c %s:%s\n", p, e[i].protected ? 'P' : '.', e[i].name,
			       e[i].tag);
		} else {
			printf("%s:%s    %c\n", e[i].name, e[i].tag, e[i].protected ? 'P' : '.');
		}
		if (longfmt)
			print_layers(e[i].dir);
	}
	ud_store_list_free(e, n);
	return 0;
}
