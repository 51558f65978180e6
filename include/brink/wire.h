/* The framing between brinkd and brink-worker on the worker's control socket.
 *
 * A frame is an 8-byte header and a payload, all integers little-endian:
 *
 *   0  u8  magic    BRINK_WIRE_MAGIC
 *   1  u8  version  BRINK_WIRE_VERSION
 *   2  u8  type     enum brink_wire_type
 *   3  u8  flags    0 (reserved)
 *   4  u32 length   payload bytes, at most BRINK_WIRE_MAX_PAYLOAD
 *
 * On the SOCK_SEQPACKET control socket one message carries exactly one frame;
 * the parser also reports how many bytes a frame used, so the same format can
 * run over a byte stream. Payloads by type:
 *
 *   READY    worker → brinkd  u32 features (BRINK_WIRE_F_*), u32 max_frame
 *   CPU      brinkd → worker  u32 quota_us, u32 period_us (quota 0: no limit)
 *   CPU_ACK  worker → brinkd  the CPU payload the worker now works with
 *   STOP     brinkd → worker  empty; the worker exits 0
 *   RECORDS  brinkd → worker  a batch of readings       (reserved, see below)
 *   RESULTS  worker → brinkd  a batch of results        (reserved, see below)
 *   MODEL    worker → brinkd  a model check's answer: u8 ok (1/0), then text:
 *                             the model's summary (JSON) or the error message
 *   STATS    worker → brinkd  an analyze worker's counters: u64 readings,
 *                             u64 results, u64 skipped_missing, u64 skipped_bad
 *   CLIENT   brinkd → worker  u64 client id, and one socket descriptor as
 *                             SCM_RIGHTS ancillary data (on the data channel):
 *                             a stream-port client brinkd authenticated, to
 *                             which the worker writes the service's lines
 *   CLIENT_GONE brinkd → worker  u64 client id: the client left; the worker
 *                             closes its descriptor
 *   TAP      brinkd → worker  u64 1 or 0: whether brinkd wants the RESULTS
 *                             (it serves SSE, WebSocket, MQTT or stream
 *                             clients of its own from them); 1 until told
 *   OUTPUT   worker → brinkd  u64 lines, u64 lost, u64 mqtt, u64 mqtt_lost:
 *                             the result lines the service produced, the
 *                             lines its stream clients lost (too slow to
 *                             read them), the lines its own MQTT connection
 *                             took and the lines that connection lost (the
 *                             broker too slow, or the connection ended with
 *                             them unwritten) since its last OUTPUT, at
 *                             most every 100 ms
 *   MQTT     brinkd → worker  u64 client id, then the service's MQTT topic
 *                             (1 to BRINK_WIRE_TOPIC_MAX printable bytes, no
 *                             wildcard), and one socket descriptor as CLIENT
 *                             has: a connection to brink's broker, logged
 *                             in as the service, on which the worker
 *                             publishes its lines as $brink/out batches
 *                             (mqtt/outbatch.h); CLIENT_GONE ends it too
 *   MQTT     worker → brinkd  the same payload, on the data channel once the
 *                             worker took the connection: the lines of the
 *                             RESULTS after it are the worker's to publish,
 *                             which it holds until MQTT_GO
 *   MQTT_GO  brinkd → worker  u64 client id: the broker has taken every line
 *                             brinkd published for the service before that
 *                             answer; the worker publishes what it holds
 *
 * RECORDS and RESULTS carry u32 count, then count records of
 *   u64 seq, u64 time_ns, u32 length, length bytes
 * packed without padding, so a 64 KiB frame holds hundreds of readings.
 *
 * Parsers never allocate and return an enum; the payload pointers they hand
 * out point into the caller's buffer. */
#ifndef BRINK_WIRE_H
#define BRINK_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define BRINK_WIRE_MAGIC 0xB1
#define BRINK_WIRE_VERSION 1
#define BRINK_WIRE_HDR_SIZE 8
#define BRINK_WIRE_MAX_FRAME 65536 /* header + payload: one SEQPACKET message */
#define BRINK_WIRE_MAX_PAYLOAD (BRINK_WIRE_MAX_FRAME - BRINK_WIRE_HDR_SIZE)
#define BRINK_WIRE_RECORD_HDR_SIZE 20
/* Stream clients brinkd hands to one worker at most (the sandbox gives a
 * worker 64 descriptors); brinkd serves any more itself. */
#define BRINK_WIRE_MAX_CLIENTS 48
#define BRINK_WIRE_TOPIC_MAX 200 /* of an MQTT frame */

enum brink_wire_type {
	BRINK_WIRE_READY = 1,
	BRINK_WIRE_CPU = 2,
	BRINK_WIRE_CPU_ACK = 3,
	BRINK_WIRE_STOP = 4,
	BRINK_WIRE_RECORDS = 5,
	BRINK_WIRE_RESULTS = 6,
	BRINK_WIRE_MODEL = 7,
	BRINK_WIRE_STATS = 8,
	BRINK_WIRE_CLIENT = 9,
	BRINK_WIRE_CLIENT_GONE = 10,
	BRINK_WIRE_TAP = 11,
	BRINK_WIRE_OUTPUT = 12,
	BRINK_WIRE_MQTT = 13,
	BRINK_WIRE_MQTT_GO = 14,
	BRINK_WIRE_TYPE_COUNT /* one past the last type */
};

/* READY features. */
#define BRINK_WIRE_F_SECCOMP 0x1u /* the worker loaded the seccomp filter it was given */

enum brink_wire_status {
	BRINK_WIRE_OK = 0,
	BRINK_WIRE_TRUNCATED,   /* fewer bytes than the header or its length say */
	BRINK_WIRE_BAD_MAGIC,
	BRINK_WIRE_BAD_VERSION,
	BRINK_WIRE_BAD_TYPE,    /* unknown type, or nonzero flags */
	BRINK_WIRE_TOO_LARGE,   /* length over BRINK_WIRE_MAX_PAYLOAD */
	BRINK_WIRE_BAD_PAYLOAD, /* payload size or content wrong for its type */
	BRINK_WIRE_TRAILING,    /* a message holds bytes after its frame */
	BRINK_WIRE_NO_SPACE,    /* encoder: the buffer is too small */
	BRINK_WIRE_END,         /* record iterator: no more records */
};

/* A parsed frame; `payload` points into the parsed buffer. */
struct brink_wire_frame {
	enum brink_wire_type type;
	uint32_t length;
	const uint8_t *payload;
};

struct brink_wire_ready {
	uint32_t features;
	uint32_t max_frame;
};

struct brink_wire_cpu {
	uint32_t quota_us;
	uint32_t period_us;
};

/* One record of a RECORDS or RESULTS frame; `data` points into the frame. */
struct brink_wire_record {
	uint64_t seq;
	uint64_t time_ns;
	uint32_t length;
	const uint8_t *data;
};

struct brink_wire_record_iter {
	const uint8_t *pos, *end;
	uint32_t left;
};

/* Parses the frame at the start of buf[0..len). On OK fills *out and sets
 * *used to the frame's size (header + payload); the payload is checked
 * against its type (fixed sizes; every record of a batch in bounds). On
 * TRUNCATED more bytes are needed; other statuses mean the data is bad. */
enum brink_wire_status brink_wire_parse(const void *buf, size_t len, struct brink_wire_frame *out,
					size_t *used);

/* As brink_wire_parse for one datagram: the message must be exactly one
 * frame (else TRAILING). */
enum brink_wire_status brink_wire_parse_msg(const void *buf, size_t len,
					    struct brink_wire_frame *out);

/* Decode a parsed frame's payload; BAD_PAYLOAD if the type does not match. */
enum brink_wire_status brink_wire_ready_decode(const struct brink_wire_frame *f,
					       struct brink_wire_ready *out);
/* For CPU and CPU_ACK. A period of 0 or over 1 s is BAD_PAYLOAD. */
enum brink_wire_status brink_wire_cpu_decode(const struct brink_wire_frame *f,
					     struct brink_wire_cpu *out);

/* An analyze worker's counters (STATS). */
struct brink_wire_stats {
	uint64_t readings;        /* readings received */
	uint64_t results;         /* result lines sent */
	uint64_t skipped_missing; /* readings without one of the columns */
	uint64_t skipped_bad;     /* readings with a non-numeric column, or not JSON */
};

/* Decodes a MODEL frame: *ok, and the text (not NUL-terminated) in
 * text[0..*len). BAD_PAYLOAD when empty or the flag is not 0 or 1. */
enum brink_wire_status brink_wire_model_decode(const struct brink_wire_frame *f, int *ok,
					       const char **text, size_t *len);
enum brink_wire_status brink_wire_stats_decode(const struct brink_wire_frame *f,
					       struct brink_wire_stats *out);

/* Record iteration over a parsed RECORDS or RESULTS frame: _begin returns
 * OK or BAD_PAYLOAD; _next returns OK with *out filled, END after the last
 * record, or BAD_PAYLOAD. */
enum brink_wire_status brink_wire_records_begin(const struct brink_wire_frame *f,
						struct brink_wire_record_iter *it);
enum brink_wire_status brink_wire_records_next(struct brink_wire_record_iter *it,
					       struct brink_wire_record *out);

/* Writes a frame of `type` with the given payload into buf[0..cap). Returns
 * the frame's size, or 0 when it does not fit or the type or length is
 * invalid. `payload` may be NULL when len is 0. */
size_t brink_wire_encode(void *buf, size_t cap, enum brink_wire_type type, const void *payload,
			 size_t len);
size_t brink_wire_encode_ready(void *buf, size_t cap, const struct brink_wire_ready *r);
/* type is CPU or CPU_ACK. */
size_t brink_wire_encode_cpu(void *buf, size_t cap, enum brink_wire_type type,
			     const struct brink_wire_cpu *c);

/* A MODEL frame: the flag then `len` bytes of text (cut to fit). */
size_t brink_wire_encode_model(void *buf, size_t cap, int ok, const char *text, size_t len);
size_t brink_wire_encode_stats(void *buf, size_t cap, const struct brink_wire_stats *s);

/* The frames of one u64: CLIENT and CLIENT_GONE (a client's id; the
 * descriptor travels beside the frame, not in it) and TAP (1 or 0). */
size_t brink_wire_encode_u64(void *buf, size_t cap, enum brink_wire_type type, uint64_t v);
enum brink_wire_status brink_wire_u64_decode(const struct brink_wire_frame *f, uint64_t *v);

/* MQTT: a broker connection's id and the topic its lines go to. decode
 * copies the topic into topic[0..BRINK_WIRE_TOPIC_MAX] with a NUL. */
size_t brink_wire_encode_mqtt(void *buf, size_t cap, uint64_t id, const char *topic);
enum brink_wire_status brink_wire_mqtt_decode(const struct brink_wire_frame *f, uint64_t *id,
					      char topic[BRINK_WIRE_TOPIC_MAX + 1]);

/* OUTPUT: what a worker's output came to since its last report. */
struct brink_wire_output {
	uint64_t lines;     /* result lines produced */
	uint64_t lost;      /* lines its stream clients lost */
	uint64_t mqtt;      /* lines its own MQTT connection took */
	uint64_t mqtt_lost; /* lines that connection lost (broker too slow, or it ended) */
};
size_t brink_wire_encode_output(void *buf, size_t cap, const struct brink_wire_output *o);
enum brink_wire_status brink_wire_output_decode(const struct brink_wire_frame *f,
						struct brink_wire_output *out);

/* Builds a RECORDS or RESULTS frame in a caller's buffer, record by record. */
struct brink_wire_batch {
	uint8_t *buf;
	size_t cap, len;
	uint32_t count;
};
/* Starts a batch; returns OK, NO_SPACE (cap below header + count) or
 * BAD_TYPE. */
enum brink_wire_status brink_wire_batch_begin(struct brink_wire_batch *b, void *buf, size_t cap,
					      enum brink_wire_type type);
/* Appends one record; NO_SPACE (the batch is unchanged) when it does not fit. */
enum brink_wire_status brink_wire_batch_add(struct brink_wire_batch *b, uint64_t seq,
					    uint64_t time_ns, const void *data, uint32_t len);
/* Finishes the frame; returns its size. */
size_t brink_wire_batch_end(struct brink_wire_batch *b);

/* A short name for a type ("READY") or a status ("truncated"); never NULL. */
const char *brink_wire_type_name(unsigned type);
const char *brink_wire_status_name(enum brink_wire_status st);

#endif
