/* Guest <-> host path translation for the tracer. */
#include "tracer/tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#define TR_PATH_MAX 4096

char *tr_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	return xasprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

static bool under(const char *path, const char *prefix, size_t n)
{
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

char *tr_to_host(const struct tr_config *c, const char *guest)
{
	const struct tr_bind *best = NULL;
	for (size_t i = 0; i < c->n_binds; i++) {
		const struct tr_bind *b = &c->binds[i];
		if (under(guest, b->guest, b->guest_len) &&
		    (best == NULL || b->guest_len > best->guest_len))
			best = b;
	}
	if (best)
		return xasprintf("%s%s", best->host, guest + best->guest_len);
	if (strcmp(c->root, "/") == 0)
		return xstrdup(guest);
	return strcmp(guest, "/") == 0 ? xstrdup(c->root) : xasprintf("%s%s", c->root, guest);
}

char *tr_to_guest(const struct tr_config *c, const char *host)
{
	for (size_t i = 0; i < c->n_binds; i++) {
		const struct tr_bind *b = &c->binds[i];
		if (under(host, b->host, b->host_len))
			return xasprintf("%s%s", strcmp(b->guest, "/") ? b->guest : "",
					 host + b->host_len);
	}
	if (strcmp(c->root, "/") == 0)
		return xstrdup(host);
	if (under(host, c->root, c->root_len))
		return xstrdup(host[c->root_len] ? host + c->root_len : "/");
	return NULL;
}

const struct tr_bind *tr_readonly_bind(const struct tr_config *c, const char *host)
{
	for (size_t i = 0; c->any_readonly && i < c->n_binds; i++)
		if (c->binds[i].readonly && under(host, c->binds[i].host, c->binds[i].host_len))
			return &c->binds[i];
	return NULL;
}

/* Is pid one of ours (the tracer's tracees)? Read from /proc/PID/status,
 * which the listener thread can do too. */
static bool traced_by_us(pid_t pid)
{
	char name[64], buf[2048];
	snprintf(name, sizeof(name), "/proc/%d/status", (int)pid);
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	const char *tp = strstr(buf, "\nTracerPid:");
	return tp && atoi(tp + 12) == (int)getpid();
}

/* A link below /proc/PID/ of a process outside the traced tree. */
static bool foreign_proc_link(pid_t self, const char *guest)
{
	int who = 0, len = 0;
	if (sscanf(guest, "/proc/%d/%n", &who, &len) != 1 || len == 0 || who <= 0)
		return false;
	return who != self && !traced_by_us(who);
}

char *tr_resolve(const struct tr_config *c, pid_t self, const char *cwd, const char *path,
		 bool follow_last)
{
	char *pending = path[0] == '/' ? xstrdup(path) : tr_join(cwd, path);
	struct ud_buf cur = {0};
	ud_buf_puts(&cur, "");
	int hops = 0;
	char *p = pending;
	while (*p) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		size_t n = strcspn(p, "/");
		bool last = p[n] == '\0' || p[n + strspn(p + n, "/")] == '\0';
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(cur.data, '/');
			if (slash) {
				*slash = '\0';
				cur.len = (size_t)(slash - cur.data);
			}
			p += n;
			continue;
		}
		size_t keep = cur.len;
		ud_buf_puts(&cur, "/");
		if (self > 0 && strcmp(cur.data, "/proc/") == 0 &&
		    ((n == 4 && strncmp(p, "self", 4) == 0) ||
		     (n == 11 && strncmp(p, "thread-self", 11) == 0))) {
			if (n == 4)
				ud_buf_printf(&cur, "%d", (int)self);
			else
				ud_buf_printf(&cur, "%d/task/%d", (int)self, (int)self);
			p += n;
			continue;
		}
		ud_buf_append(&cur, p, n);
		p += n;
		if (last && !follow_last)
			break;
		_cleanup_free_ char *host = tr_to_host(c, cur.data);
		char target[TR_PATH_MAX];
		ssize_t tl = readlink(host, target, sizeof(target) - 1);
		if (tl <= 0 || ++hops > 40)
			continue;
		target[tl] = '\0';
		if (ud_str_has_prefix(cur.data, "/proc/") && foreign_proc_link(self, cur.data)) {
			ud_buf_release(&cur);
			free(pending);
			errno = EACCES;
			return NULL;
		}
		/* The magic links of /proc/PID (fd/N, cwd, exe, root) name host
		 * paths or objects without one (pipe:[N]). A process's root is
		 * the container's; host paths become guest paths; the rest is
		 * left for the kernel to follow. */
		if (ud_str_has_prefix(cur.data, "/proc/")) {
			const char *tail = strrchr(cur.data, '/');
			if (strcmp(tail, "/root") == 0 && strcmp(target, "/") == 0) {
				/* handled below as an absolute link to "/" */
			} else if (target[0] == '/') {
				_cleanup_free_ char *g = tr_to_guest(c, target);
				if (g == NULL)
					continue;
				snprintf(target, sizeof(target), "%s", g);
			} else if (strchr(target, ':')) {
				continue;
			}
		}
		/* Replace the component by the link's target and go on. */
		char *rest = xasprintf("%s/%s", target, p);
		if (target[0] == '/') {
			cur.len = 0;
			cur.data[0] = '\0';
		} else {
			cur.len = keep;
			cur.data[keep] = '\0';
		}
		free(pending);
		pending = rest;
		p = pending;
	}
	char *host = tr_to_host(c, cur.len ? cur.data : "/");
	ud_buf_release(&cur);
	free(pending);
	return host;
}
