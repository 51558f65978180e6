#include <sodium.h>

#include "api/api-internal.h"
#include "api/body.h"

void api__tenant_create(struct api_request *rq)
{
	struct brink_tenant_body b;
	struct brink_tenant t;
	struct brink_error *err = NULL;
	brink_key key;
	char msg[256];
	if (brink_body_tenant(rq->body, rq->body_len, &b, msg, sizeof(msg)) != BRINK_BODY_OK) {
		api__reply_errorf(rq, 400, "invalid_request", "%s", msg);
		return;
	}
	int rc = brink_control_register(rq->api->ctl, b.name, b.has_password ? b.password : NULL,
					&t, key, &err);
	sodium_memzero(b.password, sizeof(b.password));
	if (rc < 0) {
		api__reply_error(rq, err);
		brink_error_free(&err);
		return;
	}
	json_t *o = api__tenant_json(&t);
	json_object_set_new(o, "key", json_string(key));
	sodium_memzero(key, sizeof(key));
	api__reply_json(rq, 201, o);
}

void api__tenant_get(struct api_request *rq)
{
	api__reply_json(rq, 200, api__tenant_json(&rq->tenant));
}

void api__tenant_delete(struct api_request *rq)
{
	struct brink_error *err = NULL;
	if (brink_control_unsubscribe(rq->api->ctl, rq->tenant.id, &err) < 0) {
		api__reply_error(rq, err);
		brink_error_free(&err);
		return;
	}
	api__reply_no_content(rq);
}

void api__tenant_rotate_key(struct api_request *rq)
{
	struct brink_error *err = NULL;
	brink_key key;
	if (brink_control_rotate_key(rq->api->ctl, rq->tenant.id, key, &err) < 0) {
		api__reply_error(rq, err);
		brink_error_free(&err);
		return;
	}
	api__reply_json(rq, 201, json_pack("{s:s}", "key", key));
	sodium_memzero(key, sizeof(key));
}
