/* CoAP over DTLS-PSK (coap.dtls_port, default 5684). The PSK identity is
 * "<tenant name>/<thing name>" (thing names are unique per tenant only) and
 * the PSK is the thing's key, which brinkd keeps sealed for this purpose
 * (control/psk.c). libcoap asks for the key of each identity a client
 * offers (validate_id_call_back); an unknown identity, a thing without a
 * sealed key, or a wrong key fails the handshake, counted as refused_dtls
 * and logged at most once per peer every PEER_LOG_MS. Each request is then
 * checked against the store again, so a rotated key ends its sessions. */
#include <sodium.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <string.h>

#include "brink/log.h"
#include "ingest/coap-internal.h"
#include "ingest/thingid.h"

#define MAX_HANDSHAKES 64 /* DTLS sessions being set up at once */

/* libcoap 4.3.1 has no per-context data for event handlers; brinkd has one
 * CoAP context, whose brink_coap outlives it (freed after the context). */
static struct brink_coap *events_to;

/* What a DTLS session's app data records, so each failed handshake is
 * counted once: when its identity is refused, or when libcoap gives up on a
 * session whose identity was accepted but which never connected (a wrong
 * key makes the client's Finished undecryptable, which DTLS drops until the
 * session times out). Sessions that never offered an identity (libcoap's
 * cookie exchange) are not counted. */
static char session_offered, session_connected, session_counted;

static void refuse_identity(struct brink_coap *c, coap_session_t *s, const char *why)
{
	char peer[64];
	void *state = coap_session_get_app_data(s);
	if (state == &session_counted || state == &session_connected)
		return;
	coap_session_set_app_data(s, &session_counted);
	atomic_fetch_add(&c->r->stats.refused_dtls, 1);
	coap__peer_name(s, peer, sizeof(peer));
	if (coap__may_log(c, peer))
		log_info("coaps %s: handshake refused: %s (further refusals from it not logged "
			 "for %d s)",
			 peer, why, PEER_LOG_MS / 1000);
}

static const coap_bin_const_t *on_identity(coap_bin_const_t *identity, coap_session_t *s,
					   void *arg)
{
	struct brink_coap *c = arg;
	char tenant[BRINK_NAME_MAX + 1], name[BRINK_NAME_MAX + 1], why[700];
	struct brink_thing thing;
	struct brink_error *err = NULL;
	if (!identity || brink_psk_identity_parse(identity->s, identity->length, tenant, name) !=
				 BRINK_THINGID_OK) {
		refuse_identity(c, s, "the identity is not <tenant>/<thing>");
		return NULL;
	}
	if (brink_control_thing_psk(c->r->ctl, tenant, name, &thing, c->psk, &err) < 0) {
		if (err->code == BRINK_E_CONFLICT)
			snprintf(why, sizeof(why), "%s/%s: %s", tenant, name, err->msg);
		else
			snprintf(why, sizeof(why), "unknown identity");
		brink_error_free(&err);
		refuse_identity(c, s, why);
		return NULL;
	}
	coap_session_set_app_data(s, &session_offered);
	c->psk_bin.s = (const uint8_t *)c->psk;
	c->psk_bin.length = BRINK_KEY_LEN;
	return &c->psk_bin; /* libcoap copies it */
}

static int on_event(coap_session_t *s, const coap_event_t event)
{
	struct brink_coap *c = events_to;
	if (!c || coap_session_get_proto(s) != COAP_PROTO_DTLS)
		return 0;
	/* libcoap 4.3.1 signals no DTLS_CONNECTED on server sessions: a session
	 * counts as connected once established or once it carried a request */
	if (event == COAP_EVENT_DTLS_CONNECTED ||
	    coap_session_get_state(s) == COAP_SESSION_STATE_ESTABLISHED)
		coap_session_set_app_data(s, &session_connected);
	else if ((event == COAP_EVENT_DTLS_ERROR || event == COAP_EVENT_SERVER_SESSION_DEL) &&
		 coap_session_get_app_data(s) == &session_offered)
		refuse_identity(c, s, "DTLS handshake did not complete (wrong key?)");
	return 0;
}

int coap__dtls_listen(struct brink_coap *c, const coap_address_t *udp_addr,
		      struct brink_error **err)
{
	const struct brink_config *cfg = &c->r->cfg;
	if (cfg->coap_dtls_port == 0)
		return 0;
	if (!coap_dtls_is_supported())
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"coap: this libcoap has no DTLS (set coap.dtls_port=0)");
	coap_dtls_spsk_t setup = {
		.version = COAP_DTLS_SPSK_SETUP_VERSION,
		.validate_id_call_back = on_identity,
		.id_call_back_arg = c,
	};
	if (!coap_context_set_psk2(c->ctx, &setup))
		return brink_error_make(err, BRINK_E_INTERNAL, "coap: cannot set up DTLS-PSK");
	events_to = c;
	coap_register_event_handler(c->ctx, on_event);
	coap_context_set_max_handshake_sessions(c->ctx, MAX_HANDSHAKES);
	coap_address_t a = *udp_addr;
	a.addr.sin.sin_port = htons((uint16_t)cfg->coap_dtls_port);
	if (!coap_new_endpoint(c->ctx, &a, COAP_PROTO_DTLS))
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"coap: cannot listen on dtls (udp) %s:%d", cfg->ingest_bind,
					cfg->coap_dtls_port);
	log_info("ingest listening on coaps (dtls-psk) udp %s:%d", cfg->ingest_bind,
		 cfg->coap_dtls_port);
	return 0;
}

coap_pdu_code_t coap__dtls_thing(struct brink_coap *c, coap_session_t *s,
				 struct brink_thing *thing, const char **why)
{
	coap_session_set_app_data(s, &session_connected); /* it got this far */
	const coap_bin_const_t *id = coap_session_get_psk_identity(s);
	const coap_bin_const_t *key = coap_session_get_psk_key(s);
	char tenant[BRINK_NAME_MAX + 1], name[BRINK_NAME_MAX + 1];
	struct brink_error *err = NULL;
	brink_key current;
	*why = "the session's thing is gone or its key changed";
	if (!id || !key ||
	    brink_psk_identity_parse(id->s, id->length, tenant, name) != BRINK_THINGID_OK)
		return COAP_RESPONSE_CODE_UNAUTHORIZED;
	if (brink_control_thing_psk(c->r->ctl, tenant, name, thing, current, &err) < 0) {
		brink_error_free(&err);
		return COAP_RESPONSE_CODE_UNAUTHORIZED;
	}
	bool same = key->length == BRINK_KEY_LEN && sodium_memcmp(key->s, current, BRINK_KEY_LEN) == 0;
	sodium_memzero(current, sizeof(current));
	return same ? 0 : COAP_RESPONSE_CODE_UNAUTHORIZED;
}
