/* User and group lookups read the container's /etc/passwd and /etc/group
 * (libc's own "files" module opens the host's: its open is internal). */
#include "fakechroot/fakechroot.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

static FILE *open_db(const char *guest)
{
	char hb[FC_PATH];
	return R(FILE * (*)(const char *, const char *), fopen)(fc_host(guest, hb), "re");
}

/* Finds the entry by name or id; 0 or an errno (ENOENT: none, which the
 * _r functions report as 0 with *res NULL). */
static int find_pw(const char *name, uid_t uid, struct passwd *pw, char *buf, size_t size,
		   struct passwd **res)
{
	*res = NULL;
	FILE *f = open_db("/etc/passwd");
	if (f == NULL)
		return errno;
	int r;
	while ((r = fgetpwent_r(f, pw, buf, size, res)) == 0) {
		if (name ? strcmp(pw->pw_name, name) == 0 : pw->pw_uid == uid)
			break;
	}
	fclose(f);
	if (r != 0)
		*res = NULL;
	return r == ENOENT ? 0 : r;
}

static int find_gr(const char *name, gid_t gid, struct group *gr, char *buf, size_t size,
		   struct group **res)
{
	*res = NULL;
	FILE *f = open_db("/etc/group");
	if (f == NULL)
		return errno;
	int r;
	while ((r = fgetgrent_r(f, gr, buf, size, res)) == 0) {
		if (name ? strcmp(gr->gr_name, name) == 0 : gr->gr_gid == gid)
			break;
	}
	fclose(f);
	if (r != 0)
		*res = NULL;
	return r == ENOENT ? 0 : r;
}

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t size, struct passwd **res)
{
	if (!fc.on)
		return R(int (*)(const char *, struct passwd *, char *, size_t, struct passwd **),
			 getpwnam_r)(name, pw, buf, size, res);
	return find_pw(name, 0, pw, buf, size, res);
}

int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t size, struct passwd **res)
{
	if (!fc.on)
		return R(int (*)(uid_t, struct passwd *, char *, size_t, struct passwd **),
			 getpwuid_r)(uid, pw, buf, size, res);
	return find_pw(NULL, uid, pw, buf, size, res);
}

int getgrnam_r(const char *name, struct group *gr, char *buf, size_t size, struct group **res)
{
	if (!fc.on)
		return R(int (*)(const char *, struct group *, char *, size_t, struct group **),
			 getgrnam_r)(name, gr, buf, size, res);
	return find_gr(name, 0, gr, buf, size, res);
}

int getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t size, struct group **res)
{
	if (!fc.on)
		return R(int (*)(gid_t, struct group *, char *, size_t, struct group **),
			 getgrgid_r)(gid, gr, buf, size, res);
	return find_gr(NULL, gid, gr, buf, size, res);
}

static struct passwd pw_static;
static struct group gr_static;
static char pw_buf[4096], gr_buf[16384];

struct passwd *getpwnam(const char *name)
{
	struct passwd *res;
	int r = getpwnam_r(name, &pw_static, pw_buf, sizeof(pw_buf), &res);
	if (r)
		errno = r;
	return res;
}

struct passwd *getpwuid(uid_t uid)
{
	struct passwd *res;
	int r = getpwuid_r(uid, &pw_static, pw_buf, sizeof(pw_buf), &res);
	if (r)
		errno = r;
	return res;
}

struct group *getgrnam(const char *name)
{
	struct group *res;
	int r = getgrnam_r(name, &gr_static, gr_buf, sizeof(gr_buf), &res);
	if (r)
		errno = r;
	return res;
}

struct group *getgrgid(gid_t gid)
{
	struct group *res;
	int r = getgrgid_r(gid, &gr_static, gr_buf, sizeof(gr_buf), &res);
	if (r)
		errno = r;
	return res;
}

/* Enumeration (getent passwd, id's group list). */
static FILE *pw_db, *gr_db;

void setpwent(void)
{
	if (!fc.on) {
		R(void (*)(void), setpwent)();
		return;
	}
	if (pw_db)
		rewind(pw_db);
}

void endpwent(void)
{
	if (!fc.on) {
		R(void (*)(void), endpwent)();
		return;
	}
	if (pw_db)
		fclose(pw_db);
	pw_db = NULL;
}

struct passwd *getpwent(void)
{
	if (!fc.on)
		return R(struct passwd * (*)(void), getpwent)();
	if (pw_db == NULL && (pw_db = open_db("/etc/passwd")) == NULL)
		return NULL;
	struct passwd *res = NULL;
	fgetpwent_r(pw_db, &pw_static, pw_buf, sizeof(pw_buf), &res);
	return res;
}

void setgrent(void)
{
	if (!fc.on) {
		R(void (*)(void), setgrent)();
		return;
	}
	if (gr_db)
		rewind(gr_db);
}

void endgrent(void)
{
	if (!fc.on) {
		R(void (*)(void), endgrent)();
		return;
	}
	if (gr_db)
		fclose(gr_db);
	gr_db = NULL;
}

struct group *getgrent(void)
{
	if (!fc.on)
		return R(struct group * (*)(void), getgrent)();
	if (gr_db == NULL && (gr_db = open_db("/etc/group")) == NULL)
		return NULL;
	struct group *res = NULL;
	fgetgrent_r(gr_db, &gr_static, gr_buf, sizeof(gr_buf), &res);
	return res;
}

/* The groups a user is in: its own, then those listing it. */
int getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
	if (!fc.on)
		return R(int (*)(const char *, gid_t, gid_t *, int *),
			 getgrouplist)(user, group, groups, ngroups);
	int n = 0, cap = *ngroups;
	if (n < cap)
		groups[n] = group;
	n++;
	FILE *f = open_db("/etc/group");
	struct group gr, *res;
	char buf[16384];
	while (f && fgetgrent_r(f, &gr, buf, sizeof(buf), &res) == 0) {
		if (gr.gr_gid == group)
			continue;
		for (char **m = gr.gr_mem; m && *m; m++) {
			if (strcmp(*m, user) == 0) {
				if (n < cap)
					groups[n] = gr.gr_gid;
				n++;
				break;
			}
		}
	}
	if (f)
		fclose(f);
	*ngroups = n;
	return n <= cap ? n : -1;
}
