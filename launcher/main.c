/* bin/udocker of the release tarball: a static program (libc only) that
 * starts the real, dynamically linked udocker (libexec/udocker/udocker)
 * through the ELF loader and the libraries shipped beside it, so the
 * unpacked directory needs nothing of the host's userland but the kernel.
 *
 * The loader's --library-path serves the program's libraries and its
 * dlopen()s (libcurl, libarchive...) without being put in the environment:
 * the containers' programs and the host tools udocker starts never see it.
 * It says where it is itself in UDOCKER_LAUNCHER, which udocker takes out
 * of the environment first thing (common/self.c): it is what Slurm task
 * scripts and the like must start, and where udocker finds its parts
 * (/proc/self/exe is the loader for it).
 * A missing part is an error naming it, exit status 127 (as a shell's for a
 * command it cannot run). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRAM_DIR "libexec/udocker"
#define LIB_DIR PROGRAM_DIR "/lib"
#define LOADER LIB_DIR "/ld-linux-x86-64.so.2"
#define PROGRAM PROGRAM_DIR "/udocker"
#define EXIT_CANNOT_RUN 127

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("udocker: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(EXIT_CANNOT_RUN);
}

/* top/rel in buf, or exit when it does not fit. */
static void part_path(char *buf, const char *top, const char *rel)
{
	if ((size_t)snprintf(buf, PATH_MAX, "%s/%s", top, rel) >= PATH_MAX)
		die("path too long: %s/%s", top, rel);
}

/* Exits with a message naming the part when path is not a file (or
 * directory) of the release that this process may use (mode). */
static void need_part(const char *path, const char *what, mode_t type, int mode, const char *self)
{
	struct stat st;
	int e = stat(path, &st) < 0 ? errno : (st.st_mode & S_IFMT) != type ? ENOTDIR : 0;
	if (e == 0 && access(path, mode) < 0)
		e = errno;
	if (e == ENOTDIR && type == S_IFREG)
		e = EISDIR;
	if (e)
		die("%s %s: %s (this launcher, %s, starts the udocker release it was unpacked "
		    "with, from that release's bin/ directory)",
		    what, path, strerror(e), self);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self));
	if (n < 0)
		die("cannot find this program: /proc/self/exe: %s (is /proc mounted?)",
		    strerror(errno));
	if (n == 0 || (size_t)n >= sizeof(self))
		die("cannot find this program: /proc/self/exe is %s", n ? "too long" : "empty");
	self[n] = '\0';
	/* TOP/bin/udocker -> TOP */
	char top[PATH_MAX];
	memcpy(top, self, (size_t)n + 1);
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(top, '/');
		if (slash == NULL)
			die("cannot find the release directory of %s", self);
		*slash = '\0';
	}
	if (top[0] == '\0')
		strcpy(top, "/");
	if (strpbrk(top, ":;"))
		die("cannot run from %s: the ELF loader's library path cannot hold a "
		    "directory whose name has ':' or ';' (rename or move it)",
		    top);

	char program[PATH_MAX], loader[PATH_MAX], libdir[PATH_MAX];
	part_path(program, top, PROGRAM);
	part_path(loader, top, LOADER);
	part_path(libdir, top, LIB_DIR);
	need_part(program, "the udocker program", S_IFREG, X_OK, self);
	need_part(loader, "the ELF loader", S_IFREG, X_OK, self);
	need_part(libdir, "the library directory", S_IFDIR, X_OK, self);

	char **v = calloc((size_t)argc + 7, sizeof(*v));
	if (v == NULL)
		die("out of memory");
	size_t k = 0;
	v[k++] = loader;
	v[k++] = "--library-path";
	v[k++] = libdir;
	v[k++] = "--argv0";
	v[k++] = argc > 0 && argv[0] ? argv[0] : "udocker";
	v[k++] = program;
	for (int i = 1; i < argc; i++)
		v[k++] = argv[i];
	v[k] = NULL;
	if (setenv("UDOCKER_LAUNCHER", self, 1) < 0)
		die("cannot set UDOCKER_LAUNCHER: %s", strerror(errno));
	execv(loader, v);
	die("cannot execute %s: %s", loader, strerror(errno));
}
