/* The plugin's half of the batches (mqtt/batch.h): things' readings go to
 * brinkd's client gathered in one message per pass of the broker's loop,
 * and brinkd's batches of services' lines are published one message per
 * line. Mosquitto calls plugins from its one thread: no locking here. */
#ifndef BRINK_MQTT_PLUGIN_RELAY_H
#define BRINK_MQTT_PLUGIN_RELAY_H

#include <stdbool.h>

struct mosquitto;

/* brinkd's client (only it may) subscribed to $brink/in: readings go to it
 * in batches from now on, and it hears so at once (an empty batch). */
void relay_sink_set(const struct mosquitto *client);
/* Whether a delivery to this client is left out because it gets it in a
 * batch instead: a thing's reading, for brinkd's client. */
bool relay_holds_back(const struct mosquitto *client, int access, const char *topic);
/* MOSQ_EVT_MESSAGE: takes things' readings into the batch and unpacks
 * brinkd's $brink/out batches. */
int relay_on_message(int event, void *data, void *userdata);
/* Sends the readings gathered in this pass of the loop (MOSQ_EVT_TICK). */
void relay_flush(void);
/* The client disconnected. */
void relay_forget(const struct mosquitto *client);
void relay_cleanup(void);

#endif
