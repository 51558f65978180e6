/* The model engine on one Keras file: load time from memory, per-datum
 * latency (as shipped, sgemv only, plain loop only), batch throughput (sgemm),
 * and the machine's arithmetic limit: OpenBLAS sgemm GFLOP/s on the same
 * layer shapes with many rows, single-threaded like the engine.
 *   engine_bench MODEL.h5 → one line of key=value figures */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "analyze/engine.h"
#include "analyze/nn-internal.h"

#define LOADS 30
#define DATUMS 20000
#define BATCH 64
#define BATCH_ROUNDS 300
#define LIMIT_ROWS 1024

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(double), cmp_double);
	return v[(size_t)(p * (double)(n - 1))];
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	void *buf = malloc(*len);
	if (buf && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

typedef int (*loader)(const void *buf, size_t len, struct brink_nn **out,
		      struct brink_error **err);

/* p50 of LOADS loads with `load` (the HDF5 file, or its compiled image). */
static double bench_load(loader load, const void *buf, size_t len)
{
	static double t[LOADS];
	for (int i = 0; i < LOADS; i++) {
		struct brink_nn *nn = NULL;
		struct brink_error *err = NULL;
		double t0 = now_us();
		if (load(buf, len, &nn, &err) < 0) {
			fprintf(stderr, "engine_bench: %s\n", err->msg);
			exit(1);
		}
		t[i] = now_us() - t0;
		brink_nn_free(nn);
	}
	return pct(t, LOADS, 0.5);
}

/* Per-datum latency with inputs that change every call; p50 and p99 in µs. */
static void bench_datum(struct brink_nn *nn, size_t small_max, double *p50, double *p99)
{
	static double t[DATUMS];
	size_t in = brink_nn_inputs(nn);
	float *x = calloc(in, sizeof(float)), y[4096];
	nn__small_kernel_max = small_max;
	for (int i = 0; i < DATUMS; i++) {
		for (size_t k = 0; k < in; k++)
			x[k] = (float)((i * 7 + (int)k) % 50) - 20.0f;
		double t0 = now_us();
		brink_nn_infer(nn, x, y);
		t[i] = now_us() - t0;
	}
	nn__small_kernel_max = NN_SMALL_KERNEL_MAX;
	*p50 = pct(t, DATUMS, 0.5);
	*p99 = pct(t, DATUMS, 0.99);
	free(x);
}

static double bench_batch(struct brink_nn *nn)
{
	float *x = calloc(BATCH * brink_nn_inputs(nn), sizeof(float));
	float *y = calloc(BATCH * brink_nn_outputs(nn), sizeof(float));
	for (size_t k = 0; k < BATCH * brink_nn_inputs(nn); k++)
		x[k] = (float)(k % 13) - 6.0f;
	double t0 = now_us();
	for (int r = 0; r < BATCH_ROUNDS; r++)
		brink_nn_infer_batch(nn, x, BATCH, y);
	double rows_per_s = BATCH * BATCH_ROUNDS / ((now_us() - t0) / 1e6);
	free(x);
	free(y);
	return rows_per_s;
}

/* sgemm alone on every layer shape with LIMIT_ROWS rows: GFLOP/s. */
static double bench_limit(const struct brink_nn *nn)
{
	size_t w = nn->width;
	float *a = calloc(LIMIT_ROWS * w, sizeof(float)), *c = calloc(LIMIT_ROWS * w, sizeof(float));
	double flops = 0, t0 = now_us();
	for (int r = 0; r < 20; r++)
		for (size_t i = 0; i < nn->nlayers; i++) {
			const struct nn_layer *l = &nn->layers[i];
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, LIMIT_ROWS, (int)l->out,
				    (int)l->in, 1.0f, a, (int)l->in, l->kernel, (int)l->out, 0.0f, c,
				    (int)l->out);
			flops += 2.0 * LIMIT_ROWS * (double)(l->in * l->out);
		}
	double gflops = flops / ((now_us() - t0) * 1e3);
	free(a);
	free(c);
	return gflops;
}

/* sgemv against the plain loop on one tiny layer shape: ns per call over
 * many calls (no per-call clock reads), to place NN_SMALL_KERNEL_MAX. */
static void bench_kernel(size_t in, size_t out)
{
	struct nn_layer l = {in, out, calloc(in * out, sizeof(float)), calloc(out, sizeof(float)),
			     true, NN_LINEAR};
	struct brink_nn nn = {.nlayers = 1, .inputs = in, .outputs = out, .width = in > out ? in : out};
	nn.layers[0] = l;
	for (size_t k = 0; k < in * out; k++)
		l.kernel[k] = (float)(k % 7) * 0.1f;
	float x[64] = {1}, y[64];
	double ns[2];
	for (int path = 0; path < 2; path++) {
		nn__small_kernel_max = path ? (size_t)-1 : 0;
		double t0 = now_us();
		for (int r = 0; r < 200000; r++) {
			x[r % in] += 1e-3f;
			brink_nn_infer(&nn, x, y);
		}
		ns[path] = (now_us() - t0) * 1e3 / 200000;
	}
	nn__small_kernel_max = NN_SMALL_KERNEL_MAX;
	printf("kernel %zux%zu (%zu weights): sgemv %.1f ns, loop %.1f ns\n", in, out, in * out,
	       ns[0], ns[1]);
	free(l.kernel);
	free(l.bias);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--kernels") == 0) {
		static const size_t shapes[][2] = {{2, 2}, {2, 4}, {2, 8}, {4, 8}, {2, 16}, {8, 8},
						   {4, 16}, {16, 4}, {8, 16}, {16, 16}, {32, 32}};
		for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
			bench_kernel(shapes[i][0], shapes[i][1]);
		return 0;
	}
	size_t len;
	void *buf = argc == 2 ? slurp(argv[1], &len) : NULL;
	if (!buf) {
		fprintf(stderr, "usage: engine_bench MODEL.h5\n");
		return 2;
	}
	double load = bench_load(brink_nn_load, buf, len);
	struct brink_nn *nn = NULL;
	struct brink_error *err = NULL;
	if (brink_nn_load(buf, len, &nn, &err) < 0)
		return 1;
	size_t ilen = brink_nn_image_size(nn);
	void *img = malloc(ilen);
	if (!img || brink_nn_image_write(nn, img, ilen) != ilen)
		return 1;
	double image_load = bench_load(brink_nn_image_load, img, ilen);
	free(img);
	double p50, p99, g50, g99, s50, s99;
	bench_datum(nn, NN_SMALL_KERNEL_MAX, &p50, &p99);
	bench_datum(nn, 0, &g50, &g99);
	bench_datum(nn, (size_t)-1, &s50, &s99);
	double rows = bench_batch(nn);
	double gflops = bench_limit(nn);
	double flops_datum = 0;
	for (size_t i = 0; i < nn->nlayers; i++)
		flops_datum += 2.0 * (double)(nn->layers[i].in * nn->layers[i].out);
	printf("params=%zu weights_kb=%.1f load_ms=%.3f image_load_ms=%.3f datum_p50_us=%.2f "
	       "datum_p99_us=%.2f sgemv_p50_us=%.2f loop_p50_us=%.2f batch_rows_s=%.0f "
	       "sgemm_gflops=%.2f limit_datum_us=%.3f\n",
	       nn->params, (double)nn->params * 4 / 1000, load / 1000, image_load / 1000, p50, p99,
	       g50, s50, rows, gflops, flops_datum / (gflops * 1e3));
	brink_nn_free(nn);
	free(buf);
	return 0;
}
