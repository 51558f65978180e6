/* Connections on a tenant's device and listening ports: their life cycle. */
#include <stdlib.h>
#include <string.h>

#include "ecm/ecm-internal.h"
#include "ecm/peer.h"

static void on_peer_closed(uv_handle_t *h)
{
	struct ecm_peer *p = h->data;
	struct brink_ecm *ecm = p->ecm;
	if (--p->handles == 0)
		free(p);
	ecm__handle_closed(ecm);
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

void ecm__peer_close(struct ecm_peer *p)
{
	if (p->closing)
		return;
	p->closing = true;
	p->ecm->npeers--;
	if (p->prev)
		p->prev->next = p->next;
	else
		p->ecm->peers = p->next;
	if (p->next)
		p->next->prev = p->prev;
	if (p->sub) {
		brink_stream_sub_release(p->ecm->router, p->sub);
		p->sub = NULL;
	}
	uv_close((uv_handle_t *)&p->tcp, on_peer_closed);
	uv_close((uv_handle_t *)&p->timer, on_peer_closed);
}

struct ecm_peer *ecm__peer_accept(struct ecm_tport *tp, uv_stream_t *server, bool consumer)
{
	struct brink_ecm *ecm = tp->ecm;
	struct ecm_peer *p = ecm->npeers < ecm->cfg.ingest_max_connections ? calloc(1, sizeof(*p))
									       : NULL;
	if (!p) { /* accepted and closed at once, so the listener goes on */
		uv_tcp_t *t = malloc(sizeof(*t));
		if (t && uv_tcp_init(server->loop, t) == 0) {
			uv_accept(server, (uv_stream_t *)t);
			uv_close((uv_handle_t *)t, free_handle);
		} else {
			free(t);
		}
		return NULL;
	}
	ecm->npeers++;
	p->ecm = ecm;
	p->consumer = consumer;
	memcpy(p->tenant_id, tp->tenant_id, sizeof(brink_id));
	memcpy(p->thing_id, tp->thing_id, sizeof(brink_id));
	uv_tcp_init(server->loop, &p->tcp);
	uv_timer_init(server->loop, &p->timer);
	p->tcp.data = p->timer.data = p;
	p->handles = 2;
	ecm->handles += 2;
	p->next = ecm->peers;
	if (ecm->peers)
		ecm->peers->prev = p;
	ecm->peers = p;
	if (uv_accept(server, (uv_stream_t *)&p->tcp) < 0) {
		ecm__peer_close(p);
		return NULL;
	}
	uv_tcp_nodelay(&p->tcp, 1);
	return p;
}

void ecm__peer_write(struct ecm_peer *p, const char *data, size_t len)
{
	uv_buf_t buf = uv_buf_init((char *)data, (unsigned)len);
	uv_try_write((uv_stream_t *)&p->tcp, &buf, 1);
}
