"""Helpers shared by the e2e checks that read a service's stream port."""
import socket
import time


def read_lines(s, want, timeout=3.0, parse=bytes.decode):
    """Reads up to `want` newline-terminated lines from socket s within
    `timeout` seconds; returns them passed through `parse`."""
    buf, lines, end = b"", [], time.time() + timeout
    s.settimeout(0.2)
    while len(lines) < want and time.time() < end:
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        if not data:
            break
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            lines.append(parse(line))
    return lines
