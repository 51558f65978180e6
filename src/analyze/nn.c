/* The network engine: loading (bounds, consistency) and inference with
 * OpenBLAS, single-threaded (the worker's CPU quota governs). */
#include "analyze/nn-internal.h"

#include <cblas.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t nn__small_kernel_max = NN_SMALL_KERNEL_MAX;

/* Only for HDF5 files: a network loaded from its image never initialises
 * libhdf5 (most of a cold worker's start). */
static void init_h5(void)
{
	/* libhdf5 prints its error stack to stderr and loads filter plugins from
	 * disk on demand: neither is wanted for untrusted files. */
	H5open();
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	H5PLset_loading_state(0);
	nn__h5_init();
}

static void init_blas(void)
{
	openblas_set_num_threads(1);
}

static int check_chain(struct brink_nn *nn, struct brink_error **err)
{
	for (size_t i = 1; i < nn->nlayers; i++)
		if (nn->layers[i].in != nn->layers[i - 1].out)
			return brink_error_make(err, BRINK_E_INVALID,
						"model: layer %zu takes %zu inputs but layer %zu gives %zu",
						i + 1, nn->layers[i].in, i, nn->layers[i - 1].out);
	nn->inputs = nn->layers[0].in;
	nn->outputs = nn->layers[nn->nlayers - 1].out;
	nn->width = nn->inputs;
	for (size_t i = 0; i < nn->nlayers; i++)
		if (nn->layers[i].out > nn->width)
			nn->width = nn->layers[i].out;
	for (size_t i = 0; i < 2; i++)
		if (!(nn->scratch[i] = calloc(NN_BATCH_CHUNK * nn->width, sizeof(float))))
			return brink_error_make(err, BRINK_E_INTERNAL, "model: out of memory");
	return 0;
}

static int open_image(const void *buf, size_t len, hid_t *file, struct brink_error **err)
{
	static const unsigned char magic[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
	if (len > NN_MAX_FILE)
		return brink_error_make(err, BRINK_E_TOO_LARGE, "model: file over %u bytes",
					NN_MAX_FILE);
	if (len < sizeof(magic) || memcmp(buf, magic, sizeof(magic)) != 0)
		return brink_error_make(err, BRINK_E_INVALID, "model: not an HDF5 file");
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, init_h5);
	/* libhdf5 takes a private copy of the image (flags 0): what it does with
	 * it never touches the caller's buffer. */
	*file = H5LTopen_file_image((void *)buf, len, 0);
	if (*file < 0)
		return brink_error_make(err, BRINK_E_INVALID,
					"model: corrupted or truncated HDF5 file");
	return 0;
}

/* Two rows are enough (OpenBLAS' pool does not depend on the row count). */
#define WARM_UP_ROWS 2
void brink_nn_warm_up(struct brink_nn *nn)
{
	static bool done;
	if (done)
		return;
	done = true;
	float *in = calloc(WARM_UP_ROWS, nn->inputs * sizeof(float));
	float *out = calloc(WARM_UP_ROWS, nn->outputs * sizeof(float));
	if (in && out) {
		brink_nn_infer(nn, in, out);
		brink_nn_infer_batch(nn, in, WARM_UP_ROWS, out);
	}
	free(in);
	free(out);
}

int nn__finish_load(struct brink_nn *nn, int rc, struct brink_nn **out, struct brink_error **err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	if (rc == 0) {
		pthread_once(&once, init_blas);
		rc = check_chain(nn, err);
	}
	if (rc < 0) {
		brink_nn_free(nn);
		return -1;
	}
	*out = nn;
	return 0;
}

int brink_nn_load(const void *buf, size_t len, struct brink_nn **out, struct brink_error **err)
{
	*out = NULL;
	hid_t file = -1;
	if (open_image(buf, len, &file, err) < 0)
		return -1;
	struct brink_nn *nn = calloc(1, sizeof(*nn));
	int rc = nn ? nn__read_keras(file, nn, err) :
		      brink_error_make(err, BRINK_E_INTERNAL, "model: out of memory");
	H5Fclose(file);
	return nn__finish_load(nn, rc, out, err);
}

size_t brink_nn_inputs(const struct brink_nn *nn)
{
	return nn->inputs;
}

size_t brink_nn_outputs(const struct brink_nn *nn)
{
	return nn->outputs;
}

size_t brink_nn_layers(const struct brink_nn *nn)
{
	return nn->nlayers;
}

size_t brink_nn_params(const struct brink_nn *nn)
{
	return nn->params;
}

int brink_nn_set_activations(struct brink_nn *nn, const char *list, struct brink_error **err)
{
	enum nn_act acts[NN_MAX_LAYERS];
	size_t n = 0;
	for (const char *p = list;; p++) {
		char name[16];
		size_t len = strcspn(p, ",");
		if (n == nn->nlayers || len >= sizeof(name))
			return brink_error_make(err, BRINK_E_INVALID,
						"model: expected %zu comma-separated activations",
						nn->nlayers);
		memcpy(name, p, len);
		name[len] = 0;
		if (nn__act_parse(name, &acts[n++]) < 0)
			return brink_error_make(err, BRINK_E_INVALID, "model: unknown activation %s", name);
		p += len;
		if (!*p)
			break;
	}
	if (n != nn->nlayers)
		return brink_error_make(err, BRINK_E_INVALID,
					"model: expected %zu comma-separated activations", nn->nlayers);
	for (size_t i = 0; i < n; i++)
		nn->layers[i].act = acts[i];
	return 0;
}

int brink_nn_describe(const struct brink_nn *nn, char *out, size_t cap)
{
	size_t pos = 0;
	int n = snprintf(out, cap, "{\"inputs\":%zu,\"outputs\":%zu,\"params\":%zu,\"layers\":[",
			 nn->inputs, nn->outputs, nn->params);
	for (size_t i = 0; n >= 0 && (pos += (size_t)n) < cap && i < nn->nlayers; i++) {
		const struct nn_layer *l = &nn->layers[i];
		n = snprintf(out + pos, cap - pos,
			     "%s{\"type\":\"dense\",\"inputs\":%zu,\"units\":%zu,\"activation\":\"%s\","
			     "\"bias\":%s}",
			     i ? "," : "", l->in, l->out, nn__act_name(l->act),
			     l->has_bias ? "true" : "false");
	}
	if (n >= 0 && pos < cap)
		n = snprintf(out + pos, cap - pos, "]}");
	if (n < 0 || (pos += (size_t)n) >= cap)
		return -1;
	return (int)pos;
}

static void activate(enum nn_act act, float *y, size_t n)
{
	switch (act) {
	case NN_LINEAR:
		break;
	case NN_RELU:
		for (size_t i = 0; i < n; i++)
			y[i] = y[i] > 0.0f ? y[i] : 0.0f;
		break;
	case NN_SIGMOID:
		for (size_t i = 0; i < n; i++)
			y[i] = 1.0f / (1.0f + expf(-y[i]));
		break;
	case NN_TANH:
		for (size_t i = 0; i < n; i++)
			y[i] = tanhf(y[i]);
		break;
	case NN_SOFTMAX: {
		/* Shifted by the maximum: expf never overflows, the sum is >= 1. */
		float max = y[0], sum = 0.0f;
		for (size_t i = 1; i < n; i++)
			max = y[i] > max ? y[i] : max;
		for (size_t i = 0; i < n; i++)
			sum += (y[i] = expf(y[i] - max));
		for (size_t i = 0; i < n; i++)
			y[i] /= sum;
		break;
	}
	}
}

static void small_kernel(const float *restrict kernel, size_t in, size_t out,
			 const float *restrict x, float *restrict y)
{
	for (size_t i = 0; i < in; i++) {
		const float xi = x[i], *k = kernel + i * out;
		for (size_t j = 0; j < out; j++)
			y[j] += xi * k[j];
	}
}

/* y = x K + b for one row. Layers of at most nn__small_kernel_max weights use
 * a plain loop (see NN_SMALL_KERNEL_MAX for the measurement), others sgemv. */
static void dense_row(const struct nn_layer *l, const float *x, float *y)
{
	memcpy(y, l->bias, l->out * sizeof(float));
	if (l->in * l->out <= nn__small_kernel_max) {
		small_kernel(l->kernel, l->in, l->out, x, y);
	} else {
		cblas_sgemv(CblasRowMajor, CblasTrans, (int)l->in, (int)l->out, 1.0f, l->kernel,
			    (int)l->out, x, 1, 1.0f, y, 1);
	}
	activate(l->act, y, l->out);
}

void brink_nn_infer(struct brink_nn *nn, const float *in, float *out)
{
	const float *x = in;
	for (size_t i = 0; i < nn->nlayers; i++) {
		float *y = i + 1 == nn->nlayers ? out : nn->scratch[i % 2];
		dense_row(&nn->layers[i], x, y);
		x = y;
	}
}

/* Y = X K + b for `rows` rows with one sgemm. */
static void dense_rows(const struct nn_layer *l, const float *x, size_t rows, float *y)
{
	for (size_t r = 0; r < rows; r++)
		memcpy(y + r * l->out, l->bias, l->out * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)l->out, (int)l->in,
		    1.0f, x, (int)l->in, l->kernel, (int)l->out, 1.0f, y, (int)l->out);
	for (size_t r = 0; r < rows; r++)
		activate(l->act, y + r * l->out, l->out);
}

void brink_nn_infer_batch(struct brink_nn *nn, const float *in, size_t n, float *out)
{
	for (size_t done = 0; done < n; done += NN_BATCH_CHUNK) {
		size_t rows = n - done < NN_BATCH_CHUNK ? n - done : NN_BATCH_CHUNK;
		const float *x = in + done * nn->inputs;
		for (size_t i = 0; i < nn->nlayers; i++) {
			float *y = i + 1 == nn->nlayers ? out + done * nn->outputs : nn->scratch[i % 2];
			dense_rows(&nn->layers[i], x, rows, y);
			x = y;
		}
	}
}

void brink_nn_free(struct brink_nn *nn)
{
	if (!nn)
		return;
	for (size_t i = 0; i < nn->nlayers; i++) {
		free(nn->layers[i].kernel);
		free(nn->layers[i].bias);
	}
	free(nn->scratch[0]);
	free(nn->scratch[1]);
	free(nn);
}
