/* The stream clients a worker writes to (src/worker/clients.c), over real
 * socket pairs: delivery, the table's limit, a stalled client's bounded
 * queue and its lost lines, a client whose socket fails. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "worker/clients.h"

/* A client: fds[0] goes to the table, fds[1] is the client's end. */
static void client_pair(int fds[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	int small = 4096;
	setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
}

/* Reads what waits on fd (non-blocking) into buf; returns the byte count. */
static size_t read_all(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	while (got < cap && (n = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)n;
	return got;
}

static void lines_reach_every_client_and_remove_closes(void **state)
{
	(void)state;
	static struct worker_clients wc;
	int a[2], b[2];
	char buf[64];
	memset(&wc, 0, sizeof(wc));
	client_pair(a);
	client_pair(b);
	assert_int_equal(worker_clients_add(&wc, 1, a[0]), 0);
	assert_int_equal(worker_clients_add(&wc, 2, b[0]), 0);
	worker_clients_send(&wc, "x\ny\n", 4, 2);
	assert_int_equal(read_all(a[1], buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "x\ny\n", 4);
	assert_int_equal(read_all(b[1], buf, sizeof(buf)), 4);
	worker_clients_remove(&wc, 1);
	assert_int_equal(wc.n, 1);
	assert_int_equal(read(a[1], buf, sizeof(buf)), 0); /* the worker's end is closed */
	worker_clients_remove(&wc, 99);                     /* unknown: nothing happens */
	assert_int_equal(wc.n, 1);
	assert_true(wc.dropped == 0);
	worker_clients_remove(&wc, 2);
	close(a[1]);
	close(b[1]);
}

static void a_full_table_or_a_taken_id_refuses_and_closes(void **state)
{
	(void)state;
	static struct worker_clients wc;
	int peers[BRINK_WIRE_MAX_CLIENTS], p[2];
	char c;
	memset(&wc, 0, sizeof(wc));
	for (int i = 0; i < BRINK_WIRE_MAX_CLIENTS; i++) {
		client_pair(p);
		assert_int_equal(worker_clients_add(&wc, (uint64_t)i + 1, p[0]), 0);
		peers[i] = p[1];
	}
	client_pair(p);
	assert_int_equal(worker_clients_add(&wc, 1000, p[0]), -1);
	assert_int_equal(read(p[1], &c, 1), 0); /* closed */
	close(p[1]);
	worker_clients_remove(&wc, 5);
	client_pair(p);
	assert_int_equal(worker_clients_add(&wc, 6, p[0]), -1); /* 6 is still there */
	assert_int_equal(read(p[1], &c, 1), 0);
	close(p[1]);
	assert_int_equal(wc.n, BRINK_WIRE_MAX_CLIENTS - 1);
	for (int i = 0; i < BRINK_WIRE_MAX_CLIENTS; i++) {
		worker_clients_remove(&wc, (uint64_t)i + 1);
		close(peers[i]);
	}
	assert_int_equal(wc.n, 0);
}

/* A client that reads nothing while 4 MiB go out in 4 KiB writes of 10
 * lines: it gets a contiguous prefix, what waits for it stays within the
 * bound, and every write it lost is counted as its 10 lines. */
static void a_stalled_client_keeps_a_bounded_prefix(void **state)
{
	(void)state;
	static struct worker_clients wc;
	static char got[8 << 20];
	char chunk[4096];
	int p[2];
	const int writes = 1024;
	memset(&wc, 0, sizeof(wc));
	client_pair(p);
	assert_int_equal(worker_clients_add(&wc, 7, p[0]), 0);
	for (int i = 0; i < writes; i++) {
		memset(chunk, 'a' + i % 26, sizeof(chunk));
		snprintf(chunk, 16, "%08d", i);
		worker_clients_send(&wc, chunk, sizeof(chunk), 10);
		assert_true(wc.c[0].plen <= WORKER_CLIENT_QUEUE_MAX);
	}
	assert_true(wc.dropped > 0 && wc.dropped % 10 == 0);
	struct pollfd pfd;
	assert_int_equal(worker_clients_pollfds(&wc, &pfd, 1), 1);
	assert_int_equal(pfd.fd, p[0]);
	assert_int_equal(pfd.events, POLLOUT);
	size_t total = 0;
	while (wc.c[0].plen) {
		total += read_all(p[1], got + total, sizeof(got) - total);
		worker_clients_flush(&wc, p[0]);
	}
	total += read_all(p[1], got + total, sizeof(got) - total);
	assert_null(wc.c[0].pending); /* given back once it caught up */
	assert_int_equal(worker_clients_pollfds(&wc, &pfd, 1), 0);
	assert_int_equal(total % sizeof(chunk), 0);
	size_t kept = total / sizeof(chunk);
	assert_true(wc.dropped == (uint64_t)(writes - (int)kept) * 10);
	assert_true(wc.written == kept * 10 && wc.discarded == 0);
	for (size_t i = 0; i < kept; i++) {
		char want[16];
		snprintf(want, sizeof(want), "%08zu", i);
		assert_memory_equal(got + i * sizeof(chunk), want, 8);
	}
	worker_clients_remove(&wc, 7);
	close(p[1]);
}

/* Lines still waiting when their client goes (CLIENT_GONE, or its socket
 * fails) are counted as discarded: each line given is counted once, as
 * written, dropped or discarded. */
static void lines_waiting_for_a_client_that_goes_are_discarded(void **state)
{
	(void)state;
	static struct worker_clients wc;
	char chunk[4096];
	int p[2];
	uint64_t given = 0;
	memset(&wc, 0, sizeof(wc));
	client_pair(p);
	memset(chunk, 'x', sizeof(chunk));
	assert_int_equal(worker_clients_add(&wc, 3, p[0]), 0);
	while (wc.c[0].plen == 0) { /* until its socket is full */
		worker_clients_send(&wc, chunk, sizeof(chunk), 4);
		given += 4;
	}
	for (int i = 0; i < 3; i++, given += 4)
		worker_clients_send(&wc, chunk, sizeof(chunk), 4);
	uint64_t waiting = wc.c[0].plines;
	assert_true(waiting >= 4 && waiting <= 16);
	assert_true(wc.written + wc.dropped + waiting == given);
	worker_clients_remove(&wc, 3);
	assert_true(wc.discarded == waiting);
	assert_true(wc.written + wc.dropped + wc.discarded == given);
	close(p[1]);
}

static void a_client_whose_socket_fails_is_dropped(void **state)
{
	(void)state;
	static struct worker_clients wc;
	int a[2], b[2];
	char buf[8];
	memset(&wc, 0, sizeof(wc));
	client_pair(a);
	client_pair(b);
	assert_int_equal(worker_clients_add(&wc, 1, a[0]), 0);
	assert_int_equal(worker_clients_add(&wc, 2, b[0]), 0);
	close(a[1]); /* the client went away */
	worker_clients_send(&wc, "z\n", 2, 1);
	assert_int_equal(wc.n, 1);
	assert_true(wc.c[0].id == 2);
	assert_int_equal(read_all(b[1], buf, sizeof(buf)), 2);
	worker_clients_remove(&wc, 2);
	close(b[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_reach_every_client_and_remove_closes),
		cmocka_unit_test(a_full_table_or_a_taken_id_refuses_and_closes),
		cmocka_unit_test(a_stalled_client_keeps_a_bounded_prefix),
		cmocka_unit_test(lines_waiting_for_a_client_that_goes_are_discarded),
		cmocka_unit_test(a_client_whose_socket_fails_is_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
