/* The ECM-compatible front end (docs/ecm.md): ECM's TCP protocol on ECM's
 * ports plus ecm.port_offset, mapped onto brink's control plane and data
 * plane, so that ECM's own client, consumer and sensor programs work against
 * brinkd unchanged. Everything runs on the router's I/O thread (libuv). */
#ifndef BRINK_ECM_H
#define BRINK_ECM_H

#include "brink/error.h"
#include "control/control.h"
#include "core/config.h"
#include "router/router.h"

struct brink_ecm;

/* ECM's fixed port of a service (before the offset); 0 for an unknown index. */
int brink_ecm_port(int verb);

/* Starts the listeners on ECM's ports (+ ecm.port_offset) and on every ECM
 * tenant's device and listening ports, and waits until they listen. Fails
 * (nothing left open) when a port is taken or ECM's ports fall inside
 * ports.first..ports.last. ctl and router are borrowed and must outlive it. */
int brink_ecm_start(const struct brink_config *cfg, struct brink_control *ctl,
		    struct brink_router *router, struct brink_ecm **out, struct brink_error **err);

/* Closes every listener and connection, waits until they are closed, frees.
 * Call before brink_router_stop(). Safe on NULL. */
void brink_ecm_stop(struct brink_ecm *ecm);

#endif
