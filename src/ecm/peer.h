/* Connections on a tenant's device and listening ports (peer.c). */
#ifndef BRINK_ECM_PEER_H
#define BRINK_ECM_PEER_H

#include "ecm/ecm-internal.h"

/* Accepts a connection on server for tp's tenant; NULL when it could not be
 * (then it is closed). */
struct ecm_peer *ecm__peer_accept(struct ecm_tport *tp, uv_stream_t *server, bool consumer);
/* A short write on a fresh socket (an error line): best effort. */
void ecm__peer_write(struct ecm_peer *p, const char *data, size_t len);

#endif
