/* The Docker Engine API over its unix socket, with libcurl (one easy handle
 * per request: a request is a few hundred microseconds, and handles then need
 * no locking). */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "brink/log.h"
#include "runtime/docker-internal.h"

struct body_buf {
	char *data;
	size_t len, cap;
	bool overflow;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct body_buf *b = arg;
	size_t add = size * n;
	if (b->len + add > DK_REPLY_MAX) {
		b->overflow = true;
		return 0;
	}
	if (b->len + add + 1 > b->cap) {
		size_t cap = (b->len + add + 1) * 2;
		char *d = realloc(b->data, cap);
		if (!d)
			return 0;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

static CURL *easy_new(struct brink_runtime *rt, const char *method, const char *path,
		      long timeout_ms, struct curl_slist **headers)
{
	char url[2048];
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	snprintf(url, sizeof(url), "http://docker%s%s", DK_API, path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, rt->socket);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	if (timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	*headers = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
	return c;
}

static int transport_error(struct brink_runtime *rt, CURLcode rc, const char *errbuf,
			   struct brink_error **err)
{
	if (rc == CURLE_COULDNT_CONNECT)
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"docker engine at %s does not answer (is dockerd running?)",
					rt->socket);
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "docker engine at %s: %s", rt->socket,
				errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

int dk__request(struct brink_runtime *rt, const char *method, const char *path, json_t *body,
		long timeout_ms, struct dk_reply *out, struct brink_error **err)
{
	struct curl_slist *headers = NULL;
	struct body_buf b = {0};
	char errbuf[CURL_ERROR_SIZE] = "";
	_cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	memset(out, 0, sizeof(*out));
	CURL *c = easy_new(rt, method, path, timeout_ms, &headers);
	if (!c)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, text ? text : "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(c);
	double secs = 0;
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &secs);
	log_debug("docker: %s %s: %.1f ms", method, path, secs * 1000);
	int ret = 0;
	if (rc != CURLE_OK && !b.overflow) {
		ret = transport_error(rt, rc, errbuf, err);
	} else if (b.overflow) {
		ret = brink_error_make(err, BRINK_E_INTERNAL, "%s %s: reply over %u bytes", method,
				       path, DK_REPLY_MAX);
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		out->json = b.len ? json_loadb(b.data, b.len, 0, NULL) : NULL;
	}
	free(b.data);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	return ret;
}

/* ---- streamed replies ---- */

struct stream_ctx {
	struct brink_runtime *rt;
	struct dk_stream *s;
	CURL *c;
	struct body_buf line; /* the current line, or the whole body of an error reply */
	bool stopped, too_long;
};

static bool is_error_reply(struct stream_ctx *x)
{
	if (x->s->status == 0)
		curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &x->s->status);
	return x->s->status >= 300;
}

static int deliver(struct stream_ctx *x, const char *p, size_t n)
{
	json_t *v = json_loadb(p, n, 0, NULL);
	int stop = v ? x->s->on_line(x->s->ctx, v) : 0;
	json_decref(v);
	return stop;
}

static size_t stream_write(char *p, size_t size, size_t n, void *arg)
{
	struct stream_ctx *x = arg;
	size_t total = size * n;
	if (is_error_reply(x))
		return collect(p, size, n, &x->line);
	for (size_t i = 0; i < total; i++) {
		if (p[i] != '\n') {
			if (x->line.len >= DK_LINE_MAX) {
				x->too_long = true;
				return 0;
			}
			if (collect(p + i, 1, 1, &x->line) != 1)
				return 0;
			continue;
		}
		if (x->line.len && deliver(x, x->line.data, x->line.len)) {
			x->stopped = true;
			return 0;
		}
		x->line.len = 0;
	}
	return total;
}

static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct stream_ctx *x = arg;
	(void)purpose;
	curl_socket_t fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (x->s->sockfd && fd >= 0) {
		pthread_mutex_lock(&x->rt->lock);
		*x->s->sockfd = fd;
		pthread_mutex_unlock(&x->rt->lock);
	}
	return fd;
}

static int close_socket(void *arg, curl_socket_t fd)
{
	struct stream_ctx *x = arg;
	if (x->s->sockfd) {
		pthread_mutex_lock(&x->rt->lock);
		*x->s->sockfd = -1;
		close(fd);
		pthread_mutex_unlock(&x->rt->lock);
		return 0;
	}
	return close(fd);
}

int dk__stream(struct brink_runtime *rt, struct dk_stream *s, struct brink_error **err)
{
	struct curl_slist *headers = NULL;
	struct stream_ctx x = {.rt = rt, .s = s};
	char errbuf[CURL_ERROR_SIZE] = "";
	int ret = 0;
	s->status = 0;
	s->error_json = NULL;
	x.c = easy_new(rt, s->method, s->path, s->timeout_ms, &headers);
	if (!x.c)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	if (strcmp(s->method, "POST") == 0)
		curl_easy_setopt(x.c, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(x.c, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(x.c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(x.c, CURLOPT_OPENSOCKETDATA, &x);
	curl_easy_setopt(x.c, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
	curl_easy_setopt(x.c, CURLOPT_CLOSESOCKETDATA, &x);
	curl_easy_setopt(x.c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(x.c);
	if (is_error_reply(&x)) {
		s->error_json = x.line.len ? json_loadb(x.line.data, x.line.len, 0, NULL) : NULL;
	} else if (x.too_long) {
		ret = brink_error_make(err, BRINK_E_INTERNAL, "%s: a line over %u bytes", s->path,
				       DK_LINE_MAX);
	} else if (rc != CURLE_OK && !x.stopped) {
		ret = transport_error(rt, rc, errbuf, err);
	} else if (x.line.len && !x.stopped) {
		deliver(&x, x.line.data, x.line.len);
	}
	free(x.line.data);
	curl_slist_free_all(headers);
	curl_easy_cleanup(x.c);
	return ret;
}

const char *dk__message(const struct dk_reply *r)
{
	const char *m = json_string_value(json_object_get(r->json, "message"));
	return m ? m : "the engine gave no reason";
}

char *dk__escape(const char *s, char *out, size_t outlen)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t n = 0;
	for (; *s && n + 4 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c)) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hexd[c >> 4];
			out[n++] = hexd[c & 15];
		}
	}
	out[n] = '\0';
	return out;
}
