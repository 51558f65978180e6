/* GET /v1/bootstrap: a thing, authenticated by its own key, asks where to
 * send its readings and gets the endpoint for each protocol. */
#include <string.h>

#include "api/api-internal.h"

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
	api__reply_json(rq, 200,
			json_pack("{s:s,s:{s:{s:i,s:s}}}", "thing", t.name, "endpoints", "tcp",
				  "port", rq->api->ingest_port, "format", "ndjson"));
}
