/* ECM's replies, as its Python servers wrote them with json.dumps (", " and
 * ": " separators, ASCII only, no newline). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecm/request.h"

/* One code point from valid UTF-8 at s (jansson checked it); its length in *n. */
static unsigned long utf8_next(const unsigned char *s, size_t len, size_t *n)
{
	unsigned c = s[0];
	size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
	if (k > len)
		k = 1;
	unsigned long cp = k == 1 ? c : k == 2 ? c & 0x1f : k == 3 ? c & 0x0f : c & 0x07;
	for (size_t i = 1; i < k; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	*n = k;
	return cp;
}

/* Python's escape of one code point (json.dumps, ensure_ascii=True). */
static int escape(char *e, unsigned long cp)
{
	static const char *const short_esc[] = {['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n",
						['\r'] = "\\r", ['\t'] = "\\t"};
	if (cp == '"')
		return sprintf(e, "\\\"");
	if (cp == '\\')
		return sprintf(e, "\\\\");
	if (cp < 0x20 && cp < sizeof(short_esc) / sizeof(short_esc[0]) && short_esc[cp])
		return sprintf(e, "%s", short_esc[cp]);
	if (cp < 0x20 || (cp >= 0x7f && cp < 0x10000))
		return snprintf(e, 32, "\\u%04lx", cp & 0xffff);
	if (cp >= 0x10000) {
		cp -= 0x10000;
		return snprintf(e, 32, "\\u%04lx\\u%04lx", 0xd800 + ((cp >> 10) & 0x3ff),
				0xdc00 + (cp & 0x3ff));
	}
	e[0] = (char)cp;
	e[1] = '\0';
	return 1;
}

size_t brink_ecm_pystr(char *out, size_t cap, const char *s, size_t len)
{
	size_t w = 0, n;
	char e[32];
	if (cap < 3)
		return 0;
	out[w++] = '"';
	for (size_t i = 0; i < len; i += n) {
		int k = escape(e, utf8_next((const unsigned char *)s + i, len - i, &n));
		if (w + (size_t)k + 2 > cap)
			return 0;
		memcpy(out + w, e, (size_t)k);
		w += (size_t)k;
	}
	out[w++] = '"';
	out[w] = '\0';
	return w;
}

size_t brink_ecm_pyfloat(char *out, size_t cap, double v)
{
	char digits[40];
	int prec = 1;
	if (!isfinite(v))
		return (size_t)snprintf(out, cap, "%s", isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
	/* the fewest significant digits that read back as v */
	for (; prec < 17; prec++) {
		snprintf(digits, sizeof(digits), "%.*e", prec - 1, v);
		if (strtod(digits, NULL) == v)
			break;
	}
	snprintf(digits, sizeof(digits), "%.*e", prec - 1, v);
	int exp = atoi(strchr(digits, 'e') + 1);
	int n;
	if (exp < -4 || exp >= 16) { /* repr's switch to exponent notation */
		char mant[32];
		snprintf(mant, sizeof(mant), "%.*s", (int)(strchr(digits, 'e') - digits), digits);
		n = snprintf(out, cap, "%se%c%02d", mant, exp < 0 ? '-' : '+', abs(exp));
	} else {
		int decimals = prec - 1 - exp;
		n = snprintf(out, cap, "%.*f", decimals > 0 ? decimals : 0, v);
		if (n > 0 && (size_t)n + 2 < cap && !strchr(out, '.'))
			n += snprintf(out + n, cap - (size_t)n, ".0");
	}
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t brink_ecm_reply(char *out, size_t cap, bool ok, const char *body)
{
	int head = snprintf(out, cap, "{\"status\": \"%s\", \"body\": ", ok ? "OK" : "ERROR");
	if (head < 0 || (size_t)head >= cap)
		return 0;
	size_t n = brink_ecm_pystr(out + head, cap - (size_t)head, body, strlen(body));
	if (!n || (size_t)head + n + 2 > cap)
		return 0;
	out[head + n] = '}';
	out[head + n + 1] = '\0';
	return (size_t)head + n + 1;
}
