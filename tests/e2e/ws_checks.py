"""End-to-end checks of GET /v1/services/{id}/stream as a WebSocket, with a
client written by hand (socket, base64, hashlib, os): handshake, frames,
ping/pong, close, tenant isolation. Prints one line per check: "CHECK 1 name"
(passed) or "CHECK 0 name: detail".

  ws_checks.py checks API_PORT INGEST_PORT SERVICE KEY_A THING THING_KEY KEY_B
      everything but the end of the stream
  ws_checks.py stopped API_PORT SERVICE KEY_A
      connects, then POSTs stop on the service: the stream must end with a close frame
  ws_checks.py hold API_PORT SERVICE KEY_A OUT
      connects and waits for brinkd to stop: writes the close code it got to OUT
"""
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def check(name, ok, detail=""):
    print(f"CHECK {1 if ok else 0} {name}{'' if ok else ': ' + str(detail)}", flush=True)


def http_head(port, path, key, ws_key=None, extra=""):
    """Sends a GET (an upgrade when ws_key is given); returns (socket, status,
    headers, bytes after the head)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    if key is not None:
        req += f"Authorization: Bearer {key}\r\n"
    if ws_key is not None:
        req += ("Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {ws_key}\r\nSec-WebSocket-Version: 13\r\n")
    s.sendall((req + extra + "\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = s.recv(4096)
        if not data:
            break
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return s, status, headers, rest


def new_key():
    return base64.b64encode(os.urandom(16)).decode()


def accept_of(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


class Client:
    def __init__(self, sock, rest=b""):
        self.s, self.buf = sock, rest

    def send(self, opcode, payload=b"", mask=True, fin=True):
        head = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        bit = 0x80 if mask else 0
        if n < 126:
            head += bytes([bit | n])
        elif n < 65536:
            head += bytes([bit | 126]) + struct.pack("!H", n)
        else:
            head += bytes([bit | 127]) + struct.pack("!Q", n)
        if mask:
            m = os.urandom(4)
            payload = bytes(b ^ m[i % 4] for i, b in enumerate(payload))
            head += m
        self.s.sendall(head + payload)

    def _need(self, n, end):
        while len(self.buf) < n:
            left = end - time.time()
            if left <= 0:
                raise TimeoutError
            self.s.settimeout(left)
            try:
                data = self.s.recv(65536)
            except socket.timeout:
                raise TimeoutError
            if not data:
                raise EOFError
            self.buf += data

    def frame(self, timeout=3.0):
        """Returns (opcode, payload); raises EOFError or TimeoutError."""
        end = time.time() + timeout
        self._need(2, end)
        b0, b1 = self.buf[0], self.buf[1]
        if b1 & 0x80:
            raise ValueError("a server frame is masked")
        n, h = b1 & 0x7F, 2
        if n == 126:
            self._need(4, end)
            n, h = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, end)
            n, h = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(h + n, end)
        payload, self.buf = self.buf[h:h + n], self.buf[h + n:]
        if not b0 & 0x80:
            raise ValueError("a server frame is fragmented")
        return b0 & 0x0F, payload

    def next_of(self, opcode, timeout=3.0):
        """Skips other frames until one of opcode."""
        end = time.time() + timeout
        while True:
            op, payload = self.frame(max(0.01, end - time.time()))
            if op == opcode:
                return payload

    def texts(self, want, timeout=3.0):
        out, end = [], time.time() + timeout
        try:
            while len(out) < want:
                op, payload = self.frame(max(0.01, end - time.time()))
                if op == 1:
                    out.append(payload.decode())
        except (TimeoutError, EOFError):
            pass
        return out

    def eof(self, timeout=3.0):
        try:
            while True:
                self.frame(timeout)
        except EOFError:
            return True
        except (TimeoutError, OSError):
            return False


def connect(port, service, key):
    k = new_key()
    s, status, headers, rest = http_head(port, f"/v1/services/{service}/stream", key, k)
    return Client(s, rest), status, headers, k


def close_code(payload):
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None


def thing(ingest, name, key):
    s = socket.create_connection(("127.0.0.1", ingest), timeout=3)
    s.sendall(json.dumps({"thing": name, "key": key}).encode() + b"\n")
    s.recv(4096)
    return s


def checks(api, ingest, service, key_a, thing_name, thing_key, key_b):
    c, status, headers, k = connect(api, service, key_a)
    check("the upgrade answers 101", status == 101, status)
    check("Sec-WebSocket-Accept is base64(SHA-1(key + GUID))",
          headers.get("sec-websocket-accept") == accept_of(k), headers)
    check("Upgrade: websocket, Connection: Upgrade",
          headers.get("upgrade", "").lower() == "websocket"
          and "upgrade" in headers.get("connection", "").lower(), headers)
    time.sleep(0.3)  # the subscription reaches the router

    t = thing(ingest, thing_name, thing_key)
    for i in range(5):
        t.sendall(json.dumps({"temp": f"{20 + i}.5", "seq": i}).encode() + b"\n")
    msgs = c.texts(5)
    check("every reading arrives as a text message", len(msgs) == 5, msgs)
    recs = [json.loads(m) for m in msgs]
    check("... in order", [r.get("seq") for r in recs] == list(range(5)), recs)
    check("... with the thing's name", all(r.get("thing") == thing_name for r in recs), recs[:1])

    big = {f"p{i}": "x" * 200 for i in range(3)}  # over 125 bytes: a 16-bit length
    t.sendall(json.dumps({"seq": 5, **big}).encode() + b"\n")
    msgs = c.texts(1)
    check("a longer line arrives whole (16-bit length)",
          len(msgs) == 1 and json.loads(msgs[0]).get("p2") == big["p2"], msgs)

    c.send(1, b"ignored")  # the client's data is ignored
    c.send(9, b"are you there")
    try:
        pong = c.next_of(10)
    except Exception as e:  # noqa: BLE001
        pong = repr(e)
    check("ping gets pong with the same payload", pong == b"are you there", pong)

    c.send(8, struct.pack("!H", 1000) + b"bye")
    try:
        code = close_code(c.next_of(8))
    except Exception as e:  # noqa: BLE001
        code = repr(e)
    check("close gets close (the code echoed)", code == 1000, code)
    check("... and the connection ends", c.eof())

    c2, status, headers, _ = connect(api, service, key_b)
    check("another tenant's key gets 404, no upgrade",
          status == 404 and "sec-websocket-accept" not in headers, (status, headers))
    c2, status, headers, _ = connect(api, service, "A" * 32)
    check("a wrong key gets 401, no upgrade",
          status == 401 and "sec-websocket-accept" not in headers, (status, headers))
    c2, status, headers, _ = connect(api, service, None)
    check("no key gets 401", status == 401, status)
    s, status, _, _ = http_head(api, f"/v1/services/{service}/stream", key_a, "short")
    check("a malformed Sec-WebSocket-Key gets 400", status == 400, status)

    c3, status, _, _ = connect(api, service, key_a)
    c3.send(2, b"y" * 5000)
    try:
        code = close_code(c3.next_of(8))
    except Exception as e:  # noqa: BLE001
        code = repr(e)
    check("a client frame over 4 KiB gets close 1009", code == 1009, code)
    check("... and the connection ends", c3.eof())

    c4, status, _, _ = connect(api, service, key_a)
    c4.send(9, b"naked", mask=False)
    try:
        code = close_code(c4.next_of(8))
    except Exception as e:  # noqa: BLE001
        code = repr(e)
    check("an unmasked client frame gets close 1002", code == 1002, code)

    c5, status, _, _ = connect(api, service, key_a)
    c5.s.close()  # gone without a close frame
    time.sleep(0.2)
    c6, status, _, _ = connect(api, service, key_a)
    c6.send(9, b"still")
    try:
        pong = c6.next_of(10)
    except Exception as e:  # noqa: BLE001
        pong = repr(e)
    check("brinkd goes on after a client vanished", pong == b"still", pong)


def stopped(api, service, key_a):
    c, status, _, _ = connect(api, service, key_a)
    check("a second client upgrades", status == 101, status)
    time.sleep(0.3)
    s = socket.create_connection(("127.0.0.1", api), timeout=3)
    s.sendall((f"POST /v1/services/{service}/stop HTTP/1.1\r\nHost: x\r\n"
               f"Authorization: Bearer {key_a}\r\nContent-Length: 0\r\n\r\n").encode())
    reply = s.recv(4096).split(b"\r\n", 1)[0]
    check("the service stops", b" 200 " in reply + b" ", reply)
    try:
        code = close_code(c.next_of(8, 5.0))
    except Exception as e:  # noqa: BLE001
        code = repr(e)
    check("a stopped service ends the stream with a close frame (1000)", code == 1000, code)
    check("... and the connection ends", c.eof())
    c2, status, headers, _ = connect(api, service, key_a)
    check("a stopped service's stream answers 409, no upgrade",
          status == 409 and "sec-websocket-accept" not in headers, status)


def hold(api, service, key_a, out):
    c, status, _, _ = connect(api, service, key_a)
    with open(out, "w") as f:
        f.write(f"status {status}\n")
        f.flush()
        try:
            code = close_code(c.next_of(8, 30.0))
        except Exception as e:  # noqa: BLE001
            code = repr(e)
        f.write(f"close {code}\n")


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "checks":
        checks(int(args[0]), int(args[1]), *args[2:])
    elif mode == "stopped":
        stopped(int(args[0]), *args[1:])
    else:
        hold(int(args[0]), *args[1:])
