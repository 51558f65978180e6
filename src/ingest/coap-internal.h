/* Shared by coap.c (the CoAP ingest) and coaps.c (its DTLS-PSK endpoint). */
#ifndef BRINK_INGEST_COAP_INTERNAL_H
#define BRINK_INGEST_COAP_INTERNAL_H

#include <coap3/coap.h>

#include "control/control.h"
#include "router/router-internal.h"

#define PEER_SLOTS 64
#define PEER_LOG_MS 10000

struct peer_note {
	char addr[64];
	uint64_t quiet_until;
};

struct brink_coap {
	struct brink_router *r;
	coap_context_t *ctx;
	uv_poll_t poll;
	uv_timer_t timer;
	int open_handles;
	struct peer_note peers[PEER_SLOTS];
	brink_key psk;            /* the last PSK handed to a handshake (coaps.c) */
	coap_bin_const_t psk_bin; /* points into psk */
};

/* Whether a refusal from this peer may be logged now (once per PEER_LOG_MS);
 * on the loop thread. */
bool coap__may_log(struct brink_coap *c, const char *peer);
/* The session's peer IP address as text ("?" when unknown). */
void coap__peer_name(const coap_session_t *s, char *out, size_t size);

/* coaps.c: listens for DTLS on udp_addr's address at coap.dtls_port (none
 * when it is 0). Returns 0, or -1 with *err set. */
int coap__dtls_listen(struct brink_coap *c, const coap_address_t *udp_addr,
		      struct brink_error **err);
/* The thing a DTLS session authenticated, checked again against the store
 * (a rotated key ends its sessions): 0 with *thing filled, or the code to
 * refuse with (4.01) and *why. */
coap_pdu_code_t coap__dtls_thing(struct brink_coap *c, coap_session_t *s,
				 struct brink_thing *thing, const char **why);

#endif
