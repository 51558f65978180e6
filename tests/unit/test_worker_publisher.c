/* The MQTT connection a worker publishes on (src/worker/publisher.c), over
 * a real socket pair standing for the broker: lines go as $brink/out
 * PUBLISHes whose records give back every line on the service's topic, only
 * once brinkd said MQTT_GO, a new connection replaces the old, and with none
 * nothing is written. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "mqtt/batch.h"
#include "mqtt/codec.h"
#include "worker/publisher.h"

#define TOPIC "brink/acme/services/00000000000000ab/out"

static struct worker_publisher pub;
static uint8_t got[1 << 20];

/* fds[0] goes to the publisher, fds[1] is the broker's end. */
static void broker_pair(int fds[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
}

/* Reads what waits on fd into got[from..]; returns got's new length. */
static size_t read_from(int fd, size_t from)
{
	size_t n = from;
	ssize_t r;
	while (n < sizeof(got) && (r = read(fd, got + n, sizeof(got) - n)) > 0)
		n += (size_t)r;
	return n;
}

static size_t read_all(int fd)
{
	return read_from(fd, 0);
}

/* The lines the PUBLISHes in got[0..len) carry, joined with newlines into
 * out; every record must be on TOPIC. Returns how many PUBLISHes. */
static int lines_of(size_t len, char *out, size_t cap)
{
	struct brink_mqtt_packet pk;
	struct brink_mqtt_record rec;
	size_t at = 0, used, o = 0;
	int packets = 0;
	while (at < len) {
		assert_int_equal(brink_mqtt_packet_parse(got + at, len - at, len, &pk, &used),
				 BRINK_MQTT_PARSE_OK);
		assert_int_equal(pk.type, BRINK_MQTT_PKT_PUBLISH);
		assert_memory_equal(pk.topic, BRINK_MQTT_BATCH_OUT, pk.topic_len);
		for (size_t off = 0; off < pk.payload_len;) {
			assert_int_equal(brink_mqtt_record_next(pk.payload, pk.payload_len, &off, &rec),
					 BRINK_MQTT_BATCH_RECORD);
			assert_int_equal(rec.topic_len, strlen(TOPIC));
			assert_memory_equal(rec.topic, TOPIC, rec.topic_len);
			assert_true(o + rec.payload_len + 1 <= cap);
			memcpy(out + o, rec.payload, rec.payload_len);
			o += rec.payload_len;
			out[o++] = '\n';
		}
		at += used;
		packets++;
	}
	out[o] = '\0';
	return packets;
}

static void lines_go_as_one_batch_of_records(void **state)
{
	(void)state;
	int b[2];
	char lines[64];
	memset(&pub, 0, sizeof(pub));
	broker_pair(b);
	assert_int_equal(worker_publisher_add(&pub, 7, TOPIC, b[0]), 0);
	worker_publisher_go(&pub, 7);
	worker_publisher_send(&pub, "{\"a\":1}\n{\"b\":2}\n", 16);
	assert_true(pub.conns.written == 2);
	assert_int_equal(lines_of(read_all(b[1]), lines, sizeof(lines)), 1);
	assert_string_equal(lines, "{\"a\":1}\n{\"b\":2}\n");
	worker_clients_remove(&pub.conns, 7);
	assert_int_equal(read(b[1], lines, sizeof(lines)), 0); /* closed */
	worker_publisher_send(&pub, "x\n", 2); /* no connection: nothing */
	assert_true(pub.conns.written == 2 && pub.conns.discarded == 0);
	close(b[1]);
}

static void a_new_connection_replaces_the_old(void **state)
{
	(void)state;
	int b1[2], b2[2];
	char lines[64];
	memset(&pub, 0, sizeof(pub));
	broker_pair(b1);
	broker_pair(b2);
	assert_int_equal(worker_publisher_add(&pub, 1, TOPIC, b1[0]), 0);
	assert_int_equal(worker_publisher_add(&pub, 2, TOPIC, b2[0]), 0);
	assert_int_equal(pub.conns.n, 1);
	assert_int_equal(read(b1[1], lines, sizeof(lines)), 0); /* the old one is closed */
	worker_publisher_go(&pub, 2);
	worker_publisher_send(&pub, "z\n", 2);
	assert_true(pub.conns.written == 1);
	assert_int_equal(lines_of(read_all(b2[1]), lines, sizeof(lines)), 1);
	assert_string_equal(lines, "z\n");
	worker_clients_remove(&pub.conns, 2);
	close(b1[1]);
	close(b2[1]);
}

/* More lines than one batch holds: several PUBLISHes, every line once, in
 * order, what the socket did not take at once written when it can. */
static void many_lines_split_into_batches(void **state)
{
	(void)state;
	static char text[200000], back[200000];
	int b[2];
	size_t len = 0, lines = 0, n = 0;
	memset(&pub, 0, sizeof(pub));
	broker_pair(b);
	while (lines < 5000)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "{\"seq\":%zu}\n", lines++);
	assert_int_equal(worker_publisher_add(&pub, 3, TOPIC, b[0]), 0);
	worker_publisher_go(&pub, 3);
	worker_publisher_send(&pub, text, len);
	for (int i = 0; i < 1000; i++) {
		n = read_from(b[1], n);
		if (!pub.conns.c[0].plen)
			break;
		worker_clients_flush(&pub.conns, b[0]);
	}
	n = read_from(b[1], n);
	assert_true(pub.conns.dropped == 0 && pub.conns.written == lines);
	assert_true(n > BRINK_MQTT_BATCH_MAX);
	assert_true(lines_of(n, back, sizeof(back)) > 1);
	assert_string_equal(back, text);
	worker_clients_remove(&pub.conns, 3);
	close(b[1]);
}

/* Until MQTT_GO the lines wait, unwritten even when the socket is
 * writable (a PUBLISH each time they were sent); then they go first, in
 * order, and the next ones at once. */
static void lines_wait_for_go(void **state)
{
	(void)state;
	int b[2];
	char lines[64];
	struct pollfd pfd[1];
	memset(&pub, 0, sizeof(pub));
	broker_pair(b);
	assert_int_equal(worker_publisher_add(&pub, 4, TOPIC, b[0]), 0);
	worker_publisher_send(&pub, "{\"a\":1}\n", 8);
	worker_publisher_send(&pub, "{\"b\":2}\n", 8);
	assert_true(pub.conns.written == 0); /* held: not counted yet */
	assert_int_equal(worker_clients_pollfds(&pub.conns, pfd, 1), 0); /* not polled for */
	worker_clients_flush(&pub.conns, b[0]);
	worker_publisher_go(&pub, 5); /* another connection's */
	assert_int_equal(read(b[1], lines, sizeof(lines)), -1);
	assert_int_equal(errno, EAGAIN);
	worker_publisher_go(&pub, 4);
	assert_int_equal(lines_of(read_all(b[1]), lines, sizeof(lines)), 2); /* as sent */
	assert_string_equal(lines, "{\"a\":1}\n{\"b\":2}\n");
	assert_true(pub.conns.written == 2);
	worker_publisher_send(&pub, "{\"c\":3}\n", 8);
	assert_int_equal(lines_of(read_all(b[1]), lines, sizeof(lines)), 1);
	assert_string_equal(lines, "{\"c\":3}\n");
	assert_true(pub.conns.written == 3 && pub.conns.dropped == 0);
	worker_clients_remove(&pub.conns, 4);
	close(b[1]);
}

/* Held lines whose connection ends before MQTT_GO (CLIENT_GONE, or a new
 * connection replacing it) were never published: discarded, not written. */
static void held_lines_of_an_ended_connection_are_discarded(void **state)
{
	(void)state;
	int b1[2], b2[2];
	memset(&pub, 0, sizeof(pub));
	broker_pair(b1);
	broker_pair(b2);
	assert_int_equal(worker_publisher_add(&pub, 8, TOPIC, b1[0]), 0);
	worker_publisher_send(&pub, "{\"a\":1}\n{\"b\":2}\n", 16);
	assert_int_equal(worker_publisher_add(&pub, 9, TOPIC, b2[0]), 0);
	assert_true(pub.conns.discarded == 2 && pub.conns.written == 0);
	worker_publisher_send(&pub, "{\"c\":3}\n", 8);
	worker_clients_remove(&pub.conns, 9);
	assert_true(pub.conns.discarded == 3 && pub.conns.written == 0);
	assert_true(pub.conns.dropped == 0);
	close(b1[1]);
	close(b2[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_go_as_one_batch_of_records),
		cmocka_unit_test(a_new_connection_replaces_the_old),
		cmocka_unit_test(many_lines_split_into_batches),
		cmocka_unit_test(lines_wait_for_go),
		cmocka_unit_test(held_lines_of_an_ended_connection_are_discarded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
