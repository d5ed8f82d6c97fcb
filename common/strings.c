#include "common/common.h"

#include <string.h>

bool ud_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool ud_str_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

bool ud_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

size_t ud_strv_len(char *const *v)
{
	size_t n = 0;
	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

void ud_strv_push(char ***v, char *s)
{
	size_t n = ud_strv_len(*v);
	*v = xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

char **ud_strv_dup(char *const *v)
{
	if (v == NULL)
		return NULL;
	size_t n = ud_strv_len(v);
	char **d = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

void ud_strv_free(char **v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

bool ud_strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static void buf_reserve(struct ud_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void ud_buf_append(struct ud_buf *b, const void *data, size_t n)
{
	buf_reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void ud_buf_puts(struct ud_buf *b, const char *s)
{
	ud_buf_append(b, s, strlen(s));
}

void ud_buf_printf(struct ud_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *s = xvasprintf(fmt, ap);
	va_end(ap);
	ud_buf_puts(b, s);
}

char *ud_buf_steal(struct ud_buf *b)
{
	if (b->data == NULL)
		return xstrdup("");
	char *d = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

void ud_buf_release(struct ud_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

size_t ud_str_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	_cleanup_free_ size_t *row = xcalloc(lb + 1, sizeof(size_t));
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diag + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Length of the valid UTF-8 sequence at s (2-4), or 0. Overlong forms,
 * surrogates and C1 controls (U+0080..U+009F, which some terminals obey)
 * count as invalid. */
static size_t utf8_seq_len(const unsigned char *s)
{
	size_t n;
	unsigned int cp;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0xa0) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

char *ud_str_escape(const char *s, size_t max)
{
	struct ud_buf b = {0};
	ud_buf_puts(&b, "");
	if (!s)
		return ud_buf_steal(&b);
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	bool cut = max && len > max;
	if (cut)
		len = max;
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		size_t n = c >= 0x80 ? utf8_seq_len(p + i) : 1;
		if (n > 1 && i + n <= len) {
			ud_buf_append(&b, p + i, n);
			i += n;
			continue;
		}
		if (c == '\n')
			ud_buf_puts(&b, "\\n");
		else if (c == '\t')
			ud_buf_puts(&b, "\\t");
		else if (c == '\r')
			ud_buf_puts(&b, "\\r");
		else if (c == '\\')
			ud_buf_puts(&b, "\\\\");
		else if (c < 0x20 || c >= 0x7f)
			ud_buf_printf(&b, "\\x%02x", c);
		else
			ud_buf_append(&b, &c, 1);
		i++;
	}
	if (cut)
		ud_buf_puts(&b, "...");
	return ud_buf_steal(&b);
}
