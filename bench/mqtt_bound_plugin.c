/* The bound on brink's MQTT path, for bench-forward.sh (system mqtt-bound).
 *
 * brink's MQTT path makes its broker do at least two things per reading:
 * take the thing's PUBLISH, and deliver the service's line to each
 * subscriber. brinkd and the worker come on top. This Mosquitto plugin does
 * only those two: each message on in/<name> is published again, unchanged,
 * on out/<name>, from inside the broker. A broker with it is brink's MQTT
 * path with brinkd and the worker costing nothing, so its throughput beside
 * Mosquitto alone bounds what that path can reach on this machine.
 *
 * Built by the bench (cc -shared); not part of brink. */
#include <stdio.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

static mosquitto_plugin_id_t *plugin_id;

static int on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *msg = event_data;
	char topic[256];
	(void)event;
	(void)userdata;
	if (strncmp(msg->topic, "in/", 3) != 0 ||
	    snprintf(topic, sizeof(topic), "out/%s", msg->topic + 3) >= (int)sizeof(topic))
		return MOSQ_ERR_SUCCESS;
	mosquitto_broker_publish_copy(NULL, topic, (int)msg->payloadlen, msg->payload, 0, false,
				      NULL);
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_version(int count, const int *versions)
{
	for (int i = 0; i < count; i++)
		if (versions[i] == 5)
			return 5;
	return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
			  struct mosquitto_opt *opts, int opt_count)
{
	(void)opts;
	(void)opt_count;
	*userdata = NULL;
	plugin_id = identifier;
	return mosquitto_callback_register(plugin_id, MOSQ_EVT_MESSAGE, on_message, NULL, NULL);
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *opts, int opt_count)
{
	(void)userdata;
	(void)opts;
	(void)opt_count;
	return mosquitto_callback_unregister(plugin_id, MOSQ_EVT_MESSAGE, on_message, NULL);
}
