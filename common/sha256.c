#include "common/common.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>

struct ud_sha256 {
	EVP_MD_CTX *md;
};

struct ud_sha256 *ud_sha256_new(void)
{
	struct ud_sha256 *c = xcalloc(1, sizeof(*c));
	c->md = EVP_MD_CTX_new();
	if (c->md == NULL || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
		abort();
	return c;
}

void ud_sha256_update(struct ud_sha256 *ctx, const void *data, size_t len)
{
	EVP_DigestUpdate(ctx->md, data, len);
}

static void to_hex(const unsigned char *d, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * n] = '\0';
}

void ud_sha256_final_hex(struct ud_sha256 *ctx, char hex[UD_SHA256_HEX_LEN + 1])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	/* Finalise a copy so the context stays usable. */
	EVP_MD_CTX *tmp = EVP_MD_CTX_new();
	if (tmp == NULL || EVP_MD_CTX_copy_ex(tmp, ctx->md) != 1)
		abort();
	EVP_DigestFinal_ex(tmp, d, &n);
	EVP_MD_CTX_free(tmp);
	to_hex(d, n, hex);
}

void ud_sha256_free(struct ud_sha256 *ctx)
{
	if (ctx == NULL)
		return;
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
}

struct ud_sha256 *ud_sha256_dup(const struct ud_sha256 *ctx)
{
	struct ud_sha256 *c = xcalloc(1, sizeof(*c));
	c->md = EVP_MD_CTX_new();
	if (c->md == NULL || EVP_MD_CTX_copy_ex(c->md, ctx->md) != 1)
		abort();
	return c;
}

void ud_sha256_hex(const void *data, size_t len, char hex[UD_SHA256_HEX_LEN + 1])
{
	struct ud_sha256 *c = ud_sha256_new();
	ud_sha256_update(c, data, len);
	ud_sha256_final_hex(c, hex);
	ud_sha256_free(c);
}

int ud_sha256_fd(int fd, off_t max, struct ud_sha256 *ctx, struct ud_error **err)
{
	static __thread char buf[1 << 17];
	off_t done = 0;
	while (max < 0 || done < max) {
		size_t want = sizeof(buf);
		if (max >= 0 && (off_t)want > max - done)
			want = (size_t)(max - done);
		ssize_t n = read(fd, buf, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ud_error_sys(err, errno, "read error while hashing");
		}
		if (n == 0)
			break;
		ud_sha256_update(ctx, buf, (size_t)n);
		done += n;
	}
	return 0;
}

int ud_sha256_file(const char *path, char hex[UD_SHA256_HEX_LEN + 1], struct ud_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ud_error_sys(err, errno, "cannot open '%s'", path);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	struct ud_sha256 *c = ud_sha256_new();
	int r = ud_sha256_fd(fd, -1, c, err);
	if (r == 0)
		ud_sha256_final_hex(c, hex);
	else
		ud_error_prefix(err, "'%s'", path);
	ud_sha256_free(c);
	return r;
}

bool ud_digest_valid(const char *digest)
{
	if (!ud_str_has_prefix(digest, "sha256:") || strlen(digest) != 7 + UD_SHA256_HEX_LEN)
		return false;
	for (const char *p = digest + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}
