/* MQTT output: each line of a running service goes to
 * brink/<tenant>/services/<id>/out at QoS 0, while some client of its tenant
 * reads there (mqtt-auth.c hears it from the plugin).
 *
 * The lines of a batch from the worker are encoded into one buffer that is
 * written at once when it was empty and the socket takes it, else when the
 * socket is writable again: a batch of lines costs one write(). With brink's
 * plugin (m->batched) they go as records of $brink/out PUBLISHes
 * (mqtt/batch.h), which the plugin publishes one message per line; with any
 * other broker, as one PUBLISH each. At most MQTT_OUT_MAX bytes wait for the
 * broker; lines beyond are dropped and counted, so the buffer stays bounded.
 * Once a service's worker publishes on its own connection (mqtt-svc.c),
 * brinkd publishes none of its lines. */
#include <string.h>

#include "ingest/mqtt-internal.h"
#include "mqtt/codec.h"
#include "mqtt/outbatch.h"

struct tally {
	uint64_t sent, dropped;
};

static void publish_each(struct brink_mqtt_ingest *m, const char *topic, const char *lines,
			 size_t len, struct tally *t)
{
	size_t tlen = strlen(topic);
	for (const char *p = lines, *end = lines + len; p < end;) {
		size_t n = brink_mqtt_line_len(p, end);
		size_t size = brink_mqtt_publish_size(tlen, n);
		uint8_t *o = size ? mqtt__out_room(m, size, MQTT_OUT_MAX) : NULL;
		if (o) {
			m->out_len += brink_mqtt_encode_publish(topic, tlen, p, n, o, size);
			t->sent++;
		} else {
			t->dropped++;
		}
		p += n + 1;
	}
}

static void publish_batched(struct brink_mqtt_ingest *m, const char *topic, const char *lines,
			    size_t len, struct tally *t)
{
	size_t tlen = strlen(topic);
	struct brink_mqtt_outbatch b;
	for (const char *p = lines, *end = lines + len; p < end;) {
		bool fits = brink_mqtt_outbatch_span(tlen, p, (size_t)(end - p), &b);
		uint8_t *o = fits ? mqtt__out_room(m, b.packet, MQTT_OUT_MAX) : NULL;
		if (!o) {
			t->dropped += fits ? b.count : 1;
			p += fits ? b.used : brink_mqtt_line_len(p, end) + 1;
			continue;
		}
		m->out_len += brink_mqtt_outbatch_encode(topic, tlen, p, &b, o);
		t->sent += b.count;
		p += b.used;
	}
}

bool router__mqtt_wants(const struct route *rt)
{
	struct brink_mqtt_ingest *m = rt->r->mqtt;
	return m && m->connected && rt->mqtt_topic && mqtt__watched(m, rt->mqtt_tenant);
}

void router__mqtt_send(struct route *rt, const char *lines, size_t len)
{
	struct brink_mqtt_ingest *m = rt->r->mqtt;
	struct tally t = {0, 0};
	if (!router__mqtt_wants(rt) || router__mqtt_svc_publishes(rt))
		return; /* nobody reads it (the stream path pays nothing), or the worker publishes */
	bool was_empty = m->out_len == m->out_sent;
	if (m->batched)
		publish_batched(m, rt->mqtt_topic, lines, len, &t);
	else
		publish_each(m, rt->mqtt_topic, lines, len, &t);
	m->out_lines += t.sent; /* published as the broker takes them (mqtt__flush) */
	atomic_fetch_add(&rt->r->stats.mqtt_dropped, t.dropped);
	if (was_empty && t.sent && mqtt__flush(m) < 0)
		mqtt__connection_lost(m);
}
