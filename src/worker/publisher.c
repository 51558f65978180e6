#include "worker/publisher.h"

#include <string.h>

#include "brink/log.h"
#include "mqtt/outbatch.h"

int worker_publisher_add(struct worker_publisher *p, uint64_t id, const char *topic, int fd)
{
	while (p->conns.n)
		worker_clients_remove(&p->conns, p->conns.c[0].id);
	p->topic_len = strlen(topic);
	memcpy(p->topic, topic, p->topic_len + 1);
	if (worker_clients_add(&p->conns, id, fd) < 0)
		return -1;
	worker_clients_hold(&p->conns, id);
	return 0;
}

void worker_publisher_go(struct worker_publisher *p, uint64_t id)
{
	worker_clients_release(&p->conns, id);
}

void worker_publisher_send(struct worker_publisher *p, const char *lines, size_t len)
{
	struct brink_mqtt_outbatch b;
	for (const char *at = lines, *end = lines + len; p->conns.n && at < end;) {
		if (!brink_mqtt_outbatch_span(p->topic_len, at, (size_t)(end - at), &b) ||
		    b.packet > sizeof(p->packet)) {
			log_warn("a line too long for MQTT was not published");
			p->conns.dropped++;
			at += brink_mqtt_line_len(at, end) + 1;
			continue;
		}
		size_t n = brink_mqtt_outbatch_encode(p->topic, p->topic_len, at, &b, p->packet);
		worker_clients_send(&p->conns, (const char *)p->packet, n, (unsigned)b.count);
		at += b.used;
	}
}
