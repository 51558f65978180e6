#include "api/api-internal.h"
#include "api/body.h"

static void reply_failure(struct api_request *rq, struct brink_error *err)
{
	api__reply_error(rq, err);
	brink_error_free(&err);
}

void api__thing_create(struct api_request *rq)
{
	struct brink_thing_body b;
	struct brink_thing t;
	struct brink_error *err = NULL;
	brink_key key;
	char msg[256];
	if (brink_body_thing(rq->body, rq->body_len, &b, msg, sizeof(msg)) != BRINK_BODY_OK) {
		api__reply_errorf(rq, 400, "invalid_request", "%s", msg);
		return;
	}
	if (brink_control_thing_create(rq->api->ctl, rq->tenant.id, b.name, b.info, &t, key,
				       &err) < 0)
		return reply_failure(rq, err);
	json_t *o = api__thing_json(&t);
	json_object_set_new(o, "key", json_string(key));
	api__reply_json(rq, 201, o);
}

static int append_thing(void *ctx, const struct brink_thing *t)
{
	return json_array_append_new(ctx, api__thing_json(t));
}

void api__thing_list(struct api_request *rq)
{
	struct brink_error *err = NULL;
	json_t *arr = json_array();
	if (brink_control_thing_list(rq->api->ctl, rq->tenant.id, append_thing, arr, &err) < 0) {
		json_decref(arr);
		return reply_failure(rq, err);
	}
	api__reply_json(rq, 200, json_pack("{s:o}", "things", arr));
}

void api__thing_get(struct api_request *rq)
{
	struct brink_error *err = NULL;
	struct brink_thing t;
	if (!brink_id_valid(rq->param)) {
		api__reply_errorf(rq, 404, "not_found", "no thing with id %s", rq->param);
		return;
	}
	if (brink_control_thing_get(rq->api->ctl, rq->tenant.id, rq->param, &t, &err) < 0)
		return reply_failure(rq, err);
	api__reply_json(rq, 200, api__thing_json(&t));
}

void api__thing_delete(struct api_request *rq)
{
	struct brink_error *err = NULL;
	if (brink_control_thing_delete(rq->api->ctl, rq->tenant.id, rq->param, &err) < 0)
		return reply_failure(rq, err);
	api__reply_no_content(rq);
}

void api__thing_rekey(struct api_request *rq)
{
	struct brink_error *err = NULL;
	struct brink_thing t;
	brink_key key;
	if (!brink_id_valid(rq->param)) {
		api__reply_errorf(rq, 404, "not_found", "no thing with id %s", rq->param);
		return;
	}
	if (brink_control_thing_rekey(rq->api->ctl, rq->tenant.id, rq->param, &t, key, &err) < 0)
		return reply_failure(rq, err);
	json_t *o = api__thing_json(&t);
	json_object_set_new(o, "key", json_string(key));
	api__reply_json(rq, 200, o);
}
