/* GET /v1/bootstrap[?protocol=P]: a thing, authenticated by its own key,
 * asks where to send its readings and gets the endpoint of each protocol
 * (or only P's): tcp, coap (UDP, key in the query), coaps (DTLS-PSK, the
 * identity to use), mqtt (username and topic). One table row per protocol. */
#include <stdio.h>
#include <string.h>

#include "api/api-internal.h"
#include "mqtt/authproto.h"

static json_t *tcp_endpoint(struct api_request *rq, const struct brink_thing *t,
			    const char *identity)
{
	(void)t;
	(void)identity;
	return json_pack("{s:i,s:s}", "port", rq->api->ingest_port, "format", "ndjson");
}

static json_t *coap_endpoint(struct api_request *rq, const struct brink_thing *t,
			     const char *identity)
{
	char path[BRINK_NAME_MAX + 4];
	(void)identity;
	snprintf(path, sizeof(path), "/t/%s", t->name);
	return json_pack("{s:i,s:s,s:s}", "port", rq->api->coap_port, "path", path, "query",
			 "k=<thing key>");
}

static json_t *coaps_endpoint(struct api_request *rq, const struct brink_thing *t,
			      const char *identity)
{
	char path[BRINK_NAME_MAX + 4];
	if (rq->api->coap_dtls_port == 0)
		return NULL;
	snprintf(path, sizeof(path), "/t/%s", t->name);
	return json_pack("{s:i,s:s,s:s,s:s}", "port", rq->api->coap_dtls_port, "path", path,
			 "psk_identity", identity, "psk", "<thing key>");
}

/* MQTT: the port, the username the thing logs in with (its identity
 * <tenant>/<thing>; its key is the password) and the topic it publishes on
 * (mqtt/authproto.h). */
static json_t *mqtt_endpoint(struct api_request *rq, const struct brink_thing *t,
			     const char *identity)
{
	char topic[BRINK_MQTT_USER_MAX + 32];
	const char *slash = strchr(identity, '/');
	if (!rq->api->mqtt_port || !slash)
		return NULL;
	char tenant[BRINK_NAME_MAX + 1];
	snprintf(tenant, sizeof(tenant), "%.*s", (int)(slash - identity), identity);
	brink_mqtt_thing_topic(tenant, t->name, topic, sizeof(topic));
	return json_pack("{s:i,s:s,s:s}", "port", rq->api->mqtt_port, "username", identity,
			 "topic", topic);
}

static const struct {
	const char *name;
	json_t *(*endpoint)(struct api_request *rq, const struct brink_thing *t,
			    const char *identity);
} protocols[] = {
	{"tcp", tcp_endpoint},
	{"coap", coap_endpoint},
	{"coaps", coaps_endpoint},
	{"mqtt", mqtt_endpoint},
};

/* The endpoints of every protocol, or of only the one named (NULL when it
 * is unknown or switched off). */
static json_t *endpoints(struct api_request *rq, const struct brink_thing *t,
			 const char *identity, const char *only)
{
	json_t *o = json_object();
	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		if (only && strcmp(only, protocols[i].name) != 0)
			continue;
		json_t *e = protocols[i].endpoint(rq, t, identity);
		if (e)
			json_object_set_new(o, protocols[i].name, e);
	}
	if (only && json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

void api__bootstrap(struct api_request *rq)
{
	const char *h = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	const char *only = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND,
						       "protocol");
	struct brink_thing t;
	struct brink_error *err = NULL;
	char identity[2 * BRINK_NAME_MAX + 2];
	if (!h || strncmp(h, "Bearer ", 7) != 0) {
		api__reply_errorf(rq, 401, "unauthorized",
				  "missing key: send the header 'Authorization: Bearer <thing key>'");
		return;
	}
	if (brink_control_thing_auth(rq->api->ctl, h + 7, &t, &err) < 0 ||
	    brink_control_thing_identity(rq->api->ctl, &t, identity, sizeof(identity), &err) < 0) {
		api__reply_error(rq, err);
		brink_error_free(&err);
		return;
	}
	json_t *e = endpoints(rq, &t, identity, only);
	if (!e) {
		api__reply_errorf(rq, 404, "not_found",
				  "no such protocol here: protocol is one of tcp, coap, coaps, mqtt "
				  "(coaps and mqtt when they are on)");
		return;
	}
	api__reply_json(rq, 200, json_pack("{s:s,s:o}", "thing", t.name, "endpoints", e));
}
