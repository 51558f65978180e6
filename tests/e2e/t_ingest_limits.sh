#!/bin/bash
# TCP ingest limits: connections beyond ingest.max_connections are turned
# away at once (descriptors stay free for the control plane) and counted;
# a connection that never authenticates is closed after ingest.auth_timeout_ms.
. "$(dirname "$0")/lib.sh"
brinkd_start -o ingest.max_connections=2 -o ingest.auth_timeout_ms=300
register alpha
api POST /v1/things '{"name":"t1"}'
TK=$(jqb .key)
out=$(/usr/bin/python3 - "$INGEST_PORT" "$TK" <<'PY'
import json, socket, sys, time
port, key = int(sys.argv[1]), sys.argv[2]
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    return s
a, b = conn(), conn()
for s in (a, b):
    s.sendall(json.dumps({"thing": "t1", "key": key}).encode() + b"\n")
    print("held", b"ok" in s.recv(100))
c = conn()
c.sendall(json.dumps({"thing": "t1", "key": key}).encode() + b"\n")
try:
    print("third", c.recv(100) == b"")
except ConnectionResetError:
    print("third", True)
a.close(); b.close(); time.sleep(0.2)
d = conn()
d.sendall(json.dumps({"thing": "t1", "key": key}).encode() + b"\n")
print("after", b"ok" in d.recv(100))
e = conn()
time.sleep(0.6)
try:
    print("silent", b"error" in e.recv(100))
except ConnectionResetError:
    print("silent", False)
PY
)
check "two connections are held" test "$(grep -c '^held True' <<<"$out")" = 2
check "a third one is turned away at once" grep -q '^third True' <<<"$out"
check "once they close, a new one is served" grep -q '^after True' <<<"$out"
check "a connection that never authenticates is told and closed" grep -q '^silent True' <<<"$out"
check "turned-away connections are logged" grep -q "ingest.max_connections reached" "$DATA_DIR/brinkd.log"
finish
