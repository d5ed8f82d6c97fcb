#include "common/common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>

static enum ud_log_level log_level = UD_LOG_INFO;
static ud_log_handler log_handler;
static void *log_data;

void ud_log_set_handler(ud_log_handler handler, void *data)
{
	log_handler = handler;
	log_data = data;
}

void ud_log_set_level(enum ud_log_level level)
{
	log_level = level;
}

enum ud_log_level ud_log_get_level(void)
{
	return log_level;
}

void ud_log(enum ud_log_level level, const char *fmt, ...)
{
	if (level > log_level || log_handler == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	log_handler(level, msg, log_data);
}

static void random_bytes(unsigned char *out, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(out + got, n - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		got += (size_t)r;
	}
}

void ud_random_hex(char *out, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[64];
	if (n > 128)
		n = 128;
	random_bytes(raw, (n + 1) / 2);
	for (size_t i = 0; i < n; i++)
		out[i] = digits[(raw[i / 2] >> ((i % 2) * 4)) & 15];
	out[n] = '\0';
}

void ud_uuid(char out[37])
{
	unsigned char b[16];
	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

int64_t ud_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct {
	const char *machine;
	const char *arch;
	const char *variant;
} arch_table[] = {
	{"x86_64", "amd64", NULL},  {"amd64", "amd64", NULL},	{"i386", "386", NULL},
	{"i686", "386", NULL},	    {"aarch64", "arm64", NULL}, {"arm64", "arm64", NULL},
	{"armv7l", "arm", "v7"},    {"armv6l", "arm", "v6"},	{"ppc64le", "ppc64le", NULL},
	{"ppc64", "ppc64", NULL},   {"s390x", "s390x", NULL},	{"riscv64", "riscv64", NULL},
	{"mips64", "mips64", NULL}, {"mips", "mips", NULL},	{"loongarch64", "loong64", NULL},
};

static int host_arch_index(void)
{
	static int idx = -2;
	if (idx != -2)
		return idx;
	struct utsname u;
	idx = -1;
	if (uname(&u) == 0)
		for (size_t i = 0; i < UD_ARRAY_SIZE(arch_table); i++)
			if (strcmp(u.machine, arch_table[i].machine) == 0)
				idx = (int)i;
	return idx;
}

const char *ud_host_arch(void)
{
	int i = host_arch_index();
	return i < 0 ? "unknown" : arch_table[i].arch;
}

const char *ud_host_arch_variant(void)
{
	int i = host_arch_index();
	return i < 0 ? NULL : arch_table[i].variant;
}
