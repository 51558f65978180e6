#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api-internal.h"

/* Upper bounds of the latency histogram, seconds (Prometheus `le`). */
static const double bucket_le[API_LATENCY_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
						      0.005,  0.01,    0.025,  0.05,  0.1,
						      0.25,   0.5,     1,      2.5};

uint64_t api__now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void api__metrics_record(struct api_metrics *m, unsigned status, uint64_t elapsed_ns)
{
	size_t b = 0;
	double s = (double)elapsed_ns / 1e9;
	while (b < API_LATENCY_BUCKETS && s > bucket_le[b])
		b++;
	atomic_fetch_add(&m->bucket[b], 1);
	atomic_fetch_add(&m->sum_ns, elapsed_ns);
	atomic_fetch_add(&m->requests, 1);
	if (status >= 100 && status < 600)
		atomic_fetch_add(&m->by_class[status / 100], 1);
}

struct text {
	char *buf;
	size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) BRINK_PRINTF(2, 3);
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = (t->cap + (size_t)n + 1) * 2;
		char *nb = realloc(t->buf, cap);
		if (!nb)
			return;
		t->buf = nb;
		t->cap = cap;
	}
}

static void put_latency(struct text *t, struct api_metrics *m)
{
	unsigned long long cum = 0;
	put(t, "# HELP brink_http_request_duration_seconds API request latency.\n"
	       "# TYPE brink_http_request_duration_seconds histogram\n");
	for (size_t b = 0; b < API_LATENCY_BUCKETS; b++) {
		cum += atomic_load(&m->bucket[b]);
		put(t, "brink_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bucket_le[b],
		    cum);
	}
	cum += atomic_load(&m->bucket[API_LATENCY_BUCKETS]);
	put(t, "brink_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
	put(t, "brink_http_request_duration_seconds_sum %.9f\n",
	    (double)atomic_load(&m->sum_ns) / 1e9);
	put(t, "brink_http_request_duration_seconds_count %llu\n", cum);
	put(t, "# HELP brink_http_responses_total API responses by status class.\n"
	       "# TYPE brink_http_responses_total counter\n");
	for (int c = 1; c <= 5; c++)
		put(t, "brink_http_responses_total{code=\"%dxx\"} %llu\n", c,
		    atomic_load(&m->by_class[c]));
}

static void put_system(struct text *t, const struct brink_system *s)
{
	put(t, "# HELP brink_tenants Registered tenants.\n# TYPE brink_tenants gauge\n"
	       "brink_tenants %lld\n", (long long)s->tenants);
	put(t, "# HELP brink_services Services by state.\n# TYPE brink_services gauge\n");
	for (int st = BRINK_STATE_PENDING; st <= BRINK_STATE_FAILED; st++)
		put(t, "brink_services{state=\"%s\"} %zu\n", brink_state_name(st), s->by_state[st]);
	put(t, "# HELP brink_cpu_capacity_cores Cores brink hands out.\n"
	       "# TYPE brink_cpu_capacity_cores gauge\nbrink_cpu_capacity_cores %g\n", s->capacity);
	put(t, "# HELP brink_cpu_assigned_cores Cores assigned to running services.\n"
	       "# TYPE brink_cpu_assigned_cores gauge\nbrink_cpu_assigned_cores %g\n", s->assigned);
	put(t, "# HELP brink_cpu_guaranteed_cores Sum of the minimums of running services.\n"
	       "# TYPE brink_cpu_guaranteed_cores gauge\nbrink_cpu_guaranteed_cores %g\n",
	    s->sum_min);
	put(t, "# HELP brink_runtime_available Runtime drivers usable on this gateway.\n"
	       "# TYPE brink_runtime_available gauge\n");
	for (size_t i = 0; i < s->nruntimes; i++)
		put(t, "brink_runtime_available{runtime=\"%s\"} %d\n", s->runtimes[i].name,
		    s->runtimes[i].available);
}

static void put_router(struct text *t, struct brink_router *r)
{
	struct brink_router_stats s;
	if (!r)
		return;
	brink_router_stats(r, &s);
	put(t, "# HELP brink_ingest_readings_total Readings accepted from things.\n"
	       "# TYPE brink_ingest_readings_total counter\nbrink_ingest_readings_total %llu\n",
	    (unsigned long long)s.readings);
	put(t, "# HELP brink_ingest_refused_total Lines and connections refused, by reason.\n"
	       "# TYPE brink_ingest_refused_total counter\n"
	       "brink_ingest_refused_total{reason=\"line\"} %llu\n"
	       "brink_ingest_refused_total{reason=\"auth\"} %llu\n",
	    (unsigned long long)s.refused_lines, (unsigned long long)s.refused_auth);
	put(t, "brink_ingest_refused_total{reason=\"dtls\"} %llu\n"
	       "brink_ingest_refused_total{reason=\"malformed\"} %llu\n",
	    (unsigned long long)s.refused_dtls, (unsigned long long)s.refused_malformed);
	put(t, "# HELP brink_ingest_connections_total Thing connections accepted.\n"
	       "# TYPE brink_ingest_connections_total counter\nbrink_ingest_connections_total %llu\n",
	    (unsigned long long)s.connections);
	put(t, "# HELP brink_stream_lines_total Lines services sent to their clients.\n"
	       "# TYPE brink_stream_lines_total counter\nbrink_stream_lines_total %llu\n",
	    (unsigned long long)s.delivered_lines);
	put(t, "# HELP brink_stream_dropped_lines_total Lines stream-port clients lost: they read"
	       " too slowly.\n# TYPE brink_stream_dropped_lines_total counter\n"
	       "brink_stream_dropped_lines_total %llu\n",
	    (unsigned long long)s.stream_dropped);
	put(t, "# HELP brink_router_dropped_batches_total Batches dropped: a service was slower"
	       " than its readings.\n# TYPE brink_router_dropped_batches_total counter\n"
	       "brink_router_dropped_batches_total %llu\n",
	    (unsigned long long)s.dropped_batches);
	put(t, "# HELP brink_router_dropped_readings_total Readings in the dropped batches.\n"
	       "# TYPE brink_router_dropped_readings_total counter\n"
	       "brink_router_dropped_readings_total %llu\n",
	    (unsigned long long)s.dropped_readings);
}

static void put_mqtt(struct text *t, struct brink_router *r)
{
	struct brink_router_stats s;
	if (!r)
		return;
	brink_router_stats(r, &s);
	put(t, "# HELP brink_mqtt_refused_total MQTT logins (auth) and publishes or subscriptions"
	       " (acl) refused.\n# TYPE brink_mqtt_refused_total counter\n"
	       "brink_mqtt_refused_total{reason=\"auth\"} %llu\n"
	       "brink_mqtt_refused_total{reason=\"acl\"} %llu\n",
	    (unsigned long long)s.mqtt_refused_auth, (unsigned long long)s.mqtt_refused_acl);
	put(t, "# HELP brink_mqtt_published_total Service output lines published over MQTT.\n"
	       "# TYPE brink_mqtt_published_total counter\nbrink_mqtt_published_total %llu\n",
	    (unsigned long long)s.mqtt_published);
	put(t, "# HELP brink_mqtt_dropped_total Output lines dropped: the broker was slower.\n"
	       "# TYPE brink_mqtt_dropped_total counter\nbrink_mqtt_dropped_total %llu\n",
	    (unsigned long long)s.mqtt_dropped);
	put(t, "# HELP brink_mqtt_dropped_readings_total Readings the broker's plugin dropped:"
	       " brinkd was slower.\n# TYPE brink_mqtt_dropped_readings_total counter\n"
	       "brink_mqtt_dropped_readings_total %llu\n",
	    (unsigned long long)s.mqtt_dropped_readings);
	put(t, "# HELP brink_mqtt_broker_starts_total Starts of brinkd's own broker.\n"
	       "# TYPE brink_mqtt_broker_starts_total counter\nbrink_mqtt_broker_starts_total %llu\n",
	    (unsigned long long)s.mqtt_broker_starts);
	put(t, "# HELP brink_mqtt_connected Whether brinkd's MQTT client is connected.\n"
	       "# TYPE brink_mqtt_connected gauge\nbrink_mqtt_connected %d\n",
	    s.mqtt_connected);
	put(t, "# HELP brink_mqtt_service_connections Services whose worker publishes its lines on"
	       " its own broker connection.\n# TYPE brink_mqtt_service_connections gauge\n"
	       "brink_mqtt_service_connections %d\n",
	    s.mqtt_service_conns);
}

void api__metrics_handler(struct api_request *rq)
{
	struct brink_system sys;
	struct brink_error *err = NULL;
	struct text t = {0};
	if (brink_control_system(rq->api->ctl, &sys, &err) < 0) {
		api__reply_error(rq, err);
		brink_error_free(&err);
		return;
	}
	put_system(&t, &sys);
	put_latency(&t, &rq->api->metrics);
	put_router(&t, rq->api->router);
	put_mqtt(&t, rq->api->router);
	if (!t.buf) {
		api__reply_errorf(rq, 500, "internal", "out of memory");
		return;
	}
	api__reply_text(rq, 200, "text/plain; version=0.0.4", t.buf, t.len);
}
