/* src/analyze/engine.h — dense networks (Keras HDF5) and rules.
 *
 * The analyze service's engine, compiled into the worker's library
 * (libworker.a) and the tests only: brinkd never parses a model file
 * (untrusted input), so it never links libhdf5. docs/analyze-engine.md has
 * the details and the measurements.
 *
 * For the worker (decided and measured, see the docs):
 * - Linking: brink-worker links libhdf5, libhdf5_hl, OpenBLAS' *serial*
 *   build (libopenblas-serial-dev: never starts a thread) and jansson from
 *   their static archives: $(ENGINE_LIBS) in the Makefile, already on the
 *   worker's link line. Static costs +0.04-0.44 ms CPU per worker start
 *   (perf stat, 300 runs, noisy; sandbox start p50 unchanged within noise)
 *   and makes the binary ~30 MB; the dynamic libhdf5 pulls 43 libraries and
 *   costs ~18 ms CPU per start. The link prints a
 *   harmless warning about dlopen in libhdf5's plugin loader, which
 *   brink_nn_load switches off.
 * - Seccomp: after brink_nn_warm_up, inference (both paths) makes no system
 *   call at all beyond what the filter allows (tested under the real filter
 *   turned into SIGSYS: tests/unit/test_engine.c). The warm-up sets up
 *   OpenBLAS' buffer pool; the first inference does it otherwise. A load
 *   also works AFTER the filter, even as the first thing a fresh process
 *   does (tested): four calls then get EPERM and each caller goes on without
 *   them: openat of the image's pseudo file name and getcwd (libhdf5),
 *   openat /dev/urandom (jansson's hash seed; falls back to time and pid),
 *   mbind (OpenBLAS' NUMA hint for its buffer pool). So parse untrusted
 *   uploads with the filter already loaded if you can; no syscall needs to
 *   be added to the allow-list either way.
 * - libhdf5 1.10.8 itself can crash (heap overflow) or loop forever on some
 *   corrupted files (H5HG_read / global heap: found by the fuzzer). So
 *   validate uploads in a separate sandboxed worker with a time limit
 *   (a second or two is plenty: ECM-sized models load in < 1 ms) and treat
 *   its death or timeout as "invalid model"; the service worker then only
 *   loads files that passed.
 * - Not thread-safe per network (scratch is owned by nn); libhdf5 loads
 *   are serialised by its own global lock. */
#ifndef BRINK_ANALYZE_ENGINE_H
#define BRINK_ANALYZE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "brink/error.h"

struct brink_nn; /* a loaded network, immutable after load */

/* Parses a Keras HDF5 file held in memory (both the Keras 2 full-model layout
 * model_weights/... with the model_config JSON attribute, and a plain weights file
 * whose layers are Dense kernels/biases in order). Bounded: rejects absurd shapes,
 * non-finite weights, unsupported layers/activations, with a clear message.
 * Returns 0 and gives *out to the caller, or -1 with *err set (BRINK_E_INVALID
 * for a bad file, BRINK_E_TOO_LARGE over the limits). */
int brink_nn_load(const void *buf, size_t len, struct brink_nn **out, struct brink_error **err);
/* The compiled image of a loaded network (src/analyze/nn-image.c has the
 * format): what a service worker loads instead of the HDF5 file, without
 * libhdf5. brink_nn_image_size gives its exact size; brink_nn_image_write
 * writes it into buf[0..cap) and returns its size, or 0 when cap is short. */
size_t brink_nn_image_size(const struct brink_nn *nn);
size_t brink_nn_image_write(const struct brink_nn *nn, void *buf, size_t cap);
/* Whether buf starts with the image's magic (else: treat it as HDF5). */
bool brink_nn_image_is(const void *buf, size_t len);
/* Loads an image. Untrusted bytes: bounded by the limits brink_nn_load
 * enforces (layers, units, parameters), exact length, finite weights, chained
 * shapes. Never calls libhdf5. Returns 0 and gives *out to the caller, or -1
 * with *err set (BRINK_E_INVALID, BRINK_E_TOO_LARGE) and nothing allocated. */
int brink_nn_image_load(const void *buf, size_t len, struct brink_nn **out,
			struct brink_error **err);
/* Runs both inference paths once per process, so that OpenBLAS sets up what
 * it keeps (its gemm buffer pool, shared by every model) now rather than at
 * the first reading. A service worker does it right after READY: it is most
 * of what an analyze worker's start costs beyond a forward one's. */
void brink_nn_warm_up(struct brink_nn *nn);
size_t brink_nn_inputs(const struct brink_nn *nn);
size_t brink_nn_outputs(const struct brink_nn *nn);
size_t brink_nn_layers(const struct brink_nn *nn);
size_t brink_nn_params(const struct brink_nn *nn); /* weights + biases */
/* A plain weights file does not say which activations its layers use: they
 * load as linear. This sets them from a list like "relu,relu,softmax" (one per
 * Dense layer; linear, relu, sigmoid, tanh, softmax). Call it right after
 * brink_nn_load, before any inference. Returns 0, or -1 with *err set
 * (BRINK_E_INVALID) leaving nn unchanged. */
int brink_nn_set_activations(struct brink_nn *nn, const char *list, struct brink_error **err);
/* Writes a short JSON summary (layers, shapes, activations, parameter count) into out.
 * Returns its length, or -1 when it does not fit in cap. */
int brink_nn_describe(const struct brink_nn *nn, char *out, size_t cap);
/* One input vector → outputs (sgemv path). Thread-compatible; uses scratch owned by nn. */
void brink_nn_infer(struct brink_nn *nn, const float *in, float *out);
/* n input rows (row-major, n x inputs) → n output rows (sgemm path). */
void brink_nn_infer_batch(struct brink_nn *nn, const float *in, size_t n, float *out);
void brink_nn_free(struct brink_nn *nn);

struct brink_rule; /* a compiled rule expression */

/* Compiles e.g. "temp > 30 || hum > 60", with + - * / %, unary -, comparisons
 * < <= > >= == !=, && || !, parentheses, numbers, field names. On a syntax error
 * the message gives the 1-based column. Field names are collected in order of
 * first appearance. Bounded length and nesting depth.
 * Returns 0 and gives *out to the caller, or -1 with *err set (BRINK_E_INVALID). */
int brink_rule_compile(const char *src, struct brink_rule **out, struct brink_error **err);
size_t brink_rule_fields(const struct brink_rule *r); /* distinct field count */
const char *brink_rule_field(const struct brink_rule *r, size_t i);
/* Evaluates with values[i] for field i; returns the numeric result (comparisons and
 * logic give 1.0 / 0.0). */
double brink_rule_eval(const struct brink_rule *r, const double *values);
void brink_rule_free(struct brink_rule *r);

#endif
