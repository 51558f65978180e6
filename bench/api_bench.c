/* Client side of bench-api.sh: times brinkd's REST API over one kept-alive
 * connection (libcurl).
 *
 *   api_bench start URL KEY N [BODY]
 *                                  POST /v1/services N times: request -> reply,
 *                                  which brinkd sends once the worker is ready;
 *                                  each service is deleted again (untimed);
 *                                  BODY: the service (default: a forward one)
 *   api_bench spaced URL KEY N     as start, 50 ms apart: a start on its own,
 *                                  as a user makes one, not right after another
 *   api_bench grow URL KEY N       as start, but the services are kept
 *   api_bench get FULL_URL KEY N   GET FULL_URL N times
 *   api_bench create URL KEY N     creates N services (min 0) without timing
 *
 * Prints "p50_us p99_us mean_us" (or nothing for create). */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-util.h"

struct sink {
	size_t len;
	char last[64]; /* the start of the last body */
	size_t mark;   /* len when the last request began */
};

static size_t discard(char *p, size_t sz, size_t n, void *ctx)
{
	struct sink *s = ctx;
	if (s->len == s->mark) {
		size_t k = sz * n < sizeof(s->last) - 1 ? sz * n : sizeof(s->last) - 1;
		memcpy(s->last, p, k);
		s->last[k] = '\0';
	}
	s->len += sz * n;
	return sz * n;
}

static CURL *client(const char *key, struct curl_slist **hdrs, struct sink *sink)
{
	char auth[128];
	CURL *c = curl_easy_init();
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	*hdrs = curl_slist_append(NULL, auth);
	*hdrs = curl_slist_append(*hdrs, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	return c;
}

static int request(CURL *c, const char *url, const char *body, struct sink *sink)
{
	long status = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	sink->mark = sink->len;
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	else
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	if (curl_easy_perform(c) != CURLE_OK)
		return -1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return (int)status;
}

/* Deletes the service whose creation reply is the last body received. */
static int delete_last(CURL *c, const char *base, struct sink *sink)
{
	char url[256];
	const char *id = strstr(sink->last, "\"id\":\"");
	if (!id)
		return -1;
	snprintf(url, sizeof(url), "%s/v1/services/%.16s", base, id + 6);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
	int st = request(c, url, NULL, sink);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
	return st;
}

int main(int argc, char **argv)
{
	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: api_bench start|spaced|grow|create URL KEY N [BODY] | "
				"get FULL_URL KEY N\n");
		return 2;
	}
	const char *mode = argv[1];
	int n = atoi(argv[4]);
	char url[256];
	struct sink sink = {0};
	struct curl_slist *hdrs;
	const char *body = argc == 6 ? argv[5]
				     : "{\"kind\":\"forward\",\"cpu\":{\"min\":0,\"max\":0.01},"
				       "\"memory_mb\":16}";
	bool is_list = strcmp(mode, "get") == 0;
	snprintf(url, sizeof(url), "%s%s", argv[2], is_list ? "" : "/v1/services");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *c = client(argv[3], &hdrs, &sink);
	double *t = calloc((size_t)n, sizeof(double));
	bool spaced = strcmp(mode, "spaced") == 0;
	for (int i = 0; i < n; i++) {
		if (spaced)
			nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
		double t0 = bench_now_us();
		int st = request(c, url, is_list ? NULL : body, &sink);
		t[i] = bench_now_us() - t0;
		if (st != (is_list ? 200 : 201)) {
			fprintf(stderr, "api_bench: request %d answered %d\n", i, st);
			return 1;
		}
		if ((strcmp(mode, "start") == 0 || spaced) && delete_last(c, argv[2], &sink) != 204) {
			fprintf(stderr, "api_bench: delete after request %d failed\n", i);
			return 1;
		}
	}
	if (strcmp(mode, "create") != 0) {
		double sum = 0;
		for (int i = 0; i < n; i++)
			sum += t[i];
		bench_sort(t, (size_t)n);
		printf("%.1f %.1f %.1f %zu\n", bench_pct(t, (size_t)n, 50), bench_pct(t, (size_t)n, 99), sum / n,
		       sink.len / (size_t)n);
	}
	free(t);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	return 0;
}
