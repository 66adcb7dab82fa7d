#!/usr/bin/env python3
"""One web server running sdksign with the shipped configuration files, the way its users run it.

    test_deploy_server.py --target apache-fcgid --sdksign build/src/sdksign --plugin-dir build/plugins/env \
                          --source-root .

Targets (servers.TARGETS): apache-fcgid, apache-cgi, apache-htaccess (the shared-hosting .htaccess
with sdksign and env.so uploaded side by side; with --bundle TARBALL, scripts/bundle's folder as it is), lighttpd-fastcgi (spawned), lighttpd-external
(sdksign.service's command line, `sdksign --listen` on a unix socket), lighttpd-cgi, nginx-unix, nginx-tcp
(sdksign.service's command line on a unix socket or on TCP).

Checks, in order:
  - the server accepts the configuration and serves on 127.0.0.1 only;
  - the shared request table (requests.json, checked by run_table.py's code) below the mount point, and each
    answer compared with the same request answered by sdksign directly as CGI: the same status, the same
    headers that matter (CORS, Content-Type, Cache-Control, Allow, Vary) and the same body (tokens compared
    claim by claim, without iat/exp/tokenExp);
  - a short Video SDK table (video_requests.json, harness/video.py) with a Video SDK app configured beside
    the Meeting SDK one as each shipped file says: tokens signed with the video secret, claims in the video
    sample's order and types, errors, 405, health naming both credentials;
  - bodies over sdksign's limit (by one byte, well over it, and chunked) get sdksign's 413 JSON; a body over
    the server's own limit (with a length, and chunked) gets the server's own 413 (mod_fcgid: 500 for the
    chunked one) in sdksign's error shape, {"errors":[{"property":"$body","reason"}]}, with
    Content-Type: application/json, Access-Control-Allow-Origin and Cache-Control: no-store, never signed;
  - sdksign down: stopped and killed (sdksign.service), or killed and unable to start (spawned, CGI): the
    server's own 5xx in the same shape ($server) with the same headers; then sdksign back, serving again;
  - the server's graceful stop (as its Debian unit does it) with a request in flight: the request completes
    with a valid token, the server (and sdksign.service after it) stops within a few seconds, no sdksign
    process is left, and no log mentions a forced kill; no log contains the secret;
  - no log and no stderr of sdksign holds a sanitizer report (sanitizers.py; only a sanitized build writes one).

Prints one line per check, then "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import sys
import tarfile
import tempfile
import time
import types

import run_table
import sanitizers
from harness import network, processes, reports, servers, tokens, video
from harness.contract import server_error_problems

HEADERS_THAT_MATTER = ["Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
                       "Access-Control-Allow-Headers", "Access-Control-Max-Age", "Vary", "Content-Type",
                       "Cache-Control", "Allow"]
TIME_CLAIMS = ("iat", "exp", "tokenExp")
FORCED_KILL_SIGNS = ["terminating forcefully", "SIGKILL", "still did not exit", "Killed"]
# Beyond its own limit each server answers 413 itself, in sdksign's error shape ($body); mod_fcgid reads a
# chunked body (no length announced) and answers 500 ($server) once it passes FcgidMaxRequestLen.
CHUNKED_OVER_SERVER_LIMIT = {"apache-fcgid": (500, "$server")}
SERVER_ERROR_STATUSES = (500, 502, 503, 504)


def send(port, path, case):
    body = run_table.request_body(case)
    data = body if body or case["method"] in ("POST", "PUT", "PATCH") else None
    status, _reason, headers, payload = network.http_request(port, case["method"], path, data,
                                                             dict(case.get("headers", {})))
    raw = "".join(f"{n}: {v}\r\n" for n, v in headers).encode("latin-1", "replace") + payload
    return status, headers, payload, raw


def normalized(result):
    """What must be identical across deployments: status, the headers that matter, the body modulo time."""
    status, headers, body = result[0], result[1], result[2]
    picked = {name: sorted(network.find_headers(headers, name)) for name in HEADERS_THAT_MATTER}
    try:
        document = json.loads(body)
    except ValueError:
        return status, picked, body
    if isinstance(document, dict) and isinstance(document.get("signature"), str):
        parts = document["signature"].split(".")
        if len(parts) == 3:
            claims = json.loads(tokens.b64url_decode(parts[1]), object_pairs_hook=lambda p: p)
            document["signature"] = [parts[0], [(k, v) for k, v in claims if k not in TIME_CLAIMS],
                                     [k for k, _ in claims]]
    return status, picked, document


def reference_answers(args, table, secret, video_secret, stderr_texts=None):
    """Every case answered by the build's sdksign run directly as CGI (no web server in between), with the
    same two apps' credentials; the stderr of each run is appended to `stderr_texts` when given."""
    cgi_args = types.SimpleNamespace(sdksign=args.sdksign, plugin_dir=args.plugin_dir, video_secret=video_secret)
    answers = {}
    for case in table["cases"]:
        result, _problems = run_table.run_cgi_case(cgi_args, table, case, secret,
                                                   [] if stderr_texts is None else stderr_texts)
        answers[case["name"]] = normalized(result)
    return answers


def run_table_through(dep, table, report, secret, reference):
    for case in table["cases"]:
        path = dep.url(case["path"])
        try:
            result = send(dep.port, path, case)
            problems = run_table.check_case(case, result, table, tokens.TEST_KEY, secret)
            mine, theirs = normalized(result), reference[case["name"]]
            for what, a, b in (("status", mine[0], theirs[0]), ("headers", mine[1], theirs[1]),
                               ("body", mine[2], theirs[2])):
                if a != b:
                    problems.append(f"{what} differs from sdksign as plain CGI: {a!r:.300} vs {b!r:.300}")
            status = result[0]
        except (OSError, ValueError, http.client.HTTPException) as e:
            problems, status = [f"request failed: {type(e).__name__}: {e}"], "-"
        report.check(f"[{dep.target}] {case['name']}", problems, f"{case['method']} {path} -> {status}")


def request_head(dep, length=None, chunked=False):
    lines = [f"POST {dep.url('/')} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             "Connection: close"]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def padded_body(size):
    text = b'{"meetingNumber":"123456789","role":0}'
    return text + b" " * (size - len(text))


def is_sdksign_413(status, body):
    try:
        document = json.loads(body)
        return status == 413 and [e["property"] for e in document["errors"]] == ["$body"]
    except (ValueError, KeyError, TypeError):
        return False


def check_body_limits(dep, table, report):
    limit = table["settings"]["max_body_bytes"]
    for name, size in (("one byte over sdksign's limit", limit + 1), ("well over sdksign's limit", 120000)):
        body = padded_body(size)
        status, _, answer = network.exchange(dep.port, request_head(dep, len(body)), [body], timeout=15.0)
        report.check(f"[{dep.target}] body {name} ({size} bytes): sdksign's 413 JSON",
                     [] if is_sdksign_413(status, answer) else [f"status {status}, body {answer[:200]!r}"])
    body = padded_body(120000)
    chunks = [b"%x\r\n" % 30000 + body[i:i + 30000] + b"\r\n" for i in range(0, len(body), 30000)] + [b"0\r\n\r\n"]
    status, _, answer = network.exchange(dep.port, request_head(dep, chunked=True), chunks, timeout=15.0)
    report.check(f"[{dep.target}] chunked body over sdksign's limit: sdksign's 413 JSON",
                 [] if is_sdksign_413(status, answer) else [f"status {status}, body {answer[:200]!r}"])
    body = padded_body(1024 * 1024)
    try:
        answer = network.exchange(dep.port, request_head(dep, len(body)), [body])
        problems = server_error_problems(answer, (413,), "$body")
    except OSError as e:
        problems = [f"no answer: {type(e).__name__}: {e}"]
    report.check(f"[{dep.target}] body over the server's own limit (1 MiB): the server's 413 in sdksign's JSON "
                 f"shape ($body) with CORS, never signed", problems)
    body = padded_body(300000)
    chunks = [b"%x\r\n" % 30000 + body[i:i + 30000] + b"\r\n" for i in range(0, len(body), 30000)] + [b"0\r\n\r\n"]
    status, prop = CHUNKED_OVER_SERVER_LIMIT.get(dep.target, (413, "$body"))
    try:
        answer = network.exchange(dep.port, request_head(dep, chunked=True), chunks)
        problems = server_error_problems(answer, (status,), prop)
    except OSError as e:
        problems = [f"no answer: {type(e).__name__}: {e}"]
    report.check(f"[{dep.target}] chunked body over the server's own limit (300000 bytes): the server's {status} "
                 f"in sdksign's JSON shape ({prop}) with CORS", problems)


def sign_head_and_body(dep):
    body = b'{"meetingNumber":"123456789","role":0}'
    return request_head(dep, len(body)), [body]


def check_sdksign_down(dep, report):
    """sdksign stopped (systemctl stop) and killed (SIGKILL) behind the server: the server's own 5xx in
    sdksign's JSON shape ($server) with CORS; then sdksign back, and the server signs again."""
    if getattr(dep, "listen_process", None) is not None:
        ways = (("stopped (SIGTERM, as systemctl stop)", signal.SIGTERM), ("killed (SIGKILL)", signal.SIGKILL))
        for label, sig in ways:
            dep.listen_process.send_signal(sig)
            try:
                dep.listen_process.wait(timeout=servers.STOP_TIMEOUT_S)
            except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired; the answer below shows it
                pass
            try:
                problems = server_error_problems(network.exchange(dep.port, *sign_head_and_body(dep)),
                                                 SERVER_ERROR_STATUSES, "$server")
            except OSError as e:
                problems = [f"no answer: {type(e).__name__}: {e}"]
            report.check(f"[{dep.target}] sdksign.service {label}: the server's 5xx in sdksign's JSON shape "
                         f"($server) with CORS", problems)
            dep.start_listen_service()
    elif dep.target == "apache-fcgid":
        # mod_fcgid keeps trying to start a program that cannot start (the client waits); what happens to
        # it is a worker dying: every sdksign process stopped, a request handed to one of them, then all
        # killed (as in test_faults.py).
        # Every one, also one that mod_fcgid starts at this very moment (it would serve the request).
        pids = processes.stop_every_process(os.path.realpath(dep.sdksign))
        try:
            with socket.create_connection(("127.0.0.1", dep.port), timeout=40.0) as sock:
                head, body = sign_head_and_body(dep)
                sock.sendall(head + body[0])
                time.sleep(1.0)  # mod_fcgid has handed it over to a stopped worker
                for pid in pids:
                    os.kill(pid, signal.SIGKILL)
                problems = server_error_problems(network.read_response(sock), SERVER_ERROR_STATUSES, "$server")
        except OSError as e:
            problems = [f"no answer: {type(e).__name__}: {e}"]
        finally:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        report.check(f"[{dep.target}] sdksign killed with a request in flight: the server's 5xx in sdksign's "
                     f"JSON shape ($server) with CORS", problems)
    else:
        # A server that starts sdksign itself (lighttpd bin-path, CGI): every sdksign process
        # killed, and the program made unstartable, so that the server cannot bring it back meanwhile.
        os.chmod(dep.sdksign, 0o644)
        try:
            for pid in dep.sdksign_pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            processes.wait_for(lambda: not dep.sdksign_pids(), 5.0)
            try:
                problems = server_error_problems(network.exchange(dep.port, *sign_head_and_body(dep), timeout=40.0),
                                                 SERVER_ERROR_STATUSES, "$server")
            except OSError as e:
                problems = [f"no answer: {type(e).__name__}: {e}"]
            report.check(f"[{dep.target}] sdksign killed and unable to start: the server's 5xx in sdksign's JSON "
                         f"shape ($server) with CORS", problems)
        finally:
            os.chmod(dep.sdksign, 0o755)
    back = processes.wait_for(lambda: send_health(dep) == 200, servers.START_TIMEOUT_S, step=0.25)
    report.check(f"[{dep.target}] sdksign back: the server serves again", [] if back else ["health is not 200"])


def send_health(dep):
    try:
        return network.http_request(dep.port, "GET", dep.url("/health"), timeout=5.0)[0]
    except (OSError, http.client.HTTPException):
        return None


def check_stop(dep, report, secret):
    """The graceful stop with a request in flight (its body only half sent when the stop begins)."""
    pids_before = dep.sdksign_pids()
    body = b'{"meetingNumber":"123456789","role":0}'
    sock = socket.create_connection(("127.0.0.1", dep.port), timeout=15)
    sock.sendall(request_head(dep, len(body)) + body[:10])
    time.sleep(0.3)  # the server has read the head and waits for the rest of the body
    started = time.monotonic()
    dep.server_process.send_signal(dep.stop_signal())
    time.sleep(0.5)
    problems = []
    try:
        sock.sendall(body[10:])
        status, _, answer = network.read_response(sock)
        token = json.loads(answer)["signature"]
        if status != 200 or not tokens.verify_signature(token, secret):
            problems.append(f"status {status}, body {answer[:200]!r}")
    except (OSError, ValueError, KeyError, TypeError) as e:
        problems.append(f"{type(e).__name__}: {e}")
    finally:
        sock.close()
    report.check(f"[{dep.target}] a request in flight when the stop begins completes with a valid token", problems)
    try:
        dep.server_process.wait(timeout=servers.STOP_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired; reported below
        pass
    server_s = time.monotonic() - started
    report.check(f"[{dep.target}] {dep.server} stops within {servers.STOP_TIMEOUT_S:.0f} s of its "
                 f"graceful stop signal", [] if dep.server_process.poll() is not None else ["still running"],
                 f"{server_s:.2f} s")
    if getattr(dep, "listen_process", None) is not None:
        started = time.monotonic()
        dep.listen_process.send_signal(signal.SIGTERM)  # systemctl stop sdksign
        try:
            status = dep.listen_process.wait(timeout=servers.STOP_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
            status = None
        elapsed = time.monotonic() - started
        report.check(f"[{dep.target}] sdksign --listen exits 0 within 3 s of SIGTERM",
                     [] if status == 0 and elapsed < 3.0 else [f"exit {status} after {elapsed:.2f} s"],
                     f"{elapsed:.2f} s")
    gone = processes.wait_for(lambda: not dep.sdksign_pids(), 3.0)
    report.check(f"[{dep.target}] no sdksign process left after the stop",
                 [] if gone else [f"still running: {dep.sdksign_pids()} (running before the stop: {pids_before})"])
    logs = dep.all_logs()
    report.check(f"[{dep.target}] no log mentions a forced kill",
                 [f"log says {sign!r}" for sign in FORCED_KILL_SIGNS if sign in logs])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=servers.TARGETS, required=True)
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--plugin-dir", required=True)
    parser.add_argument("--source-root", required=True)
    parser.add_argument("--bundle", help="apache-htaccess: scripts/bundle's tarball, whose folder sdksign/ is "
                        "uploaded as it is (and is the plain CGI the answers are compared with)")
    args = parser.parse_args()
    bundle_folder = None
    if args.bundle:
        if args.target != "apache-htaccess":
            parser.error("--bundle goes with --target apache-htaccess")
        unpacked = tempfile.mkdtemp(prefix="sdksign-bundle-")
        atexit.register(shutil.rmtree, unpacked, True)
        with tarfile.open(args.bundle) as tar:
            tar.extractall(unpacked)
        bundle_folder = os.path.join(unpacked, "sdksign")
        args.sdksign, args.plugin_dir = os.path.join(bundle_folder, "sdksign"), bundle_folder
    args.sdksign = os.path.abspath(args.sdksign)
    args.plugin_dir = os.path.abspath(args.plugin_dir)
    table = run_table.load_table(os.path.join(os.path.dirname(os.path.abspath(__file__)), "requests.json"))
    secret = tokens.make_test_secret()
    video_secret = video.make_video_secret()
    report = reports.Report(secret, video_secret)
    server = args.target.split("-")[0]
    program = servers.find_program("apache2" if server == "apache" else server)
    if program is None:
        report.check(f"[{args.target}] {server} is installed", [f"{server} not found: install it (scripts/test does)"])
        return report.finish()
    conf = f"max-body-bytes = {table['settings']['max_body_bytes']}\n"
    dep = servers.Deployment(args.target, os.path.abspath(args.source_root), args.sdksign,
                             args.plugin_dir, tokens.TEST_KEY, secret, conf,
                             video=(video.VIDEO_KEY, video_secret), bundle_folder=bundle_folder)
    try:
        started = time.monotonic()
        problems = dep.start()
        report.check(f"[{args.target}] the server accepts the shipped configuration and serves {dep.mount}",
                     problems, f"port {dep.port}, {time.monotonic() - started:.2f} s" if not problems else "")
        if problems:
            return report.finish()
        addresses = network.listening_addresses(dep.port)
        report.check(f"[{args.target}] listens on 127.0.0.1 only",
                     [] if addresses == ["127.0.0.1"] else [f"listening on {addresses}"])
        reference_stderr = []
        reference = reference_answers(args, table, secret, video_secret, reference_stderr)
        run_table_through(dep, table, report, secret, reference)
        for name, problems, detail in video.run_cases(dep.port, dep.mount, video.VIDEO_KEY, video_secret):
            report.check(f"[{args.target}] {name}", problems, detail)
        check_body_limits(dep, table, report)
        check_sdksign_down(dep, report)
        check_stop(dep, report, secret)
        logs = dep.all_logs()
        report.check(f"[{args.target}] no log contains the secret",
                     ["THE SECRET APPEARS IN A LOG"] if secret in logs or video_secret in logs else [])
        # After the stop: every sdksign process has exited, so its leak check at exit has been written.
        report.check(f"[{args.target}] no sanitizer report in the server's log or sdksign's stderr",
                     dep.sanitizer_problems() +
                     sanitizers.problems("\n".join(reference_stderr), "the stderr of sdksign as plain CGI"))
        if report.failed:
            print(f"--- {args.target} logs ---\n" + report.scrub(logs[-6000:]), flush=True)
    finally:
        dep.remove()
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
