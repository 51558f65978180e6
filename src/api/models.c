/* /v1/models: a tenant's models. An upload is the raw file as the body
 * (POST /v1/models?name=NAME&format=h5|rules), at most models.max_bytes. */
#include <string.h>

#include "api/api-internal.h"

static void reply_failure(struct api_request *rq, struct brink_error *err)
{
	api__reply_error(rq, err);
	brink_error_free(&err);
}

size_t api__body_limit(const struct api_request *rq)
{
	if (strcmp(rq->method, "POST") == 0 && strcmp(rq->path, "/v1/models") == 0)
		return atomic_load(&rq->api->max_model);
	return atomic_load(&rq->api->max_body);
}

static json_t *model_json(const struct brink_model_rec *m)
{
	json_t *summary = json_loads(m->summary, 0, NULL);
	return json_pack("{s:s,s:s,s:s,s:I,s:i,s:i,s:I,s:o,s:b}", "id", m->id, "name", m->name,
			 "format", brink_model_format_name(m->format), "size", (json_int_t)m->size,
			 "inputs", (int)m->inputs, "outputs", (int)m->outputs, "created",
			 (json_int_t)m->created, "summary", summary ? summary : json_object(),
			 "compiled", m->compiled);
}

static const char *query(struct api_request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

void api__model_create(struct api_request *rq)
{
	struct brink_error *err = NULL;
	const char *name = query(rq, "name"), *format = query(rq, "format");
	if (!name || !format) {
		api__reply_errorf(rq, 400, "invalid_request",
				  "name the model and its format: POST /v1/models?name=NAME&format=h5|rules"
				  " with the file as the body");
		return;
	}
	struct brink_model_rec *m = malloc(sizeof(*m));
	if (!m) {
		api__reply_errorf(rq, 500, "internal", "out of memory");
		return;
	}
	if (brink_control_model_add(rq->api->ctl, rq->tenant.id, name, format, rq->body,
				    rq->body_len, m, &err) < 0)
		reply_failure(rq, err);
	else
		api__reply_json(rq, 201, model_json(m));
	free(m);
}

static int append_model(void *ctx, const struct brink_model_rec *m)
{
	return json_array_append_new(ctx, model_json(m));
}

void api__model_list(struct api_request *rq)
{
	struct brink_error *err = NULL;
	json_t *arr = json_array();
	if (brink_control_model_list(rq->api->ctl, rq->tenant.id, append_model, arr, &err) < 0) {
		json_decref(arr);
		return reply_failure(rq, err);
	}
	api__reply_json(rq, 200, json_pack("{s:o}", "models", arr));
}

void api__model_get(struct api_request *rq)
{
	struct brink_error *err = NULL;
	struct brink_model_rec *m = malloc(sizeof(*m));
	if (!m) {
		api__reply_errorf(rq, 500, "internal", "out of memory");
		return;
	}
	if (brink_control_model_get(rq->api->ctl, rq->tenant.id, rq->param, m, &err) < 0)
		reply_failure(rq, err);
	else
		api__reply_json(rq, 200, model_json(m));
	free(m);
}

void api__model_delete(struct api_request *rq)
{
	struct brink_error *err = NULL;
	if (brink_control_model_delete(rq->api->ctl, rq->tenant.id, rq->param, &err) < 0)
		return reply_failure(rq, err);
	api__reply_no_content(rq);
}
