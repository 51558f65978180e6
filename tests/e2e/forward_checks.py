"""End-to-end checks of the forward path with plain sockets: things send
readings to brink's TCP ingest, clients read a forward service's stream port.
Prints one line per check: "CHECK 1 name" (passed) or "CHECK 0 name: detail".
Arguments: ingest port, stream port, tenant A key, thing A name, thing A key,
tenant B key, thing B name, thing B key."""
import json
import socket
import sys
import time

import streamlib

ingest, stream = int(sys.argv[1]), int(sys.argv[2])
key_a, thing_a, tkey_a, key_b, thing_b, tkey_b = sys.argv[3:9]


def check(name, ok, detail=""):
    print(f"CHECK {1 if ok else 0} {name}{'' if ok else ': ' + str(detail)}", flush=True)


def connect(port, first_line=None):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    if first_line is not None:
        s.sendall(first_line.encode() + b"\n")
    return s


read_lines = streamlib.read_lines


def thing(name, key):
    s = connect(ingest, json.dumps({"thing": name, "key": key}))
    return s, read_lines(s, 1)


client_a = connect(stream, key_a)
intruder = connect(stream, key_b)
got = read_lines(intruder, 1)
check("another tenant's key on the stream port gets an error line",
      len(got) == 1 and "error" in json.loads(got[0]), got)
check("... and the connection closes", read_lines(intruder, 1, 1.0) == [])
time.sleep(0.2)  # the client's key is checked before readings flow

ta, hello = thing(thing_a, tkey_a)
check("a thing authenticates with its name and key", hello == [json.dumps({"ok": thing_a}, separators=(",", ":"))], hello)
for i in range(5):
    ta.sendall(json.dumps({"temp": f"{20 + i}.5", "hum": "48.1", "seq": i}).encode() + b"\n")
lines = read_lines(client_a, 5)
check("the client receives every reading", len(lines) == 5, lines)
recs = [json.loads(l) for l in lines]
check("each line names the thing and keeps the fields",
      all(r.get("thing") == thing_a and r.get("hum") == "48.1" for r in recs), recs[:1])
check("readings arrive in order", [r.get("seq") for r in recs] == list(range(5)), recs)
check("each line has the gateway's receive time",
      all(abs(r.get("received", 0) - time.time()) < 60 for r in recs), recs[:1])

ta.sendall(b'{"temp": \n')
ta.sendall(b"x" * 5000 + b"\n")
ta.sendall(b"\x00\x01\x02 garbage\n")
errs = read_lines(ta, 3)
check("malformed, oversize and binary lines each get an error line",
      len(errs) == 3 and all("error" in json.loads(e) for e in errs), errs)
ta.sendall(json.dumps({"temp": "1.0", "seq": 99}).encode() + b"\n")
lines = read_lines(client_a, 1)
check("the thing goes on being served after bad lines",
      len(lines) == 1 and json.loads(lines[0]).get("seq") == 99, lines)

tb, hello_b = thing(thing_b, tkey_b)
tb.sendall(json.dumps({"temp": "66.6", "secret": "of-b"}).encode() + b"\n")
leaked = read_lines(client_a, 1, 1.0)
check("tenant B's readings never reach tenant A's stream", leaked == [], leaked)

spoof, hello_s = thing(thing_a, tkey_b)
check("a reading sent with another tenant's thing name is refused at auth",
      "error" in (hello_s[0] if hello_s else "error"), hello_s)
bad, hello_bad = thing(thing_a, "A" * 32)
check("a wrong thing key is refused", hello_bad and "error" in hello_bad[0], hello_bad)
check("... and the connection closes", read_lines(bad, 1, 1.0) == [])
