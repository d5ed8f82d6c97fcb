/* libFuzzer target: layer extraction (tar, gzip; whiteouts, links, '..',
 * absolute paths) into a scratch root, which must stay the only thing
 * written. */
#include "store/store_private.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/ud-fuzz-extract-%d", (int)getpid());
		mkdir(dir, 0755);
	}
	_cleanup_free_ char *layer = xasprintf("%s/layer", dir);
	_cleanup_free_ char *root = xasprintf("%s/root", dir);
	if (ud_write_file_atomic(layer, data, size, 0644, NULL) < 0)
		return 0;
	ud_rmtree(root, NULL);
	mkdir(root, 0755);
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct ud_extract_stats st = {0};
	struct ud_error *err = NULL;
	int64_t total = 0;
	ud_store_extract_layer(fd, layer, 1 << 26, &total, &st, &err);
	ud_error_free(err);
	close(fd);
	/* Nothing may land beside the root. */
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "layer") && strcmp(de->d_name, "root"))
			abort();
	if (d)
		closedir(d);
	return 0;
}
