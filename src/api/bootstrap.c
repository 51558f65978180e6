/* GET /v1/bootstrap: a thing, authenticated by its own key, asks where to
 * send its readings and gets the endpoint for each protocol. */
#include <string.h>

#include "api/api-internal.h"
#include "mqtt/authproto.h"

/* MQTT: the port, the username the thing logs in with (its key is the
 * password) and the topic it publishes on (mqtt/authproto.h). */
static void add_mqtt(struct api_request *rq, json_t *endpoints, const struct brink_thing *t)
{
	struct brink_tenant ten;
	struct brink_error *err = NULL;
	char user[BRINK_MQTT_USER_MAX + 1], topic[BRINK_MQTT_USER_MAX + 32];
	if (!rq->api->mqtt_port ||
	    brink_control_tenant_get(rq->api->ctl, t->tenant_id, &ten, &err) < 0) {
		brink_error_free(&err);
		return;
	}
	snprintf(user, sizeof(user), "%s/%s", ten.name, t->name);
	brink_mqtt_thing_topic(ten.name, t->name, topic, sizeof(topic));
	json_object_set_new(endpoints, "mqtt",
			    json_pack("{s:i,s:s,s:s}", "port", rq->api->mqtt_port, "username", user,
				      "topic", topic));
}

void api__bootstrap(struct api_request *rq)
{
	const char *h = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	struct brink_thing t;
	struct brink_error *err = NULL;
	if (!h || strncmp(h, "Bearer ", 7) != 0) {
		api__reply_errorf(rq, 401, "unauthorized",
				  "missing key: send the header 'Authorization: Bearer <thing key>'");
		return;
	}
	if (brink_control_thing_auth(rq->api->ctl, h + 7, &t, &err) < 0) {
		api__reply_error(rq, err);
		brink_error_free(&err);
		return;
	}
	json_t *endpoints = json_pack("{s:{s:i,s:s}}", "tcp", "port", rq->api->ingest_port,
				      "format", "ndjson");
	if (endpoints)
		add_mqtt(rq, endpoints, &t);
	api__reply_json(rq, 200, json_pack("{s:s,s:o*}", "thing", t.name, "endpoints", endpoints));
}
