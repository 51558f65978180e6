"""End-to-end checks of CoAP ingest with the real coap-client (libcoap3-bin):
things POST readings to brink's CoAP port, a client reads a forward service's
stream port with plain sockets. Prints one line per check: "CHECK 1 name"
(passed) or "CHECK 0 name: detail", then "EXPECT auth N" and "EXPECT line N",
the refusals it caused. Arguments: coap-client program, CoAP port, stream
port, tenant A key, thing A name, thing A key, thing B name, thing B key."""
import json
import socket
import struct
import subprocess
import sys
import tempfile
import time

import streamlib

client, coap, stream = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
key_a, thing_a, tkey_a, thing_b, tkey_b = sys.argv[4:9]
refused = {"auth": 0, "line": 0}


def check(name, ok, detail=""):
    print(f"CHECK {1 if ok else 0} {name}{'' if ok else ': ' + str(detail)[:300]}", flush=True)


def post(path, payload, fmt=50, non=False, method="post"):
    """Sends one request with coap-client; returns (response code, payload)."""
    with tempfile.NamedTemporaryFile() as f:
        f.write(payload)
        f.flush()
        args = [client, "-v", "6", "-B", "3", "-m", method]
        if non:
            args.append("-N")
        if fmt is not None:
            args += ["-t", str(fmt)]
        if payload:
            args += ["-f", f.name]
        args.append(f"coap://127.0.0.1:{coap}{path}")
        out = subprocess.run(args, capture_output=True, timeout=10)
    text = (out.stdout + out.stderr).decode(errors="replace")
    for line in text.splitlines():
        if " c:" in line and "c:POST" not in line and "c:GET" not in line:
            code = line.split(" c:")[1].split()[0]
            body = line.split(" :: ", 1)[1].strip("'") if " :: " in line else ""
            return code, body
    return None, text


def read_lines(s, want, timeout=3.0):
    return streamlib.read_lines(s, want, timeout, json.loads)


def refusal(name, path, payload, want, kind, fmt=50):
    code, body = post(path, payload, fmt)
    refused[kind] += 1
    check(name, code == want, (code, body))
    return body


def cbor_text(s):
    b = s.encode()
    return bytes([0x60 + len(b)]) + b


def senml_cbor():
    """[{-2: "c.", 0: "temp", 2: 21.5, 1: "Cel"}, {0: "state", 3: "ok"}, {0: "door", 4: true}]
    encoded by hand: -2 is 0x21, 0..4 are 0x00..0x04, a double is 0xfb."""
    r1 = b"\xa4\x21" + cbor_text("c.") + b"\x00" + cbor_text("temp") + b"\x02\xfb" + \
        struct.pack(">d", 21.5) + b"\x01" + cbor_text("Cel")
    r2 = b"\xa2\x00" + cbor_text("state") + b"\x03" + cbor_text("ok")
    r3 = b"\xa2\x00" + cbor_text("door") + b"\x04\xf5"
    return b"\x83" + r1 + r2 + r3


sa = socket.create_connection(("127.0.0.1", stream), timeout=3)
sa.sendall(key_a.encode() + b"\n")
time.sleep(0.3)  # the client's key is checked before readings flow
path_a = f"/t/{thing_a}?k={tkey_a}"

code, body = post(path_a, json.dumps({"temp": "21.5", "seq": 1}).encode())
check("a confirmable JSON reading gets 2.04", code == "2.04", (code, body))
got = read_lines(sa, 1)
check("... and reaches the forward service's stream client",
      len(got) == 1 and got[0].get("thing") == thing_a and got[0].get("seq") == 1, got)

code, body = post(path_a, b'{\n  "temp": "22.5",\n  "seq": 2\n}\n', non=True)
check("a non-confirmable multi-line JSON reading gets 2.04", code == "2.04", (code, body))
got = read_lines(sa, 1)
check("... and arrives as one line", len(got) == 1 and got[0].get("seq") == 2, got)

senml = [{"bn": "s.", "n": "temp", "v": 23.5, "u": "Cel"}, {"n": "hum", "v": 48}]
code, body = post(path_a, json.dumps(senml).encode(), fmt=110)
check("a SenML JSON pack gets 2.04", code == "2.04", (code, body))
got = read_lines(sa, 1)
check("... and arrives with its resolved names and values",
      len(got) == 1 and got[0].get("s.temp") == 23.5 and got[0].get("s.hum") == 48, got)

code, body = post(path_a, senml_cbor(), fmt=112, non=True)
check("a SenML CBOR pack (non-confirmable) gets 2.04", code == "2.04", (code, body))
got = read_lines(sa, 1)
check("... and arrives with number, string and boolean values",
      len(got) == 1 and got[0].get("c.temp") == 21.5 and got[0].get("c.state") == "ok"
      and got[0].get("c.door") is True, got)

refusal("a wrong key gets 4.01", f"/t/{thing_a}?k={'A' * 32}", b'{"temp":"1"}', "4.01", "auth")
refusal("no key gets 4.01", f"/t/{thing_a}", b'{"temp":"1"}', "4.01", "auth")
refusal("another tenant's valid key with this thing's name gets 4.01",
        f"/t/{thing_a}?k={tkey_b}", b'{"temp":"66.6"}', "4.01", "auth")
code, body = post(f"/t/{thing_b}?k={tkey_b}", b'{"secret":"of-b"}')
check("tenant B's own thing is accepted", code == "2.04", (code, body))
leaked = read_lines(sa, 1, 1.0)
check("... and nothing of tenant B reaches tenant A's stream", leaked == [], leaked)

body = refusal("a malformed JSON payload gets 4.00", path_a, b'{"temp": ', "4.00", "line")
check("... with a diagnostic payload", "JSON" in body, body)
refusal("a malformed SenML CBOR payload gets 4.00", path_a, b"\x83\xa1\x00", "4.00", "line",
        fmt=112)
refusal("an unknown path gets 4.04", f"/x/{thing_a}?k={tkey_a}", b'{"temp":"1"}', "4.04", "line")
refusal("a thing path with an extra segment gets 4.04", f"/t/{thing_a}/x?k={tkey_a}",
        b'{"temp":"1"}', "4.04", "line")
refusal("text/plain gets 4.15", path_a, b'{"temp":"1"}', "4.15", "line", fmt=0)
refusal("a payload over ingest.max_line gets 4.13", path_a,
        json.dumps({"s": "x" * 200, **{f"f{i}": "y" * 200 for i in range(10)}}).encode(),
        "4.13", "line")

# Malformed CoAP at the socket: a reserved option delta, an option running
# past the datagram, a bad version, garbage. Then a valid request still works.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for junk in (b"\x42\x02\x12\x34\xab\xcd\xf1\x00", b"\x40\x02\x12\x35\xbd\xff\x01",
             b"\x80\x02\x12\x36", b"\xff" * 40, b"\x40", b"\x4f\x02\x12\x37" + b"\x00" * 8):
    u.sendto(junk, ("127.0.0.1", coap))
u.close()
time.sleep(0.2)
code, body = post(path_a, json.dumps({"temp": "9.5", "seq": 3}).encode())
check("after malformed datagrams the server still answers 2.04", code == "2.04", (code, body))
got = read_lines(sa, 1)
check("... and delivers", len(got) == 1 and got[0].get("seq") == 3, got)
print(f"EXPECT auth {refused['auth']}")
print(f"EXPECT line {refused['line']}")
