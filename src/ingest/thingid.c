#include <string.h>

#include "ingest/thingid.h"

static bool copy_name(const char *s, size_t n, char out[BRINK_NAME_MAX + 1])
{
	if (n == 0 || n > BRINK_NAME_MAX || memchr(s, '\0', n))
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return brink_name_valid(out);
}

enum brink_thingid_status brink_psk_identity_parse(const void *id, size_t len,
						   char tenant[BRINK_NAME_MAX + 1],
						   char thing[BRINK_NAME_MAX + 1])
{
	const char *s = id;
	tenant[0] = thing[0] = '\0';
	if (!s || len > BRINK_PSK_IDENTITY_MAX)
		return BRINK_THINGID_MALFORMED;
	const char *slash = memchr(s, '/', len);
	if (!slash)
		return BRINK_THINGID_MALFORMED;
	size_t tn = (size_t)(slash - s);
	if (!copy_name(s, tn, tenant) || !copy_name(slash + 1, len - tn - 1, thing)) {
		tenant[0] = thing[0] = '\0';
		return BRINK_THINGID_MALFORMED;
	}
	return BRINK_THINGID_OK;
}

static size_t word(const char *s, size_t len)
{
	size_t n = 0;
	while (n < len && s[n] > ' ' && s[n] < 127)
		n++;
	return n;
}

static size_t blanks(const char *s, size_t len)
{
	size_t n = 0;
	while (n < len && (s[n] == ' ' || s[n] == '\t' || s[n] == '\r' || s[n] == '\n'))
		n++;
	return n;
}

enum brink_thingid_status brink_bootstrap_parse(const char *buf, size_t len,
						char key[BRINK_BOOT_KEY_MAX + 1],
						char proto[BRINK_BOOT_PROTO_MAX + 1])
{
	key[0] = proto[0] = '\0';
	size_t kn = word(buf, len);
	size_t gap = blanks(buf + kn, len - kn);
	size_t pn = word(buf + kn + gap, len - kn - gap);
	size_t end = kn + gap + pn;
	end += blanks(buf + end, len - end);
	if (kn == 0 || kn > BRINK_BOOT_KEY_MAX || pn > BRINK_BOOT_PROTO_MAX || end != len ||
	    (pn && gap == 0))
		return BRINK_THINGID_MALFORMED;
	memcpy(key, buf, kn);
	key[kn] = '\0';
	memcpy(proto, buf + kn + gap, pn);
	proto[pn] = '\0';
	return BRINK_THINGID_OK;
}
