#include "engines/engines.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

char *ud_engines_which(const char *name)
{
	const char *path = getenv("PATH");
	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *cand = ud_path_join(d, name);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
	}
	return NULL;
}

char *ud_engines_need(char *(*find)(char **why), enum ud_execmode mode, struct ud_error **err)
{
	char *why = NULL;
	char *found = find(&why);
	if (found == NULL) {
		if (mode < UD_EXECMODE_COUNT)
			ud_error_set(err, UD_ERR_UNSUPPORTED, "%s: %s", ud_execmode_name(mode),
				     why);
		else
			ud_error_set(err, UD_ERR_UNSUPPORTED, "%s", why);
	}
	free(why);
	return found;
}

char *ud_engines_tool(const char *env_name, const char *const *names, const char *missing,
		      char **why)
{
	const char *env = getenv(env_name);
	if (env && *env && strcmp(env, "UDOCKER") != 0) {
		char *p = env[0] == '/' ? xstrdup(env) : ud_engines_which(env);
		if (p && access(p, X_OK) == 0)
			return p;
		free(p);
		if (why)
			*why = xasprintf("%s=%s is not an executable", env_name, env);
		return NULL;
	}
	for (size_t i = 0; names && names[i]; i++) {
		char *p = ud_engines_which(names[i]);
		if (p)
			return p;
	}
	if (why)
		*why = xstrdup(missing);
	return NULL;
}

char *ud_engines_beside_self(const char *const *names, int amode)
{
	const char *exe = ud_self_exe();
	if (exe == NULL)
		return NULL;
	_cleanup_free_ char *self = xstrdup(exe);
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	for (size_t i = 0; names[i]; i++) {
		char *p = xasprintf("%s/%s", self, names[i]);
		if (access(p, amode) == 0)
			return p;
		free(p);
	}
	return NULL;
}

static char *read_small(const char *path)
{
	_cleanup_error_ struct ud_error *err = NULL;
	char *s = ud_read_file(path, NULL, &err);
	if (s)
		s[strcspn(s, "\n")] = '\0';
	return s;
}

static void probe_userns(struct ud_host_probe *p)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : (errno & 0x7f));
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		p->userns_why = xstrdup("cannot fork to test user namespaces");
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		p->userns = true;
		return;
	}
	_cleanup_free_ char *clone = read_small("/proc/sys/kernel/unprivileged_userns_clone");
	_cleanup_free_ char *maxns = read_small("/proc/sys/user/max_user_namespaces");
	if (clone && strcmp(clone, "0") == 0)
		p->userns_why = xstrdup("kernel.unprivileged_userns_clone is 0");
	else if (maxns && strcmp(maxns, "0") == 0)
		p->userns_why = xstrdup("user.max_user_namespaces is 0");
	else
		p->userns_why =
			xasprintf("unshare(CLONE_NEWUSER) failed: %s",
				  strerror(WIFEXITED(status) ? WEXITSTATUS(status) : EPERM));
}

/* The host's facts do not change while udocker runs: probed once a
 * process (a create asks in the planner and again in setup; each probe
 * forks and searches PATH for seven programs), copied for each caller. */
static void probe_now(struct ud_host_probe *p);

void ud_engines_probe_host(struct ud_host_probe *p)
{
	static struct ud_host_probe once;
	static bool probed;
	if (!probed) {
		probe_now(&once);
		probed = true;
	}
	*p = once;
	p->userns_why = once.userns_why ? xstrdup(once.userns_why) : NULL;
	p->ptrace_why = once.ptrace_why ? xstrdup(once.ptrace_why) : NULL;
	for (size_t i = 0; once.tools[i]; i++)
		p->tools[i] = xstrdup(once.tools[i]);
}

static void probe_now(struct ud_host_probe *p)
{
	memset(p, 0, sizeof(*p));
	probe_userns(p);
	_cleanup_free_ char *scope = read_small("/proc/sys/kernel/yama/ptrace_scope");
	if (scope && strcmp(scope, "3") == 0) {
		p->ptrace_why = xstrdup("kernel.yama.ptrace_scope is 3 (ptrace disabled)");
	} else {
		p->ptrace = true;
	}
	p->seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
	unsigned action = SECCOMP_RET_USER_NOTIF;
	p->seccomp_listener =
		p->seccomp && syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
	static const char *names[] = {"runc",	     "crun",  "runsc",	 "apptainer",
				      "singularity", "proot", "patchelf"};
	size_t n = 0;
	for (size_t i = 0; i < UD_ARRAY_SIZE(names) && n < UD_ARRAY_SIZE(p->tools) - 1; i++) {
		char *t = ud_engines_which(names[i]);
		if (t)
			p->tools[n++] = t;
	}
}

void ud_host_probe_release(struct ud_host_probe *p)
{
	free(p->userns_why);
	free(p->ptrace_why);
	for (size_t i = 0; p->tools[i]; i++)
		free(p->tools[i]);
	memset(p, 0, sizeof(*p));
}
