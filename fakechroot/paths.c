/* Settings and the guest <-> host mapping of the preload library. */
#include "fakechroot/fakechroot.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
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

/* Guest path -> host path, lexically (the guest path is normalised). */
static const char *map(const char *path, char *buf)
{
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
		n = snprintf(buf, FC_PATH, "%.*s%s", (int)fc.base_len, fc.base,
			     strcmp(path, "/") == 0 ? "" : path);
	if (n <= 0 || n >= FC_PATH) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return buf;
}

/* In a host == guest directory (FAKECHROOT_EXCLUDE_PATH: /proc, /dev):
 * its links are the host's (magic links of /proc among them). */
static bool excluded(const char *guest)
{
	for (size_t i = 0; i < fc.n_maps; i++)
		if (fc.maps[i].host_len == fc.maps[i].guest_len &&
		    strncmp(fc.maps[i].host, fc.maps[i].guest, fc.maps[i].host_len) == 0 &&
		    under(guest, fc.maps[i].guest, fc.maps[i].guest_len))
			return true;
	return false;
}

/* Guest path `path` resolved as a chroot would: ".." never climbs above
 * "/", and the container's symbolic links are followed here (a relative
 * target climbing with ".." stays inside, an absolute one is the guest's
 * or a host path inside the container), the last component only when
 * `follow`. The result, absolute and free of ".", ".." and links, goes to
 * out. Returns false with errno (ELOOP, ENAMETOOLONG). */
static bool resolve(const char *path, char *out, bool follow, bool lookup)
{
	char pending[FC_PATH], link[FC_PATH], hb[FC_PATH];
	size_t len = strlen(path);
	if (len >= sizeof(pending)) {
		errno = ENAMETOOLONG;
		return false;
	}
	memcpy(pending, path, len + 1);
	bool slash = len > 1 && path[len - 1] == '/';
	size_t olen = 0, pos = 0;
	int links = 0;
	out[0] = '\0';
	while (pending[pos]) {
		while (pending[pos] == '/')
			pos++;
		if (!pending[pos])
			break;
		size_t n = strcspn(pending + pos, "/");
		const char *c = pending + pos;
		pos += n;
		if (n == 1 && c[0] == '.')
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			while (olen > 0 && out[olen - 1] != '/')
				olen--;
			if (olen > 0)
				olen--;
			out[olen] = '\0';
			continue;
		}
		if (olen + n + 2 >= FC_PATH) {
			errno = ENAMETOOLONG;
			return false;
		}
		size_t prev = olen;
		out[olen++] = '/';
		memcpy(out + olen, c, n);
		olen += n;
		out[olen] = '\0';
		bool last = pending[pos + strspn(pending + pos, "/")] == '\0';
		if (!lookup || (last && !follow && !slash) || excluded(out))
			continue;
		const char *h = map(out, hb);
		ssize_t ln = h ? R(ssize_t(*)(const char *, char *, size_t),
				   readlink)(h, link, sizeof(link) - 1)
			       : -1;
		if (ln < 0) {
			/* Not a link; one that does not exist ends the lookups. */
			if (errno == ENOENT || errno == ENOTDIR)
				lookup = false;
			continue;
		}
		if (++links > 40) {
			errno = ELOOP;
			return false;
		}
		link[ln] = '\0';
		/* An absolute target is a host path inside the container (F-mode
		 * setup converts them), else the guest's own absolute path. */
		if (link[0] == '/')
			(void)fc_guest(link, sizeof(link));
		size_t rest = strlen(pending + pos);
		if ((size_t)ln + rest + 2 >= sizeof(pending)) {
			errno = ENAMETOOLONG;
			return false;
		}
		char tail[FC_PATH];
		memcpy(tail, pending + pos, rest + 1);
		int k = snprintf(pending, sizeof(pending), "%s/%s", link, tail);
		if (k < 0 || k >= (int)sizeof(pending)) {
			errno = ENAMETOOLONG;
			return false;
		}
		pos = 0;
		olen = link[0] == '/' ? 0 : prev;
		out[olen] = '\0';
	}
	if (olen == 0) {
		strcpy(out, "/");
		olen = 1;
	}
	if (slash && olen > 1 && olen + 1 < FC_PATH)
		strcpy(out + olen, "/");
	return true;
}

/* The guest directory of dirfd `d` (AT_FDCWD: the working directory). */
static bool guest_dir(int d, char *out)
{
	if (d == AT_FDCWD) {
		if (R(char *(*)(char *, size_t), getcwd)(out, FC_PATH) == NULL)
			return false;
	} else {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", d);
		ssize_t n = R(ssize_t(*)(const char *, char *, size_t), readlink)(proc, out,
										  FC_PATH - 1);
		if (n <= 0 || out[0] != '/')
			return false;
		out[n] = '\0';
	}
	return fc_guest(out, FC_PATH);
}

/* The guest path of (d, path), resolved, into g; NULL: use path as it is
 * (relative to a directory outside the container), errno 0. */
static const char *guest_of(int d, const char *path, char *g, int how)
{
	char full[FC_PATH];
	if (path[0] == '/') {
		if (under(path, fc.base, fc.base_len) && strlen(path) < sizeof(full)) {
			/* Already a host path inside the container (a program that kept one). */
			strcpy(full, path);
			fc_guest(full, sizeof(full));
			path = full;
		}
	} else {
		if (!guest_dir(d, full)) {
			errno = 0;
			return NULL;
		}
		size_t n = strlen(full);
		if (n + strlen(path) + 2 >= sizeof(full)) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		full[n] = '/';
		strcpy(full + n + 1, path);
		path = full;
	}
	return resolve(path, g, !(how & FC_NOFOLLOW), !(how & FC_LEXICAL)) ? g : NULL;
}

static bool read_only(const char *guest)
{
	for (size_t i = 0; i < fc.n_ro; i++)
		if (under(guest, fc.ro[i], strlen(fc.ro[i])))
			return true;
	return false;
}

const char *fc_host_at(int d, const char *path, char *buf, int how)
{
	if (!fc.on || path == NULL || path[0] == '\0' || ((how & FC_ABSONLY) && path[0] != '/'))
		return path;
	char g[FC_PATH];
	int saved = errno;
	if (guest_of(d, path, g, how) == NULL) {
		if (errno == 0) {
			errno = saved;
			return path;
		}
		return NULL;
	}
	if ((how & FC_WRITE) && read_only(g)) {
		errno = EROFS;
		return NULL;
	}
	const char *h = map(g, buf);
	errno = saved;
	return h;
}

const char *fc_host(const char *path, char *buf)
{
	return fc_host_at(AT_FDCWD, path, buf, 0);
}

bool fc_guest_at(int d, const char *path, char *g, int how)
{
	return fc.on && path && path[0] && guest_of(d, path, g, how) != NULL;
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
	return fc_host_at(AT_FDCWD, path, buf, FC_WRITE);
}
