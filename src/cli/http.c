#include "cli/cli-internal.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <string.h>

#define CONNECT_TIMEOUT_S 10L
#define TOTAL_TIMEOUT_S 300L

/* A request's body: JSON text, or a file's bytes (brink model add). */
struct payload {
	const char *data; /* NULL: none */
	size_t len;
	const char *type; /* its Content-Type header line */
};

struct transfer {
	CURL *h;
	struct curl_slist *headers;
	struct cli_buf *body;
	int append_rc;
	char errbuf[CURL_ERROR_SIZE];
};

int cli__buf_append(struct cli_buf *b, const void *p, size_t n, size_t limit)
{
	if (n > limit || b->len > limit - n)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d)
			return -2;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

void cli__reply_free(struct cli_reply *r)
{
	free(r->body.data);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
	struct transfer *t = userdata;
	t->append_rc = cli__buf_append(t->body, p, size * n, CLI_MAX_RESPONSE);
	return t->append_rc == 0 ? size * n : 0;
}

static int add_header(struct transfer *t, const char *line)
{
	struct curl_slist *l = curl_slist_append(t->headers, line);
	if (!l)
		return -1;
	t->headers = l;
	return 0;
}

static int set_headers(const struct cli_ctx *ctx, struct transfer *t, const struct payload *p)
{
	_cleanup_free_ char *auth = ctx->key ? cli__strf("Authorization: Bearer %s", ctx->key) : NULL;
	if (add_header(t, "Accept: application/json") < 0 || add_header(t, "Expect:") < 0)
		return -1;
	if (add_header(t, p->data ? p->type : "Content-Type:") < 0)
		return -1;
	if (auth && add_header(t, auth) < 0)
		return -1;
	return curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, t->headers) == CURLE_OK ? 0 : -1;
}

static void set_method(CURL *h, const char *method, const struct payload *p)
{
	const char *payload = p->data;
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (strcmp(method, "POST") == 0 || payload) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload ? payload : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(payload ? p->len : 0));
	}
	if (strcmp(method, "POST") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
}

static int setup(const struct cli_ctx *ctx, struct transfer *t, const char *method,
		 const char *url, const struct payload *payload)
{
	CURL *h = t->h;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, TOTAL_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CLI_MAX_RESPONSE);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "brink/" BRINK_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
	set_method(h, method, payload);
	return set_headers(ctx, t, payload);
}

static const char *curl_reason(struct transfer *t, CURLcode cc, char *buf, size_t n)
{
	long os = 0;
	curl_easy_getinfo(t->h, CURLINFO_OS_ERRNO, &os);
	if (cc == CURLE_COULDNT_CONNECT && os)
		snprintf(buf, n, "%s", strerror((int)os));
	else
		snprintf(buf, n, "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(cc));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

static bool connect_failed(struct transfer *t, CURLcode cc)
{
	curl_off_t connected = 0;
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		return true;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(t->h, CURLINFO_CONNECT_TIME_T, &connected);
		return connected == 0;
	default:
		return false;
	}
}

static int transport_error(const struct cli_ctx *ctx, struct transfer *t, CURLcode cc)
{
	char why[CURL_ERROR_SIZE + 64];
	curl_reason(t, cc, why, sizeof(why));
	if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL)
		return cli__fail(CLI_EUSAGE, "the URL %s is not usable: %s (set BRINK_URL or --url)",
				 ctx->url, why);
	if (connect_failed(t, cc))
		return cli__fail(CLI_ECONNECT,
				 "cannot reach brinkd at %s: %s (is brinkd running? set BRINK_URL)",
				 ctx->url, why);
	if (t->append_rc == -1 || cc == CURLE_FILESIZE_EXCEEDED)
		return cli__fail(CLI_EAPI, "the answer of brinkd at %s is larger than %u MiB",
				 ctx->url, CLI_MAX_RESPONSE >> 20);
	if (t->append_rc == -2)
		return cli__fail(CLI_EAPI, "out of memory");
	return cli__fail(CLI_EAPI, "the request to brinkd at %s failed: %s", ctx->url, why);
}

static int perform(const struct cli_ctx *ctx, const char *method, const char *url,
		   const struct payload *payload, struct cli_reply *reply)
{
	struct transfer t = {.body = &reply->body};
	int rc = CLI_OK;
	t.h = curl_easy_init();
	if (!t.h || setup(ctx, &t, method, url, payload) < 0) {
		rc = cli__fail(CLI_EAPI, "cannot set up the request (out of memory?)");
		goto out;
	}
	CURLcode cc = curl_easy_perform(t.h);
	if (cc != CURLE_OK) {
		rc = transport_error(ctx, &t, cc);
		goto out;
	}
	curl_easy_getinfo(t.h, CURLINFO_RESPONSE_CODE, &reply->status);
out:
	curl_slist_free_all(t.headers);
	curl_easy_cleanup(t.h);
	return rc;
}

static json_t *parse_object(const struct cli_buf *b)
{
	if (b->len == 0)
		return NULL;
	json_t *j = json_loadb(b->data, b->len, 0, NULL);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

char *cli__error_message(long status, const char *body, size_t len)
{
	if (status == 401)
		return strdup("the key was refused (set BRINK_KEY or --key)");
	json_t *j = len ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *msg = json_object_get(json_object_get(j, "error"), "message");
	char *out = NULL;
	if (json_is_string(msg) && json_string_length(msg) > 0)
		out = cli__show(msg);
	else
		out = cli__strf("brinkd answered HTTP %ld without an error message (is BRINK_URL "
				"brinkd's address?)",
				status);
	json_decref(j);
	return out;
}

static int answer(const struct cli_ctx *ctx, struct cli_reply *reply)
{
	if (reply->status >= 200 && reply->status < 300) {
		reply->json = parse_object(&reply->body);
		if (reply->body.len && !reply->json)
			return cli__fail(CLI_EAPI, "brinkd at %s answered HTTP %ld with no JSON object",
					 ctx->url, reply->status);
		return CLI_OK;
	}
	json_t *j = parse_object(&reply->body);
	if (ctx->json && j)
		printf("%s\n", reply->body.data);
	json_decref(j);
	_cleanup_free_ char *msg =
		cli__error_message(reply->status, reply->body.data, reply->body.len);
	return cli__fail(CLI_EAPI, "%s", msg ? msg : "out of memory");
}

int cli__call(const struct cli_ctx *ctx, const char *method, const char *path, json_t *body,
	      struct cli_reply *reply)
{
	_cleanup_free_ char *url = cli__strf("%s%s", ctx->url, path);
	_cleanup_free_ char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (body && !payload)
		return cli__fail(CLI_EAPI, "out of memory");
	memset(reply, 0, sizeof(*reply));
	struct payload p = {payload, payload ? strlen(payload) : 0, "Content-Type: application/json"};
	int rc = perform(ctx, method, url, &p, reply);
	if (payload)
		explicit_bzero(payload, strlen(payload)); /* it may carry a password */
	return rc == CLI_OK ? answer(ctx, reply) : rc;
}

int cli__call_id(const struct cli_ctx *ctx, const char *method, const char *prefix,
		 const char *id, const char *suffix, struct cli_reply *reply)
{
	_cleanup_free_ char *path = cli__id_path(prefix, id, suffix);
	if (!path)
		return cli__usage(ctx, "'%s' is not an id", id);
	return cli__call(ctx, method, path, NULL, reply);
}

int cli__call_raw(const struct cli_ctx *ctx, const char *path, const void *data, size_t len,
		  struct cli_reply *reply)
{
	_cleanup_free_ char *url = cli__strf("%s%s", ctx->url, path);
	struct payload p = {data, len, "Content-Type: application/octet-stream"};
	memset(reply, 0, sizeof(*reply));
	int rc = perform(ctx, "POST", url, &p, reply);
	return rc == CLI_OK ? answer(ctx, reply) : rc;
}
