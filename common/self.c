/* Where this program is. Built from source, udocker is the file
 * /proc/self/exe names. In a release tarball bin/udocker is a static
 * launcher (launcher/main.c) that runs libexec/udocker/udocker through the
 * ELF loader shipped beside it: /proc/self/exe is then that loader, and the
 * launcher says where it is itself in UDOCKER_LAUNCHER, which is taken out
 * of the environment at once (no container nor host tool sees it). */
#include "common/common.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *self_exe; /* the udocker program itself */
static char *self_cmd; /* what starts udocker again */
static char *self_top; /* a release's top directory, or NULL */
static bool self_known;

static char *dir_of(const char *path)
{
	char *d = xstrdup(path);
	char *slash = strrchr(d, '/');
	if (slash && slash != d)
		*slash = '\0';
	else if (slash)
		d[1] = '\0';
	return d;
}

void ud_self_init(void)
{
	if (self_known)
		return;
	self_known = true;
	const char *launcher = getenv("UDOCKER_LAUNCHER");
	_cleanup_free_ char *held = launcher ? xstrdup(launcher) : NULL;
	unsetenv("UDOCKER_LAUNCHER");
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	const char *base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	/* Only when the loader runs this program does the launcher's word
	 * count: set by hand for a program built from source it changes
	 * nothing. */
	if (held && held[0] == '/' && ud_str_has_prefix(base, "ld-linux")) {
		_cleanup_free_ char *bin = dir_of(held);
		self_top = dir_of(bin);
		self_exe = xasprintf("%s/libexec/udocker/udocker", self_top);
		self_cmd = xstrdup(held);
		return;
	}
	self_exe = xstrdup(buf);
	self_cmd = xstrdup(buf);
}

const char *ud_self_exe(void)
{
	ud_self_init();
	return self_exe;
}

const char *ud_self_command(void)
{
	ud_self_init();
	return self_cmd;
}

const char *ud_self_release_top(void)
{
	ud_self_init();
	return self_top;
}

void ud_self_retitle(const char *title)
{
	/* Fields 48 and 49 of /proc/self/stat: where the kernel reads
	 * /proc/self/cmdline from (the arguments as exec laid them out). */
	_cleanup_error_ struct ud_error *err = NULL;
	_cleanup_free_ char *stat = ud_read_file("/proc/self/stat", NULL, &err);
	char *p = stat ? strrchr(stat, ')') : NULL;
	unsigned long start = 0, end = 0;
	for (int field = 2; p && field < 49; field++) {
		p = strchr(p + 1, ' ');
		if (p && field + 1 == 48)
			start = strtoul(p + 1, NULL, 10);
		if (p && field + 1 == 49)
			end = strtoul(p + 1, NULL, 10);
	}
	if (start == 0 || end <= start)
		return;
	char *args = (char *)start;
	size_t size = end - start;
	memset(args, 0, size);
	memcpy(args, title, strnlen(title, size - 1));
}
