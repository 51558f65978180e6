"""Readings through a forward service whose brink-worker runs in a
container: a thing sends five readings to the TCP ingest, a client on the
service's stream port receives them. Prints "CHECK 1 name" or "CHECK 0 name:
detail". Arguments: ingest port, stream port, tenant key, thing name, thing key,
and "analyze" when the service runs the rule "temp > 22"."""
import json
import socket
import sys
import time

import streamlib

ingest, stream = int(sys.argv[1]), int(sys.argv[2])
key, thing, tkey = sys.argv[3:6]
analyze = len(sys.argv) > 6 and sys.argv[6] == "analyze"


def connect(port, first_line):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(first_line.encode() + b"\n")
    return s


client = connect(stream, key)
time.sleep(0.2)
t = connect(ingest, json.dumps({"thing": thing, "key": tkey}))
streamlib.read_lines(t, 1)
for i in range(5):
    t.sendall(json.dumps({"temp": f"{20 + i}.5", "seq": i}).encode() + b"\n")
lines = streamlib.read_lines(client, 5, 5.0)
recs = [json.loads(x) for x in lines]
ok = len(recs) == 5 and [r.get("seq") for r in recs] == list(range(5))
print(f"CHECK {1 if ok else 0} the containerised worker forwards every reading in order"
      f"{'' if ok else ': ' + repr(lines)}", flush=True)
ok = all(r.get("thing") == thing and "received" in r for r in recs)
print(f"CHECK {1 if ok else 0} each line names the thing and its receive time", flush=True)
if analyze:
    ok = all("class" in r and r.get("score") == (1.0 if float(r["temp"]) > 22 else 0.0)
             for r in recs)
    print(f"CHECK {1 if ok else 0} the containerised analyze worker scores each reading by its "
          f"model{'' if ok else ': ' + repr(lines)}", flush=True)
