/* Each ECM tenant's own ports, as in ECM: the device port (the block's
 * base), where its sensors send readings, and the listening port (base + 1),
 * where its consumer reads the output of its listening or analysis service.
 * Both listen on ingest.bind for as long as the tenant exists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brink/log.h"
#include "ecm/ecm-internal.h"

static void on_tport_closed(uv_handle_t *h)
{
	struct ecm_tport *tp = h->data;
	struct brink_ecm *ecm = tp->ecm;
	if (--tp->handles == 0)
		free(tp);
	ecm__handle_closed(ecm);
}

static void tport_close(struct brink_ecm *ecm, struct ecm_tport *tp)
{
	if (tp->closing)
		return;
	tp->closing = true;
	HASH_DEL(ecm->tports, tp);
	uv_close((uv_handle_t *)&tp->device, on_tport_closed);
	uv_close((uv_handle_t *)&tp->listening, on_tport_closed);
}

static void on_device(uv_stream_t *server, int status)
{
	if (status == 0)
		ecm__device_accept(server->data, server);
}

static void on_listening(uv_stream_t *server, int status)
{
	if (status == 0)
		ecm__consumer_accept(server->data, server);
}

static int listen_port(struct ecm_tport *tp, uv_tcp_t *h, int port, uv_connection_cb cb)
{
	struct sockaddr_in addr;
	int rc = uv_ip4_addr(tp->ecm->cfg.ingest_bind, port, &addr);
	if (rc == 0)
		rc = uv_tcp_bind(h, (const struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)h, 128, cb);
	return rc;
}

int ecm__tenant_open(struct brink_ecm *ecm, const struct brink_ecm_tenant *e,
		     struct brink_error **err)
{
	struct ecm_tport *tp;
	HASH_FIND(hh, ecm->tports, e->tenant_id, sizeof(brink_id), tp);
	if (tp)
		return 0;
	if (ecm->stopping || !(tp = calloc(1, sizeof(*tp))))
		return brink_error_make(err, BRINK_E_INTERNAL, "ecm: out of memory");
	memcpy(tp->tenant_id, e->tenant_id, sizeof(brink_id));
	memcpy(tp->thing_id, e->thing_id, sizeof(brink_id));
	tp->base = e->base_port;
	tp->ecm = ecm;
	uv_tcp_init(ecm->loop, &tp->device);
	uv_tcp_init(ecm->loop, &tp->listening);
	tp->device.data = tp->listening.data = tp;
	tp->handles = 2;
	ecm->handles += 2;
	HASH_ADD(hh, ecm->tports, tenant_id, sizeof(brink_id), tp);
	int rc = listen_port(tp, &tp->device, tp->base, on_device);
	if (rc == 0)
		rc = listen_port(tp, &tp->listening, tp->base + 1, on_listening);
	if (rc < 0) {
		tport_close(ecm, tp);
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"ecm: cannot listen on a tenant's ports %d-%d: %s", e->base_port,
					e->base_port + 1, uv_strerror(rc));
	}
	log_debug("ecm: tenant %s: device port %d, listening port %d", e->tenant_id, tp->base,
		  tp->base + 1);
	return 0;
}

void ecm__tenant_close(struct brink_ecm *ecm, const char *tenant_id)
{
	struct ecm_tport *tp;
	brink_id id = {0};
	snprintf(id, sizeof(id), "%s", tenant_id);
	HASH_FIND(hh, ecm->tports, id, sizeof(brink_id), tp);
	if (tp)
		tport_close(ecm, tp);
	/* and the tenant's sensors and consumers */
	for (struct ecm_peer *p = ecm->peers, *next; p; p = next) {
		next = p->next;
		if (memcmp(p->tenant_id, id, sizeof(brink_id)) == 0)
			ecm__peer_close(p);
	}
}

void ecm__tenants_close_all(struct brink_ecm *ecm)
{
	struct ecm_tport *tp, *tmp;
	HASH_ITER(hh, ecm->tports, tp, tmp)
		tport_close(ecm, tp);
}
