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
 * broker; lines beyond are dropped and counted, so the buffer stays bounded. */
#include <string.h>

#include "ingest/mqtt-internal.h"
#include "mqtt/batch.h"
#include "mqtt/codec.h"

struct tally {
	uint64_t sent, dropped;
};

/* The length of the line at p (up to its newline or end). */
static size_t line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? (size_t)(nl - p) : (size_t)(end - p);
}

static void publish_each(struct brink_mqtt_ingest *m, const char *topic, const char *lines,
			 size_t len, struct tally *t)
{
	size_t tlen = strlen(topic);
	for (const char *p = lines, *end = lines + len; p < end;) {
		size_t n = line_len(p, end);
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

/* The lines from p on that fit one batch: where they end, how many, and the
 * batch's size. None when the first line alone does not fit. */
static const char *batch_span(size_t tlen, const char *p, const char *end, size_t *size,
			      uint64_t *count)
{
	*size = 0;
	*count = 0;
	while (p < end) {
		size_t n = line_len(p, end);
		size_t r = brink_mqtt_record_size(tlen, n);
		if (!r || *size + r > BRINK_MQTT_BATCH_MAX)
			break;
		*size += r;
		(*count)++;
		p += n + 1;
	}
	return p < end ? p : end;
}

static void publish_batched(struct brink_mqtt_ingest *m, const char *topic, const char *lines,
			    size_t len, struct tally *t)
{
	size_t tlen = strlen(topic), olen = strlen(BRINK_MQTT_BATCH_OUT);
	for (const char *p = lines, *end = lines + len; p < end;) {
		size_t size;
		uint64_t count;
		const char *stop = batch_span(tlen, p, end, &size, &count);
		size_t total = count ? brink_mqtt_publish_size(olen, size) : 0;
		uint8_t *o = total ? mqtt__out_room(m, total, MQTT_OUT_MAX) : NULL;
		if (!o) {
			t->dropped += count ? count : 1;
			p = count ? stop : p + line_len(p, end) + 1;
			continue;
		}
		size_t at = brink_mqtt_encode_publish_head(BRINK_MQTT_BATCH_OUT, olen, size, o, total);
		for (; p < stop; p += line_len(p, stop) + 1)
			at += brink_mqtt_record_put(topic, tlen, p, line_len(p, stop), o + at, total - at);
		m->out_len += total;
		t->sent += count;
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
	if (!router__mqtt_wants(rt))
		return; /* nobody reads it over MQTT: the stream path pays nothing */
	bool was_empty = m->out_len == m->out_sent;
	if (m->batched)
		publish_batched(m, rt->mqtt_topic, lines, len, &t);
	else
		publish_each(m, rt->mqtt_topic, lines, len, &t);
	atomic_fetch_add(&rt->r->stats.mqtt_published, t.sent);
	atomic_fetch_add(&rt->r->stats.mqtt_dropped, t.dropped);
	if (was_empty && t.sent && mqtt__flush(m) < 0)
		mqtt__connection_lost(m);
}
