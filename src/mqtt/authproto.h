/* MQTT names, access rules and the line protocol between brink's Mosquitto
 * plugin (build/brink-mqtt-auth.so) and brinkd. Pure logic: no I/O, no
 * allocation, so the plugin, brinkd, the unit tests and the fuzz harness
 * share it.
 *
 * Who logs in (MQTT username, password):
 *   "<tenant>/<thing>", the thing's key   a thing
 *   "<tenant>", the tenant's API key       a tenant's client
 *   ":brinkd", a random per-start secret   brinkd's own client (':' is not
 *                                           allowed in brink names)
 *   ":service/<tenant>/<id>", a random     a service's worker, publishing its
 *     secret brinkd made for that login    own lines ($brink/out batches of
 *                                           its own topic only); <id> as in
 *                                           its topic, 16 hex digits
 * Topics:
 *   brink/<tenant>/things/<thing>          a thing publishes its readings
 *   brink/<tenant>/services/<id>/out       a service's output lines
 *
 * The protocol: one request line from the plugin, one answer line from
 * brinkd, on a stream socket, matched by a sequence number (a late answer
 * to a request the plugin gave up on is skipped, never taken for another):
 *   AUTH <seq> <username> <password>\n
 *   <seq> OK thing|tenant|internal|service\n      or      <seq> NO\n
 * and, unanswered, what the plugin's access rules refused since its last
 * report (brinkd counts it in /metrics and logs it, rate-limited):
 *   DENIED <count> <access> <username> <topic>\n
 * and whether some client of a tenant subscribed to its services' output
 * (brinkd publishes a tenant's lines only then, when a plugin reports):
 *   WATCH 1|0 <tenant>\n
 * and things' readings, gathered in one pass of the broker's loop: a line
 * followed by <length> bytes of batch records (mqtt/batch.h), at most
 * BRINK_MQTT_BATCH_MAX (an empty one says the plugin batches):
 *   BATCH <length>\n<records>
 * and how many readings it dropped since its last report, brinkd being too
 * slow to take them (counted in /metrics):
 *   DROPPED <count>\n
 * Every field is printable ASCII without spaces; a line is at most
 * BRINK_MQTT_LINE_MAX bytes with its newline. */
#ifndef BRINK_MQTT_AUTHPROTO_H
#define BRINK_MQTT_AUTHPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRINK_MQTT_LINE_MAX 256
#define BRINK_MQTT_PART_MAX 64 /* a tenant or thing name (BRINK_NAME_MAX) */
#define BRINK_MQTT_USER_MAX (2 * BRINK_MQTT_PART_MAX + 1)
#define BRINK_MQTT_PASS_MAX 96
#define BRINK_MQTT_INTERNAL_USER ":brinkd"
#define BRINK_MQTT_SERVICE_USER ":service/" /* then <tenant>/<id> */
#define BRINK_MQTT_TOPIC_ROOT "brink/"

enum brink_mqtt_status {
	BRINK_MQTT_OK,
	BRINK_MQTT_BAD, /* malformed: nothing was changed */
};

enum brink_mqtt_role {
	BRINK_MQTT_NONE, /* unknown or refused */
	BRINK_MQTT_THING,
	BRINK_MQTT_TENANT,
	BRINK_MQTT_INTERNAL,
	BRINK_MQTT_SERVICE,
};

/* What a client asks to do; the values are Mosquitto's MOSQ_ACL_* ones. */
enum brink_mqtt_access {
	BRINK_MQTT_READ = 1,
	BRINK_MQTT_WRITE = 2,
	BRINK_MQTT_SUBSCRIBE = 4,
	BRINK_MQTT_UNSUBSCRIBE = 8,
};

/* Who a username names, without asking anybody whether it exists. */
struct brink_mqtt_who {
	enum brink_mqtt_role role; /* NONE: not a form brink gives out */
	char tenant[BRINK_MQTT_PART_MAX + 1];
	char thing[BRINK_MQTT_PART_MAX + 1];
	uint64_t service; /* SERVICE: its id */
};

#define BRINK_MQTT_TOPIC_MAX 128 /* of a DENIED report: longer topics are cut */

struct brink_mqtt_request {
	enum { BRINK_MQTT_AUTH, BRINK_MQTT_DENIED, BRINK_MQTT_WATCH, BRINK_MQTT_BATCH,
	       BRINK_MQTT_DROPPED } kind;
	uint32_t seq;   /* AUTH */
	uint32_t count; /* DENIED: refusals, the last of which is described; DROPPED */
	int access;     /* DENIED */
	bool watching;  /* WATCH */
	uint32_t length; /* BATCH: the bytes of records after the line */
	char user[BRINK_MQTT_USER_MAX + 1]; /* WATCH: the tenant */
	char pass[BRINK_MQTT_PASS_MAX + 1];     /* AUTH */
	char topic[BRINK_MQTT_TOPIC_MAX + 1]; /* DENIED */
};

struct brink_mqtt_answer {
	uint32_t seq;
	enum brink_mqtt_role role; /* NONE: refused */
};

/* Splits a username into role and names (names checked as brink names).
 * Returns BRINK_MQTT_BAD, *out untouched, for anything else. */
enum brink_mqtt_status brink_mqtt_who_parse(const char *user, struct brink_mqtt_who *out);

/* Whether `who` may do `access` on `topic` (a topic filter for SUBSCRIBE):
 * brinkd anything; a thing only WRITE to its own topic; a tenant's client
 * only SUBSCRIBE to filters under brink/<tenant>/services/ and READ topics
 * there; a service's worker only WRITE to $brink/out (the plugin takes from
 * it records of the service's own topic only: brink_mqtt_service_owns);
 * things and tenants UNSUBSCRIBE. Everything else is refused, $SYS included. */
bool brink_mqtt_allowed(const struct brink_mqtt_who *who, int access, const char *topic);

/* Writes the thing's topic into out[0..cap); returns its length, or 0 when
 * it does not fit. */
size_t brink_mqtt_thing_topic(const char *tenant, const char *thing, char *out, size_t cap);
/* Reads tenant and thing out of a thing topic. BRINK_MQTT_BAD, out untouched,
 * for any other topic. */
enum brink_mqtt_status brink_mqtt_thing_topic_parse(const char *topic, size_t len,
						    struct brink_mqtt_who *out);
/* The topic of a service's output lines; its length, or 0 when it does not fit. */
size_t brink_mqtt_service_topic(const char *tenant, uint64_t service, char *out, size_t cap);
/* Whether a record of a $brink/out batch may be published on topic (len
 * bytes and a NUL): from a service's worker only on its own topic (own,
 * own_len: brink_mqtt_service_topic of the login); from brinkd (own NULL) on
 * any topic under brink/ but a thing's (a batch cannot publish as a thing). */
bool brink_mqtt_output_allowed(const char *own, size_t own_len, const char *topic, size_t len);
/* The username of a service's worker; its length, or 0 when it does not fit. */
size_t brink_mqtt_service_user(const char *tenant, uint64_t service, char *out, size_t cap);

/* Copies src into out[0..cap) as a protocol field: bytes that cannot be
 * sent become '?', cut to cap - 1 bytes, "-" when empty. For DENIED reports. */
void brink_mqtt_field_sanitize(const char *src, char *out, size_t cap);

/* Formatting returns the line's length with its newline, or 0 when a field
 * cannot be sent (too long, a space or control byte in it). */
size_t brink_mqtt_request_format(const struct brink_mqtt_request *rq, char *out, size_t cap);
size_t brink_mqtt_answer_format(const struct brink_mqtt_answer *a, char *out, size_t cap);

/* Parse one line, its newline removed (len bytes, no NUL needed). */
enum brink_mqtt_status brink_mqtt_request_parse(const char *line, size_t len,
						struct brink_mqtt_request *out);
enum brink_mqtt_status brink_mqtt_answer_parse(const char *line, size_t len,
					       struct brink_mqtt_answer *out);

const char *brink_mqtt_role_name(enum brink_mqtt_role role);

/* Reading the plugin's stream as brinkd does: lines, and after a BATCH line
 * the <length> bytes of records it announced. */
struct brink_mqtt_reader {
	bool in_batch; /* a BATCH line was taken: batch_len bytes of records come next */
	uint32_t batch_len;
};

enum brink_mqtt_frame {
	BRINK_MQTT_FRAME_MORE,     /* no whole frame in the bytes yet */
	BRINK_MQTT_FRAME_REQUEST,  /* a request line other than BATCH, parsed into *rq */
	BRINK_MQTT_FRAME_BAD,      /* a line that does not parse: skipped */
	BRINK_MQTT_FRAME_BATCH,    /* a batch's records: *records, *records_len bytes */
	BRINK_MQTT_FRAME_TOO_LONG, /* BRINK_MQTT_LINE_MAX bytes without a newline */
};

/* The next frame in buf[0..len). *used is what it took, to be dropped from
 * the front; MORE may take bytes too (a BATCH line whose records are not all
 * there yet). *records points into buf. */
enum brink_mqtt_frame brink_mqtt_frame_next(struct brink_mqtt_reader *rd, const char *buf,
					    size_t len, size_t *used,
					    struct brink_mqtt_request *rq, const char **records,
					    size_t *records_len);
/* How many bytes the frame the reader waits for takes, at most. */
size_t brink_mqtt_reader_room(const struct brink_mqtt_reader *rd);

#endif
