/* Test helper (built static as ud-test-dirfd): lookups relative to a
 * directory fd that a tracer must translate, as P1's listener sees them.
 * Usage: ud-test-dirfd DIR NAME...  For each NAME: openat(DIR fd, NAME)
 * and newfstatat/statx of it; prints "NAME: <first line> <size> <size>"
 * or "NAME: error <strerror>". With NAME prefixed by "w:" it opens for
 * writing instead and prints "NAME: opened" or the error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: ud-test-dirfd DIR NAME...\n");
		return 2;
	}
	int dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *name = argv[i];
		if (strncmp(name, "w:", 2) == 0) {
			int fd = openat(dir, name + 2, O_WRONLY | O_CLOEXEC);
			printf("%s: %s\n", name, fd >= 0 ? "opened" : strerror(errno));
			if (fd >= 0)
				close(fd);
			continue;
		}
		int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			printf("%s: error %s\n", name, strerror(errno));
			continue;
		}
		char line[256] = {0};
		ssize_t n = read(fd, line, sizeof(line) - 1);
		close(fd);
		line[n > 0 ? strcspn(line, "\n") : 0] = '\0';
		struct stat st;
		struct statx stx;
		long s1 = fstatat(dir, name, &st, 0) == 0 ? (long)st.st_size : -1;
		long s2 = statx(dir, name, 0, STATX_SIZE, &stx) == 0 ? (long)stx.stx_size : -1;
		printf("%s: %s %ld %ld\n", name, line, s1, s2);
	}
	return 0;
}
