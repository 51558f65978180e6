/* brink-worker in a container (forward and analyze services on the docker
 * runtime). A container cannot inherit descriptors, so brinkd listens on two
 * SOCK_SEQPACKET sockets, control.sock and data.sock, in a directory of its
 * own for the unit, bind-mounted into the container at /run/brink; the worker
 * connects both (brink-worker --connect) and sends READY, as it does in the
 * sandbox. The sockets are unlinked once accepted, so nothing else can
 * connect; the directory goes with the unit. An analyze worker's model is a
 * file there too (model), which the worker opens before anything else and
 * which is unlinked once the worker is READY. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "brink/wire.h"
#include "runtime/docker-internal.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int listen_at(const char *dir, const char *name, struct brink_error **err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", dir, name) >=
	    sizeof(a.sun_path))
		return brink_error_make(err, BRINK_E_INVALID, "socket path %s/%s is too long", dir,
					name);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	unlink(a.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    chmod(a.sun_path, 0666) < 0 || listen(fd, 1) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return brink_error_sys(err, e, "listening on %s", a.sun_path);
	}
	return fd;
}

int dk__worker_listen(struct brink_runtime *rt, uint64_t id, struct dk_worker *w,
		      struct brink_error **err)
{
	w->listen_ctl = w->listen_data = w->ctl_fd = w->data_fd = -1;
	snprintf(w->dir, sizeof(w->dir), "%s/docker", rt->cfg.data_dir);
	if (mkdir(w->dir, 0711) < 0 && errno != EEXIST)
		return brink_error_sys(err, errno, "creating %s", w->dir);
	snprintf(w->dir, sizeof(w->dir), "%s/docker/%016" PRIx64, rt->cfg.data_dir, id);
	if (mkdir(w->dir, 0711) < 0 && errno != EEXIST)
		return brink_error_sys(err, errno, "creating %s", w->dir);
	if ((w->listen_ctl = listen_at(w->dir, "control.sock", err)) < 0 ||
	    (w->listen_data = listen_at(w->dir, "data.sock", err)) < 0) {
		dk__worker_close(w);
		return -1;
	}
	return 0;
}

static int accept_by(int lfd, uint64_t deadline, const char *what, struct brink_error **err)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != EAGAIN && errno != EINTR)
			return brink_error_sys(err, errno, "accepting the worker's %s socket", what);
		uint64_t now = now_ms();
		if (now >= deadline)
			return brink_error_make(err, BRINK_E_INTERNAL,
						"the worker did not connect its %s socket in time",
						what);
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		poll(&p, 1, (int)(deadline - now));
	}
}

static int wait_ready(int fd, uint64_t deadline, struct brink_error **err)
{
	uint8_t buf[BRINK_WIRE_HDR_SIZE + 64];
	struct brink_wire_frame f;
	struct brink_wire_ready r;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t now = now_ms();
	if (now >= deadline || poll(&p, 1, (int)(deadline - now)) <= 0)
		return brink_error_make(err, BRINK_E_INTERNAL, "the worker sent no READY in time");
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n <= 0 || (size_t)n > sizeof(buf) ||
	    brink_wire_parse_msg(buf, (size_t)n, &f) != BRINK_WIRE_OK ||
	    f.type != BRINK_WIRE_READY || brink_wire_ready_decode(&f, &r) != BRINK_WIRE_OK)
		return brink_error_make(err, BRINK_E_INTERNAL,
					"the worker did not start (no READY frame)");
	return 0;
}

int dk__worker_model(struct dk_worker *w, int model_fd, struct brink_error **err)
{
	char path[sizeof(w->dir) + 16], buf[65536];
	snprintf(path, sizeof(path), "%s/model", w->dir);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return brink_error_sys(err, errno, "creating %s", path);
	off_t off = 0;
	ssize_t n;
	while ((n = pread(model_fd, buf, sizeof(buf), off)) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
		off += n;
	}
	int e = errno;
	close(out);
	if (n < 0) {
		unlink(path);
		return brink_error_sys(err, e, "writing %s", path);
	}
	return 0;
}

static void unlink_in(const struct dk_worker *w, const char *name)
{
	char path[sizeof(w->dir) + 16];
	snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	unlink(path);
}

int dk__worker_accept(struct dk_worker *w, unsigned timeout_ms, struct brink_error **err)
{
	uint64_t deadline = now_ms() + timeout_ms;
	if ((w->ctl_fd = accept_by(w->listen_ctl, deadline, "control", err)) < 0 ||
	    (w->data_fd = accept_by(w->listen_data, deadline, "data", err)) < 0 ||
	    wait_ready(w->ctl_fd, deadline, err) < 0)
		return -1;
	/* connected: nobody else may */
	close(w->listen_ctl);
	close(w->listen_data);
	w->listen_ctl = w->listen_data = -1;
	unlink_in(w, "control.sock");
	unlink_in(w, "data.sock");
	unlink_in(w, "model"); /* READY: the worker has loaded it */
	return 0;
}

void dk__worker_close(struct dk_worker *w)
{
	int *fds[] = {&w->listen_ctl, &w->listen_data, &w->ctl_fd, &w->data_fd};
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	if (!w->dir[0])
		return;
	unlink_in(w, "control.sock");
	unlink_in(w, "data.sock");
	unlink_in(w, "model");
	rmdir(w->dir);
	w->dir[0] = '\0';
}
