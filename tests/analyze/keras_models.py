#!/usr/bin/python3
"""Writes Keras-layout HDF5 models with h5py (Keras itself is not needed), plus
inputs and numpy's outputs, for brink's engine tests, fuzz seeds and bench.

  keras_models.py reference DIR   random models + inputs + float64 numpy outputs
  keras_models.py bad DIR         malformed models + the error each must give
  keras_models.py seeds DIR       tiny valid models (fuzz seed corpus)
  keras_models.py bench DIR       models of ECM's sizes (74 KB, 178 KB, 1.78 MB)

Layout (Keras 2, keras/saving/hdf5_format.py): a full model has the root
attribute model_config (JSON), a group model_weights with attribute
layer_names, and per layer a group model_weights/<layer> with attribute
weight_names naming datasets <layer>/kernel:0 and <layer>/bias:0 relative to
it. A weights file (save_weights) has the same groups at the root."""
import json
import os
import sys

import h5py
import numpy as np

RNG = np.random.default_rng(20261125)


def dense_config(name, units, act, use_bias=True, input_width=None):
    cfg = {"name": name, "trainable": True, "dtype": "float32", "units": units,
           "activation": act, "use_bias": use_bias,
           "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
           "bias_initializer": {"class_name": "Zeros", "config": {}}}
    if input_width is not None:
        cfg["batch_input_shape"] = [None, input_width]
    return {"class_name": "Dense", "config": cfg}


def random_layers(widths, acts, use_bias=None, dtype=np.float32):
    """[(name, kernel, bias or None, act)] for a Dense stack of these widths."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        limit = np.sqrt(6.0 / (n_in + n_out))
        k = RNG.uniform(-limit, limit, (n_in, n_out)).astype(dtype)
        with_bias = use_bias[i] if use_bias else True
        b = RNG.uniform(-0.5, 0.5, n_out).astype(dtype) if with_bias else None
        layers.append(("dense_%d" % (i + 1), k, b, acts[i]))
    return layers


def write_group(g, name, kernel, bias, vlen=False, byteorder=None, compression=None):
    lg = g.create_group(name)
    names = [("%s/kernel:0" % name).encode()]
    if bias is not None:
        names.append(("%s/bias:0" % name).encode())
    if vlen:
        lg.attrs.create("weight_names", [n.decode() for n in names],
                        dtype=h5py.string_dtype())
    else:
        lg.attrs["weight_names"] = np.array(names)
    for wname, value in zip(names, [kernel, bias]):
        if byteorder:
            value = value.astype(value.dtype.newbyteorder(byteorder))
        opts = {"compression": compression, "shuffle": True, "fletcher32": True} if compression else {}
        lg.create_dataset(wname.decode(), data=value, **opts)
    return lg


def write_full(path, layers, config=None, vlen=False, byteorder=None, extra=None,
               compression=None):
    """A `model.save` file; `config` overrides the generated layer list."""
    if config is None:
        config = [dense_config(n, k.shape[1], a, b is not None,
                               k.shape[0] if i == 0 else None)
                  for i, (n, k, b, a) in enumerate(layers)]
    model_config = {"class_name": "Sequential",
                    "config": {"name": "sequential", "layers": config}}
    with h5py.File(path, "w") as f:
        text = json.dumps(model_config)
        if vlen:
            f.attrs.create("model_config", text, dtype=h5py.string_dtype())
        else:
            f.attrs["model_config"] = text.encode()
        f.attrs["keras_version"] = b"2.4.0"
        f.attrs["backend"] = b"tensorflow"
        mw = f.create_group("model_weights")
        names = [c["config"]["name"] for c in config]
        mw.attrs["layer_names"] = np.array([n.encode() for n in names])
        weights = {n: (k, b) for n, k, b, _ in layers}
        for n in names:
            if n in weights:
                write_group(mw, n, *weights[n], vlen=vlen, byteorder=byteorder,
                            compression=compression)
            else:
                mw.create_group(n).attrs["weight_names"] = np.array([], dtype="S1")
        if extra:
            extra(f)


def write_weights(path, layers):
    """A `model.save_weights` file (no config: activations unknown)."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([n.encode() for n, *_ in layers] + [b"dropout_1"])
        f.attrs["keras_version"] = b"2.4.0"
        f.attrs["backend"] = b"tensorflow"
        for n, k, b, _ in layers:
            write_group(f, n, k, b)
        f.create_group("dropout_1").attrs["weight_names"] = np.array([], dtype="S1")


def act(name, y):
    if name == "relu":
        return np.maximum(y, 0)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-y))
    if name == "tanh":
        return np.tanh(y)
    if name == "softmax":
        e = np.exp(y - y.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return y


def forward(layers, x):
    y = x.astype(np.float64)
    for _, k, b, a in layers:
        y = y @ k.astype(np.float64)
        if b is not None:
            y = y + b.astype(np.float64)
        y = act(a, y)
    return y


def reference(out):
    """Cases: a manifest line per model: file inputs outputs rows activations."""
    cases = []

    def case(name, widths, acts, kind="full", use_bias=None, dtype=np.float32, **kw):
        layers = random_layers(widths, acts, use_bias, dtype)
        path = os.path.join(out, name + ".h5")
        if kind == "full":
            write_full(path, layers, **kw)
        else:
            write_weights(path, layers)
        rows = 150
        x = RNG.normal(0, 2, (rows, widths[0])).astype(np.float32)
        x.tofile(os.path.join(out, name + ".in"))
        forward(layers, x).tofile(os.path.join(out, name + ".out"))
        act_list = ",".join(acts) if kind == "weights" else "-"
        cases.append("%s %d %d %d %s" % (name, widths[0], widths[-1], rows, act_list))
        return layers

    case("ecm", [2, 16, 16, 3], ["relu", "relu", "softmax"])
    case("tanh_sigmoid_f64", [8, 32, 1], ["tanh", "sigmoid"], dtype=np.float64)
    case("no_bias", [5, 12, 7, 4], ["relu", "linear", "softmax"], use_bias=[True, False, True])
    case("big_endian_vlen", [3, 9, 2], ["sigmoid", "linear"], vlen=True, byteorder=">")
    case("wide", [64, 256, 256, 10], ["relu", "tanh", "softmax"])
    case("deep", [4] + [24] * 12 + [2], ["relu"] * 12 + ["sigmoid"])
    case("gzip_shuffle_fletcher", [6, 30, 3], ["tanh", "softmax"], compression="gzip")
    case("weights_linear", [4, 10, 2], ["linear", "linear"], kind="weights")
    case("weights_relu_softmax", [6, 20, 5], ["relu", "softmax"], kind="weights")
    # Keras 2.0's layout: the layer list directly under "config", with
    # InputLayer, Dropout and Activation layers around the Dense ones.
    layers = random_layers([3, 8, 2], ["relu", "softmax"])
    conf = [{"class_name": "InputLayer", "config": {"name": "input_1"}},
            dense_config("dense_1", 8, "linear", True, 3),
            {"class_name": "Activation", "config": {"name": "act_1", "activation": "relu"}},
            {"class_name": "Dropout", "config": {"name": "dropout_1", "rate": 0.5}},
            dense_config("dense_2", 2, "softmax")]
    path = os.path.join(out, "keras20_list.h5")
    write_full(path, layers, config=conf)
    with h5py.File(path, "r+") as f:
        mc = json.loads(f.attrs["model_config"])
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential",
                                              "config": mc["config"]["layers"]}).encode()
    x = RNG.normal(0, 2, (70, 3)).astype(np.float32)
    x.tofile(os.path.join(out, "keras20_list.in"))
    forward(layers, x).tofile(os.path.join(out, "keras20_list.out"))
    cases.append("keras20_list 3 2 70 -")
    with open(os.path.join(out, "manifest"), "w") as f:
        f.write("\n".join(cases) + "\n")


def bad(out):
    """Malformed models: a line per file: name<TAB>substring of the error."""
    cases = []
    ok = random_layers([2, 4, 3], ["relu", "softmax"])

    def case(name, expect, layers=ok, **kw):
        write_full(os.path.join(out, name + ".h5"), layers, **kw)
        cases.append("%s\t%s" % (name, expect))

    nan = random_layers([2, 4, 3], ["relu", "softmax"])
    nan[1][1][2, 1] = np.nan
    case("nan_weight", "non-finite", nan)
    inf = random_layers([2, 4, 3], ["relu", "softmax"], dtype=np.float64)
    inf[0][1][0, 0] = 1e300
    case("f64_out_of_range", "out-of-range", inf)
    mismatch = ok[:1] + random_layers([5, 3], ["softmax"])
    mismatch[1] = ("dense_2",) + mismatch[1][1:]
    case("chain_mismatch", "takes 5 inputs but layer 1 gives 4", mismatch)
    case("bad_activation", "unsupported activation selu",
         config=[dense_config("dense_1", 4, "selu", True, 2), dense_config("dense_2", 3, "softmax")])
    case("bad_layer", "unsupported layer Conv2D",
         config=[{"class_name": "Conv2D", "config": {"name": "conv"}}] +
         [dense_config("dense_1", 4, "relu", True, 2), dense_config("dense_2", 3, "softmax")])
    case("units_mismatch", "units",
         config=[dense_config("dense_1", 5, "relu", True, 2), dense_config("dense_2", 3, "softmax")])
    case("input_mismatch", "declared input width",
         config=[dense_config("dense_1", 4, "relu", True, 7), dense_config("dense_2", 3, "softmax")])
    case("missing_weights", "dense_9",
         config=[dense_config("dense_1", 4, "relu", True, 2), dense_config("dense_9", 3, "softmax")])
    case("huge_units", "units",
         config=[dense_config("dense_1", 10 ** 9, "relu", True, 2), dense_config("dense_2", 3, "softmax")])
    kernel3d = [("dense_1", np.zeros((2, 2, 4), np.float32), ok[0][2], "relu"), ok[1]]
    case("kernel_3d", "not a matrix", kernel3d)
    ints = [("dense_1", np.zeros((2, 4), np.int32), ok[0][2], "relu"), ok[1]]
    case("int_weights", "not float32 or float64", ints)

    def functional(f):
        f.attrs["model_config"] = json.dumps({"class_name": "Functional", "config": {}}).encode()
    case("functional", "only Sequential", extra=functional)

    def lzf(f):
        g = f["model_weights/dense_2"]
        del g["dense_2/bias:0"]
        g.create_dataset("dense_2/bias:0", data=ok[1][2], compression="lzf")
    case("lzf_filter", "filter other than deflate", extra=lzf)

    def big_chunk(f):
        # 5 M float32 per chunk for a bias of 3: libhdf5 would allocate 20 MB.
        g = f["model_weights/dense_2"]
        del g["dense_2/bias:0"]
        g.create_dataset("dense_2/bias:0", data=ok[1][2], chunks=(5000000,), maxshape=(None,),
                         compression="gzip")
    case("oversized_chunk", "oversized chunks", extra=big_chunk)

    def broken_json(f):
        f.attrs["model_config"] = b'{"class_name": "Sequential", "config": {'
    case("broken_json", "model_config", extra=broken_json)

    # A valid layer in another file: loading it would read that file.
    target = os.path.abspath(os.path.join(out, "elink_target.h5"))
    with h5py.File(target, "w") as f:
        write_group(f, "dense_2", ok[1][1], ok[1][2])

    def external_link(f):
        del f["model_weights/dense_2"]
        f["model_weights/dense_2"] = h5py.ExternalLink(target, "/dense_2")
    case("external_link", "no weights group", extra=external_link)

    def external_storage(f):
        g = f["model_weights/dense_2"]
        del g["dense_2/bias:0"]
        g.create_dataset("dense_2/bias:0", shape=(3,), dtype="f4",
                         external=[("/etc/hostname", 0, 12)])
    case("external_storage", "outside the file", extra=external_storage)

    with h5py.File(os.path.join(out, "no_keras.h5"), "w") as f:
        f.create_dataset("x", data=np.zeros(3, np.float32))
    cases.append("no_keras\tnot a Keras file")
    with open(os.path.join(out, "ecm_ok.h5"), "wb") as f:
        pass
    write_full(os.path.join(out, "ecm_ok.h5"), ok)
    data = open(os.path.join(out, "ecm_ok.h5"), "rb").read()
    with open(os.path.join(out, "truncated.h5"), "wb") as f:
        f.write(data[:len(data) // 2])
    cases.append("truncated\tHDF5")
    with open(os.path.join(out, "not_hdf5.h5"), "wb") as f:
        f.write(b"PK\x03\x04 this is a zip, not a model")
    cases.append("not_hdf5\tnot an HDF5 file")
    with open(os.path.join(out, "manifest"), "w") as f:
        f.write("\n".join(cases) + "\n")


def seeds(out):
    write_full(os.path.join(out, "full"), random_layers([2, 3, 2], ["relu", "softmax"]))
    write_full(os.path.join(out, "vlen_f64"), random_layers([2, 2], ["sigmoid"], dtype=np.float64),
               vlen=True)
    write_weights(os.path.join(out, "weights"), random_layers([2, 2, 1], ["linear", "linear"]))
    write_full(os.path.join(out, "gzip"), random_layers([2, 3, 2], ["tanh", "softmax"]),
               compression="gzip")


def bench(out):
    """2 inputs (ECM's temp, hum), two hidden layers of h, 4 classes:
    h^2 + 8h + 4 float32 parameters."""
    for name, h in [("ecm74k", 132), ("ecm178k", 207), ("x10", 663)]:
        layers = random_layers([2, h, h, 4], ["relu", "relu", "softmax"])
        write_full(os.path.join(out, name + ".h5"), layers)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("reference", "bad", "seeds", "bench"):
        sys.exit(__doc__)
    os.makedirs(sys.argv[2], exist_ok=True)
    globals()[sys.argv[1]](sys.argv[2])
