/* Placeholder implementation so that the API compiles; replaced by nn.c and rule.c. */
#include "analyze/engine.h"

#include <stdlib.h>

struct brink_nn {
	size_t inputs, outputs, layers;
};

struct brink_rule {
	size_t fields;
};

int brink_nn_load(const void *buf, size_t len, struct brink_nn **out, struct brink_error **err)
{
	(void)buf;
	(void)len;
	*out = NULL;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "model engine not implemented yet");
}

size_t brink_nn_inputs(const struct brink_nn *nn) { return nn->inputs; }
size_t brink_nn_outputs(const struct brink_nn *nn) { return nn->outputs; }
size_t brink_nn_layers(const struct brink_nn *nn) { return nn->layers; }

int brink_nn_describe(const struct brink_nn *nn, char *out, size_t cap)
{
	(void)nn;
	if (cap < 3)
		return -1;
	out[0] = '{';
	out[1] = '}';
	out[2] = 0;
	return 2;
}

void brink_nn_infer(struct brink_nn *nn, const float *in, float *out)
{
	(void)nn;
	(void)in;
	(void)out;
}

void brink_nn_infer_batch(struct brink_nn *nn, const float *in, size_t n, float *out)
{
	(void)nn;
	(void)in;
	(void)n;
	(void)out;
}

void brink_nn_free(struct brink_nn *nn) { free(nn); }

int brink_rule_compile(const char *src, struct brink_rule **out, struct brink_error **err)
{
	(void)src;
	*out = NULL;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "rule engine not implemented yet");
}

size_t brink_rule_fields(const struct brink_rule *r) { return r->fields; }

const char *brink_rule_field(const struct brink_rule *r, size_t i)
{
	(void)r;
	(void)i;
	return NULL;
}

double brink_rule_eval(const struct brink_rule *r, const double *values)
{
	(void)r;
	(void)values;
	return 0.0;
}

void brink_rule_free(struct brink_rule *r) { free(r); }
