/* MQTT on the router's I/O thread (ingest/mqtt.c, ingest/mqtt-auth.c):
 * brinkd's own MQTT client (things' readings in, services' output out; its
 * packets: mqtt/codec.h) and the answering side of the plugin's line protocol. Everything here
 * runs on the I/O thread only, so none of it is locked. */
#ifndef BRINK_INGEST_MQTT_INTERNAL_H
#define BRINK_INGEST_MQTT_INTERNAL_H

#include <sys/socket.h>
#include <uthash.h>

#include "mqtt/authproto.h"
#include "router/router-internal.h"

#define MQTT_THINGS_MAX 100000 /* things remembered for their readings */
#define MQTT_OUT_MAX (1024 * 1024) /* output bytes waiting for the broker */
#define MQTT_OUT_RESERVE 4096      /* beyond MQTT_OUT_MAX: PUBACK, PINGREQ, DISCONNECT */

/* A thing brinkd accepted through the plugin: its readings' topic maps to it.
 * Dropped when its credentials are refused later. */
struct mqtt_thing {
	char user[BRINK_MQTT_USER_MAX + 1]; /* "<tenant>/<thing>": the key */
	struct thing_ref ref;
	UT_hash_handle hh;
};

struct mqtt_channel;

/* A tenant some MQTT client of which subscribed to its services' output, as
 * the plugin reports (WATCH lines). */
struct mqtt_watch {
	char tenant[BRINK_MQTT_PART_MAX + 1];
	UT_hash_handle hh;
};

struct brink_mqtt_ingest {
	struct brink_router *r;
	uv_poll_t *poll; /* the current connection's; NULL when not connected */
	uv_timer_t timer; /* keepalive work, and reconnecting */
	bool timer_open, connected, stopping;
	bool tcp_up; /* TCP connected */
	bool batched; /* brink's plugin sends readings and takes output in batches */
	int fd, backoff_ms, events; /* events: what poll watches for */
	uint64_t connect_ms, wrote_ms, ping_ms; /* loop times; ping_ms 0: no PINGREQ unanswered */
	uint64_t pings, pongs; /* PINGREQs sent and answered on this connection */
	uint8_t *in; /* received bytes not parsed yet: in_len of IN_CAP */
	size_t in_len, skip; /* skip: bytes of an oversized packet still to drop */
	size_t max_packet;
	uint8_t *out; /* packets for the broker: [out_sent, out_len) not written yet */
	size_t out_len, out_sent, out_cap;
	uint64_t out_lines; /* services' lines in [out_sent, out_len), see mqtt__flush */
	char client_id[32];
	char secret[48]; /* brinkd's own password with its supervised broker */
	struct mqtt_thing *things;
	unsigned nthings;
	struct mqtt_channel *channels;
	struct mqtt_watch *watched;
	uv_pipe_t listener; /* mqtt.broker = external: the plugin connects here */
	bool listening;
	int open_handles; /* of those above: m is freed when the last one closed */
	uint64_t denied_logged_ms, refused_logged_ms;
};

/* mqtt.c */
/* Closes one of m's own handles (m is freed after the last). */
void mqtt__close_own(struct brink_mqtt_ingest *m, uv_handle_t *h);
/* Room for n more bytes of output within limit (written bytes moved out of
 * the way, the buffer grown); NULL when it would pass limit. */
uint8_t *mqtt__out_room(struct brink_mqtt_ingest *m, size_t n, size_t limit);
/* Writes what waits, as far as the socket takes it. -1: the connection broke. */
int mqtt__flush(struct brink_mqtt_ingest *m);
/* Sends a PINGREQ; its answer tells the broker read all written before
 * it (a connection's packets are handled in order). Returns its number, which
 * m->pongs reaches once it is answered; 0 when it could not be sent. */
uint64_t mqtt__ping(struct brink_mqtt_ingest *m);
/* The connection is gone or failed: try again later. */
void mqtt__connection_lost(struct brink_mqtt_ingest *m);
/* A BATCH of readings from a plugin's channel (an empty one: the plugin
 * batches, so output goes as $brink/out batches on this connection). */
void mqtt__on_batch(struct brink_mqtt_ingest *m, const uint8_t *records, size_t len);

/* The broker's address (mqtt.host, or the supervised broker's). -1: none. */
int mqtt__broker_addr(struct brink_mqtt_ingest *m, struct sockaddr_storage *ss, socklen_t *len);

/* mqtt-svc.c: whether a service's worker logs in with its own credentials. */
bool mqtt__svc_login_ok(struct brink_mqtt_ingest *m, const struct brink_mqtt_who *who,
			const char *pass);

/* mqtt-auth.c */
/* Whether to log a refusal now: at most once every 10 s for each *last. */
bool mqtt__may_log(struct brink_mqtt_ingest *m, uint64_t *last);
/* Serves a plugin's channel (a connected stream socket, taken over). */
void mqtt__channel_open(struct brink_mqtt_ingest *m, int fd);
/* Listens on <data_dir>/mqtt-auth.sock for a plugin in a broker brinkd does not start. */
int mqtt__auth_listen(struct brink_mqtt_ingest *m, struct brink_error **err);
void mqtt__auth_close_all(struct brink_mqtt_ingest *m);
/* The thing behind a readings topic's tenant and thing names, or NULL. */
const struct mqtt_thing *mqtt__thing_find(struct brink_mqtt_ingest *m, const char *user);
void mqtt__things_free(struct brink_mqtt_ingest *m);
/* Whether a tenant's services' output has MQTT readers: with a plugin
 * connected, as it reports; without one (an external broker without brink's
 * plugin), always. */
bool mqtt__watched(struct brink_mqtt_ingest *m, const char *tenant);
void mqtt__watches_free(struct brink_mqtt_ingest *m);

#endif
