#!/usr/bin/env python3
"""sdksign serving FastCGI on a socket of its own (--listen): TCP and unix sockets, the graceful stop on
SIGTERM/SIGINT/SIGUSR1 with a request in flight, and the one-line start-up errors.

Usage: test_fastcgi_listen.py --sdksign PATH --plugin-dir DIR
"""
import argparse
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

import fcgi_client
import evidence
import sanitizers
from harness import reports, tokens
from harness.network import free_port
from harness.processes import sdksign_environment

KEY = "listen-test-key"
SECRET = evidence.secret("listen-test-secret-Zq81")
REPORT = reports.Report(SECRET)
check = REPORT.expect
# The stderr of every sdksign this test ran to its end, scanned for sanitizer reports at the end.
stderr_texts = []


def environment(**extra):
    return sdksign_environment(KEY, SECRET, **extra)


def stop(process):
    """SIGTERM, the exit, and its stderr kept for the sanitizer check (a leak is reported at exit)."""
    process.terminate()
    process.wait(5)
    stderr_texts.append(process.stderr.read().decode(errors="replace"))


def start(args, listen, env=None):
    process = subprocess.Popen([ARGS.sdksign, "--listen", listen, "--plugin-dir", ARGS.plugin_dir, *args],
                               env=env or environment(), stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    address = listen if "/" in listen else ("127.0.0.1", int(listen.rsplit(":", 1)[1]))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            fcgi_client.connect(address, timeout=1).close()
            return process, address
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("sdksign did not start listening: " + process.stderr.read().decode(errors="replace"))


def verify(token):
    return tokens.verify_signature(token, SECRET), tokens.claims_of(token)


def sign_request(address):
    return fcgi_client.request(address, "POST", "/", b'{"meetingNumber":"123456789","role":0}',
                               content_type="application/json")


def test_serves_tcp_and_unix(tmp):
    process, address = start([], f"127.0.0.1:{free_port()}")
    try:
        status, reason, headers, body = sign_request(address)
        check("tcp: POST / signs", status == 200 and reason == "OK", f"{status} {reason}")
        ok, claims = verify(json.loads(body)["signature"])
        check("tcp: token verifies with the secret", ok)
        check("tcp: claims as the sample", list(claims) == ["appKey", "sdkKey", "mn", "role", "iat", "exp", "tokenExp"])
    finally:
        stop(process)
    path = os.path.join(tmp, "sdksign.sock")
    process, address = start(["--socket-mode", "0600"], path)
    try:
        check("unix: socket mode is --socket-mode", stat.S_IMODE(os.stat(path).st_mode) == 0o600,
              oct(stat.S_IMODE(os.stat(path).st_mode)))
        status, _, _, _ = sign_request(address)
        check("unix: POST / signs", status == 200, str(status))
        # A second instance must not steal a live socket.
        second = subprocess.run([ARGS.sdksign, "--listen", path, "--plugin-dir", ARGS.plugin_dir],
                                env=environment(), stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
        check("unix: a live socket is not taken over", second.returncode != 0 and
              b"another process" in second.stderr, second.stderr.decode(errors="replace"))
        stderr_texts.append(second.stderr.decode(errors="replace"))
    finally:
        stop(process)
    # The socket file left by a dead instance is replaced, not an error.
    process, address = start([], path)
    process.kill()
    process.wait(5)
    process, address = start([], path)
    check("unix: a stale socket file is replaced", sign_request(address)[0] == 200)
    stop(process)


def test_graceful_stop(sig):
    name = signal.Signals(sig).name
    process, address = start([], f"127.0.0.1:{free_port()}")
    sock = fcgi_client.connect(address)
    fcgi_client.begin(sock, {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "CONTENT_TYPE": "application/json",
                             "CONTENT_LENGTH": "2"})
    time.sleep(0.3)  # the worker has accepted and is waiting for the body: a request in flight
    signalled = time.monotonic()
    process.send_signal(sig)
    time.sleep(0.3)
    refused = False
    try:
        with fcgi_client.connect(address, timeout=1) as late:
            fcgi_client.begin(late, {"REQUEST_METHOD": "GET", "PATH_INFO": "/health"})
            fcgi_client.send_body(late, b"")
            fcgi_client.read_response(late)
    except (OSError, ConnectionError):
        refused = True
    check(f"{name}: no new request is accepted", refused)
    fcgi_client.send_body(sock, b"{}")
    stdout, _ = fcgi_client.read_response(sock)
    sock.close()
    status = fcgi_client.parse_cgi_output(stdout)[0]
    check(f"{name}: the request in flight completes", status == 200, str(status))
    try:
        code = process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        process.kill()
        code = "hung"
    elapsed = time.monotonic() - signalled
    check(f"{name}: exits 0 within 2 s", code == 0 and elapsed < 2.0, f"code {code}, {elapsed:.2f} s")
    stderr = process.stderr.read().decode(errors="replace")
    stderr_texts.append(stderr)
    check(f"{name}: the secret is not in the log", SECRET not in stderr)


def test_idle_stop():
    process, _ = start(["--threads", "8"], f"127.0.0.1:{free_port()}")
    started = time.monotonic()
    process.terminate()
    try:
        code = process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        process.kill()
        code = "hung"
    check("idle: SIGTERM with 8 idle workers exits 0 quickly", code == 0 and time.monotonic() - started < 2.0,
          f"code {code}")
    stderr_texts.append(process.stderr.read().decode(errors="replace"))


def run_start_error(name, args, env, fragment):
    completed = subprocess.run([ARGS.sdksign, *args], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=10)
    stderr_texts.append(completed.stderr.decode(errors="replace"))
    lines = completed.stderr.decode(errors="replace").strip().splitlines()
    check(f"start-up error, {name}: exit code non-zero, one line naming the cause",
          completed.returncode != 0 and len(lines) == 1 and fragment in lines[0], f"{completed.returncode} {lines}")
    check(f"start-up error, {name}: no secret printed", SECRET.encode() not in completed.stderr + completed.stdout)


def test_start_errors():
    port = free_port()
    base = ["--listen", f"127.0.0.1:{port}", "--plugin-dir", ARGS.plugin_dir]
    env = environment()
    del env["ZOOM_MEETING_SDK_SECRET"]
    run_start_error("missing secret", base, env, "ZOOM_MEETING_SDK_SECRET is not set")
    run_start_error("empty key", base, environment(ZOOM_MEETING_SDK_KEY=""), "ZOOM_MEETING_SDK_KEY is empty")
    run_start_error("unknown option", base + ["--colour", "blue"], environment(), "unknown option --colour")
    run_start_error("unknown variable", base, environment(SDKSIGN_COLOUR="blue"), "SDKSIGN_COLOUR")
    run_start_error("malformed value", base + ["--threads", "many"], environment(), "--threads: 'many'")
    run_start_error("unknown provider", base + ["--provider", "nowhere"], environment(), "no provider named 'nowhere'")
    run_start_error("not under a web server", ["--plugin-dir", ARGS.plugin_dir], environment(), "not started by a web server")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        run_start_error("address in use", ["--listen", f"127.0.0.1:{busy.getsockname()[1]}",
                                           "--plugin-dir", ARGS.plugin_dir], environment(), "Address already in use")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        test_serves_tcp_and_unix(tmp)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
        test_graceful_stop(sig)
    test_idle_stop()
    test_start_errors()
    found = sanitizers.problems("\n".join(stderr_texts), "sdksign's stderr")
    check("no sanitizer report in the stderr of any sdksign run", not found, "; ".join(found))
    return REPORT.finish()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--plugin-dir", required=True)
    ARGS = parser.parse_args()
    sys.exit(main())
