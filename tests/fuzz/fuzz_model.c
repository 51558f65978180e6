/* libFuzzer harness for the model loader (src/analyze/nn*.c) on top of
 * libhdf5. Every input must load or be refused with an error, never both;
 * a loaded network must respect the documented limits, describe itself and
 * run one datum and one batch. libhdf5 itself is not instrumented for
 * coverage; its own crashes on hostile files are contained by the sandboxed
 * validation worker (docs/analyze-engine.md). */
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
