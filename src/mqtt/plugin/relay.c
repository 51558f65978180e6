/* Batches between the broker and brinkd's client (plugin/relay.h).
 *
 * Why: through the broker as two clients see it, a reading costs Mosquitto
 * four messages (the thing's, its copy to brinkd, brinkd's output line, its
 * copy to the subscriber), each with its own read()s or write(), and wakes
 * brinkd once per message. Here, the readings of one pass of the broker's
 * loop reach brinkd as one write() on the plugin's channel (a BATCH, see
 * mqtt/authproto.h), without the broker's own delivery to a client (its
 * message store, two epoll_ctl()s and a TCP write: a quarter of the
 * broker's time per reading when each pass reads one); and a batch of
 * brinkd's lines costs one message in.
 *
 * Timing: Mosquitto calls MOSQ_EVT_MESSAGE while it handles its sockets'
 * events and MOSQ_EVT_TICK right after, before it waits again; the batch is
 * written then. So batching adds no wait: a reading alone in its pass goes
 * alone. What a plugin publishes goes out at the start of the next pass. */
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "mqtt/authproto.h"
#include "mqtt/batch.h"
#include "mqtt/plugin/relay.h"

#define BATCH_FIRST 4096 /* a batch buffer's first size; it doubles up to BATCH_MAX */

static struct {
	const struct mosquitto *sink; /* brinkd's client, once it asked for batches */
	uint8_t *buf; /* the readings gathered: len of cap bytes, count records */
	size_t len, cap;
	uint32_t count;
	bool bad_logged;
} R;

static bool is_thing_topic(const char *topic)
{
	struct brink_mqtt_who who;
	return topic && brink_mqtt_thing_topic_parse(topic, strlen(topic), &who) == BRINK_MQTT_OK;
}

/* Frees what was gathered (if anything is left) and starts anew. */
static void drop_batch(void)
{
	free(R.buf);
	R.buf = NULL;
	R.len = R.cap = 0;
	R.count = 0;
}

/* Sends the batch to brinkd (or counts it dropped) and starts a new one in
 * the same buffer. */
static void send_batch(void)
{
	plugin_send_batch(R.buf, R.len, R.count);
	R.len = 0;
	R.count = 0;
}

/* Room for n more bytes in the batch: a new buffer when needed, the full
 * batch sent first when n does not fit beside it. */
static uint8_t *room(size_t n)
{
	if (R.len + n > BRINK_MQTT_BATCH_MAX && R.len)
		send_batch();
	return relay_reserve(&R.buf, &R.cap, R.len + n, BATCH_FIRST) ? R.buf + R.len : NULL;
}

bool relay_reserve(uint8_t **buf, size_t *cap, size_t need, size_t first)
{
	if (need <= *cap)
		return true;
	size_t n = *cap ? *cap : first;
	while (n < need)
		n *= 2;
	uint8_t *p = realloc(*buf, n);
	if (!p)
		return false;
	*buf = p;
	*cap = n;
	return true;
}

static void gather(const char *topic, const void *payload, size_t len)
{
	size_t tlen = strlen(topic);
	if (len > BRINK_MQTT_BATCH_READING_MAX)
		len = BRINK_MQTT_BATCH_READING_MAX; /* brinkd refuses it as too long */
	size_t n = brink_mqtt_record_size(tlen, len);
	uint8_t *p = n ? room(n) : NULL;
	if (p) {
		R.len += brink_mqtt_record_put(topic, tlen, payload, len, p, n);
		R.count++;
	}
}

/* The lines of a $brink/out batch, one message each on the record's topic;
 * from brinkd (from NULL) or a service's worker. */
static void unpack(const uint8_t *buf, size_t len, const struct brink_mqtt_who *from)
{
	struct brink_mqtt_record rec;
	char topic[BRINK_MQTT_LINE_MAX], own_topic[BRINK_MQTT_LINE_MAX];
	const char *own = NULL; /* the only topic a worker's records may name */
	size_t off = 0, own_len = 0;
	enum brink_mqtt_batch_next rc;
	if (from && !(own_len = brink_mqtt_service_topic(from->tenant, from->service, own_topic,
							 sizeof(own_topic))))
		return;
	if (from)
		own = own_topic;
	while ((rc = brink_mqtt_record_next(buf, len, &off, &rec)) == BRINK_MQTT_BATCH_RECORD) {
		if (rec.topic_len >= sizeof(topic))
			continue;
		memcpy(topic, rec.topic, rec.topic_len);
		topic[rec.topic_len] = '\0';
		if (!brink_mqtt_output_allowed(own, own_len, topic, rec.topic_len))
			continue;
		mosquitto_broker_publish_copy(NULL, topic, (int)rec.payload_len, rec.payload, 0,
					      false, NULL);
	}
	if (rc != BRINK_MQTT_BATCH_END && !R.bad_logged) {
		R.bad_logged = true;
		mosquitto_log_printf(MOSQ_LOG_WARNING, "brink-auth: a malformed output batch "
				     "(the rest of it dropped; not logged again)");
	}
}

void relay_sink_set(const struct mosquitto *client)
{
	relay_forget(R.sink);
	R.sink = client;
	send_batch(); /* empty: tells brinkd the plugin batches */
}

bool relay_holds_back(const struct mosquitto *client, int access, const char *topic)
{
	return client == R.sink && access == MOSQ_ACL_READ && is_thing_topic(topic);
}

int relay_on_message(int event, void *data, void *userdata)
{
	struct mosquitto_evt_message *ev = data;
	(void)event;
	(void)userdata;
	if (!ev->topic)
		return MOSQ_ERR_SUCCESS;
	if (strcmp(ev->topic, BRINK_MQTT_BATCH_OUT) == 0) {
		const struct brink_mqtt_who *from = plugin_service_of(ev->client);
		if (from || (R.sink && ev->client == R.sink))
			unpack(ev->payload, ev->payloadlen, from);
		return MOSQ_ERR_ACL_DENIED; /* the batch itself goes no further */
	}
	if (!R.sink || ev->client == R.sink || !is_thing_topic(ev->topic))
		return MOSQ_ERR_SUCCESS;
	gather(ev->topic, ev->payload, ev->payloadlen);
	/* Nobody but brinkd may read a thing's topic, and it has the reading now;
	 * at QoS 1 the broker still routes it, so the thing gets its PUBACK. */
	return ev->qos == 0 ? MOSQ_ERR_ACL_DENIED : MOSQ_ERR_SUCCESS;
}

void relay_flush(void)
{
	if (R.len)
		send_batch();
}

void relay_forget(const struct mosquitto *client)
{
	if (!client || client != R.sink)
		return;
	R.sink = NULL;
	drop_batch();
}

void relay_cleanup(void)
{
	relay_forget(R.sink);
}
