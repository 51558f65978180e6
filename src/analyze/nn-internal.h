/* Internals of the network engine shared by the loader (nn-h5.c, nn-keras.c)
 * and the engine (nn.c). */
#ifndef BRINK_ANALYZE_NN_INTERNAL_H
#define BRINK_ANALYZE_NN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/engine.h"

/* Limits on what a model file may declare, checked before any allocation.
 * ECM's models are 74-178 KB; these leave two orders of magnitude. */
#define NN_MAX_FILE (32u << 20)     /* bytes of HDF5 */
#define NN_MAX_LAYERS 64            /* Dense layers */
#define NN_MAX_UNITS 4096           /* width of any layer, inputs included */
#define NN_MAX_PARAMS (4u << 20)    /* weights + biases over all layers (16 MB float32) */
#define NN_MAX_CONFIG (1u << 20)    /* bytes of model_config JSON */
#define NN_MAX_NAME 256             /* a layer or weight name */
#define NN_BATCH_CHUNK 64           /* rows per sgemm call in infer_batch */
/* Layers with at most this many weights use a plain loop instead of sgemv
 * (OpenBLAS' call and dispatch cost dominates there). Measured with
 * `build/bench/engine_bench --kernels` (2 shared vCPUs, two runs, ns per
 * layer call, sgemv vs loop): 2x4 113-134 vs 21-29; 4x8 70-101 vs 27-45;
 * 2x16 80-121 vs 62-105; 8x8 86-87 vs 83-149 (even); 8x16 54-92 vs 67-110;
 * 16x16 58-82 vs 226-607. */
#define NN_SMALL_KERNEL_MAX 32

enum nn_act { NN_LINEAR, NN_RELU, NN_SIGMOID, NN_TANH, NN_SOFTMAX };

struct nn_layer {
	size_t in, out;
	float *kernel; /* in x out, row-major (Keras' layout: y = x K + b) */
	float *bias;   /* out; zeros when the layer has none */
	bool has_bias;
	enum nn_act act;
};

struct brink_nn {
	size_t nlayers, inputs, outputs, width, params;
	bool keras_config; /* activations came from model_config (else: all linear) */
	struct nn_layer layers[NN_MAX_LAYERS];
	float *scratch[2]; /* NN_BATCH_CHUNK x width each */
};

/* One layer as the loader found it, before the engine owns it. */
struct nn_spec {
	char name[NN_MAX_NAME];
	enum nn_act act;
	bool use_bias;
	long units;       /* from the config, -1 if unknown */
	long input_width; /* batch_input_shape[1] of the first layer, -1 if absent */
};

/* The small-kernel threshold in use (a variable so that the benchmark can
 * compare both paths). */
extern size_t nn__small_kernel_max;

/* Names of the activations the engine knows; nn__act_parse returns -1 for others. */
const char *nn__act_name(enum nn_act a);
int nn__act_parse(const char *name, enum nn_act *out);

/* The end of every load (HDF5 or image) whose reading gave `rc`: when it
 * succeeded, checks that the layers chain, sets up the scratch and OpenBLAS
 * and hands nn to *out; else (or when the check fails) frees nn. Returns 0,
 * or -1 with *err set. */
int nn__finish_load(struct brink_nn *nn, int rc, struct brink_nn **out, struct brink_error **err);

/* Sets up the link access rules of nn__read_keras; once, before it. */
void nn__h5_init(void);

/* Reads the Keras layout in the open HDF5 file `file` into nn (layers, weights).
 * Returns 0, or -1 with *err set; nn's layers allocated so far are freed by
 * brink_nn_free. */
int nn__read_keras(int64_t file, struct brink_nn *nn, struct brink_error **err);

/* Parses model_config JSON into specs[0..*n) (Dense layers only, with an
 * Activation layer folded into the Dense before it). */
int nn__parse_config(const char *json, size_t len, struct nn_spec *specs, size_t *n,
		     struct brink_error **err);

#endif
