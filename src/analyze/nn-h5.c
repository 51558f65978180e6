/* The Keras HDF5 layouts, read with libhdf5 from an open file image.
 *
 * Full model (Keras 2 `model.save`): root attribute model_config (JSON), group
 * model_weights with attribute layer_names; per layer a group
 * model_weights/<layer> with attribute weight_names ("<layer>/kernel:0",
 * "<layer>/bias:0") naming datasets relative to that group. Weights file
 * (`model.save_weights`): the same groups at the root, with layer_names on
 * the root. Layers without weights (Dropout, ...) list no weight_names. */
#include "analyze/nn-internal.h"

#include <hdf5.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define _cleanup_hid_ __attribute__((cleanup(hid_release)))

static void hid_release(hid_t *id)
{
	if (*id >= 0)
		H5Idec_ref(*id);
}

/* Link and dataset access: external links (to other files) are never followed. */
static hid_t lapl = -1, dapl = -1;

static herr_t deny_external_link(const char *parent_file, const char *parent_group,
				 const char *child_file, const char *child_object,
				 unsigned *acc_flags, hid_t fapl, void *data)
{
	(void)parent_file, (void)parent_group, (void)child_file, (void)child_object;
	(void)acc_flags, (void)fapl, (void)data;
	return -1;
}

void nn__h5_init(void)
{
	lapl = H5Pcreate(H5P_LINK_ACCESS);
	dapl = H5Pcreate(H5P_DATASET_ACCESS);
	if (lapl < 0 || dapl < 0 || H5Pset_elink_cb(lapl, deny_external_link, NULL) < 0 ||
	    H5Pset_elink_cb(dapl, deny_external_link, NULL) < 0)
		lapl = -1;
}

static int bad(struct brink_error **err, const char *what, const char *name)
{
	return brink_error_make(err, BRINK_E_INVALID, "model: %s%s%.256s", what,
				name ? " " : "", name ? name : "");
}

/* Reads string attribute `name` of `obj`: a scalar or 1-D array of up to
 * `max` fixed- or variable-length strings, each shorter than `cap`. The
 * strings land in out[i * cap], NUL-terminated. */
static int read_strings(hid_t obj, const char *name, char *out, size_t cap, size_t max,
			size_t *n, struct brink_error **err)
{
	_cleanup_hid_ hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
	_cleanup_hid_ hid_t type = attr >= 0 ? H5Aget_type(attr) : -1;
	_cleanup_hid_ hid_t space = attr >= 0 ? H5Aget_space(attr) : -1;
	if (type < 0 || space < 0 || H5Tget_class(type) != H5T_STRING)
		return bad(err, "attribute is not a string:", name);
	int rank = H5Sget_simple_extent_ndims(space);
	hssize_t count = H5Sget_simple_extent_npoints(space);
	if (rank < 0 || rank > 1 || count < 0 || (size_t)count > max)
		return bad(err, "attribute has a bad shape:", name);
	*n = (size_t)count;
	if (count == 0)
		return 0;
	bool vlen = H5Tis_variable_str(type) > 0;
	_cleanup_hid_ hid_t mem = H5Tcopy(H5T_C_S1);
	if (mem < 0 || H5Tset_size(mem, vlen ? H5T_VARIABLE : cap) < 0 ||
	    H5Tset_strpad(mem, H5T_STR_NULLTERM) < 0 || (!vlen && H5Tget_size(type) >= cap))
		return bad(err, "attribute string too long:", name);
	if (!vlen)
		return H5Aread(attr, mem, out) < 0 ? bad(err, "cannot read attribute", name) : 0;
	_cleanup_free_ char **strs = calloc((size_t)count, sizeof(char *));
	if (!strs || H5Aread(attr, mem, strs) < 0)
		return bad(err, "cannot read attribute", name);
	int rc = 0;
	for (size_t i = 0; i < (size_t)count; i++) {
		if (!strs[i] || strlen(strs[i]) >= cap)
			rc = bad(err, "attribute string too long:", name);
		else
			strcpy(out + i * cap, strs[i]);
	}
	H5Dvlen_reclaim(mem, space, H5P_DEFAULT, strs);
	return rc;
}

/* model_config: one string of up to NN_MAX_CONFIG bytes; *out is malloc'd. */
static int read_config(hid_t file, char **out, size_t *len, struct brink_error **err)
{
	_cleanup_hid_ hid_t attr = H5Aopen(file, "model_config", H5P_DEFAULT);
	_cleanup_hid_ hid_t type = attr >= 0 ? H5Aget_type(attr) : -1;
	if (type < 0 || H5Tget_class(type) != H5T_STRING)
		return bad(err, "model_config is not a string", NULL);
	size_t cap = H5Tis_variable_str(type) > 0 ? NN_MAX_CONFIG : H5Tget_size(type) + 1;
	if (cap > NN_MAX_CONFIG)
		return brink_error_make(err, BRINK_E_TOO_LARGE, "model: model_config over %u bytes",
					NN_MAX_CONFIG);
	char *buf = calloc(1, cap);
	size_t n = 0;
	if (!buf)
		return brink_error_make(err, BRINK_E_INTERNAL, "model: out of memory");
	int rc = read_strings(file, "model_config", buf, cap, 1, &n, err);
	if (rc < 0 || n != 1) {
		free(buf);
		return rc < 0 ? -1 : bad(err, "model_config is empty", NULL);
	}
	*out = buf;
	*len = strlen(buf);
	return 0;
}

/* Refuses storage that would make libhdf5 read other files (external raw
 * data, virtual datasets), chunks larger than the limits allow (libhdf5
 * allocates a whole chunk to read it), and filters other than those h5py
 * and Keras use (deflate, shuffle, fletcher32): less of libhdf5 to trust. */
static int check_storage(hid_t dset, const char *path, struct brink_error **err)
{
	_cleanup_hid_ hid_t dcpl = H5Dget_create_plist(dset);
	H5D_layout_t layout = dcpl >= 0 ? H5Pget_layout(dcpl) : H5D_LAYOUT_ERROR;
	if (layout < 0 || H5Pget_external_count(dcpl) != 0 || layout == H5D_VIRTUAL)
		return bad(err, "weights stored outside the file:", path);
	if (layout != H5D_CHUNKED)
		return 0;
	hsize_t chunk[H5S_MAX_RANK];
	int rank = H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk);
	hsize_t size = 1;
	for (int i = 0; i < rank; i++)
		size = chunk[i] > NN_MAX_PARAMS ? NN_MAX_PARAMS + 1 : size * chunk[i];
	if (rank < 1 || size > NN_MAX_PARAMS)
		return bad(err, "weights stored in oversized chunks:", path);
	int nfilters = H5Pget_nfilters(dcpl);
	for (int i = 0; i < nfilters; i++) {
		unsigned flags, config;
		size_t nvalues = 0;
		H5Z_filter_t f = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nvalues, NULL, 0, NULL,
						&config);
		if (f != H5Z_FILTER_DEFLATE && f != H5Z_FILTER_SHUFFLE && f != H5Z_FILTER_FLETCHER32)
			return bad(err, "weights use a filter other than deflate, shuffle or fletcher32:",
				   path);
	}
	return nfilters < 0 ? bad(err, "cannot read the filters of", path) : 0;
}

static int check_values(const float *v, size_t n, const char *path, struct brink_error **err)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return bad(err, "non-finite weight (NaN or infinity) in", path);
	return 0;
}

/* float64 weights are range-checked here rather than converted by libhdf5,
 * which would clamp out-of-range values silently. */
static int read_f64(hid_t dset, float *out, size_t n, const char *path, struct brink_error **err)
{
	double *tmp = malloc(n * sizeof(double));
	if (!tmp)
		return brink_error_make(err, BRINK_E_INTERNAL, "model: out of memory");
	int rc = 0;
	if (H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0)
		rc = bad(err, "cannot read weights", path);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!isfinite(tmp[i]) || fabs(tmp[i]) > FLT_MAX)
			rc = bad(err, "non-finite or out-of-range weight in", path);
		else
			out[i] = (float)tmp[i];
	}
	free(tmp);
	return rc;
}

/* Reads a float32/float64 dataset of rank `rank` (1 or 2) into *out (malloc'd),
 * its dimensions into dims; at most `budget` values. */
static int read_array(hid_t group, const char *path, int rank, size_t dims[2], size_t budget,
		      float **out, struct brink_error **err)
{
	_cleanup_hid_ hid_t dset = H5Dopen2(group, path, dapl);
	_cleanup_hid_ hid_t type = dset >= 0 ? H5Dget_type(dset) : -1;
	_cleanup_hid_ hid_t space = dset >= 0 ? H5Dget_space(dset) : -1;
	if (space < 0 || type < 0)
		return bad(err, "missing weights", path);
	size_t size = H5Tget_size(type);
	if (H5Tget_class(type) != H5T_FLOAT || (size != 4 && size != 8))
		return bad(err, "weights are not float32 or float64:", path);
	hsize_t d[2] = {1, 1};
	if (H5Sget_simple_extent_ndims(space) != rank || H5Sget_simple_extent_dims(space, d, NULL) < 0)
		return bad(err, rank == 2 ? "kernel is not a matrix:" : "bias is not a vector:", path);
	if (d[0] == 0 || d[0] > NN_MAX_UNITS || d[1] == 0 || d[1] > NN_MAX_UNITS ||
	    d[0] * d[1] > budget)
		return brink_error_make(err, BRINK_E_TOO_LARGE,
					"model: %.256s: shape over the limits (%d units, %u parameters)",
					path, NN_MAX_UNITS, NN_MAX_PARAMS);
	if (check_storage(dset, path, err) < 0)
		return -1;
	size_t n = (size_t)(d[0] * d[1]);
	float *v = malloc(n * sizeof(float));
	if (!v)
		return brink_error_make(err, BRINK_E_INTERNAL, "model: out of memory");
	int rc = size == 8 ? read_f64(dset, v, n, path, err) :
	     H5Dread(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0 ?
			     bad(err, "cannot read weights", path) :
			     check_values(v, n, path, err);
	if (rc < 0) {
		free(v);
		return -1;
	}
	dims[0] = (size_t)d[0];
	dims[1] = (size_t)d[1];
	*out = v;
	return 0;
}

typedef char nn_name[NN_MAX_NAME];

/* Reads the kernel (and bias) of layer group `lg` into l. */
static int read_weights(hid_t lg, const nn_name *wnames, size_t nw, size_t budget,
			struct nn_layer *l, struct brink_error **err)
{
	size_t kd[2], bd[2];
	if (read_array(lg, wnames[0], 2, kd, budget, &l->kernel, err) < 0)
		return -1;
	l->in = kd[0];
	l->out = kd[1];
	l->has_bias = nw == 2;
	if (l->has_bias) {
		if (read_array(lg, wnames[1], 1, bd, budget - l->in * l->out, &l->bias, err) < 0)
			return -1;
		if (bd[0] != l->out)
			return bad(err, "bias length differs from the kernel's columns:", wnames[1]);
	} else if (!(l->bias = calloc(l->out, sizeof(float)))) {
		return brink_error_make(err, BRINK_E_INTERNAL, "model: out of memory");
	}
	return 0;
}

/* Opens group `name` under `root` and reads its weight names; *nw may be 0. */
static hid_t open_layer(hid_t root, const char *name, nn_name *wnames, size_t *nw,
			struct brink_error **err)
{
	hid_t lg = H5Gopen2(root, name, lapl);
	if (lg < 0) {
		bad(err, "no weights group for layer", name);
		return -1;
	}
	if (H5Aexists(lg, "weight_names") <= 0 ||
	    read_strings(lg, "weight_names", wnames[0], NN_MAX_NAME, 2, nw, err) < 0) {
		if (err && !*err)
			bad(err, "layer lists no weight_names (or more than kernel and bias):", name);
		H5Idec_ref(lg);
		return -1;
	}
	return lg;
}

static int add_layer(struct brink_nn *nn, hid_t root, const char *name, bool want_bias,
		     enum nn_act act, struct brink_error **err)
{
	nn_name wnames[2];
	size_t nw = 0;
	_cleanup_hid_ hid_t lg = open_layer(root, name, wnames, &nw, err);
	if (lg < 0)
		return -1;
	if (nw == 0 || nw != (size_t)(want_bias ? 2 : 1))
		return bad(err, "layer does not hold a kernel and bias as declared:", name);
	if (nn->nlayers >= NN_MAX_LAYERS)
		return brink_error_make(err, BRINK_E_TOO_LARGE, "model: more than %d Dense layers",
					NN_MAX_LAYERS);
	struct nn_layer *l = &nn->layers[nn->nlayers++];
	l->act = act;
	if (read_weights(lg, (const nn_name *)wnames, nw, NN_MAX_PARAMS - nn->params, l, err) < 0)
		return -1;
	nn->params += l->in * l->out + (l->has_bias ? l->out : 0);
	return 0;
}

static int read_full_model(hid_t file, struct brink_nn *nn, struct brink_error **err)
{
	_cleanup_free_ char *json = NULL;
	_cleanup_free_ struct nn_spec *specs = calloc(NN_MAX_LAYERS, sizeof(*specs));
	size_t len = 0, n = 0;
	if (!specs)
		return brink_error_make(err, BRINK_E_INTERNAL, "model: out of memory");
	if (read_config(file, &json, &len, err) < 0 || nn__parse_config(json, len, specs, &n, err) < 0)
		return -1;
	bool nested = H5Lexists(file, "model_weights", lapl) > 0;
	_cleanup_hid_ hid_t root = H5Gopen2(file, nested ? "model_weights" : "/", lapl);
	if (root < 0)
		return bad(err, "cannot open model_weights", NULL);
	for (size_t i = 0; i < n; i++) {
		if (add_layer(nn, root, specs[i].name, specs[i].use_bias, specs[i].act, err) < 0)
			return -1;
		if (nn->layers[i].out != (size_t)specs[i].units)
			return bad(err, "kernel columns differ from the layer's units:", specs[i].name);
	}
	if (specs[0].input_width > 0 && (size_t)specs[0].input_width != nn->layers[0].in)
		return bad(err, "kernel rows differ from the declared input width:", specs[0].name);
	nn->keras_config = true;
	return 0;
}

/* A weights file: every layer with one or two weights is a Dense, linear. */
static int read_weights_file(hid_t file, struct brink_error **err, struct brink_nn *nn)
{
	_cleanup_free_ nn_name *names = calloc(NN_MAX_LAYERS * 4, sizeof(nn_name));
	size_t n;
	if (!names)
		return brink_error_make(err, BRINK_E_INTERNAL, "model: out of memory");
	if (read_strings(file, "layer_names", names[0], NN_MAX_NAME, NN_MAX_LAYERS * 4, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		nn_name wnames[2];
		size_t nw = 0;
		_cleanup_hid_ hid_t lg = open_layer(file, names[i], wnames, &nw, err);
		if (lg < 0)
			return -1;
		if (nw > 0 && add_layer(nn, file, names[i], nw == 2, NN_LINEAR, err) < 0)
			return -1;
	}
	return nn->nlayers ? 0 : bad(err, "the weights file holds no Dense layer", NULL);
}

int nn__read_keras(int64_t file, struct brink_nn *nn, struct brink_error **err)
{
	if (lapl < 0)
		return brink_error_make(err, BRINK_E_INTERNAL, "model: libhdf5 did not initialise");
	if (H5Aexists(file, "model_config") > 0)
		return read_full_model(file, nn, err);
	if (H5Aexists(file, "layer_names") > 0)
		return read_weights_file(file, err, nn);
	return bad(err, "not a Keras file (neither model_config nor layer_names)", NULL);
}
