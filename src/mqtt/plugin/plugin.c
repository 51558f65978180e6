/* brink-mqtt-auth.so: Mosquitto 2.0 plugin (plugin API version 5) that lets
 * brink decide who connects and what they may publish and subscribe, and
 * carries readings to brinkd and output lines from brinkd's client and from
 * services' workers in batches (plugin/relay.c).
 *
 * Why ask brinkd rather than read brink's store: brinkd's store is the only
 * place keys live (as hashes, behind brinkd's lock); a second reader of the
 * SQLite file would duplicate the key rules and see a rotation only when it
 * next looked. So every CONNECT is checked by brinkd over a socket (a line
 * protocol, mqtt/authproto.h): a rotated key or a deleted thing is refused at
 * once for new connections. Connected clients keep a verdict at most
 * `cache_ms` (default 1000) old: their next publish, subscription or
 * delivery after that asks brinkd again, so a revoked client loses access
 * within a second without a round trip per message. The access rules
 * themselves (which topics a thing or a tenant may use) need no question:
 * they follow from the username that brinkd accepted.
 *
 * Options (plugin_opt_*; Mosquitto wants names of 3 bytes or more): channel_fd N (a socket inherited from brinkd: the broker it
 * supervises; when brinkd goes away the broker stops itself, since its
 * privileges were dropped and a parent-death signal no longer reaches it) or
 * socket PATH (brinkd's unix socket, for a broker brinkd does not start);
 * timeout_ms (default 2000); cache_ms.
 *
 * Everything for brinkd goes through one outbox, in order: what the socket
 * does not take at once waits there and goes at the next pass of the
 * broker's loop, so readings for a busy brinkd never stop the broker. Batches of
 * readings wait at most OUTBOX_MAX bytes; beyond, they are dropped and
 * counted (DROPPED); a question (AUTH) waits for the outbox to empty, up to
 * its timeout.
 *
 * Mosquitto calls plugins from its one thread: no locking here. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "mqtt/authproto.h"
#include "mqtt/batch.h"
#include "mqtt/plugin/relay.h"

#define OUTBOX_MAX (1024 * 1024) /* bytes of batches waiting for brinkd's socket */

struct client_entry {
	const struct mosquitto *client; /* the key */
	struct brink_mqtt_who who;
	char user[BRINK_MQTT_USER_MAX + 1];
	char pass[BRINK_MQTT_PASS_MAX + 1];
	int64_t verified_ms;
	bool watching; /* a tenant's client that subscribed to its services' output */
	UT_hash_handle hh;
};

/* Tenants with clients watching their services' output, and how many. */
struct tenant_watch {
	char tenant[BRINK_MQTT_PART_MAX + 1];
	unsigned clients;
	UT_hash_handle hh;
};

static struct {
	mosquitto_plugin_id_t *id;
	int fd;
	bool inherited; /* fd came from brinkd: its end closing means brinkd is gone */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int timeout_ms, cache_ms;
	uint32_t seq;
	char in[2 * BRINK_MQTT_LINE_MAX];
	size_t len;
	struct client_entry *clients;
	struct tenant_watch *watched;
	uint8_t *out; /* for brinkd, not written yet: out_len of out_cap bytes */
	size_t out_len, out_cap;
	struct brink_mqtt_request dropped; /* readings dropped, not reported yet */
	struct brink_mqtt_request denied; /* refusals not reported yet, the last described */
	int64_t reported_ms;
} P = {.fd = -1, .timeout_ms = 2000, .cache_ms = 1000, .dropped = {.kind = BRINK_MQTT_DROPPED}};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An inherited channel stays open (only brinkd's end closing ends it), and
 * so does its outbox: what it holds continues what was sent. */
static void channel_close(void)
{
	if (P.fd >= 0 && !P.inherited)
		close(P.fd);
	if (!P.inherited) {
		P.fd = -1;
		P.out_len = 0;
	}
	P.len = 0;
}

static void report_all_watches(void);

static bool channel_open(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (P.fd >= 0 || P.inherited || !P.path[0])
		return P.fd >= 0;
	memcpy(sa.sun_path, P.path, sizeof(P.path));
	P.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (P.fd >= 0 && connect(P.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		mosquitto_log_printf(MOSQ_LOG_WARNING, "brink-auth: cannot reach brinkd at %s: %s",
				     P.path, strerror(errno));
		close(P.fd);
		P.fd = -1;
	}
	if (P.fd >= 0)
		report_all_watches();
	return P.fd >= 0;
}

/* Writes what the outbox holds, as much as the socket takes now. false: the
 * channel broke. */
static bool outbox_pump(void)
{
	while (P.out_len) {
		ssize_t n = send(P.fd, P.out, P.out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		P.out_len -= (size_t)n;
		memmove(P.out, P.out + n, P.out_len);
	}
	return true;
}

/* Queues the parts behind what waits and writes what the socket takes. All
 * or nothing: false (nothing queued) when there is no room. */
static bool channel_send(const struct iovec *part, int count)
{
	size_t total = 0;
	for (int i = 0; i < count; i++)
		total += part[i].iov_len;
	if (!relay_reserve(&P.out, &P.out_cap, P.out_len + total, 4096))
		return false;
	for (int i = 0; i < count; i++) {
		if (part[i].iov_len)
			memcpy(P.out + P.out_len, part[i].iov_base, part[i].iov_len);
		P.out_len += part[i].iov_len;
	}
	if (!outbox_pump())
		channel_close();
	return true;
}

/* Waits until the outbox is written, up to the deadline. */
static bool outbox_drain(int64_t deadline)
{
	while (P.fd >= 0 && P.out_len) {
		int64_t left = deadline - now_ms();
		struct pollfd pfd = {.fd = P.fd, .events = POLLOUT};
		if (left <= 0 || poll(&pfd, 1, (int)left) < 0 || !outbox_pump())
			return false;
	}
	return P.fd >= 0;
}

static bool send_line(const char *line, size_t n)
{
	struct iovec part = {(void *)line, n};
	return channel_send(&part, 1) && P.fd >= 0;
}

bool plugin_send_batch(const uint8_t *records, size_t len, uint32_t count)
{
	struct brink_mqtt_request rq = {.kind = BRINK_MQTT_BATCH, .length = (uint32_t)len};
	char line[BRINK_MQTT_LINE_MAX];
	size_t n = len <= BRINK_MQTT_BATCH_MAX ? brink_mqtt_request_format(&rq, line, sizeof(line)) : 0;
	struct iovec part[2] = {{line, n}, {(void *)records, len}};
	if (n && P.fd >= 0 && P.out_len + n + len <= OUTBOX_MAX && channel_send(part, 2))
		return true;
	P.dropped.count += count;
	return false;
}

/* Takes one answer line out of P.in; 1 when one was there, 0 none yet, -1
 * when the buffer holds garbage longer than a line. */
static int take_answer(struct brink_mqtt_answer *a, bool *parsed)
{
	char *nl = memchr(P.in, '\n', P.len);
	if (!nl)
		return P.len >= BRINK_MQTT_LINE_MAX ? -1 : 0;
	size_t n = (size_t)(nl - P.in);
	*parsed = brink_mqtt_answer_parse(P.in, n, a) == BRINK_MQTT_OK;
	memmove(P.in, nl + 1, P.len - n - 1);
	P.len -= n + 1;
	return 1;
}

/* Waits for the answer numbered seq until the deadline. */
static enum brink_mqtt_role await_answer(uint32_t seq, int64_t deadline)
{
	for (;;) {
		struct brink_mqtt_answer a;
		bool parsed = false;
		int got = take_answer(&a, &parsed);
		if (got < 0)
			break;
		if (got > 0) {
			if (parsed && a.seq == seq)
				return a.role;
			continue; /* late or garbled: not ours */
		}
		int64_t left = deadline - now_ms();
		struct pollfd pfd = {.fd = P.fd, .events = POLLIN};
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		ssize_t r = recv(P.fd, P.in + P.len, sizeof(P.in) - P.len, MSG_DONTWAIT);
		if (r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR)))
			break;
		P.len += r > 0 ? (size_t)r : 0;
	}
	mosquitto_log_printf(MOSQ_LOG_WARNING, "brink-auth: no answer from brinkd: refusing");
	channel_close();
	return BRINK_MQTT_NONE;
}

/* brinkd's verdict on these credentials; NONE when refused or unreachable
 * (fails closed). */
static enum brink_mqtt_role ask_brinkd(const char *user, const char *pass)
{
	struct brink_mqtt_request rq = {.kind = BRINK_MQTT_AUTH, .seq = ++P.seq};
	char line[BRINK_MQTT_LINE_MAX];
	snprintf(rq.user, sizeof(rq.user), "%s", user);
	snprintf(rq.pass, sizeof(rq.pass), "%s", pass);
	size_t n = brink_mqtt_request_format(&rq, line, sizeof(line));
	if (!n || strcmp(rq.user, user) != 0 || strcmp(rq.pass, pass) != 0)
		return BRINK_MQTT_NONE; /* cannot be a brink credential */
	if (!channel_open())
		return BRINK_MQTT_NONE;
	int64_t deadline = now_ms() + P.timeout_ms;
	if (!send_line(line, n) || !outbox_drain(deadline)) {
		mosquitto_log_printf(MOSQ_LOG_WARNING, "brink-auth: brinkd does not read: refusing");
		channel_close();
		return BRINK_MQTT_NONE;
	}
	return await_answer(rq.seq, deadline);
}

static void report_watch(const char *tenant, bool watching)
{
	struct brink_mqtt_request rq = {.kind = BRINK_MQTT_WATCH, .watching = watching};
	char line[BRINK_MQTT_LINE_MAX];
	snprintf(rq.user, sizeof(rq.user), "%s", tenant);
	size_t n = brink_mqtt_request_format(&rq, line, sizeof(line));
	if (n && P.fd >= 0 && !send_line(line, n))
		channel_close();
}

/* A tenant's client subscribed (+1) or went (-1): brinkd hears when a
 * tenant's count leaves or reaches 0. */
static void watch_count(const char *tenant, int delta)
{
	struct tenant_watch *w;
	HASH_FIND_STR(P.watched, tenant, w);
	if (!w && delta > 0 && (w = calloc(1, sizeof(*w)))) {
		snprintf(w->tenant, sizeof(w->tenant), "%s", tenant);
		HASH_ADD_STR(P.watched, tenant, w);
	}
	if (!w)
		return;
	w->clients = delta > 0 ? w->clients + 1 : w->clients - 1;
	if (delta > 0 && w->clients == 1)
		report_watch(tenant, true);
	if (w->clients == 0) {
		report_watch(tenant, false);
		HASH_DEL(P.watched, w);
		free(w);
	}
}

/* After (re)connecting to brinkd's socket: brinkd forgot what we told it. */
static void report_all_watches(void)
{
	struct tenant_watch *w, *tmp;
	HASH_ITER(hh, P.watched, w, tmp) report_watch(w->tenant, true);
}

static struct client_entry *entry_of(const struct mosquitto *client)
{
	struct client_entry *e;
	HASH_FIND_PTR(P.clients, &client, e);
	return e;
}

const struct brink_mqtt_who *plugin_service_of(const struct mosquitto *client)
{
	struct client_entry *e = entry_of(client);
	return e && e->who.role == BRINK_MQTT_SERVICE ? &e->who : NULL;
}

static void entry_drop(const struct mosquitto *client)
{
	struct client_entry *e = entry_of(client);
	if (e) {
		if (e->watching)
			watch_count(e->who.tenant, -1);
		HASH_DEL(P.clients, e);
		memset(e->pass, 0, sizeof(e->pass));
		free(e);
	}
}

static int on_basic_auth(int event, void *data, void *userdata)
{
	struct mosquitto_evt_basic_auth *ev = data;
	struct brink_mqtt_who who;
	(void)event;
	(void)userdata;
	entry_drop(ev->client);
	if (!ev->username || !ev->password ||
	    brink_mqtt_who_parse(ev->username, &who) != BRINK_MQTT_OK ||
	    ask_brinkd(ev->username, ev->password) != who.role)
		return MOSQ_ERR_AUTH;
	struct client_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return MOSQ_ERR_NOMEM;
	e->client = ev->client;
	e->who = who;
	snprintf(e->user, sizeof(e->user), "%s", ev->username);
	snprintf(e->pass, sizeof(e->pass), "%s", ev->password);
	e->verified_ms = now_ms();
	HASH_ADD_PTR(P.clients, client, e);
	return MOSQ_ERR_SUCCESS;
}

/* The client's entry, asking brinkd again when its verdict is old. */
static struct client_entry *standing(const struct mosquitto *client)
{
	struct client_entry *e = entry_of(client);
	const char *user = mosquitto_client_username(client);
	if (!e || !user || strcmp(user, e->user) != 0)
		return NULL;
	/* brinkd's own connections are not asked about again: a service's ends
	 * when brinkd or the service's worker closes it. */
	if (e->who.role == BRINK_MQTT_INTERNAL || e->who.role == BRINK_MQTT_SERVICE ||
	    now_ms() - e->verified_ms < P.cache_ms)
		return e;
	if (ask_brinkd(e->user, e->pass) != e->who.role) {
		e->who.role = BRINK_MQTT_NONE; /* revoked: refused from now on */
		return e;
	}
	e->verified_ms = now_ms();
	return e;
}

static void note_denied(const struct mosquitto *client, int access, const char *topic)
{
	P.denied.kind = BRINK_MQTT_DENIED;
	P.denied.count++;
	P.denied.access = access;
	brink_mqtt_field_sanitize(mosquitto_client_username(client), P.denied.user,
				  sizeof(P.denied.user));
	brink_mqtt_field_sanitize(topic, P.denied.topic, sizeof(P.denied.topic));
}

static int on_acl_check(int event, void *data, void *userdata)
{
	struct mosquitto_evt_acl_check *ev = data;
	(void)event;
	(void)userdata;
	if (relay_holds_back(ev->client, ev->access, ev->topic))
		return MOSQ_ERR_ACL_DENIED; /* a reading brinkd's client has in a batch */
	struct client_entry *e = standing(ev->client);
	if (e && ev->topic && brink_mqtt_allowed(&e->who, ev->access, ev->topic)) {
		if (ev->access == BRINK_MQTT_SUBSCRIBE && e->who.role == BRINK_MQTT_INTERNAL &&
		    strcmp(ev->topic, BRINK_MQTT_BATCH_IN) == 0)
			relay_sink_set(ev->client); /* brinkd asks for batches */
		if (ev->access == BRINK_MQTT_SUBSCRIBE && e->who.role == BRINK_MQTT_TENANT &&
		    !e->watching) {
			e->watching = true; /* until it goes: unsubscribing is not followed */
			watch_count(e->who.tenant, +1);
		}
		return MOSQ_ERR_SUCCESS;
	}
	note_denied(ev->client, ev->access, ev->topic);
	return MOSQ_ERR_ACL_DENIED;
}

static int on_disconnect(int event, void *data, void *userdata)
{
	struct mosquitto_evt_disconnect *ev = data;
	(void)event;
	(void)userdata;
	relay_forget(ev->client);
	entry_drop(ev->client);
	return MOSQ_ERR_SUCCESS;
}

/* Whether brinkd's end of an inherited channel is closed (stray answers to
 * requests given up on are read and dropped). */
static bool brinkd_gone(void)
{
	struct pollfd pfd = {.fd = P.fd, .events = POLLIN};
	if (P.fd < 0 || poll(&pfd, 1, 0) <= 0)
		return P.fd < 0;
	char junk[BRINK_MQTT_LINE_MAX];
	ssize_t r = recv(P.fd, junk, sizeof(junk), MSG_DONTWAIT);
	return r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR);
}

/* A DENIED or DROPPED report, when there is something to report. */
static void report(struct brink_mqtt_request *rq)
{
	char line[BRINK_MQTT_LINE_MAX];
	size_t n = rq->count && P.fd >= 0 ? brink_mqtt_request_format(rq, line, sizeof(line)) : 0;
	if (n && !send_line(line, n))
		channel_close();
	rq->count = 0;
}

/* After each pass of the broker's loop: sends the readings it gathered and
 * what waits in the outbox. At most once a second: reports refusals and
 * drops to brinkd; stops the broker when the brinkd that started it is gone. */
static int on_tick(int event, void *data, void *userdata)
{
	(void)event;
	(void)data;
	(void)userdata;
	if (P.out_len && P.fd >= 0 && !outbox_pump())
		channel_close();
	relay_flush();
	int64_t now = now_ms();
	if (now - P.reported_ms < 1000)
		return MOSQ_ERR_SUCCESS;
	P.reported_ms = now;
	if (P.inherited && brinkd_gone()) {
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "brink-auth: brinkd is gone: stopping");
		kill(getpid(), SIGTERM);
		return MOSQ_ERR_SUCCESS;
	}
	report(&P.denied);
	report(&P.dropped);
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for (int i = 0; i < supported_version_count; i++)
		if (supported_versions[i] == 5)
			return 5;
	return -1;
}

static int read_options(struct mosquitto_opt *opts, int count)
{
	for (int i = 0; i < count; i++) {
		const char *k = opts[i].key, *v = opts[i].value;
		if (strcmp(k, "channel_fd") == 0) {
			P.fd = atoi(v);
			P.inherited = true;
		} else if (strcmp(k, "socket") == 0 && strlen(v) < sizeof(P.path)) {
			snprintf(P.path, sizeof(P.path), "%s", v);
		} else if (strcmp(k, "timeout_ms") == 0 && atoi(v) > 0) {
			P.timeout_ms = atoi(v);
		} else if (strcmp(k, "cache_ms") == 0 && atoi(v) >= 0) {
			P.cache_ms = atoi(v);
		} else {
			mosquitto_log_printf(MOSQ_LOG_ERR, "brink-auth: bad option %s", k);
			return MOSQ_ERR_INVAL;
		}
	}
	if (P.fd < 0 && !P.path[0]) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "brink-auth: needs plugin_opt_channel_fd or plugin_opt_socket");
		return MOSQ_ERR_INVAL;
	}
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
			  struct mosquitto_opt *opts, int opt_count)
{
	*userdata = NULL;
	P.id = identifier;
	int rc = read_options(opts, opt_count);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_callback_register(P.id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, NULL);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_callback_register(P.id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, NULL);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_callback_register(P.id, MOSQ_EVT_DISCONNECT, on_disconnect, NULL, NULL);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_callback_register(P.id, MOSQ_EVT_TICK, on_tick, NULL, NULL);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_callback_register(P.id, MOSQ_EVT_MESSAGE, relay_on_message, NULL, NULL);
	return rc;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *opts, int opt_count)
{
	struct client_entry *e, *tmp;
	(void)userdata;
	(void)opts;
	(void)opt_count;
	mosquitto_callback_unregister(P.id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
	mosquitto_callback_unregister(P.id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
	mosquitto_callback_unregister(P.id, MOSQ_EVT_DISCONNECT, on_disconnect, NULL);
	mosquitto_callback_unregister(P.id, MOSQ_EVT_TICK, on_tick, NULL);
	mosquitto_callback_unregister(P.id, MOSQ_EVT_MESSAGE, relay_on_message, NULL);
	relay_cleanup();
	HASH_ITER(hh, P.clients, e, tmp) {
		HASH_DEL(P.clients, e);
		free(e);
	}
	struct tenant_watch *w, *wtmp;
	HASH_ITER(hh, P.watched, w, wtmp) {
		HASH_DEL(P.watched, w);
		free(w);
	}
	if (P.fd >= 0)
		close(P.fd);
	P.fd = -1;
	free(P.out);
	P.out = NULL;
	P.out_len = P.out_cap = 0;
	return MOSQ_ERR_SUCCESS;
}
