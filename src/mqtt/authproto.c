#include "mqtt/authproto.h"
#include "mqtt/batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char name_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

/* A brink name (model.c's rule; the plugin does not link brink's libraries). */
static bool name_ok(const char *p, size_t n)
{
	if (n == 0 || n > BRINK_MQTT_PART_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!p[i] || !strchr(name_chars, p[i]))
			return false;
	return true;
}

/* Printable ASCII, no space: a field of the line protocol. */
static bool field_ok(const char *p, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 0x7f)
			return false;
	return true;
}

/* A service id as its topic writes it: exactly 16 lowercase hex digits. */
static bool service_id_parse(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n != 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *d = memchr("0123456789abcdef", p[i], 16);
		if (!d)
			return false;
		v = v << 4 | (uint64_t)(d - "0123456789abcdef");
	}
	*out = v;
	return true;
}

/* ":service/<tenant>/<id>" (n bytes, the prefix included). */
static enum brink_mqtt_status service_parse(const char *user, size_t n,
					    struct brink_mqtt_who *out)
{
	size_t pre = strlen(BRINK_MQTT_SERVICE_USER);
	const char *tenant = user + pre;
	const char *slash = memchr(tenant, '/', n - pre);
	uint64_t id;
	if (!slash || !name_ok(tenant, (size_t)(slash - tenant)) ||
	    !service_id_parse(slash + 1, n - (size_t)(slash + 1 - user), &id))
		return BRINK_MQTT_BAD;
	memset(out, 0, sizeof(*out));
	memcpy(out->tenant, tenant, (size_t)(slash - tenant));
	out->service = id;
	out->role = BRINK_MQTT_SERVICE;
	return BRINK_MQTT_OK;
}

enum brink_mqtt_status brink_mqtt_who_parse(const char *user, struct brink_mqtt_who *out)
{
	size_t n = strnlen(user, BRINK_MQTT_USER_MAX + 1);
	const char *slash = memchr(user, '/', n);
	if (n <= BRINK_MQTT_USER_MAX &&
	    strncmp(user, BRINK_MQTT_SERVICE_USER, strlen(BRINK_MQTT_SERVICE_USER)) == 0)
		return service_parse(user, n, out);
	if (strcmp(user, BRINK_MQTT_INTERNAL_USER) == 0) {
		memset(out, 0, sizeof(*out));
		out->role = BRINK_MQTT_INTERNAL;
		return BRINK_MQTT_OK;
	}
	size_t tn = slash ? (size_t)(slash - user) : n;
	if (n > BRINK_MQTT_USER_MAX || !name_ok(user, tn) ||
	    (slash && !name_ok(slash + 1, n - tn - 1)))
		return BRINK_MQTT_BAD;
	memset(out, 0, sizeof(*out));
	memcpy(out->tenant, user, tn);
	if (slash)
		memcpy(out->thing, slash + 1, n - tn - 1);
	out->role = slash ? BRINK_MQTT_THING : BRINK_MQTT_TENANT;
	return BRINK_MQTT_OK;
}

/* topic starts with "brink/<tenant>/services/" and has something after it */
static bool under_services(const char *tenant, const char *topic)
{
	char prefix[BRINK_MQTT_PART_MAX + 32];
	int n = snprintf(prefix, sizeof(prefix), "brink/%s/services/", tenant);
	return n > 0 && (size_t)n < sizeof(prefix) && strncmp(topic, prefix, (size_t)n) == 0 &&
	       topic[n] != '\0';
}

bool brink_mqtt_allowed(const struct brink_mqtt_who *who, int access, const char *topic)
{
	char own[BRINK_MQTT_USER_MAX + 32];
	switch (who->role) {
	case BRINK_MQTT_INTERNAL:
		return true;
	case BRINK_MQTT_THING:
		if (access == BRINK_MQTT_UNSUBSCRIBE)
			return true;
		return access == BRINK_MQTT_WRITE &&
		       brink_mqtt_thing_topic(who->tenant, who->thing, own, sizeof(own)) &&
		       strcmp(topic, own) == 0;
	case BRINK_MQTT_TENANT:
		if (access == BRINK_MQTT_UNSUBSCRIBE)
			return true;
		return (access == BRINK_MQTT_SUBSCRIBE || access == BRINK_MQTT_READ) &&
		       under_services(who->tenant, topic);
	case BRINK_MQTT_SERVICE:
		return access == BRINK_MQTT_WRITE && strcmp(topic, BRINK_MQTT_BATCH_OUT) == 0;
	case BRINK_MQTT_NONE:
	default:
		return false;
	}
}

size_t brink_mqtt_thing_topic(const char *tenant, const char *thing, char *out, size_t cap)
{
	int n = snprintf(out, cap, "brink/%s/things/%s", tenant, thing);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

enum brink_mqtt_status brink_mqtt_thing_topic_parse(const char *topic, size_t len,
						    struct brink_mqtt_who *out)
{
	static const char root[] = "brink/", mid[] = "/things/";
	if (len <= sizeof(root) - 1 || memcmp(topic, root, sizeof(root) - 1) != 0)
		return BRINK_MQTT_BAD;
	const char *t = topic + sizeof(root) - 1, *end = topic + len;
	const char *slash = memchr(t, '/', (size_t)(end - t));
	if (!slash || (size_t)(end - slash) <= sizeof(mid) - 1 ||
	    memcmp(slash, mid, sizeof(mid) - 1) != 0)
		return BRINK_MQTT_BAD;
	const char *thing = slash + sizeof(mid) - 1;
	size_t tn = (size_t)(slash - t), nn = (size_t)(end - thing);
	if (!name_ok(t, tn) || !name_ok(thing, nn))
		return BRINK_MQTT_BAD;
	memset(out, 0, sizeof(*out));
	memcpy(out->tenant, t, tn);
	memcpy(out->thing, thing, nn);
	out->role = BRINK_MQTT_THING;
	return BRINK_MQTT_OK;
}

size_t brink_mqtt_service_topic(const char *tenant, uint64_t service, char *out, size_t cap)
{
	int n = snprintf(out, cap, "brink/%s/services/%016" PRIx64 "/out", tenant, service);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

bool brink_mqtt_output_allowed(const char *own, size_t own_len, const char *topic, size_t len)
{
	struct brink_mqtt_who who;
	if (own)
		return len == own_len && memcmp(topic, own, len) == 0;
	return strncmp(topic, BRINK_MQTT_TOPIC_ROOT, strlen(BRINK_MQTT_TOPIC_ROOT)) == 0 &&
	       brink_mqtt_thing_topic_parse(topic, len, &who) != BRINK_MQTT_OK;
}

size_t brink_mqtt_service_user(const char *tenant, uint64_t service, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s%s/%016" PRIx64, BRINK_MQTT_SERVICE_USER, tenant, service);
	return n > 0 && (size_t)n < cap && (size_t)n <= BRINK_MQTT_USER_MAX ? (size_t)n : 0;
}

static const char *const role_names[] = {"none", "thing", "tenant", "internal", "service"};

const char *brink_mqtt_role_name(enum brink_mqtt_role role)
{
	return (unsigned)role < 5 ? role_names[role] : "none";
}

static size_t fits(int n, size_t cap)
{
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

void brink_mqtt_field_sanitize(const char *src, char *out, size_t cap)
{
	size_t n = 0;
	if (cap == 0)
		return;
	for (; src && src[n] && n + 1 < cap; n++)
		out[n] = field_ok(src + n, 1, 1) ? src[n] : '?';
	if (n == 0 && cap > 1)
		out[n++] = '-';
	out[n] = '\0';
}

/* "<word><n>\n" without snprintf, which costs the broker a few percent
 * when the plugin formats a BATCH line for every pass of its loop (DROPPED
 * lines are made the same way). */
static size_t word_and_number(const char *word, uint32_t n, char *out, size_t cap)
{
	char digits[10];
	size_t wn = strlen(word), dn = 0;
	do {
		digits[dn++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	if (wn + dn + 1 >= cap)
		return 0;
	memcpy(out, word, wn);
	for (size_t i = 0; i < dn; i++)
		out[wn + i] = digits[dn - 1 - i];
	out[wn + dn] = '\n';
	out[wn + dn + 1] = '\0';
	return wn + dn + 1;
}

size_t brink_mqtt_request_format(const struct brink_mqtt_request *rq, char *out, size_t cap)
{
	size_t un = strnlen(rq->user, sizeof(rq->user)), pn = strnlen(rq->pass, sizeof(rq->pass)),
	       tn = strnlen(rq->topic, sizeof(rq->topic));
	if (cap > BRINK_MQTT_LINE_MAX)
		cap = BRINK_MQTT_LINE_MAX;
	if (rq->kind == BRINK_MQTT_BATCH) /* once per pass of the broker's loop */
		return rq->length <= BRINK_MQTT_BATCH_MAX ? word_and_number("BATCH ", rq->length, out, cap)
							  : 0;
	if (rq->kind == BRINK_MQTT_DROPPED)
		return rq->count ? word_and_number("DROPPED ", rq->count, out, cap) : 0;
	if (!field_ok(rq->user, un, BRINK_MQTT_USER_MAX))
		return 0;
	if (rq->kind == BRINK_MQTT_WATCH)
		return fits(snprintf(out, cap, "WATCH %d %.*s\n", rq->watching ? 1 : 0, (int)un,
				     rq->user),
			    cap);
	if (rq->kind == BRINK_MQTT_DENIED)
		return field_ok(rq->topic, tn, BRINK_MQTT_TOPIC_MAX) && rq->count > 0
			       ? fits(snprintf(out, cap, "DENIED %" PRIu32 " %d %.*s %.*s\n",
					       rq->count, rq->access & 15, (int)un, rq->user,
					       (int)tn, rq->topic),
				      cap)
			       : 0;
	if (!field_ok(rq->pass, pn, BRINK_MQTT_PASS_MAX))
		return 0;
	return fits(snprintf(out, cap, "AUTH %" PRIu32 " %.*s %.*s\n", rq->seq, (int)un, rq->user,
			     (int)pn, rq->pass),
		    cap);
}

size_t brink_mqtt_answer_format(const struct brink_mqtt_answer *a, char *out, size_t cap)
{
	if (a->role == BRINK_MQTT_NONE)
		return fits(snprintf(out, cap, "%" PRIu32 " NO\n", a->seq), cap);
	return fits(snprintf(out, cap, "%" PRIu32 " OK %s\n", a->seq, brink_mqtt_role_name(a->role)),
		    cap);
}

/* A word: the bytes up to the next space (or the end). */
struct cursor {
	const char *p, *end;
};

static bool next_word(struct cursor *c, const char **w, size_t *n)
{
	if (c->p >= c->end)
		return false;
	const char *sp = memchr(c->p, ' ', (size_t)(c->end - c->p));
	*w = c->p;
	*n = sp ? (size_t)(sp - c->p) : (size_t)(c->end - c->p);
	c->p = sp ? sp + 1 : c->end;
	return *n > 0;
}

/* 1 to 10 digits, no leading zero (one spelling a number), at most UINT32_MAX */
static bool parse_seq(const char *w, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 10 || (n > 1 && w[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(w[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(w, s, n) == 0;
}

/* WATCH 1|0 <tenant> */
static enum brink_mqtt_status parse_watch(struct cursor *c, struct brink_mqtt_request *out)
{
	const char *w, *t;
	size_t n, tn;
	if (!next_word(c, &w, &n) || n != 1 || (w[0] != '0' && w[0] != '1') ||
	    !next_word(c, &t, &tn) || t + tn != c->end || !name_ok(t, tn))
		return BRINK_MQTT_BAD;
	memset(out, 0, sizeof(*out));
	out->kind = BRINK_MQTT_WATCH;
	out->watching = w[0] == '1';
	memcpy(out->user, t, tn);
	return BRINK_MQTT_OK;
}

/* BATCH <length> | DROPPED <count>: a kind and one number, the last word */
static enum brink_mqtt_status parse_number_line(struct cursor *c, bool batch,
						struct brink_mqtt_request *out)
{
	const char *w;
	size_t n;
	uint32_t v;
	if (!next_word(c, &w, &n) || w + n != c->end || !parse_seq(w, n, &v) ||
	    (batch ? v > BRINK_MQTT_BATCH_MAX : v == 0))
		return BRINK_MQTT_BAD;
	memset(out, 0, sizeof(*out));
	out->kind = batch ? BRINK_MQTT_BATCH : BRINK_MQTT_DROPPED;
	if (batch)
		out->length = v;
	else
		out->count = v;
	return BRINK_MQTT_OK;
}

/* AUTH <seq> <user> <pass> | DENIED <count> <access> <user> <topic> | WATCH | BATCH | DROPPED */
enum brink_mqtt_status brink_mqtt_request_parse(const char *line, size_t len,
						struct brink_mqtt_request *out)
{
	struct cursor c = {line, line + len};
	const char *w, *user, *last;
	size_t n, un, ln;
	uint32_t num, access = 0;
	if (len >= BRINK_MQTT_LINE_MAX || !next_word(&c, &w, &n))
		return BRINK_MQTT_BAD;
	if (word_is(w, n, "WATCH"))
		return parse_watch(&c, out);
	if (word_is(w, n, "BATCH") || word_is(w, n, "DROPPED"))
		return parse_number_line(&c, word_is(w, n, "BATCH"), out);
	bool denied = word_is(w, n, "DENIED");
	if ((!denied && !word_is(w, n, "AUTH")) || !next_word(&c, &w, &n) ||
	    !parse_seq(w, n, &num) || (denied && (num == 0 || !next_word(&c, &w, &n) ||
						  !parse_seq(w, n, &access) || access > 15)) ||
	    !next_word(&c, &user, &un) || !next_word(&c, &last, &ln) || last + ln != c.end ||
	    !field_ok(user, un, BRINK_MQTT_USER_MAX) ||
	    !field_ok(last, ln, denied ? BRINK_MQTT_TOPIC_MAX : BRINK_MQTT_PASS_MAX))
		return BRINK_MQTT_BAD;
	memset(out, 0, sizeof(*out));
	out->kind = denied ? BRINK_MQTT_DENIED : BRINK_MQTT_AUTH;
	memcpy(out->user, user, un);
	if (denied) {
		out->count = num;
		out->access = (int)access;
		memcpy(out->topic, last, ln);
	} else {
		out->seq = num;
		memcpy(out->pass, last, ln);
	}
	return BRINK_MQTT_OK;
}

enum brink_mqtt_status brink_mqtt_answer_parse(const char *line, size_t len,
					       struct brink_mqtt_answer *out)
{
	struct cursor c = {line, line + len};
	const char *w;
	size_t n;
	uint32_t seq;
	enum brink_mqtt_role role = BRINK_MQTT_NONE;
	if (len >= BRINK_MQTT_LINE_MAX || !next_word(&c, &w, &n) || !parse_seq(w, n, &seq) ||
	    !next_word(&c, &w, &n))
		return BRINK_MQTT_BAD;
	if (word_is(w, n, "OK")) {
		if (!next_word(&c, &w, &n))
			return BRINK_MQTT_BAD;
		for (int r = BRINK_MQTT_THING; r <= BRINK_MQTT_SERVICE; r++)
			if (word_is(w, n, role_names[r]))
				role = (enum brink_mqtt_role)r;
		if (role == BRINK_MQTT_NONE)
			return BRINK_MQTT_BAD;
	} else if (!word_is(w, n, "NO")) {
		return BRINK_MQTT_BAD;
	}
	if (w + n != c.end)
		return BRINK_MQTT_BAD;
	out->seq = seq;
	out->role = role;
	return BRINK_MQTT_OK;
}

enum brink_mqtt_frame brink_mqtt_frame_next(struct brink_mqtt_reader *rd, const char *buf,
					    size_t len, size_t *used,
					    struct brink_mqtt_request *rq, const char **records,
					    size_t *records_len)
{
	size_t off = 0;
	*used = 0;
	if (!rd->in_batch) {
		const char *nl = memchr(buf, '\n', len < BRINK_MQTT_LINE_MAX ? len : BRINK_MQTT_LINE_MAX);
		if (!nl)
			return len >= BRINK_MQTT_LINE_MAX ? BRINK_MQTT_FRAME_TOO_LONG
							  : BRINK_MQTT_FRAME_MORE;
		off = (size_t)(nl - buf) + 1;
		*used = off;
		if (brink_mqtt_request_parse(buf, off - 1, rq) != BRINK_MQTT_OK)
			return BRINK_MQTT_FRAME_BAD;
		if (rq->kind != BRINK_MQTT_BATCH)
			return BRINK_MQTT_FRAME_REQUEST;
		rd->in_batch = true;
		rd->batch_len = rq->length;
	}
	if (len - off < rd->batch_len)
		return BRINK_MQTT_FRAME_MORE;
	rd->in_batch = false;
	*records = buf + off;
	*records_len = rd->batch_len;
	*used = off + rd->batch_len;
	return BRINK_MQTT_FRAME_BATCH;
}

size_t brink_mqtt_reader_room(const struct brink_mqtt_reader *rd)
{
	return rd->in_batch ? rd->batch_len : BRINK_MQTT_LINE_MAX;
}
