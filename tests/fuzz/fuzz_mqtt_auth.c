/* libFuzzer harness for the Mosquitto plugin <-> brinkd line protocol and
 * MQTT names (src/mqtt/authproto.c).
 *
 * The input is split into lines as both ends split them; each line goes to
 * every parser. Whatever parses must format back to the same line (requests
 * and answers) or to the same names (usernames, thing topics); a refused line
 * must leave the output untouched; the access rules must never let a thing
 * or a tenant out of its own topics, whatever the topic. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt/authproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void request(const char *line, size_t len)
{
	struct brink_mqtt_request rq, canary;
	char out[BRINK_MQTT_LINE_MAX + 1];
	memset(&rq, 0xa5, sizeof(rq));
	memcpy(&canary, &rq, sizeof(rq));
	if (brink_mqtt_request_parse(line, len, &rq) != BRINK_MQTT_OK) {
		check(memcmp(&rq, &canary, sizeof(rq)) == 0);
		return;
	}
	size_t n = brink_mqtt_request_format(&rq, out, sizeof(out));
	check(n == len + 1 && memcmp(out, line, len) == 0 && out[len] == '\n');
}

static void answer(const char *line, size_t len)
{
	struct brink_mqtt_answer a = {.seq = 12345, .role = BRINK_MQTT_INTERNAL};
	char out[64];
	if (brink_mqtt_answer_parse(line, len, &a) != BRINK_MQTT_OK) {
		check(a.seq == 12345 && a.role == BRINK_MQTT_INTERNAL);
		return;
	}
	size_t n = brink_mqtt_answer_format(&a, out, sizeof(out));
	check(n == len + 1 && memcmp(out, line, len) == 0);
}

static void names(const char *line, size_t len)
{
	char s[BRINK_MQTT_LINE_MAX + 1], topic[BRINK_MQTT_LINE_MAX];
	struct brink_mqtt_who w;
	memcpy(s, line, len);
	s[len] = '\0';
	if (brink_mqtt_who_parse(s, &w) == BRINK_MQTT_OK && w.role != BRINK_MQTT_INTERNAL) {
		/* whatever the topic, nothing outside the own tenant's tree */
		char own[BRINK_MQTT_PART_MAX + 16];
		size_t on = (size_t)snprintf(own, sizeof(own), "brink/%s/", w.tenant);
		for (int access = 1; access <= 8; access <<= 1)
			if (access != 8 && brink_mqtt_allowed(&w, access, s))
				check(strncmp(s, own, on) == 0);
		brink_mqtt_thing_topic(w.tenant, w.role == BRINK_MQTT_THING ? w.thing : "x", topic,
				       sizeof(topic));
	}
	struct brink_mqtt_who t = {.role = BRINK_MQTT_NONE};
	if (brink_mqtt_thing_topic_parse(line, len, &t) == BRINK_MQTT_OK) {
		size_t n = brink_mqtt_thing_topic(t.tenant, t.thing, topic, sizeof(topic));
		check(n == len && memcmp(topic, line, len) == 0);
	} else {
		check(t.role == BRINK_MQTT_NONE);
	}
	/* a tenant named by the input may read only its own services' topics */
	struct brink_mqtt_who a = {.role = BRINK_MQTT_TENANT};
	memcpy(a.tenant, "acme", 5);
	if (brink_mqtt_allowed(&a, BRINK_MQTT_SUBSCRIBE, s))
		check(strncmp(s, "brink/acme/services/", 20) == 0 && strlen(s) > 20);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len < BRINK_MQTT_LINE_MAX && !memchr(p, '\0', len)) {
			request(p, len);
			answer(p, len);
			names(p, len);
		} else {
			request(p, len);
			answer(p, len);
		}
		p += len + 1;
	}
	return 0;
}
