/* MQTT 3.1.1 packets for brinkd's own client (section numbers: the OASIS
 * standard of 29 October 2014).
 *
 * Why by hand and not libmosquitto, which brinkd used before: brinkd needs
 * five packets out and four in, at QoS 0, over plain TCP. libmosquitto links
 * libssl and libcrypto (~1.8 MB mapped at start) and mosquitto_lib_init()
 * initialises OpenSSL, which brinkd never uses: a program linked against
 * brinkd's libraries had 8.3 MB of RSS, 5.0 MB without libmosquitto and
 * libcurl, against a budget of 8 MB for an idle brinkd (DESIGN.md), which
 * measured 13.6 MB. And on the MQTT forwarding path (bench/bench-forward.sh)
 * brinkd spent ~16 us per reading against ~3 us on TCP: libmosquitto reads a
 * packet with several recv() calls (command byte, each length byte, the
 * rest), allocates for every message and writes every publish with its own
 * write(), so brink reached 0.15-0.33x of Mosquitto's throughput. Here a
 * packet is parsed in place from a buffer filled by one large recv(), and
 * publishes are encoded into one buffer written with as few write()s as the
 * socket allows (ingest/mqtt.c). The other C clients packaged in Debian
 * (paho.mqtt.c) have the same per-message allocations and threads. */
#include <string.h>

#include "mqtt/codec.h"

size_t brink_mqtt_varint_encode(uint32_t v, uint8_t out[4])
{
	size_t n = 0;
	if (v > BRINK_MQTT_REMAINING_MAX)
		return 0;
	do {
		uint8_t b = v % 128;
		v /= 128;
		out[n++] = v ? (uint8_t)(b | 0x80) : b;
	} while (v);
	return n;
}

/* A packet under construction: writes stop (ok = false) at cap. */
struct writer {
	uint8_t *p;
	size_t len, cap;
	bool ok;
};

static void put(struct writer *w, const void *src, size_t n)
{
	if (!w->ok || n > w->cap - w->len) {
		w->ok = false;
		return;
	}
	if (n)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void put_u8(struct writer *w, uint8_t b)
{
	put(w, &b, 1);
}

static void put_u16(struct writer *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(w, b, 2);
}

/* A UTF-8 encoded string: its length in two bytes, then its bytes (1.5.3). */
static void put_str(struct writer *w, const char *s, size_t n)
{
	if (n > 65535) {
		w->ok = false;
		return;
	}
	put_u16(w, (uint16_t)n);
	put(w, s, n);
}

static void put_header(struct writer *w, uint8_t first, size_t remaining)
{
	uint8_t len[4];
	size_t n = remaining <= BRINK_MQTT_REMAINING_MAX
			   ? brink_mqtt_varint_encode((uint32_t)remaining, len)
			   : 0;
	w->ok = w->ok && n;
	put_u8(w, first);
	put(w, len, n);
}

static size_t done(const struct writer *w)
{
	return w->ok ? w->len : 0;
}

/* CONNECT (3.1): protocol name "MQTT", level 4, flags, keep alive; payload
 * client id, then username and password when given. */
size_t brink_mqtt_encode_connect(const struct brink_mqtt_connect *c, uint8_t *out, size_t cap)
{
	struct writer w = {out, 0, cap, true};
	size_t id = strlen(c->client_id), user = c->username ? strlen(c->username) : 0,
	       pass = c->password ? strlen(c->password) : 0;
	if (c->password && !c->username)
		return 0;
	size_t remaining = 10 + 2 + id + (c->username ? 2 + user : 0) + (c->password ? 2 + pass : 0);
	uint8_t flags = (uint8_t)((c->username ? 0x80 : 0) | (c->password ? 0x40 : 0) |
				  (c->clean_session ? 0x02 : 0));
	put_header(&w, BRINK_MQTT_PKT_CONNECT << 4, remaining);
	put_str(&w, "MQTT", 4);
	put_u8(&w, 4);
	put_u8(&w, flags);
	put_u16(&w, c->keepalive_s);
	put_str(&w, c->client_id, id);
	if (c->username)
		put_str(&w, c->username, user);
	if (c->password)
		put_str(&w, c->password, pass);
	return done(&w);
}

/* SUBSCRIBE (3.8): fixed header flags 0010, packet id, one filter and QoS. */
size_t brink_mqtt_encode_subscribe(uint16_t packet_id, const char *filter, uint8_t qos,
				   uint8_t *out, size_t cap)
{
	struct writer w = {out, 0, cap, true};
	size_t n = strlen(filter);
	if (!packet_id || qos > 2 || !n)
		return 0;
	put_header(&w, BRINK_MQTT_PKT_SUBSCRIBE << 4 | 0x02, 2 + 2 + n + 1);
	put_u16(&w, packet_id);
	put_str(&w, filter, n);
	put_u8(&w, qos);
	return done(&w);
}

size_t brink_mqtt_publish_size(size_t topic_len, size_t payload_len)
{
	uint8_t len[4];
	if (topic_len > 65535 || payload_len > BRINK_MQTT_REMAINING_MAX - 2 - topic_len)
		return 0;
	size_t remaining = 2 + topic_len + payload_len;
	return 1 + brink_mqtt_varint_encode((uint32_t)remaining, len) + remaining;
}

/* PUBLISH (3.3) at QoS 0: no packet id in the variable header. */
size_t brink_mqtt_encode_publish_head(const char *topic, size_t topic_len, size_t payload_len,
				      uint8_t *out, size_t cap)
{
	struct writer w = {out, 0, cap, true};
	if (!brink_mqtt_publish_size(topic_len, payload_len))
		return 0;
	put_header(&w, BRINK_MQTT_PKT_PUBLISH << 4, 2 + topic_len + payload_len);
	put_str(&w, topic, topic_len);
	return done(&w);
}

size_t brink_mqtt_encode_publish(const char *topic, size_t topic_len, const void *payload,
				 size_t payload_len, uint8_t *out, size_t cap)
{
	size_t head = brink_mqtt_encode_publish_head(topic, topic_len, payload_len, out, cap);
	if (!head || payload_len > cap - head)
		return 0;
	if (payload_len)
		memcpy(out + head, payload, payload_len);
	return head + payload_len;
}

size_t brink_mqtt_encode_puback(uint16_t packet_id, uint8_t *out, size_t cap)
{
	struct writer w = {out, 0, cap, true};
	put_header(&w, BRINK_MQTT_PKT_PUBACK << 4, 2);
	put_u16(&w, packet_id);
	return done(&w);
}

static size_t header_only(uint8_t first, uint8_t *out, size_t cap)
{
	struct writer w = {out, 0, cap, true};
	put_header(&w, first, 0);
	return done(&w);
}

size_t brink_mqtt_encode_pingreq(uint8_t *out, size_t cap)
{
	return header_only(BRINK_MQTT_PKT_PINGREQ << 4, out, cap);
}

size_t brink_mqtt_encode_disconnect(uint8_t *out, size_t cap)
{
	return header_only(BRINK_MQTT_PKT_DISCONNECT << 4, out, cap);
}

/* The Remaining Length at buf[1..len) (2.2.3): OK with *value and *bytes,
 * MORE, or E_LENGTH after four bytes that all say "more follows". */
static enum brink_mqtt_parse varint_parse(const uint8_t *buf, size_t len, uint32_t *value,
					  size_t *bytes)
{
	uint32_t v = 0;
	for (size_t i = 0; i < 4; i++) {
		if (1 + i >= len)
			return BRINK_MQTT_PARSE_MORE;
		v |= (uint32_t)(buf[1 + i] & 0x7f) << (7 * i);
		if (!(buf[1 + i] & 0x80)) {
			*value = v;
			*bytes = i + 1;
			return BRINK_MQTT_PARSE_OK;
		}
	}
	return BRINK_MQTT_PARSE_E_LENGTH;
}

/* Whether a first byte is one a server sends a client, with its reserved
 * flags as 2.2.2 fixes them (PUBLISH's flags are checked with its body). */
static enum brink_mqtt_parse first_byte_check(uint8_t b)
{
	switch (b >> 4) {
	case BRINK_MQTT_PKT_CONNACK:
	case BRINK_MQTT_PKT_PUBACK:
	case BRINK_MQTT_PKT_SUBACK:
	case BRINK_MQTT_PKT_PINGRESP:
		return (b & 0x0f) ? BRINK_MQTT_PARSE_E_FLAGS : BRINK_MQTT_PARSE_OK;
	case BRINK_MQTT_PKT_PUBLISH:
		return BRINK_MQTT_PARSE_OK;
	default:
		return BRINK_MQTT_PARSE_E_TYPE;
	}
}

static uint16_t u16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* CONNACK (3.2): acknowledge flags (bits 7-1 reserved), return code. */
static enum brink_mqtt_parse connack_parse(const uint8_t *body, size_t n,
					   struct brink_mqtt_packet *p)
{
	if (n != 2)
		return BRINK_MQTT_PARSE_E_SHAPE;
	if (body[0] & 0xfe)
		return BRINK_MQTT_PARSE_E_FLAGS;
	p->session_present = body[0] & 1;
	p->return_code = body[1];
	return BRINK_MQTT_PARSE_OK;
}

/* SUBACK (3.9): packet id, then one return code per filter: 0, 1, 2 or 0x80. */
static enum brink_mqtt_parse suback_parse(const uint8_t *body, size_t n,
					  struct brink_mqtt_packet *p)
{
	if (n < 3)
		return BRINK_MQTT_PARSE_E_SHAPE;
	for (size_t i = 2; i < n; i++)
		if (body[i] > 2 && body[i] != 0x80)
			return BRINK_MQTT_PARSE_E_SHAPE;
	p->packet_id = u16_at(body);
	p->return_code = body[2];
	return BRINK_MQTT_PARSE_OK;
}

/* A topic name (4.7): at least one byte, no wildcard (3.3.2.1), no U+0000
 * (1.5.3). Its UTF-8 is not checked further: brinkd takes only topics
 * made of brink names (ASCII) and ignores every other one. */
static bool topic_name_ok(const uint8_t *t, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] == '+' || t[i] == '#' || t[i] == '\0')
			return false;
	return true;
}

/* PUBLISH (3.3): topic, a packet id at QoS 1 (not 0: 2.3.1), the payload. */
static enum brink_mqtt_parse publish_parse(uint8_t flags, const uint8_t *body, size_t n,
					   struct brink_mqtt_packet *p)
{
	uint8_t qos = (flags >> 1) & 3;
	if (qos == 3)
		return BRINK_MQTT_PARSE_E_QOS;
	if (qos == 2)
		return BRINK_MQTT_PARSE_E_QOS;
	if (n < 2)
		return BRINK_MQTT_PARSE_E_SHAPE;
	size_t tlen = u16_at(body), head = 2 + tlen + (qos ? 2 : 0);
	if (head > n || !topic_name_ok(body + 2, tlen))
		return BRINK_MQTT_PARSE_E_TOPIC;
	p->packet_id = qos ? u16_at(body + 2 + tlen) : 0;
	if (qos && !p->packet_id)
		return BRINK_MQTT_PARSE_E_SHAPE;
	p->qos = qos;
	p->dup = flags & 0x08;
	p->retain = flags & 0x01;
	p->topic = (const char *)body + 2;
	p->topic_len = tlen;
	p->payload = body + head;
	p->payload_len = n - head;
	return BRINK_MQTT_PARSE_OK;
}

static enum brink_mqtt_parse body_parse(uint8_t first, const uint8_t *body, size_t n,
					struct brink_mqtt_packet *p)
{
	p->type = (enum brink_mqtt_type)(first >> 4);
	switch (p->type) {
	case BRINK_MQTT_PKT_CONNACK:
		return connack_parse(body, n, p);
	case BRINK_MQTT_PKT_SUBACK:
		return suback_parse(body, n, p);
	case BRINK_MQTT_PKT_PUBLISH:
		return publish_parse(first & 0x0f, body, n, p);
	case BRINK_MQTT_PKT_PUBACK:
		if (n != 2)
			return BRINK_MQTT_PARSE_E_SHAPE;
		p->packet_id = u16_at(body);
		return BRINK_MQTT_PARSE_OK;
	default: /* PINGRESP */
		return n ? BRINK_MQTT_PARSE_E_SHAPE : BRINK_MQTT_PARSE_OK;
	}
}

/* The remaining length a packet of a fixed size must have, or -1. */
static long fixed_remaining(uint8_t first)
{
	switch (first >> 4) {
	case BRINK_MQTT_PKT_CONNACK:
	case BRINK_MQTT_PKT_PUBACK:
		return 2;
	case BRINK_MQTT_PKT_PINGRESP:
		return 0;
	default:
		return -1;
	}
}

enum brink_mqtt_parse brink_mqtt_packet_parse(const uint8_t *buf, size_t len, size_t max_packet,
					      struct brink_mqtt_packet *out, size_t *used)
{
	uint32_t remaining;
	size_t vbytes;
	if (len < 1)
		return BRINK_MQTT_PARSE_MORE;
	enum brink_mqtt_parse rc = first_byte_check(buf[0]);
	if (rc != BRINK_MQTT_PARSE_OK)
		return rc;
	if ((rc = varint_parse(buf, len, &remaining, &vbytes)) != BRINK_MQTT_PARSE_OK)
		return rc;
	long fixed = fixed_remaining(buf[0]);
	if (fixed >= 0 && remaining != (uint32_t)fixed)
		return BRINK_MQTT_PARSE_E_SHAPE;
	size_t total = 1 + vbytes + remaining;
	if (total > max_packet) {
		*used = total;
		return BRINK_MQTT_PARSE_TOO_BIG;
	}
	if (total > len)
		return BRINK_MQTT_PARSE_MORE;
	struct brink_mqtt_packet p = {0};
	if ((rc = body_parse(buf[0], buf + 1 + vbytes, remaining, &p)) != BRINK_MQTT_PARSE_OK)
		return rc;
	*out = p;
	*used = total;
	return BRINK_MQTT_PARSE_OK;
}

const char *brink_mqtt_parse_strerror(enum brink_mqtt_parse rc)
{
	switch (rc) {
	case BRINK_MQTT_PARSE_OK:
		return "a packet";
	case BRINK_MQTT_PARSE_MORE:
		return "an incomplete packet";
	case BRINK_MQTT_PARSE_TOO_BIG:
		return "a packet larger than the maximum packet size";
	case BRINK_MQTT_PARSE_E_LENGTH:
		return "a Remaining Length longer than 4 bytes";
	case BRINK_MQTT_PARSE_E_TYPE:
		return "a packet type a server does not send to a client";
	case BRINK_MQTT_PARSE_E_FLAGS:
		return "reserved flag bits set";
	case BRINK_MQTT_PARSE_E_SHAPE:
		return "a field that does not fit the packet";
	case BRINK_MQTT_PARSE_E_TOPIC:
		return "a PUBLISH topic name that is empty, has a wildcard or NUL, or overruns "
		       "the packet";
	case BRINK_MQTT_PARSE_E_QOS:
		return "a PUBLISH at QoS 2 or 3 (brinkd subscribes at QoS 0)";
	}
	return "an unknown result";
}

const char *brink_mqtt_connack_string(uint8_t rc)
{
	static const char *const names[] = {
		"connection accepted",
		"unacceptable protocol version",
		"identifier rejected",
		"server unavailable",
		"bad user name or password",
		"not authorized",
	};
	return rc < sizeof(names) / sizeof(names[0]) ? names[rc] : "an unknown return code";
}
