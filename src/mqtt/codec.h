/* MQTT 3.1.1 (OASIS standard, 29 October 2014) packets, as far as brinkd's
 * own client needs them: pure functions over caller's buffers, no I/O, no
 * allocation (mqtt/codec.c says why it is written here).
 *
 * Encoders write one whole packet into out[0..cap) and return its length, or
 * 0 when it does not fit or a field cannot be sent (longer than 65535 bytes,
 * a password without a username): out may then hold garbage.
 * The parser reads one packet from the front of a byte buffer. */
#ifndef BRINK_MQTT_CODEC_H
#define BRINK_MQTT_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRINK_MQTT_REMAINING_MAX 268435455u /* 4 bytes of varint, section 2.2.3 */

/* Control packet types (section 2.2.1). */
enum brink_mqtt_type {
	BRINK_MQTT_PKT_CONNECT = 1,
	BRINK_MQTT_PKT_CONNACK = 2,
	BRINK_MQTT_PKT_PUBLISH = 3,
	BRINK_MQTT_PKT_PUBACK = 4,
	BRINK_MQTT_PKT_SUBSCRIBE = 8,
	BRINK_MQTT_PKT_SUBACK = 9,
	BRINK_MQTT_PKT_PINGREQ = 12,
	BRINK_MQTT_PKT_PINGRESP = 13,
	BRINK_MQTT_PKT_DISCONNECT = 14,
};

struct brink_mqtt_connect {
	const char *client_id;
	const char *username; /* NULL: none */
	const char *password; /* NULL: none; needs a username (section 3.1.2.9) */
	uint16_t keepalive_s;
	bool clean_session;
};

/* Writes v as a Remaining Length (1 to 4 bytes); 0 when v > REMAINING_MAX. */
size_t brink_mqtt_varint_encode(uint32_t v, uint8_t out[4]);

size_t brink_mqtt_encode_connect(const struct brink_mqtt_connect *c, uint8_t *out, size_t cap);
/* One topic filter at the requested QoS; packet_id must not be 0. */
size_t brink_mqtt_encode_subscribe(uint16_t packet_id, const char *filter, uint8_t qos,
				   uint8_t *out, size_t cap);
/* The whole length of a QoS 0 PUBLISH of this topic and payload; 0 when it
 * cannot be sent (topic longer than 65535 bytes, packet beyond REMAINING_MAX). */
size_t brink_mqtt_publish_size(size_t topic_len, size_t payload_len);
/* A QoS 0 PUBLISH, not retained. */
size_t brink_mqtt_encode_publish(const char *topic, size_t topic_len, const void *payload,
				 size_t payload_len, uint8_t *out, size_t cap);
/* Its fixed header and topic only: the caller writes the payload_len bytes
 * of payload right after them. */
size_t brink_mqtt_encode_publish_head(const char *topic, size_t topic_len, size_t payload_len,
				      uint8_t *out, size_t cap);
size_t brink_mqtt_encode_puback(uint16_t packet_id, uint8_t *out, size_t cap);
size_t brink_mqtt_encode_pingreq(uint8_t *out, size_t cap);
size_t brink_mqtt_encode_disconnect(uint8_t *out, size_t cap);

enum brink_mqtt_parse {
	BRINK_MQTT_PARSE_OK,   /* one packet in *out, *used bytes long */
	BRINK_MQTT_PARSE_MORE, /* the buffer holds less than one packet: read more */
	/* a well-formed header announcing a packet longer than max_packet: *used
	 * is its whole length, which the caller skips (as it arrives) */
	BRINK_MQTT_PARSE_TOO_BIG,
	/* malformed (the rest of the stream cannot be trusted): */
	BRINK_MQTT_PARSE_E_LENGTH, /* Remaining Length longer than 4 bytes */
	BRINK_MQTT_PARSE_E_TYPE,   /* a packet a server never sends to a client */
	BRINK_MQTT_PARSE_E_FLAGS,  /* reserved bits not as section 2.2.2 says */
	BRINK_MQTT_PARSE_E_SHAPE,  /* a length or field that does not fit the packet */
	BRINK_MQTT_PARSE_E_TOPIC,  /* a PUBLISH topic empty, beyond the packet, with a wildcard or NUL */
	BRINK_MQTT_PARSE_E_QOS,    /* PUBLISH at QoS 3, or at QoS 2 (never subscribed for) */
};

/* One parsed packet. Pointers borrow from the parsed buffer. */
struct brink_mqtt_packet {
	enum brink_mqtt_type type;
	uint8_t return_code;     /* CONNACK: 0 accepted; SUBACK: the first granted QoS or 0x80 */
	bool session_present;    /* CONNACK */
	uint16_t packet_id;      /* PUBLISH at QoS 1, PUBACK, SUBACK */
	uint8_t qos;             /* PUBLISH */
	bool retain, dup;        /* PUBLISH */
	const char *topic;       /* PUBLISH: topic_len bytes, not NUL-terminated */
	size_t topic_len;
	const uint8_t *payload;  /* PUBLISH */
	size_t payload_len;
};

/* Parses the packet at the front of buf[0..len). Only OK fills *out and only
 * OK and TOO_BIG set *used; MORE and the errors change nothing. */
enum brink_mqtt_parse brink_mqtt_packet_parse(const uint8_t *buf, size_t len, size_t max_packet,
					      struct brink_mqtt_packet *out, size_t *used);

/* A sentence for a parse result, for logs. */
const char *brink_mqtt_parse_strerror(enum brink_mqtt_parse rc);
/* A sentence for a CONNACK return code (section 3.2.2.3). */
const char *brink_mqtt_connack_string(uint8_t rc);

#endif
