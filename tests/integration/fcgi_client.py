"""A minimal FastCGI client (responder role), enough to talk to sdksign without a web server.

Only the Python standard library; used by the integration tests that start `sdksign --listen`.
"""
import socket
import struct

FCGI_VERSION = 1
BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 2, 3, 4, 5, 6, 7
RESPONDER = 1


def _record(kind, request_id, content=b""):
    padding = (8 - len(content) % 8) % 8
    header = struct.pack(">BBHHBx", FCGI_VERSION, kind, request_id, len(content), padding)
    return header + content + b"\0" * padding


def _length(n):
    return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)


def encode_params(params):
    out = b""
    for name, value in params.items():
        name_bytes, value_bytes = name.encode(), value.encode()
        out += _length(len(name_bytes)) + _length(len(value_bytes)) + name_bytes + value_bytes
    return out


def connect(address, timeout=5.0):
    """address: ("127.0.0.1", port) or a unix socket path."""
    if isinstance(address, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A head and a body go out as two writes, as web servers may send them: without this, Nagle holds
        # the second until the server's delayed ACK (40 ms a request).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(timeout)
    sock.connect(address)
    return sock


FCGI_KEEP_CONN = 1


def begin(sock, params, request_id=1, keep_conn=False):
    """Sends BEGIN_REQUEST and all PARAMS, leaving STDIN for later (to hold a request in flight). With
    keep_conn, the application keeps the connection open for the next request, as nginx's fastcgi_keep_conn."""
    payload = encode_params(params)
    flags = FCGI_KEEP_CONN if keep_conn else 0
    data = _record(BEGIN_REQUEST, request_id, struct.pack(">HB5x", RESPONDER, flags))
    for start in range(0, len(payload), 65535):
        data += _record(PARAMS, request_id, payload[start:start + 65535])
    data += _record(PARAMS, request_id)
    sock.sendall(data)


def record(kind, request_id=1, content=b""):
    """One FastCGI record as bytes (kind: BEGIN_REQUEST, PARAMS, STDIN...), for tests that send a request
    piece by piece: a head or a body trickled byte by byte, a record cut in the middle."""
    return _record(kind, request_id, content)


def request_head(params, request_id=1):
    """The bytes begin() sends (BEGIN_REQUEST, PARAMS, the empty PARAMS record), without keep_conn."""
    payload = encode_params(params)
    data = _record(BEGIN_REQUEST, request_id, struct.pack(">HB5x", RESPONDER, 0))
    for start in range(0, len(payload), 65535):
        data += _record(PARAMS, request_id, payload[start:start + 65535])
    return data + _record(PARAMS, request_id)


def send_body(sock, body, request_id=1):
    data = b""
    for start in range(0, len(body), 65535):
        data += _record(STDIN, request_id, body[start:start + 65535])
    data += _record(STDIN, request_id)
    sock.sendall(data)


def _read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed in the middle of a record")
        data += chunk
    return data


def read_response(sock):
    """Returns (stdout bytes, stderr bytes) once END_REQUEST arrives."""
    stdout, stderr = b"", b""
    while True:
        version, kind, _, length, padding = struct.unpack(">BBHHBx", _read_exact(sock, 8))
        content = _read_exact(sock, length + padding)[:length]
        if kind == STDOUT:
            stdout += content
        elif kind == STDERR:
            stderr += content
        elif kind == END_REQUEST:
            return stdout, stderr


def parse_cgi_output(raw):
    """Splits CGI-style output into (status, reason, headers dict (lower-case names), body bytes)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status, reason, headers = 200, "OK", {}
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        value = value.strip()
        if name.lower() == "status":
            code, _, reason = value.partition(" ")
            status = int(code)
        else:
            headers[name.lower()] = value
    return status, reason, headers, body


def request(address, method="GET", path="/", body=b"", headers=None, content_type=None):
    """One complete request over a fresh connection; returns parse_cgi_output's tuple."""
    params = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "REQUEST_URI": path,
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
    }
    if content_type is not None:
        params["CONTENT_TYPE"] = content_type
    for name, value in (headers or {}).items():
        params["HTTP_" + name.upper().replace("-", "_")] = value
    with connect(address) as sock:
        begin(sock, params)
        send_body(sock, body)
        stdout, _ = read_response(sock)
    return parse_cgi_output(stdout)
