"""Talking to servers on 127.0.0.1: free ports, HTTP requests, raw HTTP answers, listening sockets."""

import http.client
import socket
import time


def free_port():
    """A TCP port of 127.0.0.1 that was free a moment ago (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_request(port, method, path, body=None, headers=None, timeout=10.0):
    """One request on a fresh connection; returns (status, reason, [(name, value)], body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, response.reason, response.getheaders(), data
    finally:
        conn.close()


def find_headers(headers, name):
    """The values of header `name` (any case) in http_request's [(name, value)], in order."""
    return [value for (n, value) in headers if n.lower() == name.lower()]


def wait_until_serving(port, process, timeout_s=15.0, path="/health", who="the server"):
    """Polls GET `path` until it answers 200 or `process` (who) exits; None on success, else a problem."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"{who} exited with status {process.returncode} before answering"
        try:
            status = http_request(port, "GET", path, timeout=2.0)[0]
            if status == 200:
                return None
            last = f"GET {path} answered {status}"
        except OSError as e:
            last = str(e)
        time.sleep(0.1)
    return f"not serving after {timeout_s:.0f} s ({last})"


def listening_addresses(port):
    """The local addresses with a TCP socket listening on `port`, from /proc/net/tcp and tcp6 (as text)."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            address, port_hex = fields[1].split(":")
            if fields[3] != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            # The kernel prints each 32-bit word in host (little-endian) order.
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            family = socket.AF_INET if width == 8 else socket.AF_INET6
            found.append(socket.inet_ntop(family, raw))
    return found


def dechunk(data):
    """The body of a chunked transfer coding (as far as it goes)."""
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2:]
    return out


def read_response(sock):
    """(status, {lower-case name: [values]}, body) of the HTTP answer on sock, read to the connection's end
    (whatever arrived: a cut-short answer is not an error here)."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    if any(line.lower() == "transfer-encoding: chunked" for line in lines[1:]):
        body = dechunk(body)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return status, headers, body


def read_complete_response(sock):
    """(status, body) of the HTTP answer on `sock`; raises when it is cut short (http.client checks the
    Content-Length or the chunks) or does not come within the socket's timeout."""
    response = http.client.HTTPResponse(sock)
    try:
        response.begin()
        return response.status, response.read()
    finally:
        response.close()


def exchange(port, head, body_parts, timeout=20.0):
    """Sends a hand-written request (head, then each body part) on a fresh connection and returns (status,
    headers, body) as read_response; a server may stop reading a body it refuses, so a failed send still
    reads the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        try:
            for part in body_parts:
                sock.sendall(part)
        except OSError:
            pass
        return read_response(sock)
