#include "brink/imageref.h"

#include <stdbool.h>
#include <string.h>

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool alnum(char c)
{
	return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool hex(char c)
{
	return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* label ("." label)*, label = alnum ([alnum-]* alnum)? */
static bool host_valid(const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!alnum(s[i]) && s[i] != '-')
				return false;
			continue;
		}
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

static bool domain_valid(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	if (!colon)
		return host_valid(s, n);
	size_t h = (size_t)(colon - s), p = n - h - 1;
	if (p == 0 || p > 5 || !host_valid(s, h))
		return false;
	unsigned port = 0;
	for (size_t i = h + 1; i < n; i++) {
		if (!digit(s[i]))
			return false;
		port = port * 10 + (unsigned)(s[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

/* [a-z0-9]+ (sep [a-z0-9]+)*, sep = "." | "_" | "__" | "-"+ */
static bool component_valid(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (lower_alnum(s[i])) {
			i++;
			continue;
		}
		size_t run = 0;
		char sep = s[i];
		while (i < n && s[i] == sep) {
			run++;
			i++;
		}
		bool ok = (sep == '.' && run == 1) || (sep == '_' && run <= 2) || sep == '-';
		if (!ok || i >= n || !lower_alnum(s[i]))
			return false;
	}
	return true;
}

static bool looks_like_domain(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && memcmp(s, "localhost", 9) == 0);
}

static enum brink_imageref_status parse_name(const char *s, size_t n, struct brink_imageref *out)
{
	const char *slash = memchr(s, '/', n);
	size_t start = 0;
	if (n > BRINK_IMAGEREF_NAME_MAX)
		return BRINK_IMAGEREF_TOO_LONG;
	if (slash && looks_like_domain(s, (size_t)(slash - s))) {
		out->domain_len = (size_t)(slash - s);
		if (!domain_valid(s, out->domain_len))
			return BRINK_IMAGEREF_BAD_DOMAIN;
		start = out->domain_len + 1;
	}
	for (size_t i = start; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		if (!component_valid(s + start, i - start))
			return BRINK_IMAGEREF_BAD_NAME;
		start = i + 1;
	}
	out->name_len = n;
	return BRINK_IMAGEREF_OK;
}

static bool tag_valid(const char *s, size_t n)
{
	if (n == 0 || n > 128 || !(alnum(s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

static bool digest_valid(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	if (!colon)
		return false;
	size_t a = (size_t)(colon - s), h = n - a - 1;
	if (a == 0 || h < 32 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < a; i++) {
		bool sep = s[i] == '+' || s[i] == '.' || s[i] == '-' || s[i] == '_';
		if (!alnum(s[i]) && !(sep && i + 1 < a && !(s[i + 1] >= '0' && s[i + 1] <= '9') &&
				      alnum(s[i + 1])))
			return false;
	}
	for (size_t i = a + 1; i < n; i++)
		if (!hex(s[i]))
			return false;
	return true;
}

static enum brink_imageref_status check_chars(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!alnum(s[i]) && !strchr("._-/:@+", s[i]))
			return BRINK_IMAGEREF_BAD_CHAR;
	return BRINK_IMAGEREF_OK;
}

static enum brink_imageref_status parse(const char *s, size_t len, struct brink_imageref *out)
{
	enum brink_imageref_status st;
	if (len == 0)
		return BRINK_IMAGEREF_EMPTY;
	if (len > BRINK_IMAGEREF_MAX)
		return BRINK_IMAGEREF_TOO_LONG;
	if ((st = check_chars(s, len)) != BRINK_IMAGEREF_OK)
		return st;
	size_t rest = len;
	const char *at = memchr(s, '@', len);
	if (at) {
		out->digest_off = (size_t)(at - s) + 1;
		out->digest_len = len - out->digest_off;
		if (!digest_valid(at + 1, out->digest_len))
			return BRINK_IMAGEREF_BAD_DIGEST;
		rest = (size_t)(at - s);
	}
	/* a tag's ":" comes after the last "/" (a domain's port comes before) */
	size_t last_slash = 0;
	for (size_t i = 0; i < rest; i++)
		if (s[i] == '/')
			last_slash = i + 1;
	const char *colon = memchr(s + last_slash, ':', rest - last_slash);
	if (colon) {
		out->tag_off = (size_t)(colon - s) + 1;
		out->tag_len = rest - out->tag_off;
		if (!tag_valid(colon + 1, out->tag_len))
			return BRINK_IMAGEREF_BAD_TAG;
		rest = (size_t)(colon - s);
	}
	return parse_name(s, rest, out);
}

enum brink_imageref_status brink_imageref_parse(const char *s, size_t len,
						struct brink_imageref *out)
{
	memset(out, 0, sizeof(*out));
	enum brink_imageref_status st = parse(s, len, out);
	if (st != BRINK_IMAGEREF_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

const char *brink_imageref_strerror(enum brink_imageref_status st)
{
	switch (st) {
	case BRINK_IMAGEREF_OK:
		return "valid";
	case BRINK_IMAGEREF_EMPTY:
		return "the reference is empty";
	case BRINK_IMAGEREF_TOO_LONG:
		return "the reference is too long";
	case BRINK_IMAGEREF_BAD_CHAR:
		return "the reference holds a character no image reference has";
	case BRINK_IMAGEREF_BAD_DOMAIN:
		return "the registry part is not a host[:port]";
	case BRINK_IMAGEREF_BAD_NAME:
		return "the repository name is not lowercase components separated by '/'";
	case BRINK_IMAGEREF_BAD_TAG:
		return "the tag is not valid";
	case BRINK_IMAGEREF_BAD_DIGEST:
		return "the digest is not ALGORITHM:HEX";
	}
	return "invalid";
}
