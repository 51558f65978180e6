#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/api-internal.h"

void api__reply_text(struct api_request *rq, unsigned status, const char *type, char *text,
		     size_t len)
{
	free(rq->reply);
	rq->status = status;
	rq->content_type = type;
	rq->reply = text;
	rq->reply_len = len;
}

void api__reply_json(struct api_request *rq, unsigned status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12));
	json_decref(body);
	if (!text) {
		api__reply_text(rq, 500, "application/json",
				strdup("{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}"),
				0);
		rq->reply_len = rq->reply ? strlen(rq->reply) : 0;
		return;
	}
	api__reply_text(rq, status, "application/json", text, strlen(text));
}

static void reply_error_body(struct api_request *rq, unsigned status, const char *code,
			     const char *message)
{
	api__reply_json(rq, status,
			json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message));
}

void api__reply_errorf(struct api_request *rq, unsigned status, const char *code, const char *fmt,
		       ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_error_body(rq, status, code, msg);
}

void api__reply_error(struct api_request *rq, const struct brink_error *err)
{
	static const unsigned status[] = {
		[BRINK_E_INTERNAL] = 500,     [BRINK_E_INVALID] = 400,   [BRINK_E_UNAUTHORIZED] = 401,
		[BRINK_E_NOT_FOUND] = 404,    [BRINK_E_CONFLICT] = 409,  [BRINK_E_CAPACITY] = 409,
		[BRINK_E_TOO_LARGE] = 413,    [BRINK_E_UNAVAILABLE] = 503,
	};
	unsigned s = err->code < BRINK_ARRAY_SIZE(status) && status[err->code] ? status[err->code]
									      : 500;
	reply_error_body(rq, s, brink_errc_name(err->code), err->msg);
}

void api__reply_no_content(struct api_request *rq)
{
	api__reply_text(rq, 204, NULL, NULL, 0);
}

void api__reply_jsonw(struct api_request *rq, unsigned status, struct jsonw *w)
{
	size_t len;
	char *text = jsonw_take(w, &len);
	if (!text) {
		api__reply_errorf(rq, 500, "internal", "out of memory");
		return;
	}
	api__reply_text(rq, status, "application/json", text, len);
}
