/* The compiled model image: a loaded network serialised so that a service
 * worker loads it without libhdf5. Little-endian throughout:
 *
 *   0  8  magic    89 'B' 'N' 'N' '\r' '\n' 1a '\n'
 *   8  u32 version (1)
 *  12  u32 layers  1..NN_MAX_LAYERS
 *  16  u32 flags   bit 0: activations came from the Keras model_config
 *  20  u32 0
 *  24  per layer, 16 bytes: u32 inputs, u32 units, u32 activation (enum
 *      nn_act), u32 flags (bit 0: the layer has a bias)
 *  then per layer: float32 kernel[inputs x units] (row-major), then
 *      float32 bias[units] when it has one.
 *
 * Hand-written because it is four integers per layer and an array of
 * floats: no serialisation library would make it shorter or safer. The
 * reader trusts nothing: the bytes come back from the store, written by a
 * worker that had just parsed a tenant's file. */
#include "analyze/nn-internal.h"

#include <stdlib.h>
#include <string.h>

#define IMAGE_VERSION 1u
#define HEADER_SIZE 24u
#define LAYER_SIZE 16u
#define F_KERAS_CONFIG 1u
#define F_BIAS 1u

static const unsigned char image_magic[8] = {0x89, 'B', 'N', 'N', '\r', '\n', 0x1a, '\n'};

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned char *put_floats(unsigned char *p, const float *v, size_t n)
{
	for (size_t i = 0; i < n; i++, p += 4) {
		uint32_t bits;
		memcpy(&bits, &v[i], 4);
		put_u32(p, bits);
	}
	return p;
}

bool brink_nn_image_is(const void *buf, size_t len)
{
	return len >= sizeof(image_magic) && memcmp(buf, image_magic, sizeof(image_magic)) == 0;
}

size_t brink_nn_image_size(const struct brink_nn *nn)
{
	size_t floats = 0;
	for (size_t i = 0; i < nn->nlayers; i++) {
		const struct nn_layer *l = &nn->layers[i];
		floats += l->in * l->out + (l->has_bias ? l->out : 0);
	}
	return HEADER_SIZE + LAYER_SIZE * nn->nlayers + 4 * floats;
}

size_t brink_nn_image_write(const struct brink_nn *nn, void *buf, size_t cap)
{
	size_t size = brink_nn_image_size(nn);
	if (size > cap)
		return 0;
	unsigned char *p = buf;
	memcpy(p, image_magic, sizeof(image_magic));
	put_u32(p + 8, IMAGE_VERSION);
	put_u32(p + 12, (uint32_t)nn->nlayers);
	put_u32(p + 16, nn->keras_config ? F_KERAS_CONFIG : 0);
	put_u32(p + 20, 0);
	p += HEADER_SIZE;
	for (size_t i = 0; i < nn->nlayers; i++, p += LAYER_SIZE) {
		const struct nn_layer *l = &nn->layers[i];
		put_u32(p, (uint32_t)l->in);
		put_u32(p + 4, (uint32_t)l->out);
		put_u32(p + 8, (uint32_t)l->act);
		put_u32(p + 12, l->has_bias ? F_BIAS : 0);
	}
	for (size_t i = 0; i < nn->nlayers; i++) {
		const struct nn_layer *l = &nn->layers[i];
		p = put_floats(p, l->kernel, l->in * l->out);
		if (l->has_bias)
			p = put_floats(p, l->bias, l->out);
	}
	return size;
}

static int refuse(struct brink_error **err, const char *what)
{
	return brink_error_make(err, BRINK_E_INVALID, "model image: %s", what);
}

/* Reads the layer table into nn (shapes only); returns the float count. */
static int read_shapes(const unsigned char *p, size_t n, struct brink_nn *nn, size_t *floats,
		       struct brink_error **err)
{
	*floats = 0;
	for (size_t i = 0; i < n; i++, p += LAYER_SIZE) {
		uint32_t in = get_u32(p), out = get_u32(p + 4), act = get_u32(p + 8);
		uint32_t flags = get_u32(p + 12);
		if (in < 1 || in > NN_MAX_UNITS || out < 1 || out > NN_MAX_UNITS)
			return refuse(err, "a layer's shape is over the limits");
		if (act > NN_SOFTMAX || (flags & ~F_BIAS))
			return refuse(err, "a layer has an unknown activation or flag");
		if (i > 0 && in != nn->layers[i - 1].out)
			return refuse(err, "a layer's inputs differ from the units before it");
		struct nn_layer *l = &nn->layers[i];
		l->in = in;
		l->out = out;
		l->act = (enum nn_act)act;
		l->has_bias = flags & F_BIAS;
		*floats += (size_t)in * out + (l->has_bias ? out : 0);
		if (*floats > NN_MAX_PARAMS)
			return brink_error_make(err, BRINK_E_TOO_LARGE,
						"model image: over %u parameters", NN_MAX_PARAMS);
	}
	return 0;
}

/* n little-endian float32 from *p into out; refuses NaN and infinities
 * (exponent bits all ones) after one pass without branches: this is on
 * every analyze service's start path. */
static int get_floats(const unsigned char **p, float *out, size_t n, struct brink_error **err)
{
	uint32_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t bits = get_u32(*p + 4 * i);
		bad |= (bits & 0x7f800000u) == 0x7f800000u;
		memcpy(&out[i], &bits, 4);
	}
	*p += n * 4;
	return bad ? refuse(err, "a weight is not finite") : 0;
}

/* Allocates and fills every layer's kernel and bias from p. */
static int read_weights(const unsigned char *p, struct brink_nn *nn, struct brink_error **err)
{
	for (size_t i = 0; i < nn->nlayers; i++) {
		struct nn_layer *l = &nn->layers[i];
		l->kernel = malloc(l->in * l->out * sizeof(float));
		l->bias = calloc(l->out, sizeof(float));
		if (!l->kernel || !l->bias)
			return brink_error_make(err, BRINK_E_INTERNAL, "model image: out of memory");
		if (get_floats(&p, l->kernel, l->in * l->out, err) < 0 ||
		    (l->has_bias && get_floats(&p, l->bias, l->out, err) < 0))
			return -1;
		nn->params += l->in * l->out + (l->has_bias ? l->out : 0);
	}
	return 0;
}

/* Checks the header and the layer table; fills nn's shapes. */
static int read_header(const unsigned char *p, size_t len, struct brink_nn *nn,
		       struct brink_error **err)
{
	if (len < HEADER_SIZE || !brink_nn_image_is(p, len))
		return refuse(err, "not a model image");
	uint32_t version = get_u32(p + 8), n = get_u32(p + 12), flags = get_u32(p + 16);
	if (version != IMAGE_VERSION)
		return refuse(err, "unknown version");
	if (n < 1 || n > NN_MAX_LAYERS || (flags & ~F_KERAS_CONFIG) || get_u32(p + 20) != 0)
		return refuse(err, "bad header");
	if (len < HEADER_SIZE + LAYER_SIZE * (size_t)n)
		return refuse(err, "truncated");
	size_t floats;
	if (read_shapes(p + HEADER_SIZE, n, nn, &floats, err) < 0)
		return -1;
	if (len != HEADER_SIZE + LAYER_SIZE * (size_t)n + 4 * floats)
		return refuse(err, "its length differs from what its layers declare");
	nn->nlayers = n;
	nn->keras_config = flags & F_KERAS_CONFIG;
	return 0;
}

int brink_nn_image_load(const void *buf, size_t len, struct brink_nn **out,
			struct brink_error **err)
{
	*out = NULL;
	struct brink_nn *nn = calloc(1, sizeof(*nn));
	if (!nn)
		return brink_error_make(err, BRINK_E_INTERNAL, "model image: out of memory");
	const unsigned char *p = buf;
	int rc = read_header(p, len, nn, err);
	if (rc == 0)
		rc = read_weights(p + HEADER_SIZE + LAYER_SIZE * nn->nlayers, nn, err);
	return nn__finish_load(nn, rc, out, err);
}
