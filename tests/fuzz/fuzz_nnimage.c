/* libFuzzer harness for the compiled model image reader
 * (src/analyze/nn-image.c, brink_nn_image_load): bytes that come back from
 * the store. Every input must load or be refused with an error, never both;
 * a loaded network respects the engine's limits, runs one datum and one
 * batch, and writes itself back as exactly the input (the format has one
 * encoding per network). Also fuzzes the check envelope's header parser
 * (include/brink/model-check.h) on the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/engine.h"
#include "brink/model-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(struct brink_nn *nn, const uint8_t *data, size_t size)
{
	size_t in = brink_nn_inputs(nn), out = brink_nn_outputs(nn);
	if (in == 0 || in > 4096 || out == 0 || out > 4096 || brink_nn_layers(nn) > 64 ||
	    brink_nn_params(nn) > (4u << 20))
		abort();
	float *x = calloc(3 * in, sizeof(float)), *y = calloc(3 * out, sizeof(float));
	uint8_t *again = malloc(size);
	if (x && y) {
		brink_nn_infer(nn, x, y);
		brink_nn_infer_batch(nn, x, 3, y);
	}
	if (again && (brink_nn_image_write(nn, again, size) != size || memcmp(again, data, size)))
		abort();
	free(x);
	free(y);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct brink_model_envelope e;
	if (brink_model_envelope_parse(data, size, size + 4096, &e) &&
	    (e.room_off + e.room_len != size + 4096 || e.model_len > size + 4096))
		abort();
	struct brink_nn *nn = NULL;
	struct brink_error *err = NULL;
	int rc = brink_nn_image_load(data, size, &nn, &err);
	if ((rc == 0) != (nn != NULL) || (rc == 0) != (err == NULL))
		abort();
	if (!nn) {
		brink_error_free(&err);
		return 0;
	}
	run(nn, data, size);
	brink_nn_free(nn);
	return 0;
}
