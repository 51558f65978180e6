"""End-to-end checks of the stream clients a forward worker writes to itself
(brinkd hands their sockets over, include/brink/wire.h CLIENT): the worker
holds one socket per client, up to its limit, brinkd serves the rest; a
client that leaves is taken back; a stalled client cannot grow the worker.
Prints one line per check: "CHECK 1 name" (passed) or "CHECK 0 name: detail".
Arguments: ingest port, stream port, tenant key, thing name, thing key,
worker pid, the limit of handed clients, brinkd's /metrics URL."""
import json
import os
import socket
import sys
import time
import urllib.request

import streamlib

ingest, stream = int(sys.argv[1]), int(sys.argv[2])
key, thing, tkey = sys.argv[3:6]
worker, limit, metrics = int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
read_lines = streamlib.read_lines


def check(name, ok, detail=""):
    print(f"CHECK {1 if ok else 0} {name}{'' if ok else ': ' + str(detail)}", flush=True)


def worker_sockets():
    fds, n = f"/proc/{worker}/fd", 0
    for f in os.listdir(fds):
        try:
            n += os.readlink(f"{fds}/{f}").startswith("socket:")
        except FileNotFoundError:  # closed meanwhile
            pass
    return n


def settle(want, timeout=3.0):
    """Waits until the worker holds `want` sockets; returns what it holds."""
    end = time.time() + timeout
    while worker_sockets() != want and time.time() < end:
        time.sleep(0.02)
    return worker_sockets()


def metric(name):
    text = urllib.request.urlopen(metrics, timeout=3).read().decode()
    return int([l for l in text.splitlines() if l.startswith(name + " ")][0].split()[1])


def dropped_metric():
    return metric("brink_stream_dropped_lines_total")


def worker_rss_kib():
    return int([l for l in open(f"/proc/{worker}/status") if l.startswith("VmRSS")][0].split()[1])


def client():
    s = socket.create_connection(("127.0.0.1", stream), timeout=3)
    s.sendall(key.encode() + b"\n")
    return s


def send(t, seq, pad=""):
    t.sendall(json.dumps({"temp": "21.5", "seq": seq, "pad": pad}).encode() + b"\n")


base = worker_sockets()
t = socket.create_connection(("127.0.0.1", ingest), timeout=3)
t.sendall(json.dumps({"thing": thing, "key": tkey}).encode() + b"\n")
read_lines(t, 1)

first = client()
check("an authenticated client's socket goes to the worker", settle(base + 1) == base + 1,
      worker_sockets() - base)
for i in range(5):
    send(t, i)
got = [json.loads(l).get("seq") for l in read_lines(first, 5)]
check("the worker's client receives every reading, in order", got == list(range(5)), got)

more = [client() for _ in range(limit + 3)]
held = settle(base + limit)
check(f"the worker holds at most {limit} clients", held == base + limit, held - base)
send(t, 100)
lines = [read_lines(c, 1) for c in [first] + more]
ok = sum(1 for l in lines if l and json.loads(l[0]).get("seq") == 100)
check("every client gets the reading, the worker's and brinkd's own", ok == len(lines),
      f"{ok} of {len(lines)}")

for c in more[:10]:
    c.close()
held = settle(base + limit - 10)
check("clients that leave are taken back from the worker", held == base + limit - 10, held - base)
later = [client() for _ in range(5)]
held = settle(base + limit - 5)
check("new clients go to the worker again once there is room", held == base + limit - 5,
      held - base)
send(t, 101)
got = [read_lines(c, 1) for c in later]
check("... and receive the readings", all(g and json.loads(g[0]).get("seq") == 101 for g in got),
      got)

# A client that stops reading: the others still get everything, and what
# waits for it in the worker stays bounded (1 MiB, then lines are dropped).
for c in [first] + more[10:] + later:
    c.close()
settle(base)
stalled = socket.socket()
stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
stalled.connect(("127.0.0.1", stream))
stalled.sendall(key.encode() + b"\n")
reader = client()
settle(base + 2)
dropped0 = dropped_metric()
readings0 = metric("brink_router_dropped_readings_total")
rss0 = worker_rss_kib()
pad, n = "x" * 200, 40000  # about 11 MB of lines: more than the kernel buffers hold
got = 0
for i in range(n):
    send(t, 1000 + i, pad)
    if i % 500 == 499:
        got += len(read_lines(reader, 500, 5.0))
check("a stalled client does not hold the others back", got == n,
      f"{got} of {n}, brinkd dropped "
      f"{metric('brink_router_dropped_readings_total') - readings0} readings for the worker")
rss1 = worker_rss_kib()
check("what waits for a stalled client stays bounded in the worker", rss1 - rss0 < 3 * 1024,
      f"{rss1 - rss0} KiB more")
kept = 0  # read until nothing more comes: the worker's and the kernel's buffers drained
while (more := len(read_lines(stalled, n - kept, 1.5))):
    kept += more
check("the stalled client lost lines instead of the worker keeping them", 0 < kept < n,
      f"it got {kept} of {n}")
end = time.time() + 2
while dropped_metric() - dropped0 != n - kept and time.time() < end:
    time.sleep(0.05)
check("/metrics counts every line it lost", dropped_metric() - dropped0 == n - kept,
      f"counted {dropped_metric() - dropped0}, lost {n - kept}")
stalled.close()
reader.close()
t.close()
