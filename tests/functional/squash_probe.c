/* ud-test-squash: drives the image-file builder and reader of store/
 * (store/squash.c, store/squash_read.c) for t_squash_tree.sh.
 *
 *   ud-test-squash build TOPDIR NAME TAG
 *     builds (or reuses) the image file; prints its path; prints "built"
 *     on stderr when this process built it (the progress callback ran).
 *   ud-test-squash read TOPDIR CONTAINER PATH
 *     prints the container's file PATH as ud_store_container_read_file
 *     gives it.
 * UDOCKER_SQUASH_COMPRESSION (zstd|gzip) and UDOCKER_MAX_LAYER_SIZE (bytes)
 * are taken from the environment as the CLI does. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void progress(int64_t done, int64_t total, void *data)
{
	(void)done;
	(void)total;
	*(int *)data = 1;
}

int main(int argc, char **argv)
{
	if (argc < 5 || (strcmp(argv[1], "build") && strcmp(argv[1], "read"))) {
		fprintf(stderr, "usage: ud-test-squash build TOPDIR NAME TAG | "
				"read TOPDIR CONTAINER PATH\n");
		return 2;
	}
	struct ud_store_paths p = {.top = argv[2]};
	struct ud_error *err = NULL;
	struct ud_store *s = ud_store_open(&p, false, &err);
	if (s == NULL) {
		fprintf(stderr, "ud-test-squash: %s\n", err->msg);
		return 1;
	}
	const char *comp = getenv("UDOCKER_SQUASH_COMPRESSION");
	if (comp && strcmp(comp, "gzip") == 0)
		s->squash_compression = UD_SQUASH_GZIP;
	const char *max = getenv("UDOCKER_MAX_LAYER_SIZE");
	if (max && *max)
		s->max_layer_size = strtoll(max, NULL, 10);
	int rc = 0;
	if (strcmp(argv[1], "build") == 0) {
		int built = 0;
		char *path = NULL;
		if (ud_store_squash_build(s, argv[3], argv[4], progress, &built, &path, &err) < 0) {
			fprintf(stderr, "ud-test-squash: %s\n", err->msg);
			rc = 1;
		} else {
			printf("%s\n", path);
			if (built)
				fprintf(stderr, "built\n");
		}
		free(path);
	} else {
		struct ud_container *c = argc > 4 ? ud_store_container_get(s, argv[3], &err) : NULL;
		size_t len = 0;
		char *text =
			c ? ud_store_container_read_file(c, argv[4], 1 << 20, &len, &err) : NULL;
		if (text == NULL) {
			fprintf(stderr, "ud-test-squash: %s%s\n", err->msg,
				err->code == UD_ERR_NOT_FOUND ? " (not found)" : "");
			rc = 1;
		} else {
			fwrite(text, 1, len, stdout);
		}
		free(text);
		ud_store_container_free(c);
	}
	ud_error_free(err);
	ud_store_free(s);
	return rc;
}
