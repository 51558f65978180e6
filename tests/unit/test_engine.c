/* The network engine against numpy: tests/analyze/keras_models.py writes
 * random Keras-layout models (full and weights-only, float32/float64,
 * big-endian, variable-length strings, Keras 2.0's config list), inputs and
 * numpy's float64 outputs; brink must match them to 1e-5, per datum and in
 * batches, on both the sgemv and the small-kernel path. Malformed files must
 * give their error, mutated ones must not crash, and inference must run
 * under the worker's real seccomp filter with no system call denied. Needs
 * /usr/bin/python3 with numpy and h5py (scripts/deps.sh). */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <math.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "test-files.h"
#include "analyze/engine.h"
#include "analyze/nn-internal.h"
#include "runtime/seccomp-internal.h"

static char dir[64];

static void *slurp(const char *name, const char *ext, size_t *len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	return test_slurp(path, len);
}

static struct brink_nn *load(const char *name)
{
	size_t len;
	void *buf = slurp(name, ".h5", &len);
	struct brink_nn *nn = NULL;
	struct brink_error *err = NULL;
	int rc = brink_nn_load(buf, len, &nn, &err);
	if (rc < 0)
		fail_msg("%s: %s", name, err->msg);
	free(buf);
	return nn;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/brink-engine-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 tests/analyze/keras_models.py reference %s/ref && "
		 "/usr/bin/python3 tests/analyze/keras_models.py bad %s/bad", dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void expect_close(const float *got, const double *want, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		double tol = 1e-5 * fmax(1.0, fabs(want[i]));
		if (!(fabs(got[i] - want[i]) <= tol))
			fail_msg("%s: value %zu is %.9g, numpy says %.9g", what, i, got[i], want[i]);
	}
}

struct ref_case {
	char name[64], acts[256];
	size_t inputs, outputs, rows;
};

/* Checks one reference model, per datum and in one batch. */
static void check_case(const struct ref_case *c)
{
	char name[80];
	size_t len;
	snprintf(name, sizeof(name), "ref/%s", c->name);
	struct brink_nn *nn = load(name);
	assert_int_equal(brink_nn_inputs(nn), c->inputs);
	assert_int_equal(brink_nn_outputs(nn), c->outputs);
	if (strcmp(c->acts, "-") != 0) {
		struct brink_error *err = NULL;
		assert_int_equal(brink_nn_set_activations(nn, c->acts, &err), 0);
	}
	float *in = slurp(name, ".in", &len);
	assert_int_equal(len, c->rows * c->inputs * sizeof(float));
	double *want = slurp(name, ".out", &len);
	assert_int_equal(len, c->rows * c->outputs * sizeof(double));
	float *got = calloc(c->rows, c->outputs * sizeof(float));
	for (size_t r = 0; r < c->rows; r++) {
		brink_nn_infer(nn, in + r * c->inputs, got + r * c->outputs);
		expect_close(got + r * c->outputs, want + r * c->outputs, c->outputs, c->name);
	}
	memset(got, 0, c->rows * c->outputs * sizeof(float));
	brink_nn_infer_batch(nn, in, c->rows, got);
	expect_close(got, want, c->rows * c->outputs, c->name);
	free(in);
	free(want);
	free(got);
	brink_nn_free(nn);
}

static size_t run_reference(void)
{
	size_t len, n = 0;
	char *manifest = slurp("ref/manifest", "", &len);
	manifest[len] = 0;
	struct ref_case c;
	for (char *line = strtok(manifest, "\n"); line; line = strtok(NULL, "\n"), n++) {
		assert_int_equal(sscanf(line, "%63s %zu %zu %zu %255s", c.name, &c.inputs,
					&c.outputs, &c.rows, c.acts), 5);
		check_case(&c);
	}
	free(manifest);
	return n;
}

static void test_reference_sgemv(void **state)
{
	(void)state;
	nn__small_kernel_max = 0;
	assert_int_equal(run_reference(), 10);
	nn__small_kernel_max = NN_SMALL_KERNEL_MAX;
}

static void test_reference_small_kernel(void **state)
{
	(void)state;
	nn__small_kernel_max = (size_t)-1;
	assert_int_equal(run_reference(), 10);
	nn__small_kernel_max = NN_SMALL_KERNEL_MAX;
}

static void test_bad_models(void **state)
{
	(void)state;
	size_t len, n = 0;
	char *manifest = slurp("bad/manifest", "", &len);
	manifest[len] = 0;
	for (char *line = strtok(manifest, "\n"); line; line = strtok(NULL, "\n"), n++) {
		char *tab = strchr(line, '\t');
		assert_non_null(tab);
		*tab = 0;
		char name[80];
		snprintf(name, sizeof(name), "bad/%s", line);
		void *buf = slurp(name, ".h5", &len);
		struct brink_nn *nn = (struct brink_nn *)1;
		struct brink_error *err = NULL;
		assert_int_equal(brink_nn_load(buf, len, &nn, &err), -1);
		assert_null(nn);
		assert_true(err->code == BRINK_E_INVALID || err->code == BRINK_E_TOO_LARGE);
		if (!strstr(err->msg, tab + 1))
			fail_msg("%s: error \"%s\" does not mention \"%s\"", line, err->msg, tab + 1);
		brink_error_free(&err);
		free(buf);
	}
	assert_int_equal(n, 20);
	free(manifest);
}

/* Loads one mutant in a child: 0 loaded, 1 refused (both with the contract
 * held), 2 contract broken, -1 the child died or a sanitizer stopped it
 * (inside libhdf5, see below). */
static int load_in_child(const unsigned char *buf, size_t n)
{
	pid_t pid = fork();
	if (pid == 0) {
		alarm(20); /* libhdf5 can also loop forever on a corrupted heap */
		if (!freopen("/dev/null", "w", stderr))
			_exit(12);
		struct brink_nn *nn = NULL;
		struct brink_error *err = NULL;
		int rc = brink_nn_load(buf, n, &nn, &err);
		if ((rc == 0) != (nn != NULL) || (rc == 0) != (err == NULL))
			_exit(12);
		if (nn) {
			float x[2] = {1, 2}, y[3];
			brink_nn_infer(nn, x, y);
		}
		_exit(rc == 0 ? 10 : 11);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 2;
	if (!WIFEXITED(status) || WEXITSTATUS(status) < 10 || WEXITSTATUS(status) > 12)
		return -1;
	return WEXITSTATUS(status) - 10;
}

/* Every truncation and a thousand byte changes of a valid model, each in a
 * child process. libhdf5 1.10.8 itself crashes or hangs on some corrupted
 * files (heap overflow and endless loop around H5HG_read, huge allocations
 * in H5C_protect: found here and by fuzz_model): that is why uploads are validated in a sandboxed worker whose
 * death means "invalid model". The count is printed; our own contract (result
 * and error agree) must hold for every mutant that returns. */
static void test_mutations(void **state)
{
	(void)state;
	size_t len, count[4] = {0};
	unsigned char *good = slurp("bad/ecm_ok", ".h5", &len);
	unsigned char *buf = malloc(len);
	srand(4);
	for (size_t i = 0; i < 1200; i++) {
		memcpy(buf, good, len);
		size_t n = len;
		if (i < 200)
			n = (len * i) / 200;
		else
			for (int k = 0; k < 1 + (int)(i % 4); k++)
				buf[(size_t)rand() % len] = (unsigned char)rand();
		count[load_in_child(buf, n) + 1]++;
	}
	print_message("mutants: %zu loaded, %zu refused, %zu crashed libhdf5\n", count[1],
		      count[2], count[0]);
	assert_int_equal(count[3], 0);
	assert_true(count[1] > 0 && count[2] > 200);
	free(buf);
	free(good);
}

static void test_limits(void **state)
{
	(void)state;
	struct brink_nn *nn = NULL;
	struct brink_error *err = NULL;
	char *big = calloc(1, NN_MAX_FILE + 1);
	memcpy(big, "\x89HDF\r\n\x1a\n", 8);
	assert_int_equal(brink_nn_load(big, NN_MAX_FILE + 1, &nn, &err), -1);
	assert_int_equal(err->code, BRINK_E_TOO_LARGE);
	brink_error_free(&err);
	assert_int_equal(brink_nn_load(big, 4096, &nn, &err), -1);
	assert_string_equal(err->msg, "model: corrupted or truncated HDF5 file");
	brink_error_free(&err);
	assert_int_equal(brink_nn_load(big, 3, &nn, &err), -1);
	assert_string_equal(err->msg, "model: not an HDF5 file");
	brink_error_free(&err);
	free(big);
}

static void test_describe_and_activations(void **state)
{
	(void)state;
	struct brink_nn *nn = load("ref/ecm");
	char out[1024];
	int n = brink_nn_describe(nn, out, sizeof(out));
	assert_true(n > 0 && (size_t)n == strlen(out));
	json_t *j = json_loads(out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "inputs")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "params")),
			 2 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3);
	json_t *layers = json_object_get(j, "layers");
	assert_int_equal(json_array_size(layers), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(layers, 2),
							      "activation")), "softmax");
	json_decref(j);
	assert_int_equal(brink_nn_layers(nn), 3);
	assert_int_equal(brink_nn_params(nn), 371);
	assert_int_equal(brink_nn_describe(nn, out, 20), -1);
	struct brink_error *err = NULL;
	assert_int_equal(brink_nn_set_activations(nn, "relu,relu", &err), -1);
	assert_string_equal(err->msg, "model: expected 3 comma-separated activations");
	brink_error_free(&err);
	assert_int_equal(brink_nn_set_activations(nn, "relu,elu,linear", &err), -1);
	assert_string_equal(err->msg, "model: unknown activation elu");
	brink_error_free(&err);
	assert_int_equal(brink_nn_set_activations(nn, "relu,relu,softmax,", &err), -1);
	brink_error_free(&err);
	brink_nn_describe(nn, out, sizeof(out));
	assert_non_null(strstr(out, "\"activation\":\"softmax\""));
	brink_nn_free(nn);
}

/* The worker's filter answers EPERM to what it does not allow; with `trap`
 * the copy loaded answers SIGSYS instead, so a single denied call kills the
 * child. */
static int load_worker_filter(bool trap)
{
	struct brink_error *err = NULL;
	int fd = seccomp__worker_filter(&err);
	if (fd < 0)
		return -1;
	static struct sock_filter insns[BPF_MAXINSNS];
	ssize_t n = pread(fd, insns, sizeof(insns), 0);
	close(fd);
	if (n <= 0)
		return -1;
	for (size_t i = 0; i < (size_t)n / sizeof(insns[0]); i++)
		if (trap && insns[i].code == (BPF_RET | BPF_K) &&
		    insns[i].k == (SECCOMP_RET_ERRNO | EPERM))
			insns[i].k = SECCOMP_RET_TRAP;
	struct sock_fprog prog = {(unsigned short)(n / sizeof(insns[0])), insns};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static void test_infer_under_seccomp(void **state)
{
	(void)state;
	struct brink_nn *nn = load("ref/wide");
	size_t len;
	float *in = slurp("ref/wide", ".in", &len);
	double *want = slurp("ref/wide", ".out", &len);
	brink_nn_warm_up(nn); /* as a service worker does before its first reading */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (load_worker_filter(true) < 0)
			_exit(3);
		float one[10], *many = malloc(150 * 10 * sizeof(float));
		brink_nn_infer(nn, in, one);
		brink_nn_infer_batch(nn, in, 150, many);
		int ok = 1;
		for (size_t i = 0; i < 150 * 10; i++)
			ok &= fabs(many[i] - want[i]) <= 1e-5 && (i >= 10 || fabs(one[i] - want[i]) <= 1e-5);
		_exit(ok ? 0 : 4);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("inference under seccomp died of signal %d", WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(in);
	free(want);
	brink_nn_free(nn);
}

/* A model can also be parsed after the filter is loaded (libhdf5's attempts
 * to open the image's pseudo file name and getcwd fail with EPERM, which it
 * tolerates): the stronger place for untrusted files. */
static void test_load_under_seccomp(void **state)
{
	(void)state;
	size_t len;
	void *buf = slurp("ref/deep", ".h5", &len);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (load_worker_filter(false) < 0)
			_exit(3);
		struct brink_nn *nn = NULL;
		struct brink_error *err = NULL;
		if (brink_nn_load(buf, len, &nn, &err) < 0) {
			fprintf(stderr, "%s\n", err->msg);
			_exit(4);
		}
		_exit(brink_nn_inputs(nn) == 4 ? 0 : 5);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(buf);
}

/* `test_engine --fresh-load FILE`: in a new process (nothing of libhdf5,
 * OpenBLAS or jansson set up yet), loads the worker's filter, then the model,
 * and runs both paths: what a check or a service worker would do if it
 * parsed only once sandboxed. */
static int fresh_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	static unsigned char buf[1 << 20];
	size_t len = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	if (len == 0 || load_worker_filter(false) < 0)
		return 3;
	struct brink_nn *nn = NULL;
	struct brink_error *err = NULL;
	if (brink_nn_load(buf, len, &nn, &err) < 0)
		return 4;
	float x[64 * 64] = {0}, y[64 * 10], one[10];
	brink_nn_infer(nn, x, one);
	brink_nn_infer_batch(nn, x, 64, y);
	for (size_t i = 0; i < 10; i++)
		if (!(fabsf(one[i] - y[i]) <= 1e-6f && fabsf(one[i] - y[630 + i]) <= 1e-6f))
			return 5;
	return brink_nn_outputs(nn) == 10 ? 0 : 6;
}

static void test_fresh_load_under_seccomp(void **state)
{
	(void)state;
	char path[128], cmd[300];
	snprintf(path, sizeof(path), "%s/ref/wide.h5", dir);
	snprintf(cmd, sizeof(cmd), "/proc/%d/exe --fresh-load %s", (int)getpid(), path);
	int status = system(cmd);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--fresh-load") == 0)
		_exit(fresh_load(argv[2])); /* no atexit work (LeakSanitizer) under the filter */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_sgemv),
		cmocka_unit_test(test_reference_small_kernel),
		cmocka_unit_test(test_bad_models),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_describe_and_activations),
		cmocka_unit_test(test_infer_under_seccomp),
		cmocka_unit_test(test_load_under_seccomp),
		cmocka_unit_test(test_fresh_load_under_seccomp),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
