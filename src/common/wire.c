#include "brink/wire.h"

#include "brink/common.h"

#include <stdbool.h>
#include <string.h>

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static int is_batch(unsigned type)
{
	return type == BRINK_WIRE_RECORDS || type == BRINK_WIRE_RESULTS;
}

/* The fixed payload size of a type, or -1 for variable (batches). */
static long fixed_size(unsigned type)
{
	switch (type) {
	case BRINK_WIRE_READY:
	case BRINK_WIRE_CPU:
	case BRINK_WIRE_CPU_ACK:
	case BRINK_WIRE_CLIENT:
	case BRINK_WIRE_CLIENT_GONE:
	case BRINK_WIRE_TAP:
	case BRINK_WIRE_MQTT_GO:
		return 8;
	case BRINK_WIRE_OUTPUT:
		return 32;
	case BRINK_WIRE_STOP:
		return 0;
	case BRINK_WIRE_STATS:
		return 32;
	default:
		return -1;
	}
}

static enum brink_wire_status check_batch(const struct brink_wire_frame *f)
{
	struct brink_wire_record_iter it;
	struct brink_wire_record r;
	enum brink_wire_status st = brink_wire_records_begin(f, &it);
	while (st == BRINK_WIRE_OK)
		st = brink_wire_records_next(&it, &r);
	if (st != BRINK_WIRE_END)
		return st;
	return it.pos == it.end ? BRINK_WIRE_OK : BRINK_WIRE_BAD_PAYLOAD;
}

/* An MQTT frame's topic: printable ASCII, no wildcard, not empty. */
static bool topic_ok(const uint8_t *p, size_t n)
{
	if (n == 0 || n > BRINK_WIRE_TOPIC_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] >= 0x7f || p[i] == '+' || p[i] == '#')
			return false;
	return true;
}

static enum brink_wire_status check_payload(const struct brink_wire_frame *f)
{
	if (is_batch(f->type))
		return check_batch(f);
	if (f->type == BRINK_WIRE_MQTT)
		return f->length > 8 && topic_ok(f->payload + 8, f->length - 8) ? BRINK_WIRE_OK
										 : BRINK_WIRE_BAD_PAYLOAD;
	if (f->type == BRINK_WIRE_MODEL)
		return f->length >= 1 && f->payload[0] <= 1 ? BRINK_WIRE_OK : BRINK_WIRE_BAD_PAYLOAD;
	return (long)f->length == fixed_size(f->type) ? BRINK_WIRE_OK : BRINK_WIRE_BAD_PAYLOAD;
}

enum brink_wire_status brink_wire_parse(const void *buf, size_t len, struct brink_wire_frame *out,
					size_t *used)
{
	const uint8_t *p = buf;
	if (len < BRINK_WIRE_HDR_SIZE)
		return BRINK_WIRE_TRUNCATED;
	if (p[0] != BRINK_WIRE_MAGIC)
		return BRINK_WIRE_BAD_MAGIC;
	if (p[1] != BRINK_WIRE_VERSION)
		return BRINK_WIRE_BAD_VERSION;
	if (p[2] == 0 || p[2] >= BRINK_WIRE_TYPE_COUNT || p[3] != 0)
		return BRINK_WIRE_BAD_TYPE;
	uint32_t n = get32(p + 4);
	if (n > BRINK_WIRE_MAX_PAYLOAD)
		return BRINK_WIRE_TOO_LARGE;
	if (len - BRINK_WIRE_HDR_SIZE < n)
		return BRINK_WIRE_TRUNCATED;
	struct brink_wire_frame f = {(enum brink_wire_type)p[2], n, p + BRINK_WIRE_HDR_SIZE};
	enum brink_wire_status st = check_payload(&f);
	if (st != BRINK_WIRE_OK)
		return st;
	*out = f;
	*used = BRINK_WIRE_HDR_SIZE + (size_t)n;
	return BRINK_WIRE_OK;
}

enum brink_wire_status brink_wire_parse_msg(const void *buf, size_t len,
					    struct brink_wire_frame *out)
{
	struct brink_wire_frame f;
	size_t used;
	enum brink_wire_status st = brink_wire_parse(buf, len, &f, &used);
	if (st != BRINK_WIRE_OK)
		return st;
	if (used != len)
		return BRINK_WIRE_TRAILING;
	*out = f;
	return BRINK_WIRE_OK;
}

enum brink_wire_status brink_wire_ready_decode(const struct brink_wire_frame *f,
					       struct brink_wire_ready *out)
{
	if (f->type != BRINK_WIRE_READY || f->length != 8)
		return BRINK_WIRE_BAD_PAYLOAD;
	out->features = get32(f->payload);
	out->max_frame = get32(f->payload + 4);
	return BRINK_WIRE_OK;
}

enum brink_wire_status brink_wire_cpu_decode(const struct brink_wire_frame *f,
					     struct brink_wire_cpu *out)
{
	if ((f->type != BRINK_WIRE_CPU && f->type != BRINK_WIRE_CPU_ACK) || f->length != 8)
		return BRINK_WIRE_BAD_PAYLOAD;
	struct brink_wire_cpu c = {get32(f->payload), get32(f->payload + 4)};
	if (c.period_us == 0 || c.period_us > 1000000)
		return BRINK_WIRE_BAD_PAYLOAD;
	*out = c;
	return BRINK_WIRE_OK;
}

enum brink_wire_status brink_wire_model_decode(const struct brink_wire_frame *f, int *ok,
					       const char **text, size_t *len)
{
	if (f->type != BRINK_WIRE_MODEL || f->length < 1 || f->payload[0] > 1)
		return BRINK_WIRE_BAD_PAYLOAD;
	*ok = f->payload[0];
	*text = (const char *)f->payload + 1;
	*len = f->length - 1;
	return BRINK_WIRE_OK;
}

enum brink_wire_status brink_wire_stats_decode(const struct brink_wire_frame *f,
					       struct brink_wire_stats *out)
{
	if (f->type != BRINK_WIRE_STATS || f->length != 32)
		return BRINK_WIRE_BAD_PAYLOAD;
	out->readings = get64(f->payload);
	out->results = get64(f->payload + 8);
	out->skipped_missing = get64(f->payload + 16);
	out->skipped_bad = get64(f->payload + 24);
	return BRINK_WIRE_OK;
}

static int is_u64(unsigned type)
{
	return type == BRINK_WIRE_CLIENT || type == BRINK_WIRE_CLIENT_GONE || type == BRINK_WIRE_TAP ||
	       type == BRINK_WIRE_MQTT_GO;
}

enum brink_wire_status brink_wire_u64_decode(const struct brink_wire_frame *f, uint64_t *v)
{
	if (!is_u64(f->type) || f->length != 8)
		return BRINK_WIRE_BAD_PAYLOAD;
	*v = get64(f->payload);
	return BRINK_WIRE_OK;
}

enum brink_wire_status brink_wire_output_decode(const struct brink_wire_frame *f,
						struct brink_wire_output *out)
{
	if (f->type != BRINK_WIRE_OUTPUT || f->length != 32)
		return BRINK_WIRE_BAD_PAYLOAD;
	out->lines = get64(f->payload);
	out->lost = get64(f->payload + 8);
	out->mqtt = get64(f->payload + 16);
	out->mqtt_lost = get64(f->payload + 24);
	return BRINK_WIRE_OK;
}

enum brink_wire_status brink_wire_records_begin(const struct brink_wire_frame *f,
						struct brink_wire_record_iter *it)
{
	if (!is_batch(f->type) || f->length < 4)
		return BRINK_WIRE_BAD_PAYLOAD;
	it->left = get32(f->payload);
	it->pos = f->payload + 4;
	it->end = f->payload + f->length;
	/* Every record takes at least its header: a cheap bound on count. */
	if (it->left > (size_t)(it->end - it->pos) / BRINK_WIRE_RECORD_HDR_SIZE)
		return BRINK_WIRE_BAD_PAYLOAD;
	return BRINK_WIRE_OK;
}

enum brink_wire_status brink_wire_records_next(struct brink_wire_record_iter *it,
					       struct brink_wire_record *out)
{
	if (it->left == 0)
		return BRINK_WIRE_END;
	size_t room = (size_t)(it->end - it->pos);
	if (room < BRINK_WIRE_RECORD_HDR_SIZE)
		return BRINK_WIRE_BAD_PAYLOAD;
	uint32_t n = get32(it->pos + 16);
	if (n > room - BRINK_WIRE_RECORD_HDR_SIZE)
		return BRINK_WIRE_BAD_PAYLOAD;
	out->seq = get64(it->pos);
	out->time_ns = get64(it->pos + 8);
	out->length = n;
	out->data = it->pos + BRINK_WIRE_RECORD_HDR_SIZE;
	it->pos += BRINK_WIRE_RECORD_HDR_SIZE + (size_t)n;
	it->left--;
	return BRINK_WIRE_OK;
}

static void put_header(uint8_t *p, unsigned type, uint32_t len)
{
	p[0] = BRINK_WIRE_MAGIC;
	p[1] = BRINK_WIRE_VERSION;
	p[2] = (uint8_t)type;
	p[3] = 0;
	put32(p + 4, len);
}

size_t brink_wire_encode(void *buf, size_t cap, enum brink_wire_type type, const void *payload,
			 size_t len)
{
	if (type == 0 || type >= BRINK_WIRE_TYPE_COUNT || len > BRINK_WIRE_MAX_PAYLOAD)
		return 0;
	if (cap < BRINK_WIRE_HDR_SIZE || cap - BRINK_WIRE_HDR_SIZE < len)
		return 0;
	put_header(buf, type, (uint32_t)len);
	if (len)
		memcpy((uint8_t *)buf + BRINK_WIRE_HDR_SIZE, payload, len);
	return BRINK_WIRE_HDR_SIZE + len;
}

size_t brink_wire_encode_ready(void *buf, size_t cap, const struct brink_wire_ready *r)
{
	uint8_t p[8];
	put32(p, r->features);
	put32(p + 4, r->max_frame);
	return brink_wire_encode(buf, cap, BRINK_WIRE_READY, p, sizeof(p));
}

size_t brink_wire_encode_cpu(void *buf, size_t cap, enum brink_wire_type type,
			     const struct brink_wire_cpu *c)
{
	uint8_t p[8];
	if (type != BRINK_WIRE_CPU && type != BRINK_WIRE_CPU_ACK)
		return 0;
	put32(p, c->quota_us);
	put32(p + 4, c->period_us);
	return brink_wire_encode(buf, cap, type, p, sizeof(p));
}

size_t brink_wire_encode_model(void *buf, size_t cap, int ok, const char *text, size_t len)
{
	if (cap < BRINK_WIRE_HDR_SIZE + 1)
		return 0;
	size_t room = (cap < BRINK_WIRE_MAX_FRAME ? cap : BRINK_WIRE_MAX_FRAME) - BRINK_WIRE_HDR_SIZE - 1;
	if (len > room)
		len = room;
	uint8_t *p = buf;
	put_header(p, BRINK_WIRE_MODEL, (uint32_t)len + 1);
	p[BRINK_WIRE_HDR_SIZE] = ok ? 1 : 0;
	if (len)
		memcpy(p + BRINK_WIRE_HDR_SIZE + 1, text, len);
	return BRINK_WIRE_HDR_SIZE + 1 + len;
}

size_t brink_wire_encode_stats(void *buf, size_t cap, const struct brink_wire_stats *s)
{
	uint8_t p[32];
	put64(p, s->readings);
	put64(p + 8, s->results);
	put64(p + 16, s->skipped_missing);
	put64(p + 24, s->skipped_bad);
	return brink_wire_encode(buf, cap, BRINK_WIRE_STATS, p, sizeof(p));
}

size_t brink_wire_encode_u64(void *buf, size_t cap, enum brink_wire_type type, uint64_t v)
{
	uint8_t p[8];
	if (!is_u64(type))
		return 0;
	put64(p, v);
	return brink_wire_encode(buf, cap, type, p, sizeof(p));
}

size_t brink_wire_encode_mqtt(void *buf, size_t cap, uint64_t id, const char *topic)
{
	uint8_t p[8 + BRINK_WIRE_TOPIC_MAX];
	size_t n = strlen(topic);
	if (!topic_ok((const uint8_t *)topic, n))
		return 0;
	put64(p, id);
	memcpy(p + 8, topic, n);
	return brink_wire_encode(buf, cap, BRINK_WIRE_MQTT, p, 8 + n);
}

enum brink_wire_status brink_wire_mqtt_decode(const struct brink_wire_frame *f, uint64_t *id,
					      char topic[BRINK_WIRE_TOPIC_MAX + 1])
{
	if (f->type != BRINK_WIRE_MQTT || check_payload(f) != BRINK_WIRE_OK)
		return BRINK_WIRE_BAD_PAYLOAD;
	*id = get64(f->payload);
	memcpy(topic, f->payload + 8, f->length - 8);
	topic[f->length - 8] = '\0';
	return BRINK_WIRE_OK;
}

size_t brink_wire_encode_output(void *buf, size_t cap, const struct brink_wire_output *o)
{
	uint8_t p[32];
	put64(p, o->lines);
	put64(p + 8, o->lost);
	put64(p + 16, o->mqtt);
	put64(p + 24, o->mqtt_lost);
	return brink_wire_encode(buf, cap, BRINK_WIRE_OUTPUT, p, sizeof(p));
}

enum brink_wire_status brink_wire_batch_begin(struct brink_wire_batch *b, void *buf, size_t cap,
					      enum brink_wire_type type)
{
	if (!is_batch(type))
		return BRINK_WIRE_BAD_TYPE;
	if (cap < BRINK_WIRE_HDR_SIZE + 4)
		return BRINK_WIRE_NO_SPACE;
	b->buf = buf;
	b->cap = cap < BRINK_WIRE_MAX_FRAME ? cap : BRINK_WIRE_MAX_FRAME;
	b->len = BRINK_WIRE_HDR_SIZE + 4;
	b->count = 0;
	put_header(b->buf, type, 0);
	return BRINK_WIRE_OK;
}

enum brink_wire_status brink_wire_batch_add(struct brink_wire_batch *b, uint64_t seq,
					    uint64_t time_ns, const void *data, uint32_t len)
{
	size_t room = b->cap - b->len;
	if (room < BRINK_WIRE_RECORD_HDR_SIZE || room - BRINK_WIRE_RECORD_HDR_SIZE < len)
		return BRINK_WIRE_NO_SPACE;
	uint8_t *p = b->buf + b->len;
	put64(p, seq);
	put64(p + 8, time_ns);
	put32(p + 16, len);
	if (len)
		memcpy(p + BRINK_WIRE_RECORD_HDR_SIZE, data, len);
	b->len += BRINK_WIRE_RECORD_HDR_SIZE + (size_t)len;
	b->count++;
	return BRINK_WIRE_OK;
}

size_t brink_wire_batch_end(struct brink_wire_batch *b)
{
	put32(b->buf + 4, (uint32_t)(b->len - BRINK_WIRE_HDR_SIZE));
	put32(b->buf + BRINK_WIRE_HDR_SIZE, b->count);
	return b->len;
}

const char *brink_wire_type_name(unsigned type)
{
	static const char *const names[] = {"?", "READY", "CPU", "CPU_ACK", "STOP", "RECORDS",
					    "RESULTS", "MODEL", "STATS", "CLIENT", "CLIENT_GONE",
					    "TAP",     "OUTPUT", "MQTT",	   "MQTT_GO"};
	return type < BRINK_WIRE_TYPE_COUNT ? names[type] : "?";
}

const char *brink_wire_status_name(enum brink_wire_status st)
{
	static const char *const names[] = {"ok",	   "truncated",	  "bad magic",
					    "bad version", "bad type",	  "too large",
					    "bad payload", "trailing bytes", "no space",
					    "end"};
	return (unsigned)st < BRINK_ARRAY_SIZE(names) ? names[st] : "?";
}
