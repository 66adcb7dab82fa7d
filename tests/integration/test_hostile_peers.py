#!/usr/bin/env python3
"""sdksign --listen against hostile FastCGI peers, from the bytes on the socket: peers that send nothing,
half a head, a head built to overflow libfcgi's length arithmetic, a 64 MiB PARAMS value, another role, a
stalled body, garbage; kept connections outnumbering the threads; the head, idle and body deadlines; the
head size limit; FCGI_WEB_SERVER_ADDRS. After each attack the process must be alive and answer a normal
request.

Usage: test_hostile_peers.py --sdksign PATH --plugin-dir DIR
"""
import argparse
import random
import socket
import struct
import subprocess
import sys
import time

import fcgi_client
import evidence
import sanitizers
from harness import reports
from harness.network import free_port
from harness.processes import sdksign_environment

KEY = "hostile-peers-key"
SECRET = evidence.secret("hostile-peers-secret-Vb27")
REPORT = reports.Report(SECRET)
check = REPORT.expect
stderr_texts = []
# What "promptly" means for an answer while attackers hold connections: a stall is seconds, a service
# that is not stalled answers in milliseconds (sanitized builds included).
PROMPT_SECONDS = 1.0


def environment(**extra):
    return sdksign_environment(KEY, SECRET, **extra)


class Server:
    """sdksign --listen on a free TCP port, stopped (and its stderr kept) on leaving the block."""

    def __init__(self, *args, env=None):
        self.port = free_port()
        self.address = ("127.0.0.1", self.port)
        self.process = subprocess.Popen(
            [ARGS.sdksign, "--listen", f"127.0.0.1:{self.port}", "--plugin-dir", ARGS.plugin_dir, *args],
            env=env or environment(), stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(self.address, timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        self.process.kill()
        raise RuntimeError("sdksign did not start: " + self.process.stderr.read().decode(errors="replace"))

    def __enter__(self):
        return self

    def __exit__(self, *_):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        stderr_texts.append(self.process.stderr.read().decode(errors="replace"))

    def alive(self):
        return self.process.poll() is None

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1


def sign(address, timeout=5.0):
    """One normal signing request on a new connection: (status, seconds it took)."""
    started = time.monotonic()
    params = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": "/",
              "CONTENT_TYPE": "application/json", "REMOTE_ADDR": "127.0.0.1"}
    body = b'{"meetingNumber":"123456789","role":0}'
    params["CONTENT_LENGTH"] = str(len(body))
    with fcgi_client.connect(address, timeout=timeout) as sock:
        fcgi_client.begin(sock, params)
        fcgi_client.send_body(sock, body)
        stdout, _ = fcgi_client.read_response(sock)
    return fcgi_client.parse_cgi_output(stdout)[0], time.monotonic() - started


def answers_promptly(server, name):
    try:
        status, seconds = sign(server.address)
        check(f"{name}: a normal request is answered promptly", status == 200 and seconds < PROMPT_SECONDS,
              f"status {status} after {seconds:.3f} s")
    except OSError as e:
        check(f"{name}: a normal request is answered promptly", False, repr(e))
    check(f"{name}: the process is alive", server.alive())


def closed_by_server(sock, within):
    """True when the server closes (or resets) the connection within `within` seconds; stray bytes (an
    answer) before the close are allowed."""
    sock.settimeout(within)
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except (socket.timeout, TimeoutError):
        return False
    return False


def begin_record(role=fcgi_client.RESPONDER, keep=False, request_id=1):
    return fcgi_client.record(fcgi_client.BEGIN_REQUEST, request_id,
                              struct.pack(">HB5x", role, fcgi_client.FCGI_KEEP_CONN if keep else 0))


def normal_params():
    return {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/health",
            "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": "0"}


def test_silent_and_half_heads():
    with Server("--threads", "4") as server:
        half = fcgi_client.request_head(normal_params())
        half = half[: len(half) // 2]
        silent = [socket.create_connection(server.address) for _ in range(64)]
        halves = []
        for _ in range(16):
            sock = socket.create_connection(server.address)
            sock.sendall(half)
            halves.append(sock)
        time.sleep(0.3)
        answers_promptly(server, "64 silent peers and 16 half heads, 4 threads")
        for sock in silent + halves:
            sock.close()


def test_libfcgi_overflow_record():
    # BEGIN_REQUEST, then a PARAMS record whose pair announces a name of 0x7ffffffe bytes and a value of
    # 0x50000000: in libfcgi 2.4.2 their int sum overflows, malloc fails and an assertion aborts the process.
    attack = bytes.fromhex("0101000100080000" "0001000000000000" "0104000100080000" "fffffffed0000000")
    with Server() as server:
        sock = socket.create_connection(server.address)
        sock.sendall(attack)
        check("32-byte overflow record: the connection is closed", closed_by_server(sock, 5))
        sock.close()
        time.sleep(0.2)
        answers_promptly(server, "32-byte overflow record")
        # The same lengths in a GET_VALUES management record in the middle of a body: libfcgi parses those
        # with the same arithmetic when it meets one while reading FCGI_STDIN.
        params = dict(normal_params(), REQUEST_METHOD="POST", PATH_INFO="/", CONTENT_LENGTH="38",
                      CONTENT_TYPE="application/json")
        sock = socket.create_connection(server.address)
        sock.sendall(fcgi_client.request_head(params) + fcgi_client.record(fcgi_client.STDIN, 1, b'{"meeti') +
                     fcgi_client.record(9, 0, bytes.fromhex("fffffffed0000000")))
        check("GET_VALUES overflow inside a body: the connection is ended", closed_by_server(sock, 5))
        sock.close()
        time.sleep(0.2)
        answers_promptly(server, "GET_VALUES overflow inside a body")


def test_huge_params_value():
    with Server() as server:
        before = server.rss_kib()
        value_length = 64 << 20
        pair_head = struct.pack(">B", 3) + struct.pack(">I", value_length | 0x80000000) + b"KEY"
        sock = socket.create_connection(server.address)
        sent = 0
        try:
            sock.sendall(begin_record())
            chunk = b"v" * 65535
            first = pair_head + chunk[: 65535 - len(pair_head)]
            sock.sendall(fcgi_client.record(fcgi_client.PARAMS, 1, first))
            sent = len(first)
            while sent < value_length:
                sock.sendall(fcgi_client.record(fcgi_client.PARAMS, 1, chunk))
                sent += len(chunk)
        except OSError:
            pass  # refused and closed: the rest is never read
        finally:
            sock.close()
        after = server.rss_kib()
        check("64 MiB PARAMS value: refused long before it is all sent", sent < value_length,
              f"sent {sent} bytes")
        check("64 MiB PARAMS value: RSS grows by less than 16 MiB", after - before < 16 * 1024,
              f"{before} -> {after} KiB")
        if not SANITIZED:
            check("64 MiB PARAMS value: RSS stays under 48 MiB", after < 48 * 1024, f"{after} KiB")
        answers_promptly(server, "64 MiB PARAMS value")


def read_records(sock, within=5.0):
    """The records the server sends until it closes: a list of (type, request id, content)."""
    sock.settimeout(within)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout, TimeoutError):
        pass
    records = []
    while len(data) >= 8:
        _, kind, request_id, length, padding = struct.unpack(">BBHHBx", data[:8])
        records.append((kind, request_id, data[8:8 + length]))
        data = data[8 + length + padding:]
    return records


def test_other_roles():
    with Server() as server:
        for role, name in ((2, "AUTHORIZER"), (3, "FILTER"), (77, "role 77")):
            sock = socket.create_connection(server.address)
            params = fcgi_client.encode_params(normal_params())
            sock.sendall(begin_record(role, request_id=5) + fcgi_client.record(fcgi_client.PARAMS, 5, params) +
                         fcgi_client.record(fcgi_client.PARAMS, 5) + fcgi_client.record(fcgi_client.STDIN, 5))
            sock.shutdown(socket.SHUT_WR)
            records = read_records(sock)
            sock.close()
            check(f"{name}: answered only with END_REQUEST(FCGI_UNKNOWN_ROLE), nothing signed",
                  len(records) == 1 and records[0][0] == fcgi_client.END_REQUEST and records[0][1] == 5 and
                  records[0][2][4] == 3, repr(records))
        answers_promptly(server, "other roles")


def keep_request(sock, request_id=1):
    fcgi_client.begin(sock, normal_params(), request_id=request_id, keep_conn=True)
    fcgi_client.send_body(sock, b"", request_id=request_id)
    stdout, _ = fcgi_client.read_response(sock)
    return fcgi_client.parse_cgi_output(stdout)[0]


def test_kept_connections_outnumber_threads():
    with Server("--threads", "4") as server:
        kept = [fcgi_client.connect(server.address) for _ in range(12)]
        statuses = [keep_request(sock) for sock in kept]
        check("12 kept connections, 4 threads: each first request answered", statuses == [200] * 12,
              repr(statuses))
        slowest = 0.0
        answered = 0
        for round_number in range(20):
            for sock in kept:
                started = time.monotonic()
                answered += keep_request(sock, request_id=1 + round_number % 3) == 200
                slowest = max(slowest, time.monotonic() - started)
        check("12 kept connections, 4 threads: 240 more requests on them answered", answered == 240,
              f"{answered} answered")
        check("12 kept connections, 4 threads: no request waits for a thread held by an idle connection",
              slowest < PROMPT_SECONDS, f"slowest {slowest:.3f} s")
        answers_promptly(server, "12 idle kept connections, 4 threads")
        # A kept request and the peer's close in one go: no later event says the peer is gone, yet the
        # connection must end now, not after the idle timeout.
        sock = fcgi_client.connect(server.address)
        fcgi_client.begin(sock, normal_params(), keep_conn=True)
        fcgi_client.send_body(sock, b"")
        sock.shutdown(socket.SHUT_WR)
        started = time.monotonic()
        records = read_records(sock, 5)
        seconds = time.monotonic() - started
        check("a kept request sent with the peer's close: answered, then closed at once",
              any(kind == fcgi_client.END_REQUEST for kind, _, _ in records) and seconds < 2,
              f"{repr(records)[:200]} after {seconds:.1f} s")
        sock.close()
        for sock in kept:
            sock.close()


def test_deadlines():
    with Server("--threads", "1", "--head-timeout", "1", "--idle-timeout", "1") as server:
        silent = socket.create_connection(server.address)
        half = socket.create_connection(server.address)
        head = fcgi_client.request_head(normal_params())
        half.sendall(head[: len(head) - 5])
        kept = fcgi_client.connect(server.address)
        check("idle-timeout: a kept connection serves its request", keep_request(kept) == 200)
        check("head-timeout: a silent peer is closed", closed_by_server(silent, 4))
        check("head-timeout: a half head is closed", closed_by_server(half, 4))
        check("idle-timeout: an idle kept connection is closed", closed_by_server(kept, 4))
        for sock in (silent, half, kept):
            sock.close()
        # A body that stalls: with one thread, the next request is answered once the body deadline passes.
        stalled = socket.create_connection(server.address)
        params = dict(normal_params(), REQUEST_METHOD="POST", PATH_INFO="/", CONTENT_LENGTH="100",
                      CONTENT_TYPE="application/json")
        stalled.sendall(fcgi_client.request_head(params) + fcgi_client.record(fcgi_client.STDIN, 1, b'{"a'))
        time.sleep(0.2)
        try:
            status, seconds = sign(server.address, timeout=10)
        except OSError as e:
            status, seconds = repr(e), -1
        check("head-timeout: a stalled body holds the only thread no longer than the deadline",
              status == 200 and seconds < 4, f"status {status} after {seconds:.3f} s")
        check("head-timeout: the stalled body's connection is ended", closed_by_server(stalled, 4))
        stalled.close()
        check("deadlines: the process is alive", server.alive())


def test_head_limit():
    params = dict(normal_params(), HTTP_X_LARGE="x" * 40000)
    for args, expected in (([], "closed"), (["--head-limit-bytes", "65536"], 200)):
        with Server(*args) as server:
            sock = fcgi_client.connect(server.address)
            try:
                fcgi_client.begin(sock, params)
                fcgi_client.send_body(sock, b"")
            except OSError:
                pass  # refused while it was still being sent: the server closed with unread bytes
            if expected == "closed":
                check("head-limit: a 40 kB head is refused by default", closed_by_server(sock, 5))
            else:
                stdout, _ = fcgi_client.read_response(sock)
                check("head-limit: a 40 kB head is served with --head-limit-bytes 65536",
                      fcgi_client.parse_cgi_output(stdout)[0] == 200)
            sock.close()
            answers_promptly(server, f"head-limit {args or 'default'}")


def test_trickled_head_and_garbage():
    with Server() as server:
        head = fcgi_client.request_head(normal_params()) + fcgi_client.record(fcgi_client.STDIN, 1)
        sock = socket.create_connection(server.address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for byte in head:
            sock.sendall(bytes([byte]))
            time.sleep(0.001)
        stdout, _ = fcgi_client.read_response(sock)
        check("a head trickled byte by byte is answered", fcgi_client.parse_cgi_output(stdout)[0] == 200)
        sock.close()
        generator = random.Random(1234)
        still_open = 0
        for i in range(200):
            blob = bytes(generator.randrange(256) for _ in range(generator.randrange(1, 600)))
            if i % 2:
                blob = begin_record(keep=bool(i % 4 == 1)) + blob  # past the first check, into the params
            sock = socket.create_connection(server.address)
            try:
                sock.sendall(blob)
                sock.shutdown(socket.SHUT_WR)
                still_open += not closed_by_server(sock, 5)
            except OSError:
                pass
            sock.close()
        check("200 garbage inputs: every connection is closed (answered or refused)", still_open == 0,
              f"{still_open} left open")
        answers_promptly(server, "garbage")


def test_web_server_addresses():
    with Server(env=environment(FCGI_WEB_SERVER_ADDRS="127.0.0.2")) as server:
        sock = socket.create_connection(server.address)
        check("FCGI_WEB_SERVER_ADDRS: a peer not on the list is closed at once", closed_by_server(sock, 2))
        sock.close()
    with Server(env=environment(FCGI_WEB_SERVER_ADDRS="10.0.0.1, 127.0.0.1")) as server:
        answers_promptly(server, "FCGI_WEB_SERVER_ADDRS with 127.0.0.1")


def main():
    for test in (test_silent_and_half_heads, test_libfcgi_overflow_record, test_huge_params_value,
                 test_other_roles, test_kept_connections_outnumber_threads, test_deadlines, test_head_limit,
                 test_trickled_head_and_garbage, test_web_server_addresses):
        started = time.monotonic()
        try:
            test()
        except Exception as e:  # one broken scenario must not hide the others
            check(f"{test.__name__} ran to its end", False, repr(e))
        print(f"     ({test.__name__}: {time.monotonic() - started:.1f} s)")
    found = sanitizers.problems("\n".join(stderr_texts), "sdksign's stderr")
    check("no sanitizer report in the stderr of any sdksign run", not found, "; ".join(found))
    check("no secret in sdksign's stderr", SECRET not in "\n".join(stderr_texts))
    return REPORT.finish()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--plugin-dir", required=True)
    ARGS = parser.parse_args()
    with open(ARGS.sdksign, "rb") as binary:
        SANITIZED = b"__asan_init" in binary.read()
    sys.exit(main())
