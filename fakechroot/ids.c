/* Identity emulation (and --hostname) in the F modes (UDOCKER_FAKE_IDS=UID:GID, set by the
 * engine for --user or root): the identity calls report the emulated ids,
 * set*id change them by the kernel's rules as if the process had them, and
 * while the emulated effective uid is 0 ownership changes succeed. The ids
 * live in the process (fork copies them) and travel across exec in the
 * environment. */
#include "fakechroot/fakechroot.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static bool on;
static unsigned ru, eu, su, rg, eg, sg;
static gid_t groups[64];
static size_t n_groups;
static char env_ids[96];

static void save(void)
{
	snprintf(env_ids, sizeof(env_ids), "UDOCKER_FAKE_IDS=%u:%u:%u:%u:%u:%u", ru, eu, su, rg, eg,
		 sg);
}

__attribute__((constructor)) static void ids_init(void)
{
	const char *v = getenv("UDOCKER_FAKE_IDS");
	if (v == NULL)
		return;
	int n = sscanf(v, "%u:%u:%u:%u:%u:%u", &ru, &eu, &su, &rg, &eg, &sg);
	if (n == 2) { /* UID:GID as the engine sets it */
		rg = eu;
		eu = su = ru;
		eg = sg = rg;
	} else if (n != 6) {
		return;
	}
	groups[0] = rg;
	n_groups = 1;
	on = true;
	save();
}

const char *fc_ids_env(void)
{
	return on ? env_ids : NULL;
}

uid_t getuid(void)
{
	return on ? ru : R(uid_t(*)(void), getuid)();
}
uid_t geteuid(void)
{
	return on ? eu : R(uid_t(*)(void), geteuid)();
}
gid_t getgid(void)
{
	return on ? rg : R(gid_t(*)(void), getgid)();
}
gid_t getegid(void)
{
	return on ? eg : R(gid_t(*)(void), getegid)();
}
int getresuid(uid_t *r, uid_t *e, uid_t *s)
{
	if (!on)
		return R(int (*)(uid_t *, uid_t *, uid_t *), getresuid)(r, e, s);
	*r = ru;
	*e = eu;
	*s = su;
	return 0;
}
int getresgid(gid_t *r, gid_t *e, gid_t *s)
{
	if (!on)
		return R(int (*)(gid_t *, gid_t *, gid_t *), getresgid)(r, e, s);
	*r = rg;
	*e = eg;
	*s = sg;
	return 0;
}
int getgroups(int size, gid_t list[])
{
	if (!on)
		return R(int (*)(int, gid_t *), getgroups)(size, list);
	if (size == 0)
		return (int)n_groups;
	if ((size_t)size < n_groups) {
		errno = EINVAL;
		return -1;
	}
	memcpy(list, groups, n_groups * sizeof(gid_t));
	return (int)n_groups;
}

#define KEEP ((unsigned)-1)

static bool may(unsigned v, unsigned r, unsigned e, unsigned s)
{
	return eu == 0 || v == KEEP || v == r || v == e || v == s;
}

static int set3(unsigned *r, unsigned *e, unsigned *s, unsigned nr, unsigned ne, unsigned ns)
{
	if (!(may(nr, *r, *e, *s) && may(ne, *r, *e, *s) && may(ns, *r, *e, *s))) {
		errno = EPERM;
		return -1;
	}
	if (nr != KEEP)
		*r = nr;
	if (ne != KEEP)
		*e = ne;
	if (ns != KEEP)
		*s = ns;
	save();
	return 0;
}

int setresuid(uid_t r, uid_t e, uid_t s)
{
	return on ? set3(&ru, &eu, &su, r, e, s)
		  : R(int (*)(uid_t, uid_t, uid_t), setresuid)(r, e, s);
}
int setresgid(gid_t r, gid_t e, gid_t s)
{
	return on ? set3(&rg, &eg, &sg, r, e, s)
		  : R(int (*)(gid_t, gid_t, gid_t), setresgid)(r, e, s);
}
int setreuid(uid_t r, uid_t e)
{
	if (!on)
		return R(int (*)(uid_t, uid_t), setreuid)(r, e);
	unsigned s = (r != KEEP || (e != KEEP && e != ru)) ? (e != KEEP ? e : eu) : KEEP;
	return set3(&ru, &eu, &su, r, e, s);
}
int setregid(gid_t r, gid_t e)
{
	if (!on)
		return R(int (*)(gid_t, gid_t), setregid)(r, e);
	unsigned s = (r != KEEP || (e != KEEP && e != rg)) ? (e != KEEP ? e : eg) : KEEP;
	return set3(&rg, &eg, &sg, r, e, s);
}
int setuid(uid_t u)
{
	if (!on)
		return R(int (*)(uid_t), setuid)(u);
	return eu == 0 ? set3(&ru, &eu, &su, u, u, u) : set3(&ru, &eu, &su, KEEP, u, KEEP);
}
int setgid(gid_t g)
{
	if (!on)
		return R(int (*)(gid_t), setgid)(g);
	return eu == 0 ? set3(&rg, &eg, &sg, g, g, g) : set3(&rg, &eg, &sg, KEEP, g, KEEP);
}
int seteuid(uid_t u)
{
	return on ? set3(&ru, &eu, &su, KEEP, u, KEEP) : R(int (*)(uid_t), seteuid)(u);
}
int setegid(gid_t g)
{
	return on ? set3(&rg, &eg, &sg, KEEP, g, KEEP) : R(int (*)(gid_t), setegid)(g);
}
int setgroups(size_t n, const gid_t *list)
{
	if (!on)
		return R(int (*)(size_t, const gid_t *), setgroups)(n, list);
	if (eu != 0) {
		errno = EPERM;
		return -1;
	}
	if (n > sizeof(groups) / sizeof(groups[0])) {
		errno = EINVAL;
		return -1;
	}
	memcpy(groups, list, n * sizeof(gid_t));
	n_groups = n;
	return 0;
}
int initgroups(const char *user, gid_t group)
{
	if (!on)
		return R(int (*)(const char *, gid_t), initgroups)(user, group);
	gid_t list[64];
	int n = 64;
	if (getgrouplist(user, group, list, &n) < 0)
		n = 64;
	return setgroups((size_t)n, list);
}

/* Ownership changes the kernel refuses "succeed" for the emulated root. */
static int owned(int r)
{
	if (r < 0 && on && eu == 0 && (errno == EPERM || errno == EINVAL)) {
		errno = 0;
		return 0;
	}
	return r;
}
int chown(const char *p, uid_t u, gid_t g)
{
	char hb[FC_PATH];
	const char *h = fc_host_at(AT_FDCWD, p, hb, FC_WRITE);
	return h ? owned(R(int (*)(const char *, uid_t, gid_t), chown)(h, u, g)) : -1;
}
int lchown(const char *p, uid_t u, gid_t g)
{
	char hb[FC_PATH];
	const char *h = fc_host_at(AT_FDCWD, p, hb, FC_WRITE | FC_NOFOLLOW);
	return h ? owned(R(int (*)(const char *, uid_t, gid_t), lchown)(h, u, g)) : -1;
}
int fchown(int fd, uid_t u, gid_t g)
{
	return owned(R(int (*)(int, uid_t, gid_t), fchown)(fd, u, g));
}
int fchownat(int d, const char *p, uid_t u, gid_t g, int f)
{
	char hb[FC_PATH];
	const char *h =
		fc_host_at(d, p, hb, FC_WRITE | ((f & AT_SYMLINK_NOFOLLOW) ? FC_NOFOLLOW : 0));
	if (h == NULL)
		return -1;
	return owned(R(int (*)(int, const char *, uid_t, gid_t, int), fchownat)(d, h, u, g, f));
}

/* --hostname: the node name uname reports. */
int uname(struct utsname *u)
{
	int r = R(int (*)(struct utsname *), uname)(u);
	if (r == 0 && fc.hostname)
		snprintf(u->nodename, sizeof(u->nodename), "%s", fc.hostname);
	return r;
}
