/* The plugin's half of the batches (mqtt/batch.h): things' readings go to
 * brinkd gathered in one BATCH per pass of the broker's loop, and brinkd's
 * batches of services' lines are published one message per line. Mosquitto
 * calls plugins from its one thread: no locking here. */
#ifndef BRINK_MQTT_PLUGIN_RELAY_H
#define BRINK_MQTT_PLUGIN_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt/authproto.h"

struct mosquitto;

/* plugin.c: sends a batch of count records to brinkd on the channel; false
 * when it cannot (the channel closed, or too much already waits): then the
 * readings are counted as dropped. */
bool plugin_send_batch(const uint8_t *records, size_t len, uint32_t count);
/* plugin.c: who a client logged in as, when that is a service's worker. */
const struct brink_mqtt_who *plugin_service_of(const struct mosquitto *client);

/* Grows *buf (*cap bytes; starting at `first`, doubling) to hold need bytes.
 * false when out of memory (then *buf is unchanged). */
bool relay_reserve(uint8_t **buf, size_t *cap, size_t need, size_t first);

/* brinkd's client (only it may) subscribed to $brink/in: readings go to
 * brinkd in batches from now on, and it hears so at once (an empty batch). */
void relay_sink_set(const struct mosquitto *client);
/* Whether a delivery to this client is left out because it gets it in a
 * batch instead: a thing's reading, for brinkd's client. */
bool relay_holds_back(const struct mosquitto *client, int access, const char *topic);
/* MOSQ_EVT_MESSAGE: takes things' readings into the batch and unpacks
 * the $brink/out batches of brinkd and of services' workers (each worker's
 * records on its own service's topic only). */
int relay_on_message(int event, void *data, void *userdata);
/* Sends the readings gathered in this pass of the loop (MOSQ_EVT_TICK). */
void relay_flush(void);
/* The client disconnected. */
void relay_forget(const struct mosquitto *client);
void relay_cleanup(void);

#endif
