/* brinkd's docker driver before the plugin: without a socket at docker.socket
 * the runtime is unavailable and brink-docker.so (with libcurl) is never
 * loaded into the process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "runtime/runtime.h"

/* Whether /proc/self/maps names `what`. */
static bool mapped(const char *what)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

/* Inits the docker driver with docker.socket = path; returns its error. */
static struct brink_error *init_at(const char *path)
{
	static struct brink_config conf;
	struct brink_error *err = NULL;
	struct brink_runtime *rt = NULL;
	brink_config_defaults(&conf);
	snprintf(conf.docker_socket, sizeof(conf.docker_socket), "%s", path);
	struct brink_runtime_config cfg = {.data_dir = "/tmp", .conf = &conf};
	const struct brink_runtime_ops *ops = brink_runtime_find("docker");
	assert_non_null(ops);
	assert_int_equal(ops->init(&cfg, &rt, &err), -1);
	assert_null(rt);
	assert_non_null(err);
	return err;
}

static void no_file_no_plugin(void **state)
{
	(void)state;
	struct brink_error *err = init_at("/nonexistent/docker.sock");
	assert_int_equal(err->code, BRINK_E_UNAVAILABLE);
	assert_non_null(strstr(err->msg, "no Docker engine at /nonexistent/docker.sock"));
	brink_error_free(&err);
	assert_true(mapped("libc.so")); /* the check sees what is mapped */
	assert_false(mapped("brink-docker.so"));
}

static void a_file_that_is_no_socket(void **state)
{
	(void)state;
	char path[] = "/tmp/brink-dockerloader.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct brink_error *err = init_at(path);
	unlink(path);
	assert_int_equal(err->code, BRINK_E_UNAVAILABLE);
	assert_non_null(strstr(err->msg, "not a socket"));
	brink_error_free(&err);
	assert_false(mapped("brink-docker.so"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_file_no_plugin),
		cmocka_unit_test(a_file_that_is_no_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
