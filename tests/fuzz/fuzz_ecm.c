/* libFuzzer harness for the ECM front end's parsers (src/ecm/request.h).
 *
 * Byte 0 picks the parser, the rest is its input:
 *   0-8  a request of verb byte0 (the raw-key parser for bootstrap); a request
 *        parsed OK must satisfy its documented bounds, and every prefix of it
 *        must be AGAIN or an error, never a different OK;
 *   9    a column order;
 *   10   a sensor stream: objects found feeding byte by byte must be the
 *        ones found feeding it whole, each renders within bounds, and its
 *        rendering read back as a service's output line gives the same bytes;
 *   11   an .h5 superblock;
 *   12   Python-style rendering: a string (valid UTF-8) reads back equal with
 *        jansson, a double (8 bytes) reads back equal with strtod. */
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ecm/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void request(enum ecm_verb verb, const char *p, size_t n)
{
	static struct ecm_request r, r2;
	char msg[160], key[ECM_KEY_MAX + 1];
	if (verb == ECM_BOOTSTRAP) {
		if (brink_ecm_key_parse(p, n, n % 2, key) == ECM_PARSE_OK)
			check(strlen(key) > 0 && strlen(key) <= ECM_KEY_MAX);
		return;
	}
	if (brink_ecm_request_parse(p, n, verb, &r, msg, sizeof(msg)) != ECM_PARSE_OK)
		return;
	check(r.cpu_min > 0 && r.cpu_min <= r.cpu_max && r.nlports <= BRINK_PORTS_MAX);
	check(r.ncolumns <= ECM_COLUMNS_MAX && r.nports >= 1 && r.nports <= BRINK_PORTS_MAX);
	check(verb == ECM_REGISTER || strlen(r.id) > 0);
	for (size_t cut = n > 64 ? n - 64 : 0; cut < n; cut++) {
		enum ecm_parse st = brink_ecm_request_parse(p, cut, verb, &r2, msg, sizeof(msg));
		/* a shorter complete request can only differ by trailing white space */
		if (st == ECM_PARSE_OK)
			for (size_t i = cut; i < n; i++)
				check(p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r');
	}
}

/* What the device port wrote comes back from a forward service as the same
 * bytes (unless it names brink's own output fields). */
static void output_again(const char *obj)
{
	static char again[ECM_OBJECT_MAX * 2];
	size_t n = brink_ecm_output(obj, strlen(obj), again, sizeof(again));
	check(n > 0);
	if (!strstr(obj, "\"thing\"") && !strstr(obj, "\"received\"") && !strstr(obj, "\"msg\""))
		check(strcmp(again, obj) == 0);
}

static void stream(const char *p, size_t n)
{
	static char out[ECM_OBJECT_MAX * 2], msg[128], id[ECM_KEY_MAX + 1];
	struct ecm_scan a = {0}, b = {0};
	size_t off = 0;
	while (off < n) {
		bool bad1 = false, bad2 = false;
		size_t end = 0;
		memset(&a, 0, sizeof(a));
		for (size_t len = 1; len <= n - off && !end && !bad1; len++)
			end = brink_ecm_object_end(p + off, len, &a, &bad1);
		memset(&b, 0, sizeof(b));
		size_t whole = brink_ecm_object_end(p + off, n - off, &b, &bad2);
		check(end == whole && bad1 == bad2);
		if (!end)
			return;
		if (brink_ecm_sensor_object(p + off, end, id, out, sizeof(out), msg, sizeof(msg)) ==
		    ECM_PARSE_OK) {
			check(out[0] == '{' && strlen(out) < sizeof(out) && strlen(id) > 0);
			output_again(out);
		}
		off += end;
	}
}

static void render(const uint8_t *p, size_t n)
{
	static char out[4096 * 6 + 8];
	if (n == 8) {
		double v;
		memcpy(&v, p, 8);
		char f[64];
		size_t len = brink_ecm_pyfloat(f, sizeof(f), v);
		check(len > 0);
		if (isfinite(v))
			check(strtod(f, NULL) == v);
	}
	if (n > 4096)
		return;
	json_t *s = json_stringn((const char *)p, n); /* NULL unless valid UTF-8 */
	if (!s)
		return;
	size_t len = brink_ecm_pystr(out, sizeof(out), (const char *)p, n);
	check(len > 0);
	json_t *back = json_loadb(out, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	check(back && json_equal(s, back));
	for (size_t i = 0; i < len; i++)
		check((unsigned char)out[i] < 0x80);
	json_decref(back);
	json_decref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ecm_request r;
	char msg[160];
	uint64_t h5;
	if (size < 1 || size > 8192)
		return 0;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	switch (data[0] % 13) {
	case 9:
		brink_ecm_order_parse(p, n, &r, msg, sizeof(msg));
		check(r.ncolumns <= ECM_COLUMNS_MAX);
		break;
	case 10:
		stream(p, n);
		break;
	case 11:
		if (brink_ecm_h5_size(data + 1, n, &h5) == ECM_PARSE_OK)
			check(h5 >= 12);
		break;
	case 12:
		render(data + 1, n);
		break;
	default:
		request((enum ecm_verb)(data[0] % 13), p, n);
	}
	return 0;
}
