"""ECM front end: an ECM listening request (ECM's client exchange, byte for
byte: tests/e2e/ecm_programs.py) -> its reply, which brink sends once the
forward worker is ready; beside the same service created through brink's REST
API (POST /v1/services, kept-alive HTTP), in the same run on the same brinkd.
Each service is removed after (ECM remove / DELETE), not timed.
Usage: ecm_bench.py OFFSET API_URL N"""
import http.client
import json
import os
import statistics
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import ecm_programs as ecm  # noqa: E402

OFFSET, URL, N = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


key = json.loads(ecm.register_client(OFFSET, "bench"))["body"].split("'")[1]
ecm_us = []
for _ in range(N):
    t0 = time.perf_counter()
    resp, _ = ecm.cliente(OFFSET, key, "listening")
    ecm_us.append((time.perf_counter() - t0) * 1e6)
    number = int(json.loads(resp)["body"].split("servicio es ")[1].rstrip("."))
    ecm.cliente(OFFSET, key, "delete", removed_service=number)

u = urllib.parse.urlparse(URL)
conn = http.client.HTTPConnection(u.hostname, u.port)
conn.request("POST", "/v1/tenants", body=json.dumps({"name": "bench-rest"}))
rkey = json.loads(conn.getresponse().read())["key"]
hdr = {"Authorization": "Bearer " + rkey, "Content-Type": "application/json"}
rest_us = []
for _ in range(N):
    t0 = time.perf_counter()
    conn.request("POST", "/v1/services", headers=hdr,
                 body=json.dumps({"kind": "forward", "cpu": {"min": 0.5, "max": 1}}))
    svc = json.loads(conn.getresponse().read())
    rest_us.append((time.perf_counter() - t0) * 1e6)
    conn.request("DELETE", "/v1/services/" + svc["id"], headers=hdr)
    conn.getresponse().read()
print("%d %d %d %d" % (statistics.median(ecm_us), pct(ecm_us, 0.99),
                       statistics.median(rest_us), pct(rest_us, 0.99)))
