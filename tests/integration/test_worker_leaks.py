#!/usr/bin/env python3
"""A bounded leak check of the FastCGI worker: `sdksign --listen` serves a few thousand requests, then stops on
SIGTERM, and must have freed everything it allocated.

    test_worker_leaks.py --sdksign build/src/sdksign --env-plugin-dir build/plugins/env \
                         --file-plugin-dir build/plugins/file --valgrind /usr/bin/valgrind
    test_worker_leaks.py ... --sanitized        (a -Db_sanitize=address build: LeakSanitizer instead)

Two runs, each a process of its own driven by fcgi_client.py (no web server in between):
  - provider `env`;
  - provider `file`, whose file is rotated twice while the requests go on (an atomic rename, then an
    in-place rewrite), so that the store replaces its credential and the plugin its buffers.
The requests are a fixed mix, over and over: valid signing requests of several shapes, validation errors,
bad JSON, a wrong Content-Type, a body over the limit, a body shorter than its Content-Length, a wrong method,
an unknown path, CORS preflights, health checks (GET and HEAD), requests on kept connections (FCGI_KEEP_CONN,
as nginx's fastcgi_keep_conn), and connections dropped in the middle of a request. Each answer must have the
expected status, each token must verify with the secret its sdkKey names.

Under valgrind (memcheck: --leak-check=full, definite and indirect leaks are errors, --error-exitcode), the
test fails on any memcheck error or leak. In a sanitized build valgrind cannot run (the two instrumentations
exclude each other); the same run is then checked by LeakSanitizer (detect_leaks=1), which reports at exit and
makes the exit status non-zero. Either way sdksign must exit 0 by returning from main (its log says "stopped
after N requests" and never that it exits without waiting), since that is the path on which the leak check
runs, and no sanitizer report may appear in its stderr.

Prints one line per check and the leak summary, then "N passed, M failed"; exits 1 on any failure.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import evidence
import fcgi_client
import sanitizers
from harness import network, processes, tokens

MAX_BODY_BYTES = 4096
# valgrind runs sdksign some 20-50 times slower; starting it (Botan, Boost, the plugin) takes a few seconds.
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 90.0
REFRESH_MS = 100
CLIENT_THREADS = 2
VALGRIND_ERROR_EXIT = 99
EXIT_WITHOUT_LEAK_CHECK = ("exiting anyway", "exiting without waiting")

results = {"passed": 0, "failed": 0}


def check(name, problems, detail=""):
    if problems:
        results["failed"] += 1
        print(f"FAIL {name}: " + "; ".join(str(p) for p in problems[:5]), flush=True)
    else:
        results["passed"] += 1
        print(f"ok   {name}" + (f" ({detail})" if detail else ""), flush=True)


# ------------------------------------------------------------------------------------------ the request mix

def sign(body, content_type="application/json", headers=None):
    return {"method": "POST", "path": "/", "body": body, "content_type": content_type, "headers": headers or {}}


# (name, request, expected status); a request with "drop" is abandoned after its params (no answer).
MIX = [
    ("sign", sign(b'{"meetingNumber":"123456789","role":0}'), 200),
    ("sign, integer meeting number, host, expiry",
     sign(b'{"meetingNumber":9876543210,"role":1,"expirationSeconds":3600,"videoWebRtcMode":1}'), 200),
    ("sign, charset and an Origin", sign(b'{"meetingNumber":"11","role":0}', "application/json; charset=utf-8",
                                         {"Origin": "https://meet.example.com"}), 200),
    ("validation errors", sign(b'{"meetingNumber":"12ab","role":7,"expirationSeconds":1.5}'), 400),
    ("bad JSON", sign(b'{"meetingNumber": "123", '), 400),
    ("not an object", sign(b'[1,2,3]'), 400),
    ("wrong Content-Type", sign(b'meetingNumber=1&role=0', "application/x-www-form-urlencoded"), 415),
    ("body over the limit", sign(b'{"meetingNumber":"1","role":0}' + b" " * MAX_BODY_BYTES), 413),
    ("body shorter than its Content-Length",
     dict(sign(b'{"meetingNumber":"1"'), content_length=200), 400),
    ("wrong method", {"method": "GET", "path": "/", "body": b""}, 405),
    ("unknown path", {"method": "POST", "path": "/nowhere", "body": b"{}", "content_type": "application/json"},
     404),
    ("preflight", {"method": "OPTIONS", "path": "/", "body": b"",
                   "headers": {"Origin": "https://meet.example.com", "Access-Control-Request-Method": "POST",
                               "Access-Control-Request-Headers": "content-type"}}, 204),
    ("health", {"method": "GET", "path": "/health", "body": b""}, 200),
    ("health, HEAD", {"method": "HEAD", "path": "/health", "body": b""}, 200),
    ("dropped mid-request", dict(sign(b'{"meetingNumber":"1","role":0}'), drop=True), None),
]
KEPT_PER_CONNECTION = 3  # every KEEP_EVERY-th turn sends this many signing requests on one kept connection
KEEP_EVERY = 10


def params_of(request):
    body = request["body"]
    params = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": "test_worker_leaks.py",
        "REQUEST_METHOD": request["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": request["path"],
        "REQUEST_URI": request["path"],
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_LENGTH": str(request.get("content_length", len(body))),
    }
    if request.get("content_type"):
        params["CONTENT_TYPE"] = request["content_type"]
    for name, value in request.get("headers", {}).items():
        params["HTTP_" + name.upper().replace("-", "_")] = value
    return params


class Client:
    """Sends the mix in turns from CLIENT_THREADS threads until `total` requests have gone out; records every
    problem and every (sdkKey, token) answer."""

    def __init__(self, address, credentials):
        self.address = address
        self.credentials = credentials  # sdkKey -> secret, extended by the rotations
        self.lock = threading.Lock()
        self.sent = 0
        self.turns = 0
        self.mixed = 0  # turns that sent one request of MIX, which they take in order
        self.by_status = {}
        self.problems = []
        self.keys_seen = []  # sdkKey of each token, in the order the answers came

    def answer(self, name, expected, raw):
        status, _reason, headers, body = fcgi_client.parse_cgi_output(raw)
        problem = None
        if status != expected:
            problem = f"{name}: status {status}, expected {expected}: {body[:160]!r}"
        elif status == 200 and name.startswith("sign"):
            try:
                document = json.loads(body)
                key, token = document["sdkKey"], document["signature"]
                with self.lock:
                    secret = self.credentials.get(key)
                if secret is None or not tokens.verify_signature(token, secret):
                    problem = f"{name}: a token that does not verify with the secret of {key!r}"
                else:
                    with self.lock:
                        self.keys_seen.append(key)
            except (ValueError, KeyError, TypeError) as e:
                problem = f"{name}: not a signature body ({e}): {body[:160]!r}"
        with self.lock:
            self.by_status[status] = self.by_status.get(status, 0) + 1
            if problem:
                self.problems.append(problem)

    def one(self, name, request, expected):
        with fcgi_client.connect(self.address, timeout=30) as sock:
            fcgi_client.begin(sock, params_of(request))
            if request.get("drop"):
                return  # params sent, no body: the worker is reading it when the connection goes
            fcgi_client.send_body(sock, request["body"])
            stdout, _ = fcgi_client.read_response(sock)
        self.answer(name, expected, stdout)

    def kept(self):
        """KEPT_PER_CONNECTION signing requests on one connection that the application keeps open."""
        name, request, expected = MIX[0]
        with fcgi_client.connect(self.address, timeout=30) as sock:
            for i in range(KEPT_PER_CONNECTION):
                fcgi_client.begin(sock, params_of(request), request_id=1, keep_conn=True)
                fcgi_client.send_body(sock, request["body"])
                stdout, _ = fcgi_client.read_response(sock)
                self.answer(name + " (kept connection)", expected, stdout)

    def run(self, total):
        def loop():
            while True:
                with self.lock:
                    if self.sent >= total:
                        return
                    keep = self.turns % KEEP_EVERY == KEEP_EVERY - 1
                    index = self.mixed % len(MIX)
                    self.turns += 1
                    self.mixed += 0 if keep else 1
                    self.sent += KEPT_PER_CONNECTION if keep else 1
                try:
                    if keep:
                        self.kept()
                    else:
                        self.one(*MIX[index])
                except (OSError, ConnectionError) as e:
                    with self.lock:
                        self.problems.append(f"transport error: {type(e).__name__}: {e}")
                        if len(self.problems) > 50:
                            return  # the worker is gone or stuck: stop hammering it

        threads = [threading.Thread(target=loop, daemon=True) for _ in range(CLIENT_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


# ------------------------------------------------------------------------------------------------ one run

class Worker:
    """sdksign --listen, under valgrind or not; stderr (and valgrind's own log) kept in files."""

    def __init__(self, args, scratch, label, extra_args, env):
        self.label = label
        self.port = network.free_port()
        self.address = ("127.0.0.1", self.port)
        self.stderr_path = os.path.join(scratch, label + ".stderr")
        self.valgrind_log = os.path.join(scratch, label + ".valgrind")
        argv = [args.sdksign, "--listen", f"127.0.0.1:{self.port}", *extra_args]
        if not args.sanitized:
            argv = [args.valgrind, "--tool=memcheck", "--leak-check=full",
                    "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect",
                    f"--error-exitcode={VALGRIND_ERROR_EXIT}", "--num-callers=40",
                    # The plugin is unloaded before the leak check: keep its symbols for the stack traces.
                    "--keep-debuginfo=yes", "--trace-children=no", f"--log-file={self.valgrind_log}", *argv]
        with open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                            start_new_session=True)

    def wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return f"exited with status {self.process.returncode}: {self.stderr()[-1500:]}"
            try:
                status = fcgi_client.request(self.address, "GET", "/health")[0]
                if status == 200:
                    return None
            except OSError:
                pass
            time.sleep(0.2)
        return f"not answering /health after {START_TIMEOUT_S:.0f} s: {self.stderr()[-1500:]}"

    def stop(self):
        """SIGTERM, as a service manager stops it; the exit status, or None when it did not exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            return None

    def stderr(self):
        return processes.read_text(self.stderr_path)


LEAK_LINE = re.compile(r"(definitely|indirectly|possibly) lost: ([\d,]+) bytes in ([\d,]+) blocks")
ERROR_SUMMARY = re.compile(r"ERROR SUMMARY: ([\d,]+) errors")


def valgrind_summary(text):
    """{"definitely": (bytes, blocks), ...} and the error count from memcheck's log (None: no summary)."""
    leaks = {kind: (int(b.replace(",", "")), int(n.replace(",", ""))) for kind, b, n in LEAK_LINE.findall(text)}
    if "All heap blocks were freed" in text:
        leaks = {kind: (0, 0) for kind in ("definitely", "indirectly", "possibly")}
    errors = ERROR_SUMMARY.findall(text)
    return leaks, int(errors[-1].replace(",", "")) if errors else None


def finish_run(args, worker, client, secrets):
    label = worker.label
    started = time.monotonic()
    code = worker.stop()
    stop_s = time.monotonic() - started
    stderr = worker.stderr()
    for secret in secrets:
        stderr = stderr.replace(secret, "<test secret>")
    served = re.findall(r"stopped after (\d+) requests", stderr)
    exited_early = [text for text in EXIT_WITHOUT_LEAK_CHECK if text in stderr]
    check(f"[{label}] exits 0 on SIGTERM by returning from main (the path that runs the leak check)",
          ([] if code == 0 else [f"exit status {code}" + (" (valgrind's --error-exitcode: it found errors)"
                                                         if code == VALGRIND_ERROR_EXIT and not args.sanitized
                                                         else "")]) +
          ([] if served else ["no 'stopped after N requests' line"]) +
          [f"log says {text!r}" for text in exited_early],
          f"{stop_s:.1f} s, served {served[-1] if served else '?'} requests")
    check(f"[{label}] every answer as expected", client.problems,
          f"{client.sent} requests, statuses {dict(sorted(client.by_status.items()))}")
    check(f"[{label}] no sanitizer report in sdksign's stderr", sanitizers.problems(stderr, "sdksign's stderr"))
    if args.sanitized:
        clean = code == 0 and "LeakSanitizer" not in stderr
        print(f"     [{label}] LeakSanitizer: {'no leak reported' if clean else 'see above'}", flush=True)
        return
    log = processes.read_text(worker.valgrind_log)
    for secret in secrets:
        log = log.replace(secret, "<test secret>")
    leaks, errors = valgrind_summary(log)
    definite, indirect = leaks.get("definitely", (None, None)), leaks.get("indirectly", (None, None))
    problems = []
    if errors is None:
        problems.append("memcheck printed no ERROR SUMMARY")
    elif errors:
        problems.append(f"memcheck reports {errors} errors")
    if definite[0] != 0 or indirect[0] != 0:
        problems.append(f"definitely lost {definite[0]} bytes, indirectly lost {indirect[0]} bytes")
    summary = (f"definitely lost {definite[0]} bytes in {definite[1]} blocks, indirectly lost {indirect[0]} bytes "
               f"in {indirect[1]} blocks, possibly lost {leaks.get('possibly', ('?',))[0]} bytes; "
               f"{errors} errors")
    check(f"[{label}] valgrind: no memcheck error, no definite or indirect leak", problems, summary)
    if problems:
        print(f"--- valgrind log of the {label} run ---\n{log[-12000:]}", flush=True)


def environment(args, extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDKSIGN_", "ZOOM_"))}
    env.update(sanitizers.environment())
    if args.sanitized:
        # Explicitly on, whatever the caller's ASAN_OPTIONS say; the later setting of an option wins.
        env["ASAN_OPTIONS"] = env["ASAN_OPTIONS"] + ":detect_leaks=1"
    env.update({"SDKSIGN_CONFIG": "/dev/null", "SDKSIGN_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
                "SDKSIGN_CORS_ORIGIN": "https://meet.example.com"})
    env.update(extra)
    return env


def env_run(args, scratch, total):
    key, secret = "leaks-env-key", evidence.secret("leaks-env-secret-" + os.urandom(9).hex())
    env = environment(args, {"ZOOM_MEETING_SDK_KEY": key, "ZOOM_MEETING_SDK_SECRET": secret})
    worker = Worker(args, scratch, "env", ["--plugin-dir", args.env_plugin_dir], env)
    try:
        problem = worker.wait_listening()
        check("[env] sdksign --listen serves", [problem] if problem else [])
        if problem:
            return
        client = Client(worker.address, {key: secret})
        started = time.monotonic()
        client.run(total)
        print(f"     [env] {client.sent} requests in {time.monotonic() - started:.1f} s", flush=True)
        finish_run(args, worker, client, [secret])
    finally:
        if worker.process.poll() is None:
            worker.stop()


def write_atomically(path, text):
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(temporary, 0o600)
    os.rename(temporary, path)


def rewrite_in_place(path, text):
    with open(path, "r+", encoding="utf-8") as f:
        f.truncate(0)
        f.write(text)


def file_run(args, scratch, total):
    credentials = [(f"leaks-file-key-{i}", evidence.secret(f"leaks-file-secret-{i}-" + os.urandom(9).hex()))
                   for i in range(3)]
    path = os.path.join(scratch, "zoom.env")
    write_atomically(path, "ZOOM_MEETING_SDK_KEY={}\nZOOM_MEETING_SDK_SECRET={}\n".format(*credentials[0]))
    config = os.path.join(scratch, "sdksign-file.conf")
    with open(config, "w", encoding="utf-8") as f:
        f.write(f"provider = file\nrefresh-interval-ms = {REFRESH_MS}\n\n[file]\npath = {path}\n")
    env = environment(args, {"SDKSIGN_CONFIG": config})
    worker = Worker(args, scratch, "file", ["--plugin-dir", args.file_plugin_dir], env)
    try:
        problem = worker.wait_listening()
        check("[file] sdksign --listen serves with the file provider", [problem] if problem else [])
        if problem:
            return
        client = Client(worker.address, {credentials[0][0]: credentials[0][1]})
        started = time.monotonic()
        part = total // 3
        mark = 0
        for i, rotate in ((1, write_atomically), (2, rewrite_in_place)):
            client.run(part * i)
            key, secret = credentials[i]
            with client.lock:
                client.credentials[key] = secret
            rotate(path, f'export ZOOM_MEETING_SDK_KEY="{key}"\nZOOM_MEETING_SDK_SECRET=\'{secret}\' # {i}\n')
            picked_up = wait_for_key(worker.address, key)
            check(f"[file] rotation {i} ({rotate.__name__}) is picked up while serving",
                  [] if picked_up else [f"still not signing with {key} after 30 s"])
            mark = len(client.keys_seen)  # no request is in flight here: client.run has joined its threads
        client.run(total)
        print(f"     [file] {client.sent} requests in {time.monotonic() - started:.1f} s, 2 rotations", flush=True)
        after = client.keys_seen[mark:]
        check("[file] once the last rotation is seen, every token carries the new key",
              [] if after and all(k == credentials[2][0] for k in after) else [f"keys {sorted(set(after))}"],
              f"{len(after)} tokens")
        finish_run(args, worker, client, [s for _k, s in credentials])
    finally:
        if worker.process.poll() is None:
            worker.stop()


def wait_for_key(address, key, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, _, _, body = fcgi_client.request(address, "POST", "/", MIX[0][1]["body"],
                                                 content_type="application/json")
        if status == 200 and json.loads(body).get("sdkKey") == key:
            return True
        time.sleep(0.05)
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--env-plugin-dir", required=True)
    parser.add_argument("--file-plugin-dir", required=True)
    parser.add_argument("--valgrind", default="", help="valgrind executable (runs without --sanitized)")
    parser.add_argument("--sanitized", action="store_true",
                        help="sdksign is built with AddressSanitizer: LeakSanitizer checks, not valgrind")
    parser.add_argument("--requests", type=int, default=3000, help="requests per run (two runs)")
    args = parser.parse_args()
    args.sdksign = os.path.abspath(args.sdksign)
    tool = "LeakSanitizer" if args.sanitized else "valgrind"
    if not args.sanitized and not (args.valgrind and os.access(args.valgrind, os.X_OK)):
        check("valgrind is installed", [f"valgrind not found ({args.valgrind or 'not given'}): install it "
                                        "(apt-get install valgrind, or run scripts/test, which does)"])
        return 1
    print(f"{tool}: {args.requests} requests per run, provider env then file", flush=True)
    scratch = tempfile.mkdtemp(prefix="sdksign-leaks-")
    try:
        env_run(args, scratch, args.requests)
        file_run(args, scratch, args.requests)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{results['passed']} passed, {results['failed']} failed", flush=True)
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
