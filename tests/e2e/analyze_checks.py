"""End-to-end checks of analyze services with real sockets: a thing sends
readings to brink's TCP ingest, a client reads the service's stream port, and
the results are compared with numpy's reference for the same model file.
Prints one line per check: "CHECK 1 name" or "CHECK 0 name: detail".

  analyze_checks.py datum INGEST STREAM KEY THING TKEY MODEL.h5
  analyze_checks.py batch INGEST STREAM KEY THING TKEY MODEL.h5 N
  analyze_checks.py rules INGEST STREAM KEY THING TKEY
  analyze_checks.py load  INGEST THING TKEY RATE SECONDS   (sends, no checks)"""
import json
import socket
import sys
import time

import numpy as np

import analyze_models
import streamlib

ALERT = "Alerta por condiciones inapropiadas"
NORMAL = "Condiciones apropiadas"


def check(name, ok, detail=""):
    print(f"CHECK {1 if ok else 0} {name}{'' if ok else ': ' + str(detail)[:400]}", flush=True)


def connect(port, first_line):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(first_line.encode() + b"\n")
    return s


def thing(ingest, name, key):
    s = connect(ingest, json.dumps({"thing": name, "key": key}))
    streamlib.read_lines(s, 1)
    return s


def send(s, readings):
    s.sendall(b"".join(json.dumps(r).encode() + b"\n" for r in readings))


def readings(n, seed, as_strings=False):
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.uniform(10, 45, n), rng.uniform(20, 90, n)])
    recs = [{"temp": float(t), "hum": float(h), "seq": i} for i, (t, h) in enumerate(x)]
    if as_strings:  # ECM's sensors send the values as strings of floats
        for r in recs[::2]:
            r["temp"], r["hum"] = repr(r["temp"]), repr(r["hum"])
    return recs, x


def setup(argv):
    ingest, stream, key, name, tkey = int(argv[0]), int(argv[1]), argv[2], argv[3], argv[4]
    client = connect(stream, key)
    time.sleep(0.2)  # the client's key is checked before readings flow
    return client, thing(ingest, name, tkey), name


def datum(argv):
    client, t, name = setup(argv)
    layers = analyze_models.load(argv[5])
    recs, x = readings(40, 11, as_strings=True)
    bad = [{"temp": 20.0, "seq": 100}, {"temp": "warm", "hum": 50, "seq": 101},
           {"temp": True, "hum": 50, "seq": 102}, {"temp": "nan", "hum": 1, "seq": 103}]
    send(t, recs[:20] + bad + recs[20:])
    lines = [json.loads(l) for l in streamlib.read_lines(client, 40, 5.0)]
    check("datum: one result per usable reading", len(lines) == 40, len(lines))
    check("datum: readings missing a field or not numeric give no result",
          all(r.get("seq", 0) < 100 for r in lines), [r.get("seq") for r in lines])
    ref = analyze_models.reference(layers, x)[:, 0]
    got = np.array([r.get("score", np.nan) for r in lines[:40]], dtype=np.float64)
    seqs = [r.get("seq") for r in lines]
    check("datum: results in reading order", seqs == list(range(40)), seqs)
    diff = np.max(np.abs(got - ref[: len(got)])) if len(got) == 40 else np.inf
    check("datum: score equals numpy's output within 1e-5", diff <= 1e-5, f"max diff {diff}")
    want = ["alert" if v >= 0.5 else "normal" for v in ref]
    check("datum: class by the 0.5 threshold", [r.get("class") for r in lines] == want[: len(lines)],
          [r.get("class") for r in lines[:5]])
    check("datum: ECM's msg follows the class",
          all(r.get("msg") == (ALERT if r.get("class") == "alert" else NORMAL) for r in lines))
    r0 = lines[0] if lines else {}
    check("datum: the line keeps the thing, the receive time and the reading's fields",
          r0.get("thing") == name and abs(r0.get("received", 0) - time.time()) < 60
          and r0.get("temp") == recs[0]["temp"], r0)
    check("datum: both classes occur in this sample (a test that can fail)",
          len(set(want)) == 2, want)


def batch(argv):
    client, t, _ = setup(argv)
    layers = analyze_models.load(argv[5])
    n = int(argv[6])
    recs, x = readings(2 * n, 12)
    send(t, recs[:3] + [{"hum": 1, "seq": 100}] + recs[3:])
    lines = [json.loads(l) for l in streamlib.read_lines(client, 2, 5.0)]
    check("batch: one result per N usable readings", len(lines) == 2, lines)
    ref = analyze_models.reference(layers, x)
    cls = ref.argmax(axis=1)
    labels = ["low", "mid", "high"]
    for i, r in enumerate(lines[:2]):
        part, sc = cls[i * n:(i + 1) * n], ref[i * n:(i + 1) * n].max(axis=1)
        want = {labels[c]: int((part == c).sum()) for c in range(3)}
        check(f"batch {i}: counts per class as numpy's argmax", r.get("classes") == want,
              (r.get("classes"), want))
        check(f"batch {i}: nalerts counts the alert class", r.get("nalerts") == want["high"],
              (r.get("nalerts"), want))
        check(f"batch {i}: count is N", r.get("count") == n, r)
        check(f"batch {i}: mean score within 1e-5", abs(r.get("score", 1e9) - sc.mean()) <= 1e-5,
              (r.get("score"), sc.mean()))
        check(f"batch {i}: ECM's msg", r.get("msg") == (ALERT if want["high"] else NORMAL), r)


def rules(argv):
    client, t, _ = setup(argv)
    recs = [{"temp": 31, "hum": 10}, {"temp": 20, "hum": 61}, {"temp": 20, "hum": 50},
            {"temp": "35.5", "hum": "10"}, {"hum": 99}]
    send(t, recs)
    lines = [json.loads(l) for l in streamlib.read_lines(client, 4, 5.0)]
    got = [(l.get("class"), l.get("msg")) for l in lines]
    want = [("alert", ALERT), ("alert", ALERT), ("normal", NORMAL), ("alert", ALERT)]
    check("rules: the rule's truth is the alert", got == want, got)


def load(argv):
    ingest, name, tkey, rate, seconds = int(argv[0]), argv[1], argv[2], float(argv[3]), float(argv[4])
    t = thing(ingest, name, tkey)
    line = json.dumps({"temp": 25.0, "hum": 50.0}).encode() + b"\n"
    tick, sent, start = 0.01, 0, time.time()
    while time.time() - start < seconds:
        due = int((time.time() - start) * rate)
        if due > sent:
            t.sendall(line * (due - sent))
            sent = due
        time.sleep(tick)


if __name__ == "__main__":
    {"datum": datum, "batch": batch, "rules": rules, "load": load}[sys.argv[1]](sys.argv[2:])
