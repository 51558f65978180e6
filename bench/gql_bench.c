/* Client side of bench-graphql.sh: times N requests over one kept-alive
 * connection (libcurl), the same way for brink's /graphql, its REST routes
 * and the graphql-js reference server.
 *
 *   gql_bench post URL KEY N BODY_FILE   POST the JSON body N times
 *   gql_bench get URL KEY N              GET URL N times
 *
 * Prints "p50_us p99_us mean_us bytes_of_last_reply"; exits 1 when a reply
 * is not 200. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-util.h"

struct sink {
	size_t len;
};

static size_t collect(char *p, size_t sz, size_t n, void *ctx)
{
	struct sink *s = ctx;
	(void)p;
	s->len += sz * n;
	return sz * n;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	if (argc < 5 || (strcmp(argv[1], "post") == 0 && argc < 6)) {
		fprintf(stderr, "usage: gql_bench post|get URL KEY N [BODY_FILE]\n");
		return 2;
	}
	int n = atoi(argv[4]);
	char *body = strcmp(argv[1], "post") == 0 ? read_file(argv[5]) : NULL;
	if (n <= 0 || (strcmp(argv[1], "post") == 0 && !body))
		return 2;
	char auth[160];
	struct sink sink = {0};
	CURL *c = curl_easy_init();
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", argv[3]);
	struct curl_slist *h = curl_slist_append(NULL, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, argv[2]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	double *t = calloc((size_t)n, sizeof(double)), sum = 0;
	for (int i = -100; i < n; i++) { /* 100 warm-up requests (JIT, caches) */
		sink.len = 0;
		double t0 = bench_now_us();
		long code = 0;
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 200) {
			fprintf(stderr, "gql_bench: request failed (HTTP %ld)\n", code);
			return 1;
		}
		if (i >= 0) {
			t[i] = bench_now_us() - t0;
			sum += t[i];
		}
	}
	bench_sort(t, (size_t)n);
	printf("%.0f %.0f %.0f %zu\n", bench_pct(t, (size_t)n, 50), bench_pct(t, (size_t)n, 99),
	       sum / n, sink.len);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(t);
	free(body);
	return 0;
}
