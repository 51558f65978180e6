/* The compiled model image (src/analyze/nn-image.c): every reference model
 * of tests/analyze/keras_models.py loaded from HDF5, written as an image and
 * loaded back must give bit-identical outputs on random inputs (per datum
 * and in batches); truncated, extended and corrupted images are refused
 * (or, for a flipped weight bit, still load within the limits); and a fresh
 * process that loads an image never initialises libhdf5. Needs
 * /usr/bin/python3 with numpy and h5py (scripts/deps.sh). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "test-files.h"
#include "analyze/engine.h"
#include "analyze/nn-internal.h"
#include "brink/model-check.h"
#include "worker/analyze.h"

/* libhdf5 1.10's "library initialised" flag (H5private.h, H5_INIT_GLOBAL):
 * read only, to prove an image load never initialises the library. */
extern unsigned char H5_init_g;

static char dir[64];

static void *slurp(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return test_slurp(path, len);
}

static struct brink_nn *load_h5(const char *name)
{
	char file[128];
	size_t len;
	snprintf(file, sizeof(file), "ref/%s.h5", name);
	void *buf = slurp(file, &len);
	struct brink_nn *nn = NULL;
	struct brink_error *err = NULL;
	if (brink_nn_load(buf, len, &nn, &err) < 0)
		fail_msg("%s: %s", name, err->msg);
	free(buf);
	return nn;
}

static unsigned char *image_of(const struct brink_nn *nn, size_t *len)
{
	*len = brink_nn_image_size(nn);
	unsigned char *img = malloc(*len);
	assert_non_null(img);
	assert_int_equal(brink_nn_image_write(nn, img, *len - 1), 0); /* one byte short */
	assert_int_equal(brink_nn_image_write(nn, img, *len), *len);
	assert_true(brink_nn_image_is(img, *len));
	return img;
}

static struct brink_nn *load_image(const void *img, size_t len)
{
	struct brink_nn *nn = NULL;
	struct brink_error *err = NULL;
	if (brink_nn_image_load(img, len, &nn, &err) < 0)
		fail_msg("image: %s", err->msg);
	return nn;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/brink-nnimage-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 tests/analyze/keras_models.py reference %s/ref",
		 dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#define ROWS 100

/* Both networks on the same random rows: outputs bit for bit equal. */
static void expect_identical(struct brink_nn *a, struct brink_nn *b, const char *name)
{
	size_t in = brink_nn_inputs(a), out = brink_nn_outputs(a);
	assert_int_equal(brink_nn_inputs(b), in);
	assert_int_equal(brink_nn_outputs(b), out);
	assert_int_equal(brink_nn_layers(b), brink_nn_layers(a));
	assert_int_equal(brink_nn_params(b), brink_nn_params(a));
	float *x = malloc(ROWS * in * sizeof(float));
	float *ya = calloc(ROWS, out * sizeof(float)), *yb = calloc(ROWS, out * sizeof(float));
	assert_true(x && ya && yb);
	for (size_t i = 0; i < ROWS * in; i++)
		x[i] = (float)(rand() / (double)RAND_MAX * 20.0 - 10.0);
	for (size_t r = 0; r < ROWS; r++) {
		brink_nn_infer(a, x + r * in, ya + r * out);
		brink_nn_infer(b, x + r * in, yb + r * out);
	}
	if (memcmp(ya, yb, ROWS * out * sizeof(float)) != 0)
		fail_msg("%s: per-datum outputs differ", name);
	brink_nn_infer_batch(a, x, ROWS, ya);
	brink_nn_infer_batch(b, x, ROWS, yb);
	if (memcmp(ya, yb, ROWS * out * sizeof(float)) != 0)
		fail_msg("%s: batch outputs differ", name);
	free(x);
	free(ya);
	free(yb);
}

static void test_roundtrip(void **state)
{
	(void)state;
	size_t len, n = 0;
	char *manifest = slurp("ref/manifest", &len);
	manifest[len] = 0;
	srand(7);
	for (char *line = strtok(manifest, "\n"); line; line = strtok(NULL, "\n"), n++) {
		char name[64], acts[256];
		size_t ilen, ilen2;
		assert_int_equal(sscanf(line, "%63s %*u %*u %*u %255s", name, acts), 2);
		struct brink_nn *h5 = load_h5(name);
		struct brink_error *err = NULL;
		if (strcmp(acts, "-") != 0)
			assert_int_equal(brink_nn_set_activations(h5, acts, &err), 0);
		unsigned char *img = image_of(h5, &ilen);
		struct brink_nn *fromimg = load_image(img, ilen);
		expect_identical(h5, fromimg, name);
		unsigned char *again = image_of(fromimg, &ilen2); /* stable */
		assert_int_equal(ilen2, ilen);
		assert_memory_equal(again, img, ilen);
		char d1[4096], d2[4096];
		assert_true(brink_nn_describe(h5, d1, sizeof(d1)) > 0);
		assert_true(brink_nn_describe(fromimg, d2, sizeof(d2)) > 0);
		assert_string_equal(d1, d2);
		free(img);
		free(again);
		brink_nn_free(h5);
		brink_nn_free(fromimg);
	}
	free(manifest);
	assert_true(n >= 5);
}

static void expect_refused(const void *img, size_t len, const char *want)
{
	struct brink_nn *nn = (struct brink_nn *)1;
	struct brink_error *err = NULL;
	assert_int_equal(brink_nn_image_load(img, len, &nn, &err), -1);
	assert_null(nn);
	assert_non_null(err);
	if (want && !strstr(err->msg, want))
		fail_msg("expected '%s' in '%s'", want, err->msg);
	brink_error_free(&err);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A copy of img with the u32 at off replaced. */
static void expect_field_refused(const unsigned char *img, size_t len, size_t off, uint32_t v,
				 const char *want)
{
	unsigned char *bad = malloc(len);
	memcpy(bad, img, len);
	put32(bad + off, v);
	expect_refused(bad, len, want);
	free(bad);
}

static void test_refused(void **state)
{
	(void)state;
	size_t len;
	struct brink_nn *nn = load_h5("deep"); /* several layers */
	unsigned char *img = image_of(nn, &len);
	brink_nn_free(nn);
	nn = load_image(img, len);
	size_t nl = brink_nn_layers(nn);
	brink_nn_free(nn);
	assert_true(nl >= 2);
	for (size_t cut = 0; cut < len; cut += cut < 200 ? 1 : 97)
		expect_refused(img, cut, NULL);
	unsigned char *longer = calloc(1, len + 4);
	memcpy(longer, img, len);
	expect_refused(longer, len + 4, "length differs");
	free(longer);
	expect_field_refused(img, len, 0, 0x46444889u, "not a model image");
	expect_field_refused(img, len, 8, 2, "unknown version");
	expect_field_refused(img, len, 12, 0, "bad header");
	expect_field_refused(img, len, 12, NN_MAX_LAYERS + 1, "bad header");
	expect_field_refused(img, len, 16, 6, "bad header");
	expect_field_refused(img, len, 20, 1, "bad header");
	expect_field_refused(img, len, 24, 0, "over the limits");           /* inputs */
	expect_field_refused(img, len, 28, NN_MAX_UNITS + 1, "over the limits");
	expect_field_refused(img, len, 32, NN_SOFTMAX + 1, "unknown activation");
	expect_field_refused(img, len, 36, 2, "unknown activation or flag");
	expect_field_refused(img, len, 24 + 16, 1234, "inputs differ");     /* chain */
	expect_field_refused(img, len, 28, 7, "inputs differ");             /* layer 1's units */
	expect_field_refused(img, len, 24 + 16 * nl, 0x7fc00000u, "not finite");  /* NaN */
	expect_field_refused(img, len, len - 4, 0x7f800000u, "not finite");       /* +inf */
	/* A layer table that declares more than NN_MAX_PARAMS. */
	unsigned char big[24 + 16 * 2];
	memcpy(big, img, 24);
	put32(big + 12, 2);
	for (int i = 0; i < 2; i++) {
		put32(big + 24 + 16 * i, NN_MAX_UNITS);
		put32(big + 28 + 16 * i, NN_MAX_UNITS);
		put32(big + 32 + 16 * i, 0);
		put32(big + 36 + 16 * i, 0);
	}
	expect_refused(big, sizeof(big), "parameters");
	/* Every single-bit flip either is refused or loads a network within the limits. */
	for (size_t i = 0; i < len; i += i < 24 + 16 * nl ? 1 : 13) {
		for (int bit = 0; bit < 8; bit += 3) {
			img[i] ^= (unsigned char)(1u << bit);
			struct brink_nn *m = NULL;
			struct brink_error *err = NULL;
			if (brink_nn_image_load(img, len, &m, &err) == 0) {
				assert_true(brink_nn_params(m) <= NN_MAX_PARAMS);
				brink_nn_free(m);
			} else {
				assert_non_null(err);
				brink_error_free(&err);
			}
			img[i] ^= (unsigned char)(1u << bit);
		}
	}
	free(img);
}

/* In a fresh process: loads the image at path, runs it; exits 0 when it
 * worked and libhdf5 was never initialised. */
static int image_only(const char *path)
{
	FILE *f = fopen(path, "rb");
	static unsigned char buf[1 << 20];
	size_t len = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	struct brink_nn *nn = NULL;
	struct brink_error *err = NULL;
	if (len == 0 || brink_nn_image_load(buf, len, &nn, &err) < 0)
		return 3;
	float x[4096] = {0}, y[4096];
	brink_nn_infer(nn, x, y);
	int rc = H5_init_g ? 4 : 0;
	brink_nn_free(nn);
	return rc;
}

static void test_image_never_touches_hdf5(void **state)
{
	(void)state;
	size_t len;
	struct brink_nn *nn = load_h5("wide");
	assert_true(H5_init_g); /* the probe works: an HDF5 load initialises it */
	unsigned char *img = image_of(nn, &len);
	brink_nn_free(nn);
	char path[128], cmd[300];
	snprintf(path, sizeof(path), "%s/wide.img", dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(img, 1, len, f), len);
	fclose(f);
	free(img);
	snprintf(cmd, sizeof(cmd), "/proc/%d/exe --image-only %s", (int)getpid(), path);
	int status = system(cmd);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The check's envelope: a layout round-trips, inconsistent headers are no envelope. */
static void test_envelope(void **state)
{
	(void)state;
	struct brink_model_envelope e, got;
	unsigned char hdr[BRINK_MODEL_CHECK_HEADER];
	brink_model_envelope_layout(5000, 70000, &e);
	assert_int_equal(e.room_off, 8192);
	assert_int_equal(e.room_len, 73728);
	brink_model_envelope_header(&e, hdr);
	uint64_t size = e.room_off + e.room_len;
	assert_true(brink_model_envelope_parse(hdr, sizeof(hdr), size, &got));
	assert_int_equal(got.model_len, 5000);
	assert_int_equal(got.room_off, 8192);
	assert_int_equal(got.room_len, 73728);
	assert_false(brink_model_envelope_parse(hdr, sizeof(hdr) - 1, size, &got));
	assert_false(brink_model_envelope_parse(hdr, sizeof(hdr), size + 1, &got));
	assert_false(brink_model_envelope_parse(hdr, sizeof(hdr), size - 4096, &got));
	hdr[9] = 0xff; /* a model length that moves the room */
	assert_false(brink_model_envelope_parse(hdr, sizeof(hdr), size, &got));
	hdr[9] = 0x13;
	hdr[24] = 1; /* the zero field */
	assert_false(brink_model_envelope_parse(hdr, sizeof(hdr), size, &got));
	hdr[24] = 0;
	hdr[0] = 0x89; /* HDF5 */
	assert_false(brink_model_envelope_parse(hdr, sizeof(hdr), size, &got));
}

/* The worker's check writes the image and says its size; the service side
 * opens that image as it opens the file. */
static void test_check_writes_image(void **state)
{
	(void)state;
	size_t len;
	void *h5 = slurp("ref/deep.h5", &len);
	char out[8192], msg[256];
	static unsigned char room[1 << 16];
	struct brink_analyze_image img = {room, sizeof(room), 0};
	assert_int_equal(brink_analyze_check_image("h5", h5, len, out, sizeof(out), &img), 1);
	assert_true(img.len > 24);
	char want[64];
	snprintf(want, sizeof(want), ",\"image_bytes\":%zu}", img.len);
	assert_non_null(strstr(out, want));
	struct brink_analyze *a = NULL;
	const char *cfg = "{\"format\":\"h5\",\"mode\":\"datum\",\"columns\":[\"a\",\"b\",\"c\",\"d\"]}";
	assert_int_equal(brink_analyze_open(cfg, room, img.len, &a, msg, sizeof(msg)), 0);
	assert_true(brink_analyze_compiled(a));
	brink_analyze_free(a);
	assert_int_equal(brink_analyze_open(cfg, h5, len, &a, msg, sizeof(msg)), 0);
	assert_false(brink_analyze_compiled(a));
	brink_analyze_free(a);
	/* no room: no image, and the check still accepts the model */
	struct brink_analyze_image tiny = {room, 16, 0};
	assert_int_equal(brink_analyze_check_image("h5", h5, len, out, sizeof(out), &tiny), 1);
	assert_int_equal(tiny.len, 0);
	assert_non_null(strstr(out, ",\"image_bytes\":0}"));
	/* an image is not an HDF5 upload */
	assert_int_equal(brink_analyze_check_image("h5", room, img.len, out, sizeof(out), NULL), 0);
	free(h5);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--image-only") == 0)
		return image_only(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_image_never_touches_hdf5),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_check_writes_image),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
