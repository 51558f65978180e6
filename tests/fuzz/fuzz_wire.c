/* libFuzzer harness for the brinkd <-> worker framing (brink/wire.h): parses
 * a byte stream frame by frame, decodes each payload, and checks that
 * re-encoding what was parsed gives back the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "brink/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[BRINK_WIRE_MAX_FRAME];

static void check(int ok)
{
	if (!ok)
		abort();
}

/* Rebuilds a batch frame record by record. */
static size_t rebuild_batch(const struct brink_wire_frame *f)
{
	struct brink_wire_record_iter it;
	struct brink_wire_record r;
	struct brink_wire_batch b;
	check(brink_wire_records_begin(f, &it) == BRINK_WIRE_OK);
	check(brink_wire_batch_begin(&b, out, sizeof(out), f->type) == BRINK_WIRE_OK);
	enum brink_wire_status st;
	while ((st = brink_wire_records_next(&it, &r)) == BRINK_WIRE_OK) {
		check(r.data >= f->payload && r.data + r.length <= f->payload + f->length);
		check(brink_wire_batch_add(&b, r.seq, r.time_ns, r.data, r.length) == BRINK_WIRE_OK);
	}
	check(st == BRINK_WIRE_END);
	return brink_wire_batch_end(&b);
}

static size_t rebuild(const struct brink_wire_frame *f)
{
	struct brink_wire_cpu c;
	struct brink_wire_ready r;
	struct brink_wire_output o;
	uint64_t id;
	char topic[BRINK_WIRE_TOPIC_MAX + 1];
	switch (f->type) {
	case BRINK_WIRE_READY:
		check(brink_wire_ready_decode(f, &r) == BRINK_WIRE_OK);
		return brink_wire_encode_ready(out, sizeof(out), &r);
	case BRINK_WIRE_CPU:
	case BRINK_WIRE_CPU_ACK:
		if (brink_wire_cpu_decode(f, &c) != BRINK_WIRE_OK)
			return brink_wire_encode(out, sizeof(out), f->type, f->payload, f->length);
		return brink_wire_encode_cpu(out, sizeof(out), f->type, &c);
	case BRINK_WIRE_RECORDS:
	case BRINK_WIRE_RESULTS:
		return rebuild_batch(f);
	case BRINK_WIRE_CLIENT:
	case BRINK_WIRE_CLIENT_GONE:
	case BRINK_WIRE_TAP:
	case BRINK_WIRE_MQTT_GO:
		check(brink_wire_u64_decode(f, &id) == BRINK_WIRE_OK);
		return brink_wire_encode_u64(out, sizeof(out), f->type, id);
	case BRINK_WIRE_OUTPUT:
		check(brink_wire_output_decode(f, &o) == BRINK_WIRE_OK);
		return brink_wire_encode_output(out, sizeof(out), &o);
	case BRINK_WIRE_MQTT:
		check(brink_wire_mqtt_decode(f, &id, topic) == BRINK_WIRE_OK);
		check(strlen(topic) == f->length - 8);
		return brink_wire_encode_mqtt(out, sizeof(out), id, topic);
	default:
		return brink_wire_encode(out, sizeof(out), f->type, f->payload, f->length);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct brink_wire_frame f;
	size_t used, left = size;
	const uint8_t *p = data;
	while (left > 0 && brink_wire_parse(p, left, &f, &used) == BRINK_WIRE_OK) {
		check(used >= BRINK_WIRE_HDR_SIZE && used <= left);
		check(used == BRINK_WIRE_HDR_SIZE + (size_t)f.length);
		check(f.payload == p + BRINK_WIRE_HDR_SIZE);
		size_t n = rebuild(&f);
		check(n == used && memcmp(out, p, n) == 0);
		p += used;
		left -= used;
	}
	enum brink_wire_status st = brink_wire_parse_msg(data, size, &f);
	check(st != BRINK_WIRE_OK || f.payload + f.length == data + size);
	check(brink_wire_status_name(st) != NULL);
	return 0;
}
