#include "api/api-internal.h"
#include "api/body.h"

static void reply_failure(struct api_request *rq, struct brink_error *err)
{
	api__reply_error(rq, err);
	brink_error_free(&err);
}

/* Renders the created service and notes whether it is still pending. */
struct created {
	struct jsonw w;
	bool pending;
};

static void set_created(void *ctx, const struct brink_service_view *v)
{
	struct created *c = ctx;
	c->pending = v->rec->state == BRINK_STATE_PENDING;
	api__service_set(&c->w, v);
}

/* 201 with the service, or 202 while its runtime prepares it (an image
 * pull): the client follows it with GET /v1/services/{id} ("progress"). */
void api__service_create(struct api_request *rq)
{
	struct brink_spec spec;
	struct brink_error *err = NULL;
	struct created c = {0};
	char msg[256];
	if (brink_body_service(rq->body, rq->body_len, &spec, msg, sizeof(msg)) != BRINK_BODY_OK) {
		api__reply_errorf(rq, 400, "invalid_request", "%s", msg);
		return;
	}
	if (brink_control_service_create(rq->api->ctl, rq->tenant.id, &spec, set_created, &c,
					 &err) < 0)
		return reply_failure(rq, err);
	api__reply_jsonw(rq, c.pending ? 202 : 201, &c.w);
}

void api__service_list(struct api_request *rq)
{
	struct api_service_list list = {0};
	struct brink_error *err = NULL;
	jsonw_raw(&list.w, "{\"services\":[");
	if (brink_control_service_list(rq->api->ctl, rq->tenant.id, api__service_append, &list,
				       &err) < 0) {
		free(jsonw_take(&list.w, &(size_t){0}));
		return reply_failure(rq, err);
	}
	jsonw_raw(&list.w, "]}");
	api__reply_jsonw(rq, 200, &list.w);
}

typedef int (*service_action)(struct brink_control *, const char *, const char *,
			      brink_service_cb, void *, struct brink_error **);

static void act(struct api_request *rq, service_action fn)
{
	struct brink_error *err = NULL;
	struct jsonw w = {0};
	if (fn(rq->api->ctl, rq->tenant.id, rq->param, api__service_set, &w, &err) < 0) {
		free(jsonw_take(&w, &(size_t){0}));
		return reply_failure(rq, err);
	}
	api__reply_jsonw(rq, 200, &w);
}

void api__service_get(struct api_request *rq)
{
	act(rq, brink_control_service_get);
}

void api__service_stop(struct api_request *rq)
{
	act(rq, brink_control_service_stop);
}

void api__service_start(struct api_request *rq)
{
	act(rq, brink_control_service_start);
}

void api__service_delete(struct api_request *rq)
{
	struct brink_error *err = NULL;
	if (brink_control_service_delete(rq->api->ctl, rq->tenant.id, rq->param, &err) < 0)
		return reply_failure(rq, err);
	api__reply_no_content(rq);
}
