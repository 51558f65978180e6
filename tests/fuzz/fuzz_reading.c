/* libFuzzer harness for the reading parsers (src/ingest/reading.c, senml.c).
 *
 * Byte 0 picks the parser (% 4: JSON line, auth line, SenML JSON, SenML
 * CBOR) and the message buffer (/ 4 % 3: 256 bytes, 1 byte, none); the rest
 * is the input. Every input must be accepted or refused without crashing,
 * leaking or reading out of bounds; an accepted reading must respect every
 * documented bound, and a SenML JSON pack, written back as resolved SenML
 * CBOR, must parse to the same reading. */
#include <cbor.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/reading.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct brink_reading rd, again;

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_field(const struct brink_reading_field *f)
{
	size_t n = strnlen(f->name, sizeof(f->name));
	check(n >= 1 && n <= BRINK_READING_NAME_MAX);
	check(strnlen(f->unit, sizeof(f->unit)) <= BRINK_READING_UNIT_MAX);
	check(isfinite(f->time) && isfinite(f->num) && isfinite(f->sum));
	switch (f->type) {
	case BRINK_READING_NUMBER:
		check(f->has_num);
		break;
	case BRINK_READING_STRING:
		check(f->slen <= BRINK_READING_STR_MAX && strnlen(f->str, sizeof(f->str)) == f->slen);
		break;
	case BRINK_READING_BOOL:
		check(!f->has_num);
		break;
	default:
		check(false);
	}
}

static void check_reading(const struct brink_reading *r)
{
	check(r->nfields >= 1 && r->nfields <= BRINK_READING_FIELDS_MAX);
	for (size_t i = 0; i < r->nfields; i++)
		check_field(&r->fields[i]);
}

/* Appends one encoded item to out[*n..cap); 0 from an encoder means full. */
#define PUT(call)                                                                                  \
	do {                                                                                       \
		size_t put_ = (call);                                                              \
		check(put_ > 0);                                                                   \
		*n += put_;                                                                        \
	} while (0)

static void put_text(uint8_t *out, size_t *n, size_t cap, const char *s, size_t len)
{
	PUT(cbor_encode_string_start(len, out + *n, cap - *n));
	check(cap - *n >= len);
	memcpy(out + *n, s, len);
	*n += len;
}

static void put_field(uint8_t *out, size_t *n, size_t cap, const struct brink_reading_field *f)
{
	size_t pairs = 3 + (f->unit[0] != '\0') + f->has_sum;
	PUT(cbor_encode_map_start(pairs, out + *n, cap - *n));
	PUT(cbor_encode_uint(0, out + *n, cap - *n));
	put_text(out, n, cap, f->name, strlen(f->name));
	PUT(cbor_encode_uint(6, out + *n, cap - *n));
	PUT(cbor_encode_double(f->time, out + *n, cap - *n));
	if (f->unit[0]) {
		PUT(cbor_encode_uint(1, out + *n, cap - *n));
		put_text(out, n, cap, f->unit, strlen(f->unit));
	}
	if (f->has_sum) {
		PUT(cbor_encode_uint(5, out + *n, cap - *n));
		PUT(cbor_encode_double(f->sum, out + *n, cap - *n));
	}
	if (f->type == BRINK_READING_NUMBER) {
		PUT(cbor_encode_uint(2, out + *n, cap - *n));
		PUT(cbor_encode_double(f->num, out + *n, cap - *n));
	} else if (f->type == BRINK_READING_STRING) {
		PUT(cbor_encode_uint(3, out + *n, cap - *n));
		put_text(out, n, cap, f->str, f->slen);
	} else {
		PUT(cbor_encode_uint(4, out + *n, cap - *n));
		PUT(cbor_encode_bool(f->b, out + *n, cap - *n));
	}
}

/* The reading as a resolved SenML CBOR pack must parse back to itself. */
static void round_trip(const struct brink_reading *r)
{
	static uint8_t out[32768];
	size_t len = 0, *n = &len, cap = sizeof(out);
	char msg[256];
	PUT(cbor_encode_array_start(r->nfields, out, cap));
	for (size_t i = 0; i < r->nfields; i++)
		put_field(out, n, cap, &r->fields[i]);
	check(brink_reading_parse_senml_cbor(out, len, &again, msg, sizeof(msg)) ==
	      BRINK_READING_OK);
	check(again.nfields == r->nfields);
	for (size_t i = 0; i < r->nfields; i++) {
		const struct brink_reading_field *a = &again.fields[i], *b = &r->fields[i];
		check(strcmp(a->name, b->name) == 0 && strcmp(a->unit, b->unit) == 0);
		check(a->type == b->type && a->has_num == b->has_num && a->num == b->num);
		check(a->b == b->b && a->time == b->time);
		check(a->has_sum == b->has_sum && a->sum == b->sum);
		check(a->slen == b->slen && memcmp(a->str, b->str, a->slen) == 0);
	}
}

static void check_auth(const struct brink_reading_auth *a)
{
	size_t k = strnlen(a->key, sizeof(a->key));
	check(brink_name_valid(a->thing));
	check(k >= 1 && k <= BRINK_READING_KEY_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t msg_sizes[] = {256, 1, 0};
	char msgbuf[256];
	struct brink_reading_auth auth;
	if (size < 1)
		return 0;
	size_t msglen = msg_sizes[(data[0] / 4) % 3];
	char *msg = msglen ? msgbuf : NULL;
	msgbuf[0] = '\0';
	const char *buf = (const char *)data + 1;
	size_t len = size - 1;
	enum brink_reading_status st;
	switch (data[0] % 4) {
	case 0:
		st = brink_reading_parse_json(buf, len, &rd, msg, msglen);
		break;
	case 1:
		st = brink_reading_parse_auth(buf, len, &auth, msg, msglen);
		if (st == BRINK_READING_OK)
			check_auth(&auth);
		break;
	case 2:
		st = brink_reading_parse_senml_json(buf, len, &rd, msg, msglen);
		if (st == BRINK_READING_OK)
			round_trip(&rd);
		break;
	default:
		st = brink_reading_parse_senml_cbor(buf, len, &rd, msg, msglen);
		break;
	}
	check(st == BRINK_READING_OK || st == BRINK_READING_MALFORMED ||
	      st == BRINK_READING_TOO_LARGE || st == BRINK_READING_INVALID);
	if (st == BRINK_READING_OK && data[0] % 4 != 1)
		check_reading(&rd);
	if (st != BRINK_READING_OK && msglen > 1)
		check(msg[0] != '\0' && strnlen(msg, msglen) < msglen);
	return 0;
}
