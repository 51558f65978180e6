/* brinkd's own Mosquitto (mqtt.broker = supervised): a child process with a
 * configuration generated in the data directory, restarted with a growing
 * delay when it dies, stopped with brinkd. */
#ifndef BRINK_MQTT_BROKER_H
#define BRINK_MQTT_BROKER_H

#include "brink/error.h"
#include "core/config.h"
#include "router/router.h"

struct brink_mqtt_broker;

/* Starts the supervising thread, which starts the broker and hands each
 * broker's plugin channel to the router (brink_router_mqtt_channel). A
 * broker left by a brinkd killed with SIGKILL (its pid in
 * <data_dir>/mosquitto.pid) is stopped first. Returns 0, or -1 with *err set
 * when the broker cannot be run here (no mosquitto binary, no plugin): the
 * caller then runs without MQTT. r is borrowed and must outlive the broker. */
int brink_mqtt_broker_start(const struct brink_config *cfg, struct brink_router *r,
			    struct brink_mqtt_broker **out, struct brink_error **err);
/* Stops the broker (SIGTERM, then SIGKILL after 5 s) and the thread; frees.
 * Safe on NULL. */
void brink_mqtt_broker_stop(struct brink_mqtt_broker *b);

#endif
