/* Settings and the guest <-> host mapping of the preload library. */
#include "fakechroot/fakechroot.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The oldest dlsym, so the library loads with a container's older glibc. */
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");

struct fc_config fc;

void *fc_real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (f == NULL) {
		static const char msg[] = "udocker fakechroot: a libc function is missing\n";
		(void)!write(2, msg, sizeof(msg) - 1);
		abort();
	}
	return f;
}

static void add_map(const char *host, const char *guest)
{
	if (fc.n_maps == sizeof(fc.maps) / sizeof(fc.maps[0]) || host[0] != '/' || guest[0] != '/')
		return;
	struct fc_map *m = &fc.maps[fc.n_maps++];
	m->host = host;
	m->guest = guest;
	m->host_len = strlen(host);
	m->guest_len = strlen(guest);
	while (m->host_len > 1 && host[m->host_len - 1] == '/')
		m->host_len--;
	while (m->guest_len > 1 && guest[m->guest_len - 1] == '/')
		m->guest_len--;
}

static void keep(const char *name)
{
	const char *v = getenv(name);
	if (v == NULL || fc.n_keep == sizeof(fc.keep) / sizeof(fc.keep[0]))
		return;
	char *kv = malloc(strlen(name) + strlen(v) + 2);
	if (kv == NULL)
		return;
	sprintf(kv, "%s=%s", name, v);
	fc.keep[fc.n_keep++] = kv;
}

__attribute__((constructor)) static void fc_init(void)
{
	const char *base = getenv("FAKECHROOT_BASE");
	if (base == NULL || base[0] != '/')
		return;
	fc.base = strdup(base);
	fc.base_len = strlen(fc.base);
	while (fc.base_len > 1 && fc.base[fc.base_len - 1] == '/')
		fc.base_len--;
	/* Volumes: "HOST!GUEST:...", the longest guest path first (udocker sorts them). */
	const char *dm = getenv("FAKECHROOT_DIR_MAP");
	if (dm) {
		char *copy = strdup(dm), *save = NULL;
		for (char *e = strtok_r(copy, ":", &save); e; e = strtok_r(NULL, ":", &save)) {
			char *bang = strchr(e, '!');
			if (bang) {
				*bang = '\0';
				add_map(e, bang + 1);
			}
		}
	}
	const char *ex = getenv("FAKECHROOT_EXCLUDE_PATH");
	if (ex) {
		char *copy = strdup(ex), *save = NULL;
		for (char *e = strtok_r(copy, ":", &save); e; e = strtok_r(NULL, ":", &save))
			add_map(e, e);
	}
	const char *ro = getenv("UDOCKER_RO_DIRS");
	if (ro) {
		char *copy = strdup(ro), *save = NULL;
		for (char *e = strtok_r(copy, ":", &save); e && fc.n_ro < 32;
		     e = strtok_r(NULL, ":", &save))
			fc.ro[fc.n_ro++] = e;
	}
	const char *hn = getenv("UDOCKER_HOSTNAME");
	fc.hostname = hn && *hn ? strdup(hn) : NULL;
	const char *loader = getenv("FAKECHROOT_ELFLOADER");
	fc.loader = loader && *loader ? strdup(loader) : NULL;
	static const char *const names[] = {"LD_PRELOAD",
					    "LD_LIBRARY_PATH",
					    "FAKECHROOT_BASE",
					    "FAKECHROOT_DIR_MAP",
					    "FAKECHROOT_EXCLUDE_PATH",
					    "FAKECHROOT_ELFLOADER",
					    "FAKECHROOT_LIBRARY_ORIG",
					    "LD_LIBRARY_REAL",
					    "UDOCKER_RO_DIRS",
					    "UDOCKER_HOSTNAME"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		keep(names[i]);
	fc.on = true;
}

static bool under(const char *path, const char *prefix, size_t n)
{
	if (n == 1 && prefix[0] == '/')
		return true;
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

const char *fc_host(const char *path, char *buf)
{
	if (!fc.on || path == NULL || path[0] != '/')
		return path;
	/* Already a host path inside the container (a program that kept one). */
	if (under(path, fc.base, fc.base_len))
		return path;
	const struct fc_map *best = NULL;
	for (size_t i = 0; i < fc.n_maps; i++)
		if (under(path, fc.maps[i].guest, fc.maps[i].guest_len) &&
		    (best == NULL || fc.maps[i].guest_len > best->guest_len))
			best = &fc.maps[i];
	int n;
	if (best)
		n = snprintf(buf, FC_PATH, "%.*s%s", (int)best->host_len, best->host,
			     path + (best->guest_len == 1 ? 0 : best->guest_len));
	else
		n = snprintf(buf, FC_PATH, "%.*s%s", (int)fc.base_len, fc.base, path);
	return n > 0 && n < FC_PATH ? buf : path;
}

bool fc_guest(char *path, size_t size)
{
	if (!fc.on || path[0] != '/')
		return true;
	for (size_t i = 0; i < fc.n_maps; i++) {
		const struct fc_map *m = &fc.maps[i];
		if (m->host_len > 1 && under(path, m->host, m->host_len)) {
			char tmp[FC_PATH];
			int n = snprintf(tmp, sizeof(tmp), "%.*s%s", (int)m->guest_len, m->guest,
					 path + m->host_len);
			if (n <= 0 || (size_t)n >= size)
				return false;
			memcpy(path, tmp, (size_t)n + 1);
			return true;
		}
	}
	if (under(path, fc.base, fc.base_len)) {
		size_t rest = strlen(path + fc.base_len);
		if (rest == 0)
			strcpy(path, "/");
		else
			memmove(path, path + fc.base_len, rest + 1);
		return true;
	}
	return false;
}

const char *fc_host_w(const char *path, char *buf)
{
	if (path == NULL)
		return "";
	for (size_t i = 0; fc.on && path && path[0] == '/' && i < fc.n_ro; i++) {
		if (under(path, fc.ro[i], strlen(fc.ro[i]))) {
			errno = EROFS;
			return NULL;
		}
	}
	return fc_host(path, buf);
}
