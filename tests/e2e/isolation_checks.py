"""The isolation matrix (tests/e2e/t_isolation.sh): tenant A's readings,
sent over every ingest (TCP, CoAP, CoAP over DTLS), reach A's clients on
every stream path (the service's TCP stream port, SSE, WebSocket) and none
of tenant B's; B's own reading reaches only B; readings sent with A's thing
name and B's key, or from B's DTLS session to A's thing path, go nowhere.
Prints "CHECK 1 name" or "CHECK 0 name: detail" per check.

Arguments: API_PORT INGEST_PORT COAP_PORT COAPS_PORT, then for A and for B:
KEY SERVICE STREAM_PORT TENANT_NAME THING THING_KEY."""
import json
import socket
import subprocess
import sys
import time

import streamlib
from ws_checks import Client, check, connect

api, ingest, coap, coaps = (int(x) for x in sys.argv[1:5])
A = dict(zip(("key", "svc", "port", "tenant", "thing", "tkey"), sys.argv[5:11]))
B = dict(zip(("key", "svc", "port", "tenant", "thing", "tkey"), sys.argv[11:17]))


def stream_port(port, key):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=3)
    s.sendall(key.encode() + b"\n")
    return s


def sse(svc, key):
    return subprocess.Popen(["curl", "-sN", "--max-time", "6", "-H", f"Authorization: Bearer {key}",
                             f"http://127.0.0.1:{api}/v1/services/{svc}/stream"],
                            stdout=subprocess.PIPE)


def ws(svc, key):
    c, status, _, _ = connect(api, svc, key)
    return c, status


def tcp_send(thing, key, reading):
    """One reading over the TCP ingest; returns brinkd's answer to the auth."""
    s = socket.create_connection(("127.0.0.1", ingest), timeout=3)
    s.sendall(json.dumps({"thing": thing, "key": key}).encode() + b"\n")
    answer = streamlib.read_lines(s, 1, 3.0)
    s.sendall(json.dumps(reading).encode() + b"\n")
    time.sleep(0.1)
    s.close()
    return answer[0] if answer else ""


def coap_send(url, reading, psk=None):
    """One POST with coap-client; returns the answer's code or 'none'."""
    prog = "coap-client-gnutls" if psk else "coap-client-notls"
    args = [prog, "-v", "6", "-B", "4", "-m", "post", "-t", "50", "-e", json.dumps(reading)]
    if psk:
        args += ["-u", psk[0], "-k", psk[1]]
    out = subprocess.run(args + [url], capture_output=True, timeout=20)
    for line in (out.stdout + out.stderr).decode(errors="replace").splitlines()[::-1]:
        if " c:" in line and "c:POST" not in line:
            return line.split(" c:")[1].split()[0]
    return "none"


# every subscriber first: B also knocks on A's doors
subs = {}
for who, t in (("A", A), ("B", B)):
    subs[who + " stream port"] = stream_port(t["port"], t["key"])
    subs[who + " SSE"] = sse(t["svc"], t["key"])
    c, status = ws(t["svc"], t["key"])
    check(f"{who}'s WebSocket on its own service opens (101)", status == 101, status)
    subs[who + " WebSocket"] = c
x = stream_port(A["port"], B["key"])
line = streamlib.read_lines(x, 1, 6.0)
check("B's key on A's stream port gets an error line", bool(line) and "error" in line[0], line)
check("... which does not name A's thing", bool(line) and A["thing"] not in line[0], line)
_, status = ws(A["svc"], B["key"])
check("B's WebSocket on A's service -> 404", status == 404, status)
p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                    f"Authorization: Bearer {B['key']}",
                    f"http://127.0.0.1:{api}/v1/services/{A['svc']}/stream"],
                   capture_output=True, timeout=5)
check("B's SSE on A's service -> 404", p.stdout == b"404", p.stdout)
time.sleep(0.5)

# A's readings over every ingest, B's own, and the attempts across tenants
a_path = f"/t/{A['thing']}"
ans = tcp_send(A["thing"], A["tkey"], {"owner": "A", "seq": 1})
check("A's thing authenticates over TCP", f'"ok":"{A["thing"]}"' in ans, ans)
check("A's reading over CoAP -> 2.04",
      coap_send(f"coap://127.0.0.1:{coap}{a_path}?k={A['tkey']}", {"owner": "A", "seq": 2}) == "2.04")
check("A's reading over CoAP/DTLS -> 2.04",
      coap_send(f"coaps://127.0.0.1:{coaps}{a_path}", {"owner": "A", "seq": 3},
                (f"{A['tenant']}/{A['thing']}", A["tkey"])) == "2.04")
ans = tcp_send(B["thing"], B["tkey"], {"owner": "B", "seq": 11})
check("B's thing authenticates over TCP", f'"ok":"{B["thing"]}"' in ans, ans)
ans = tcp_send(A["thing"], B["tkey"], {"owner": "X", "seq": 21})
check("A's thing name with B's key over TCP is refused", '"error"' in ans, ans)
check("... without naming A's thing", A["thing"] not in ans, ans)
check("A's thing name with B's key over CoAP -> 4.01",
      coap_send(f"coap://127.0.0.1:{coap}{a_path}?k={B['tkey']}", {"owner": "X", "seq": 22}) == "4.01")
check("B's DTLS session posting to A's thing path -> 4.03",
      coap_send(f"coaps://127.0.0.1:{coaps}{a_path}", {"owner": "X", "seq": 23},
                (f"{B['tenant']}/{B['thing']}", B["tkey"])) == "4.03")
check("A's DTLS identity with B's key gets no answer",
      coap_send(f"coaps://127.0.0.1:{coaps}{a_path}", {"owner": "X", "seq": 24},
                (f"{A['tenant']}/{A['thing']}", B["tkey"])) == "none")

# what each subscriber got
time.sleep(0.5)
got, raw = {}, {}
for name, sub in subs.items():
    if isinstance(sub, socket.socket):
        lines = streamlib.read_lines(sub, 10, 2.0)
    elif isinstance(sub, Client):
        lines = sub.texts(10, 2.0)
    else:
        sub.wait(timeout=10)
        lines = [ln[6:] for ln in sub.stdout.read().decode().splitlines() if ln.startswith("data: ")]
    got[name] = [json.loads(ln) for ln in lines if ln.startswith("{")]
    raw[name] = lines
for name, readings in got.items():
    owners = sorted((r.get("owner"), r.get("seq")) for r in readings)
    if name.startswith("A"):
        want = [("A", 1), ("A", 2), ("A", 3)]
        check(f"{name}: A's readings from TCP, CoAP and CoAP/DTLS, nothing else", owners == want, raw[name])
    else:
        check(f"{name}: only B's own reading", owners == [("B", 11)], raw[name])
print("END", flush=True)
