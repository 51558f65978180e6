/* libFuzzer harness for how brinkd reads the Mosquitto plugin's stream:
 * lines, and the records after a BATCH line (brink_mqtt_frame_next in
 * src/mqtt/authproto.c).
 *
 * The input (after its first byte) is read twice: all at once, and in
 * chunks whose sizes come from the first byte, with a buffer kept as
 * brinkd's is (bytes taken are dropped from its front). Both readings must
 * give the same frames, in the same order; every frame must lie within the
 * bytes it was read from; a batch is never longer than BRINK_MQTT_BATCH_MAX;
 * the buffer never needs more than brink_mqtt_reader_room and a line. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt/authproto.h"
#include "mqtt/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FRAMES_MAX 4096

struct log {
	size_t count;
	enum brink_mqtt_frame kind[FRAMES_MAX];
	uint64_t digest[FRAMES_MAX];
	bool too_long;
};

static void check(bool ok)
{
	if (!ok)
		abort();
}

static uint64_t fnv(const void *p, size_t n)
{
	uint64_t h = 1469598103934665603u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const uint8_t *)p)[i]) * 1099511628211u;
	return h ^ n;
}

/* Takes the frames whole in buf[0..len); returns the bytes taken. */
static size_t take(struct brink_mqtt_reader *rd, const char *buf, size_t len, struct log *lg)
{
	size_t off = 0;
	while (!lg->too_long && lg->count < FRAMES_MAX) {
		struct brink_mqtt_request rq;
		const char *rec = NULL;
		size_t used = 0, n = 0;
		memset(&rq, 0, sizeof(rq));
		enum brink_mqtt_frame f =
			brink_mqtt_frame_next(rd, buf + off, len - off, &used, &rq, &rec, &n);
		check(used <= len - off);
		if (f == BRINK_MQTT_FRAME_TOO_LONG) {
			check(used == 0 && len - off >= BRINK_MQTT_LINE_MAX);
			lg->too_long = true;
		} else if (f == BRINK_MQTT_FRAME_BATCH) {
			check(n <= BRINK_MQTT_BATCH_MAX && rec >= buf + off && rec + n == buf + off + used);
			lg->kind[lg->count] = f;
			lg->digest[lg->count++] = fnv(rec, n);
		} else if (f != BRINK_MQTT_FRAME_MORE) {
			check(used > 0 && used <= BRINK_MQTT_LINE_MAX);
			lg->kind[lg->count] = f;
			lg->digest[lg->count++] = f == BRINK_MQTT_FRAME_REQUEST ? fnv(&rq, sizeof(rq)) : 0;
		}
		off += used;
		if (f == BRINK_MQTT_FRAME_MORE || f == BRINK_MQTT_FRAME_TOO_LONG)
			break;
	}
	return off;
}

static void read_chunked(const char *in, size_t size, uint8_t seed, struct log *lg)
{
	static char buf[BRINK_MQTT_BATCH_MAX + 2 * BRINK_MQTT_LINE_MAX];
	struct brink_mqtt_reader rd = {0};
	size_t have = 0, at = 0;
	uint32_t x = seed | 1u;
	while (at < size && !lg->too_long && lg->count < FRAMES_MAX) {
		x = x * 1103515245u + 12345u;
		size_t chunk = 1 + (x >> 16) % 300;
		size_t room = brink_mqtt_reader_room(&rd) + 2 * BRINK_MQTT_LINE_MAX - have;
		if (chunk > size - at)
			chunk = size - at;
		if (chunk > room)
			chunk = room;
		check(chunk > 0); /* what the buffer holds is always less than a frame */
		memcpy(buf + have, in + at, chunk);
		have += chunk;
		at += chunk;
		size_t used = take(&rd, buf, have, lg);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct log whole, chunked;
	if (size < 1)
		return 0;
	const char *in = (const char *)data + 1;
	struct brink_mqtt_reader rd = {0};
	memset(&whole, 0, sizeof(whole));
	memset(&chunked, 0, sizeof(chunked));
	take(&rd, in, size - 1, &whole);
	read_chunked(in, size - 1, data[0], &chunked);
	size_t n = whole.count < chunked.count ? whole.count : chunked.count;
	check(memcmp(whole.kind, chunked.kind, n * sizeof(whole.kind[0])) == 0);
	check(memcmp(whole.digest, chunked.digest, n * sizeof(whole.digest[0])) == 0);
	if (whole.count < FRAMES_MAX && chunked.count < FRAMES_MAX)
		check(whole.count == chunked.count && whole.too_long == chunked.too_long);
	return 0;
}
