"""Keras-layout HDF5 models written with h5py (Keras itself is not needed),
and numpy's reference for them, for the analyze end-to-end tests and bench.

Layout (Keras 2's model.save): root attribute model_config (JSON of a
Sequential of Dense layers), group model_weights with attribute layer_names,
per layer a group with attribute weight_names naming the datasets
<layer>/kernel:0 (inputs x units) and <layer>/bias:0.

  analyze_models.py write DIR     the models the e2e test uses
  analyze_models.py bench DIR     an ECM-sized model (~74 KB of float32 weights)"""
import json
import os
import sys

import h5py
import numpy as np

ACTS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "softmax": lambda x: np.exp(x - x.max(axis=-1, keepdims=True))
    / np.exp(x - x.max(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True),
}


def random_layers(widths, acts, seed):
    rng = np.random.default_rng(seed)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        limit = np.sqrt(6.0 / (n_in + n_out))
        k = rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32)
        b = rng.uniform(-0.5, 0.5, n_out).astype(np.float32)
        layers.append(("dense_%d" % (i + 1), k, b, acts[i]))
    return layers


def write(path, layers):
    config = []
    for i, (name, k, b, act) in enumerate(layers):
        cfg = {"name": name, "units": int(k.shape[1]), "activation": act, "use_bias": True,
               "dtype": "float32", "trainable": True}
        if i == 0:
            cfg["batch_input_shape"] = [None, int(k.shape[0])]
        config.append({"class_name": "Dense", "config": cfg})
    model_config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": config}}
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(model_config).encode()
        f.attrs["keras_version"] = b"2.4.0"
        f.attrs["backend"] = b"tensorflow"
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = np.array([n.encode() for n, _, _, _ in layers])
        for name, k, b, _ in layers:
            g = mw.create_group(name)
            names = [("%s/kernel:0" % name).encode(), ("%s/bias:0" % name).encode()]
            g.attrs["weight_names"] = np.array(names)
            g.create_dataset(names[0].decode(), data=k)
            g.create_dataset(names[1].decode(), data=b)


def reference(layers, x):
    """numpy's outputs (float64 arithmetic on the float32 weights)."""
    y = np.asarray(x, dtype=np.float64)
    for _, k, b, act in layers:
        y = ACTS[act](y @ k.astype(np.float64) + b.astype(np.float64))
    return y


def load(path):
    """The layers of a model written by write()."""
    layers = []
    with h5py.File(path, "r") as f:
        cfg = json.loads(f.attrs["model_config"])
        for layer in cfg["config"]["layers"]:
            c = layer["config"]
            g = f["model_weights"][c["name"]]
            k = g["%s/kernel:0" % c["name"]][()]
            b = g["%s/bias:0" % c["name"]][()]
            layers.append((c["name"], k, b, c["activation"]))
    return layers


MODELS = {
    # name: (widths, activations, seed)
    "small": ([2, 16, 8, 1], ["relu", "tanh", "sigmoid"], 1),
    "multi": ([2, 12, 3], ["relu", "softmax"], 2),
    "width3": ([3, 4, 1], ["relu", "sigmoid"], 3),
    "heavy": ([2, 1024, 1024, 1], ["relu", "relu", "sigmoid"], 4),
    # ~74 KB of float32 weights, as ECM's model
    "ecm": ([2, 128, 136, 1], ["relu", "relu", "sigmoid"], 5),
}


def write_all(d):
    for name, (widths, acts, seed) in MODELS.items():
        write(os.path.join(d, name + ".h5"), random_layers(widths, acts, seed))
    small = open(os.path.join(d, "small.h5"), "rb").read()
    open(os.path.join(d, "truncated.h5"), "wb").write(small[: len(small) // 2])
    open(os.path.join(d, "garbage.h5"), "wb").write(np.random.default_rng(9).bytes(4096))
    layers = random_layers([2, 4, 1], ["relu", "sigmoid"], 6)
    layers[0][1][1, 2] = np.nan
    write(os.path.join(d, "nan.h5"), layers)


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write_all(sys.argv[2])
    elif sys.argv[1] == "bench":
        widths, acts, seed = MODELS["ecm"]
        write(os.path.join(sys.argv[2], "ecm.h5"), random_layers(widths, acts, seed))
