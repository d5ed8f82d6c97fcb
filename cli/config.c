/* Configuration: built-in defaults, then /etc/udocker.conf,
 * $HOME/.udocker/udocker.conf, $TOP/udocker.conf, the --config= file, then
 * UDOCKER_* environment variables (reference §7). Values are typed here
 * (fixing 1.3.16's "everything is a string" quirk). */
#include "cli/cli.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static void set_str(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

static bool parse_bool(const char *v)
{
	return strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 || strcasecmp(v, "1") == 0 ||
	       strcasecmp(v, "on") == 0;
}

static char **split_words(const char *v)
{
	char **out = xcalloc(1, sizeof(char *));
	_cleanup_free_ char *copy = xstrdup(v);
	char *save = NULL;
	for (char *t = strtok_r(copy, " ,\t[]'\"", &save); t;
	     t = strtok_r(NULL, " ,\t[]'\"", &save))
		ud_strv_push(&out, xstrdup(t));
	return out;
}

/* The keys of udocker.conf: the field each sets, and its type. */
enum conf_type { CONF_STR, CONF_INT, CONF_LONG, CONF_BOOL, CONF_WORDS };
#define CONF_KEY(key, type, field)                                                                 \
	{                                                                                          \
		key, type, offsetof(struct ud_conf, field)                                         \
	}
static const struct {
	const char *key;
	enum conf_type type;
	size_t off;
} conf_keys[] = {
	CONF_KEY("topdir", CONF_STR, topdir),
	CONF_KEY("reposdir", CONF_STR, reposdir),
	CONF_KEY("layersdir", CONF_STR, layersdir),
	CONF_KEY("containersdir", CONF_STR, containersdir),
	CONF_KEY("bindir", CONF_STR, bindir),
	CONF_KEY("libdir", CONF_STR, libdir),
	CONF_KEY("docdir", CONF_STR, docdir),
	CONF_KEY("tmpdir", CONF_STR, tmpdir),
	CONF_KEY("keystore", CONF_STR, keystore),
	CONF_KEY("http_proxy", CONF_STR, http_proxy),
	CONF_KEY("dockerio_registry_url", CONF_STR, hub_url),
	CONF_KEY("registry", CONF_STR, registry_url),
	CONF_KEY("dockerio_index_url", CONF_STR, index_url),
	CONF_KEY("ca_file", CONF_STR, ca_file),
	CONF_KEY("override_default_execution_mode", CONF_STR, default_execution_mode),
	CONF_KEY("default_execution_mode", CONF_STR, default_execution_mode),
	CONF_KEY("tarball", CONF_STR, tarball),
	CONF_KEY("tarball_release", CONF_STR, tarball_release),
	CONF_KEY("max_layer_size", CONF_STR, max_layer_size_text),
	CONF_KEY("squash_compression", CONF_STR, squash_compression_text),
	CONF_KEY("rootfs", CONF_STR, rootfs),
	CONF_KEY("verbose_level", CONF_INT, verbose_level),
	CONF_KEY("http_insecure", CONF_BOOL, insecure),
	CONF_KEY("autoinstall", CONF_BOOL, autoinstall),
	CONF_KEY("timeout", CONF_LONG, timeout),
	CONF_KEY("download_timeout", CONF_LONG, download_timeout),
	CONF_KEY("ctimeout", CONF_LONG, ctimeout),
	CONF_KEY("stall_timeout", CONF_LONG, stall_timeout),
	CONF_KEY("parallel_downloads", CONF_INT, parallel_downloads),
	CONF_KEY("insecure_registries", CONF_WORDS, insecure_registries),
};
#undef CONF_KEY

/* Applies one key = value; unknown keys are ignored as udocker does. */
static void conf_set(struct ud_conf *c, const char *key, const char *value)
{
	for (size_t i = 0; i < UD_ARRAY_SIZE(conf_keys); i++) {
		if (strcmp(key, conf_keys[i].key) != 0)
			continue;
		void *field = (char *)c + conf_keys[i].off;
		switch (conf_keys[i].type) {
		case CONF_STR:
			set_str(field, value);
			break;
		case CONF_INT:
			*(int *)field = atoi(value);
			break;
		case CONF_LONG:
			*(long *)field = atol(value);
			break;
		case CONF_BOOL:
			*(bool *)field = parse_bool(value);
			break;
		case CONF_WORDS:
			ud_strv_free(*(char ***)field);
			*(char ***)field = split_words(value);
			break;
		}
		return;
	}
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Reads an INI file's [DEFAULT] section; a missing file is fine. */
static int conf_read_file(struct ud_conf *c, const char *path, bool must_exist,
			  struct ud_error **err)
{
	_cleanup_error_ struct ud_error *rerr = NULL;
	_cleanup_free_ char *text = ud_read_small_file(path, UD_USER_FILE_MAX_BYTES, NULL, &rerr);
	if (text == NULL) {
		if (!must_exist && rerr->code == UD_ERR_NOT_FOUND)
			return 0;
		return ud_error_set(err, UD_ERR_USAGE, "config file '%s': %s", path, rerr->msg);
	}
	bool in_default = true;
	char *save = NULL;
	int lineno = 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		char *l = trim(line);
		if (*l == '\0' || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			in_default = strncmp(l, "[DEFAULT]", 9) == 0;
			continue;
		}
		char *sep = strpbrk(l, "=:");
		if (sep == NULL)
			return ud_error_set(err, UD_ERR_USAGE,
					    "config file '%s': line %d: expected 'key = value'",
					    path, lineno);
		*sep = '\0';
		if (in_default)
			conf_set(c, trim(l), trim(sep + 1));
	}
	return 0;
}

/* "N" bytes, or N with a K, M, G or T suffix (powers of 1024); 0: none. */
static int parse_size(const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	int shift = 0;
	if (*end && strchr("kK", *end))
		shift = 10;
	else if (*end && strchr("mM", *end))
		shift = 20;
	else if (*end && strchr("gG", *end))
		shift = 30;
	else if (*end && strchr("tT", *end))
		shift = 40;
	if (shift)
		end++;
	if (errno || end == v || *v == '-' || *end != '\0' ||
	    n > (unsigned long long)INT64_MAX >> shift)
		return -1;
	*out = (int64_t)(n << shift);
	return 0;
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw ? pw->pw_dir : "/";
}

static void env_override(char **field, const char *var)
{
	const char *v = getenv(var);
	if (v && *v)
		set_str(field, v);
}

/* The UDOCKER_* variables that set a string setting. */
#define ENV_STR(name, field)                                                                       \
	{                                                                                          \
		name, offsetof(struct ud_conf, field)                                              \
	}
static const struct {
	const char *name;
	size_t off;
} env_strs[] = {
	ENV_STR("UDOCKER_DIR", topdir),
	ENV_STR("UDOCKER_BIN", bindir),
	ENV_STR("UDOCKER_LIB", libdir),
	ENV_STR("UDOCKER_DOC", docdir),
	ENV_STR("UDOCKER_REPOS", reposdir),
	ENV_STR("UDOCKER_LAYERS", layersdir),
	ENV_STR("UDOCKER_CONTAINERS", containersdir),
	ENV_STR("UDOCKER_TMP", tmpdir),
	ENV_STR("UDOCKER_KEYSTORE", keystore),
	/* udocker 1.3.16's variable of dockerio_registry_url, which also serves
	 * names without a host: both settings take it. */
	ENV_STR("UDOCKER_REGISTRY", registry_url),
	ENV_STR("UDOCKER_REGISTRY", hub_url),
	ENV_STR("UDOCKER_INDEX", index_url),
	ENV_STR("UDOCKER_TARBALL", tarball),
	ENV_STR("UDOCKER_DEFAULT_EXECUTION_MODE", default_execution_mode),
	ENV_STR("UDOCKER_MAX_LAYER_SIZE", max_layer_size_text),
	ENV_STR("UDOCKER_SQUASH_COMPRESSION", squash_compression_text),
	ENV_STR("UDOCKER_ROOTFS", rootfs),
};
#undef ENV_STR

int ud_conf_load(struct ud_cli *cli, const char *repo_opt, struct ud_error **err)
{
	struct ud_conf *c = &cli->conf;
	c->homedir = ud_path_join(home_dir(), ".udocker");
	c->verbose_level = UD_LOG_INFO;
	c->timeout = 12;
	c->download_timeout = 1800;
	c->ctimeout = 6;
	c->stall_timeout = 60;
	c->parallel_downloads = 3;
	c->autoinstall = true;
	c->keystore = xstrdup("keystore");
	c->tarball = xstrdup("");
	c->tarball_release = xstrdup("1.2.11");
	c->insecure_registries = xcalloc(1, sizeof(char *));
	const char *t = getenv("TMPDIR");
	c->tmpdir = xstrdup(t && *t ? t : "/tmp");

	if (conf_read_file(c, "/etc/udocker.conf", false, err) < 0)
		return -1;
	_cleanup_free_ char *homeconf = ud_path_join(c->homedir, "udocker.conf");
	if (conf_read_file(c, homeconf, false, err) < 0)
		return -1;
	env_override(&c->topdir, "UDOCKER_DIR");
	if (repo_opt)
		set_str(&c->topdir, repo_opt);
	if (c->topdir == NULL)
		c->topdir = xstrdup(c->homedir);
	if (strcmp(c->topdir, c->homedir) != 0) {
		_cleanup_free_ char *topconf = ud_path_join(c->topdir, "udocker.conf");
		if (conf_read_file(c, topconf, false, err) < 0)
			return -1;
	}
	/* Fixes quirk 24: no implicit ./u.conf; only an explicit --config. */
	if (c->config_file && conf_read_file(c, c->config_file, true, err) < 0)
		return -1;

	for (size_t i = 0; i < UD_ARRAY_SIZE(env_strs); i++)
		env_override((char **)((char *)c + env_strs[i].off), env_strs[i].name);
	if (repo_opt)
		set_str(&c->topdir, repo_opt);
	c->max_layer_size = UD_STORE_MAX_LAYER_SIZE_DEFAULT;
	if (c->max_layer_size_text && parse_size(c->max_layer_size_text, &c->max_layer_size) < 0)
		return ud_error_set(err, UD_ERR_USAGE,
				    "invalid max_layer_size '%s': expected bytes, or a number "
				    "with K, M, G or T",
				    c->max_layer_size_text);
	c->squash_compression = UD_SQUASH_ZSTD;
	if (c->squash_compression_text && strcmp(c->squash_compression_text, "gzip") == 0)
		c->squash_compression = UD_SQUASH_GZIP;
	else if (c->squash_compression_text && strcmp(c->squash_compression_text, "zstd") != 0)
		return ud_error_set(err, UD_ERR_USAGE,
				    "invalid squash_compression '%s': expected zstd or gzip",
				    c->squash_compression_text);
	if (c->rootfs && *c->rootfs == '\0') {
		free(c->rootfs);
		c->rootfs = NULL;
	} else if (c->rootfs && strcasecmp(c->rootfs, "dir") && strcasecmp(c->rootfs, "squash")) {
		_cleanup_free_ char *shown = ud_str_escape(c->rootfs, 64);
		return ud_error_set(
			err, UD_ERR_USAGE,
			"invalid rootfs '%s' (UDOCKER_ROOTFS or rootfs in udocker.conf): "
			"expected dir or squash",
			shown);
	} else if (c->rootfs) {
		for (char *p = c->rootfs; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	const char *v = getenv("UDOCKER_LOGLEVEL");
	if (v && *v)
		c->verbose_level = atoi(v);
	v = getenv("UDOCKER_INSECURE_REGISTRIES");
	if (v && *v) {
		ud_strv_free(c->insecure_registries);
		c->insecure_registries = split_words(v);
	}
	v = getenv("UDOCKER_STALL_TIMEOUT");
	if (v && *v)
		c->stall_timeout = atol(v);
	if (c->stall_timeout < 1)
		c->stall_timeout = 60;
	v = getenv("UDOCKER_PARALLEL_DOWNLOADS");
	if (v && *v)
		c->parallel_downloads = atoi(v);
	if (c->parallel_downloads < 1)
		c->parallel_downloads = 1;

	struct {
		char **field;
		const char *sub;
	} dirs[] = {
		{&c->reposdir, "repos"},
		{&c->layersdir, "layers"},
		{&c->containersdir, "containers"},
		{&c->bindir, "bin"},
		{&c->libdir, "lib"},
		{&c->docdir, "doc"},
	};
	for (size_t i = 0; i < UD_ARRAY_SIZE(dirs); i++)
		if (*dirs[i].field == NULL)
			*dirs[i].field = ud_path_join(c->topdir, dirs[i].sub);
	if (c->keystore[0] != '/') {
		char *k = ud_path_join(c->homedir, c->keystore);
		free(c->keystore);
		c->keystore = k;
	}
	return 0;
}

void ud_conf_release(struct ud_conf *c)
{
	char **strs[] = {
		&c->homedir,	   &c->topdir,		&c->reposdir,	 &c->layersdir,
		&c->containersdir, &c->bindir,		&c->libdir,	 &c->docdir,
		&c->tmpdir,	   &c->keystore,	&c->config_file, &c->http_proxy,
		&c->registry_url,  &c->index_url,	&c->ca_file,	 &c->default_execution_mode,
		&c->tarball,	   &c->tarball_release, &c->hub_url};
	for (size_t i = 0; i < UD_ARRAY_SIZE(strs); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	free(c->max_layer_size_text);
	free(c->rootfs);
	c->rootfs = NULL;
	c->max_layer_size_text = NULL;
	free(c->squash_compression_text);
	c->squash_compression_text = NULL;
	ud_strv_free(c->insecure_registries);
	c->insecure_registries = NULL;
}

void ud_conf_show(const struct ud_conf *c)
{
	static const char line[] = "--------------------------------------------------------------"
				   "------------------";
	printf("%s\n\t\tConfiguration options\n", line);
#define SHOW(k, v) printf("%s = %s\n", k, (v) ? (v) : "None")
	SHOW("homedir", c->homedir);
	SHOW("topdir", c->topdir);
	SHOW("reposdir", c->reposdir);
	SHOW("layersdir", c->layersdir);
	SHOW("containersdir", c->containersdir);
	SHOW("bindir", c->bindir);
	SHOW("libdir", c->libdir);
	SHOW("docdir", c->docdir);
	SHOW("tmpdir", c->tmpdir);
	SHOW("keystore", c->keystore);
	printf("verbose_level = %d\n", c->verbose_level);
	printf("http_insecure = %s\n", c->insecure ? "True" : "False");
	SHOW("http_proxy", c->http_proxy ? c->http_proxy : "");
	const char *hub = c->hub_url ? c->hub_url : "https://registry-1.docker.io";
	SHOW("registry", c->registry_url ? c->registry_url : hub);
	SHOW("dockerio_registry_url", hub);
	SHOW("index", c->index_url ? c->index_url : "https://hub.docker.com");
	printf("insecure_registries = [");
	for (size_t i = 0; c->insecure_registries && c->insecure_registries[i]; i++)
		printf("%s'%s'", i ? ", " : "", c->insecure_registries[i]);
	printf("]\n");
	SHOW("ca_file", c->ca_file);
	printf("timeout = %ld\ndownload_timeout = %ld\nctimeout = %ld\n", c->timeout,
	       c->download_timeout, c->ctimeout);
	printf("stall_timeout = %ld\n", c->stall_timeout);
	printf("parallel_downloads = %d\n", c->parallel_downloads);
	SHOW("override_default_execution_mode",
	     c->default_execution_mode ? c->default_execution_mode : "");
	printf("autoinstall = %s\n", c->autoinstall ? "True" : "False");
	SHOW("tarball", c->tarball);
	SHOW("tarball_release", c->tarball_release);
	printf("max_layer_size = %lld\n", (long long)c->max_layer_size);
	printf("squash_compression = %s\n",
	       c->squash_compression == UD_SQUASH_GZIP ? "gzip" : "zstd");
	SHOW("rootfs", c->rootfs ? c->rootfs : "dir");
#undef SHOW
	printf("%s\n", line);
}
