#!/usr/bin/python3
"""PyTorch beside brink's engine: the same Keras files (written by
tests/analyze/keras_models.py bench), one thread, eager and torch.jit.script:
load (h5py read + building the torch model, ms), per-datum latency p50/p99
(µs) and batch-of-64 throughput (rows/s).
  engine_torch.py MODEL.h5 ... → one key=value line per model"""
import sys
import time

import h5py
import numpy as np
import torch

torch.set_num_threads(1)
DATUMS = 5000
ROUNDS = 300


def read_weights(path):
    """Kernels and biases in layer order (Keras 2 full-model layout)."""
    with h5py.File(path, "r") as f:
        mw = f["model_weights"]
        ws = []
        for name in mw.attrs["layer_names"]:
            g = mw[name.decode()]
            ws += [np.asarray(g[w.decode()]) for w in g.attrs["weight_names"]]
    return ws


def build(path):
    ws = read_weights(path)
    layers = []
    for i in range(0, len(ws), 2):
        k, b = ws[i], ws[i + 1]
        lin = torch.nn.Linear(k.shape[0], k.shape[1])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(k.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        layers.append(torch.nn.ReLU() if i + 2 < len(ws) else torch.nn.Softmax(dim=-1))
    return torch.nn.Sequential(*layers).eval(), ws[0].shape[0]


def datum(model, inputs):
    times = []
    x = torch.zeros(1, inputs)
    with torch.inference_mode():
        for i in range(DATUMS):
            x[0, 0] = float(i % 50) - 20.0
            t0 = time.perf_counter_ns()
            model(x)
            times.append((time.perf_counter_ns() - t0) / 1e3)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.99)]


def batch(model, inputs):
    x = torch.randn(64, inputs)
    with torch.inference_mode():
        t0 = time.perf_counter()
        for _ in range(ROUNDS):
            model(x)
    return 64 * ROUNDS / (time.perf_counter() - t0)


def main():
    for path in sys.argv[1:]:
        loads = []
        for _ in range(10):
            t0 = time.perf_counter()
            model, inputs = build(path)
            loads.append((time.perf_counter() - t0) * 1e3)
        loads.sort()
        scripted = torch.jit.script(model)
        with torch.inference_mode():
            for _ in range(50):  # the profiling executor specialises on early calls
                scripted(torch.zeros(1, inputs))
                scripted(torch.zeros(64, inputs))
        e50, e99 = datum(model, inputs)
        s50, s99 = datum(scripted, inputs)
        print("load_ms=%.3f " % loads[len(loads) // 2], end="")
        print("eager_p50_us=%.2f eager_p99_us=%.2f eager_rows_s=%.0f "
              "script_p50_us=%.2f script_p99_us=%.2f script_rows_s=%.0f"
              % (e50, e99, batch(model, inputs), s50, s99, batch(scripted, inputs)), flush=True)


if __name__ == "__main__":
    main()
