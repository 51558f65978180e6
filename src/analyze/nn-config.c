/* Keras' model_config JSON (a Sequential model) → the list of Dense layers
 * with their activations. Format: Keras 2 `Model.to_json()`:
 * {"class_name": "Sequential", "config": {"name": ..., "layers": [
 *   {"class_name": "Dense", "config": {"name", "units", "activation", "use_bias",
 *    "batch_input_shape"?}}, ...]}}; Keras 2.0/2.1 put the layer list
 * directly under "config". */
#include "analyze/nn-internal.h"

#include <jansson.h>
#include <string.h>

static const char *const act_names[] = {
	[NN_LINEAR] = "linear", [NN_RELU] = "relu", [NN_SIGMOID] = "sigmoid",
	[NN_TANH] = "tanh",     [NN_SOFTMAX] = "softmax",
};

const char *nn__act_name(enum nn_act a)
{
	return act_names[a];
}

int nn__act_parse(const char *name, enum nn_act *out)
{
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(act_names); i++)
		if (strcmp(name, act_names[i]) == 0) {
			*out = (enum nn_act)i;
			return 0;
		}
	return -1;
}

static int parse_act(json_t *cfg, size_t i, enum nn_act *out, struct brink_error **err)
{
	json_t *a = json_object_get(cfg, "activation");
	if (!a) {
		*out = NN_LINEAR;
		return 0;
	}
	if (!json_is_string(a) || nn__act_parse(json_string_value(a), out) < 0)
		return brink_error_make(err, BRINK_E_INVALID,
					"model: layer %zu: unsupported activation %.64s (supported: "
					"linear, relu, sigmoid, tanh, softmax)",
					i + 1, json_is_string(a) ? json_string_value(a) : "(not a string)");
	return 0;
}

static long input_width(json_t *cfg)
{
	json_t *shape = json_object_get(cfg, "batch_input_shape");
	if (!json_is_array(shape) || json_array_size(shape) != 2 ||
	    !json_is_integer(json_array_get(shape, 1)))
		return -1;
	json_int_t w = json_integer_value(json_array_get(shape, 1));
	return w > 0 && w <= NN_MAX_UNITS ? (long)w : 0;
}

static int parse_dense(json_t *cfg, size_t i, struct nn_spec *s, struct brink_error **err)
{
	const char *name = json_string_value(json_object_get(cfg, "name"));
	json_t *units = json_object_get(cfg, "units");
	json_t *bias = json_object_get(cfg, "use_bias");
	if (!name || strlen(name) >= sizeof(s->name) || !json_is_integer(units) ||
	    (bias && !json_is_boolean(bias)))
		return brink_error_make(err, BRINK_E_INVALID,
					"model: layer %zu: Dense without a name or units", i + 1);
	json_int_t u = json_integer_value(units);
	if (u <= 0 || u > NN_MAX_UNITS)
		return brink_error_make(err, BRINK_E_TOO_LARGE,
					"model: layer %zu: %lld units (limit %d)", i + 1,
					(long long)u, NN_MAX_UNITS);
	strcpy(s->name, name);
	s->units = (long)u;
	s->use_bias = !bias || json_is_true(bias);
	s->input_width = input_width(cfg);
	if (s->input_width == 0)
		return brink_error_make(err, BRINK_E_INVALID,
					"model: layer %zu: bad batch_input_shape", i + 1);
	return parse_act(cfg, i, &s->act, err);
}

/* An Activation layer changes the activation of the Dense before it, which
 * must still be linear. */
static int fold_activation(json_t *cfg, size_t i, struct nn_spec *specs, size_t n,
			   struct brink_error **err)
{
	enum nn_act act;
	if (parse_act(cfg, i, &act, err) < 0)
		return -1;
	if (n == 0 || (specs[n - 1].act != NN_LINEAR && act != NN_LINEAR))
		return brink_error_make(err, BRINK_E_INVALID,
					"model: layer %zu: an Activation must follow a linear Dense",
					i + 1);
	if (act != NN_LINEAR)
		specs[n - 1].act = act;
	return 0;
}

/* Layers that are the identity at inference on a vector. */
static bool is_passthrough(const char *cls)
{
	return strcmp(cls, "InputLayer") == 0 || strcmp(cls, "Dropout") == 0 ||
	       strcmp(cls, "Flatten") == 0;
}

static int parse_layer(json_t *layer, size_t i, struct nn_spec *specs, size_t *n,
		       struct brink_error **err)
{
	const char *cls = json_string_value(json_object_get(layer, "class_name"));
	json_t *cfg = json_object_get(layer, "config");
	if (!cls || !json_is_object(cfg))
		return brink_error_make(err, BRINK_E_INVALID,
					"model: layer %zu: no class_name or config", i + 1);
	if (is_passthrough(cls))
		return 0;
	if (strcmp(cls, "Activation") == 0)
		return fold_activation(cfg, i, specs, *n, err);
	if (strcmp(cls, "Dense") != 0)
		return brink_error_make(err, BRINK_E_INVALID,
					"model: layer %zu: unsupported layer %.64s (supported: Dense, "
					"Activation, Dropout, Flatten, InputLayer)", i + 1, cls);
	if (*n >= NN_MAX_LAYERS)
		return brink_error_make(err, BRINK_E_TOO_LARGE, "model: more than %d Dense layers",
					NN_MAX_LAYERS);
	memset(&specs[*n], 0, sizeof(specs[*n]));
	if (parse_dense(cfg, i, &specs[*n], err) < 0)
		return -1;
	(*n)++;
	return 0;
}

static json_t *layer_list(json_t *root, struct brink_error **err)
{
	const char *cls = json_string_value(json_object_get(root, "class_name"));
	if (!cls || strcmp(cls, "Sequential") != 0) {
		brink_error_make(err, BRINK_E_INVALID,
				 "model: only Sequential models are supported (model_config has "
				 "class_name %.64s)", cls ? cls : "(none)");
		return NULL;
	}
	json_t *cfg = json_object_get(root, "config");
	json_t *layers = json_is_array(cfg) ? cfg : json_object_get(cfg, "layers");
	if (!json_is_array(layers) || json_array_size(layers) == 0) {
		brink_error_make(err, BRINK_E_INVALID, "model: model_config lists no layers");
		return NULL;
	}
	return layers;
}

int nn__parse_config(const char *json, size_t len, struct nn_spec *specs, size_t *n,
		     struct brink_error **err)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return brink_error_make(err, BRINK_E_INVALID, "model: model_config: %s (column %d)",
					jerr.text, jerr.column);
	int rc = 0;
	json_t *layers = layer_list(root, err);
	*n = 0;
	if (!layers)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < json_array_size(layers); i++)
		rc = parse_layer(json_array_get(layers, i), i, specs, n, err);
	if (rc == 0 && *n == 0)
		rc = brink_error_make(err, BRINK_E_INVALID, "model: no Dense layer");
	json_decref(root);
	return rc;
}
