#!/usr/bin/env python3
"""Faults around sdksign, with the real web servers and the shipped configuration files: each must end in a
clean answer or a clean refusal, never a hang, a lost answer or a dead service.

    test_faults.py --sdksign build/src/sdksign --plugin-dir build/plugins/env \
                   --file-plugin-dir build/plugins/file --source-root .

What it shows (every wait bounded by a socket timeout or a deadline; no timing is asserted):
  1. A worker killed mid-request, through the servers that manage their FastCGI processes (Apache
     mod_fcgid with apache/sdksign-fcgid.conf, lighttpd bin-path spawning with 50-sdksign-fastcgi.conf):
     - handed over: every sdksign process is stopped (SIGSTOP), a complete POST comes in and the server
       passes it to one of them, which cannot answer; then they are SIGKILLed. The client gets a complete
       5xx from the server (no hang). Then requests, one every 0.2 s, get complete 5xx answers until the
       server has restarted its workers (lighttpd respawns them at its next check of its backends, about a
       second later; mod_fcgid on the next request) and one is signed by a restarted worker;
     - held by the server: a POST declares a longer Content-Length than it sends (both servers buffer a
       body before they pass it on), every sdksign process is SIGKILLed, then the rest of the body comes.
       The client gets a complete answer: a token from a restarted worker or a 5xx (both happen, with
       either server, depending on whether it has restarted its workers yet); then as above.
  2. Clients that disconnect mid-body, straight to `sdksign --listen` (TCP, 4 threads) with fcgi_client.py,
     threads + 2 times in four ways (after the head, inside a STDIN record, inside a record header, with a
     reset): sdksign closes each of those connections, then holds as many requests in flight as it has
     threads (all accepted at once, so no thread is stuck) and answers them all, and the next one too.
  3. Slow clients (slow loris): through nginx (nginx-unix) and lighttpd (spawned), more clients than sdksign
     has threads trickle their bodies a byte at a time while other clients are served at once (the servers
     buffer bodies); then every slow client gets its token. Straight to `sdksign --listen`, fewer slow
     clients than threads trickle a body, and others trickle their FastCGI request head or connect and send
     nothing: the remaining thread serves everyone else meanwhile, and the slow ones are answered at the end.
  4. A full disk for the logs: `sdksign --listen --log-level=debug` with its stderr on /dev/full (every
     write fails with ENOSPC) serves the mix of kinds, dropped connections, and a credentials file (file
     provider) that is rotated, removed and restored, which logs at info, warn and debug; every request is
     answered correctly and the process exits 0 on SIGTERM. A first run with stderr on a file shows that the
     same run does write those lines. The same for sdksign as CGI: a token, the 503 JSON of a missing
     secret (logged as an error), a 400 at --log-level=debug; each exits 0.

Prints one line per check, then "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import fcgi_client
import run_table
import sanitizers
from harness import network, processes, reports, servers, tokens

SIGN_BODY = b'{"meetingNumber":"123456789","role":0}'
THREADS = 4
# Bounds, never expectations: a request that takes this long has hung.
ANSWER_TIMEOUT_S = 10.0
SERVER_ANSWER_TIMEOUT_S = 30.0  # mod_fcgid's IOTimeout in the shipped file is 15 s
STOP_TIMEOUT_S = 10.0
TRICKLE_INTERVAL_S = 0.2


# ------------------------------------------------------------------------------------------------- helpers

def valid_token_problems(status, body, secret):
    try:
        document = json.loads(body)
        token = document["signature"]
    except (ValueError, KeyError, TypeError):
        return [f"status {status}, not a signature: {body[:200]!r}"]
    problems = [] if status == 200 else [f"status {status}"]
    if not tokens.verify_signature(token, secret):
        problems.append("the token does not verify with the test secret")
    return problems


def http_head(dep, length):
    return (f"POST {dep.url('/')} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Connection: close\r\nContent-Length: {length}\r\n\r\n").encode("ascii")


def sign_over_http(dep, secret, timeout=ANSWER_TIMEOUT_S):
    """One signing request through the server; problems (empty: signed, and the token verifies)."""
    try:
        status, _reason, _headers, body = network.http_request(
            dep.port, "POST", dep.url("/"), SIGN_BODY, {"Content-Type": "application/json"}, timeout=timeout)
    except OSError as e:
        return [f"{type(e).__name__}: {e}"]
    return valid_token_problems(status, body, secret)


def start_deployment(args, target, secret, report):
    dep = servers.Deployment(target, args.source_root, args.sdksign, args.plugin_dir, tokens.TEST_KEY,
                             secret)
    problems = dep.start()
    report.check(f"[{target}] serving with the shipped configuration", problems,
                 f"port {dep.port}" if not problems else "")
    if problems:
        dep.remove()
        return None
    return dep


def finish_deployment(dep, report, secret):
    """The graceful stop, then the logs: no secret, no sanitizer report."""
    dep.stop_gracefully()
    logs = dep.all_logs()
    report.check(f"[{dep.target}] no log contains the secret",
                 ["THE SECRET APPEARS IN A LOG"] if secret in logs else [])
    report.check(f"[{dep.target}] no sanitizer report in the logs", sanitizers.problems(logs, dep.target))
    dep.remove()


class Listen:
    """`sdksign --listen 127.0.0.1:PORT` started here; stop() sends SIGTERM and returns the exit status."""

    def __init__(self, args, extra_args=(), stderr=None, plugin_dir=None):
        self.port = network.free_port()
        self.address = ("127.0.0.1", self.port)
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
                       "SDKSIGN_CONFIG": "/dev/null", "ZOOM_MEETING_SDK_KEY": tokens.TEST_KEY,
                       "ZOOM_MEETING_SDK_SECRET": args.secret}
        environment.update(sanitizers.environment())
        self.stderr_file = None
        if stderr is None:
            self.stderr_file = tempfile.TemporaryFile()
            stderr = self.stderr_file
        argv = [args.sdksign, "--listen", f"127.0.0.1:{self.port}", f"--threads={THREADS}",
                f"--plugin-dir={plugin_dir or args.plugin_dir}", *extra_args]
        self.process = subprocess.Popen(argv, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=stderr)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                fcgi_client.connect(self.address, timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.process.kill()
        self.process.wait()
        raise RuntimeError(f"sdksign --listen did not start: {self.stderr()[-1500:]}")

    def fds(self):
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def idle_fds(self):
        """The descriptor count once it has not changed for half a second (the start-up probe's connection
        closed), at most 5 s."""
        counts = [self.fds()]
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and (len(counts) < 5 or len(set(counts[-5:])) > 1):
            time.sleep(0.1)
            counts.append(self.fds())
        return counts[-1]

    def wait_fds(self, wanted, timeout=5.0):
        """Waits (bounded) until sdksign has `wanted` descriptors open; returns the last count."""
        processes.wait_for(lambda: self.fds() == wanted, timeout)
        return self.fds()

    def stderr(self):
        if self.stderr_file is None:
            return ""
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode("utf-8", "replace")

    def stop(self):
        if self.process.poll() is not None:
            return self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return "hung (killed)"


def fcgi_params(method="POST", path="/", body_length=None, content_type="application/json"):
    params = {"GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_METHOD": method,
              "SCRIPT_NAME": "", "PATH_INFO": path, "REQUEST_URI": path, "REMOTE_ADDR": "127.0.0.1"}
    if body_length is not None:
        params["CONTENT_LENGTH"] = str(body_length)
    if content_type:
        params["CONTENT_TYPE"] = content_type
    return params


def sign_over_fastcgi(address, secret, timeout=ANSWER_TIMEOUT_S):
    try:
        with fcgi_client.connect(address, timeout=timeout) as sock:
            fcgi_client.begin(sock, fcgi_params(body_length=len(SIGN_BODY)))
            fcgi_client.send_body(sock, SIGN_BODY)
            stdout, _ = fcgi_client.read_response(sock)
    except OSError as e:
        return [f"{type(e).__name__}: {e}"]
    status, _reason, _headers, body = fcgi_client.parse_cgi_output(stdout)
    return valid_token_problems(status, body, secret)


def fast_clients_meanwhile(send_one, busy, at_least=20):
    """Sends requests one after another while busy() (at least `at_least`); returns (count, problems)."""
    count, problems = 0, []
    while count < at_least or busy():
        time.sleep(0.02)  # a steady trickle of other clients, not a flood
        found = send_one()
        count += 1
        if found:
            problems.append(f"request {count}: {'; '.join(found)}")
            if len(problems) >= 3:
                break
    return count, problems


class Trickler(threading.Thread):
    """A client that sends `head`, then `body` one piece at a time (`pieces`), then reads the answer with
    `read`; result: the answer, or the exception."""

    def __init__(self, connect, head, pieces, read, interval=TRICKLE_INTERVAL_S):
        super().__init__(daemon=True)
        self.connect_fn, self.head, self.pieces, self.read_fn = connect, head, pieces, read
        self.interval = interval
        self.result = None
        self.sent_all = threading.Event()

    def run(self):
        try:
            with self.connect_fn() as sock:
                if self.head:
                    sock.sendall(self.head)
                for piece in self.pieces:
                    time.sleep(self.interval)
                    sock.sendall(piece)
                self.sent_all.set()
                self.result = self.read_fn(sock)
        except Exception as e:  # noqa: BLE001 - reported as the result
            self.result = e
        finally:
            self.sent_all.set()


def trickler_problems(tricklers, secret, timeout):
    """Waits (bounded) for each slow client's answer: a valid token, or a problem."""
    problems = []
    for index, trickler in enumerate(tricklers, 1):
        trickler.join(timeout=timeout)
        if trickler.is_alive() or not isinstance(trickler.result, tuple):
            problems.append(f"slow client {index}: {'no answer' if trickler.is_alive() else repr(trickler.result)}")
        else:
            problems += [f"slow client {index}: {p}" for p in valid_token_problems(*trickler.result, secret)]
    return problems


# --------------------------------------------------------------------------------- 1. a worker killed

RESTART_TIMEOUT_S = 15.0


def signed_by_restarted_workers(dep, secret, killed, count):
    """Signing requests, one every 0.2 s, until one is signed by a worker the server started after the kill
    and the server runs `count` workers again (lighttpd answers 503 until its next check of its backends
    respawns them, about a second; mod_fcgid spawns one on the next request). Every answer before that must
    be a complete 5xx. Returns (problems, a description)."""
    deadline = time.monotonic() + RESTART_TIMEOUT_S
    refused, last = 0, []
    while time.monotonic() < deadline:
        try:
            status, _reason, _headers, body = network.http_request(
                dep.port, "POST", dep.url("/"), SIGN_BODY, {"Content-Type": "application/json"},
                timeout=SERVER_ANSWER_TIMEOUT_S)
        except (OSError, http.client.HTTPException) as e:
            return [f"no complete answer while the server restarts its workers: {type(e).__name__}: {e}"], ""
        now = dep.sdksign_pids()
        if status == 200:
            last = valid_token_problems(status, body, secret)
            if last:
                return last, ""
            if now and not set(now) & set(killed) and len(now) >= count:
                return [], f"{refused} answer(s) 5xx first; workers now {now}, killed {killed}"
        elif not 500 <= status <= 599:
            return [f"status {status} while the server restarts its workers: {body[:200]!r}"], ""
        else:
            refused += 1
        time.sleep(0.2)
    return [f"no request signed by a restarted worker within {RESTART_TIMEOUT_S:.0f} s ({refused} 5xx); "
            f"workers {dep.sdksign_pids()}, killed {killed}"], ""

def killed_worker_handed_over(dep, report, secret):
    pids = processes.stop_every_process(os.path.realpath(dep.sdksign))
    problems = [] if pids else ["no sdksign process to kill"]
    try:
        sock = socket.create_connection(("127.0.0.1", dep.port), timeout=SERVER_ANSWER_TIMEOUT_S)
        sock.sendall(http_head(dep, len(SIGN_BODY)) + SIGN_BODY)
        # The server has read the request and handed it to a stopped process (it is in that process's
        # socket queue): the answer is now up to a process that will never give it.
        time.sleep(1.0)
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
    try:
        with sock:
            status, body = network.read_complete_response(sock)
        if not 500 <= status <= 599:
            problems.append(f"status {status}, expected a 5xx from the server: {body[:200]!r}")
    except (OSError, http.client.HTTPException) as e:
        status = "-"
        problems.append(f"no complete answer: {type(e).__name__}: {e}")
    report.check(f"[{dep.target}] a request handed to a worker that is then killed: a complete 5xx from the "
                 f"server, no hang", problems, f"status {status}, killed {pids}")
    problems, detail = signed_by_restarted_workers(dep, secret, pids, len(pids))
    report.check(f"[{dep.target}] the server restarts its workers, and a request is signed", problems, detail)


def killed_worker_body_held(dep, report, secret):
    pids = dep.sdksign_pids()
    problems = [] if pids else ["no sdksign process to kill"]
    with socket.create_connection(("127.0.0.1", dep.port), timeout=SERVER_ANSWER_TIMEOUT_S) as sock:
        sock.sendall(http_head(dep, len(SIGN_BODY)) + SIGN_BODY[:10])
        time.sleep(0.5)  # the server has the head and waits for the rest of the body
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        processes.wait_for(lambda: not any(processes.alive(p) for p in pids), 5.0)
        sock.sendall(SIGN_BODY[10:])
        try:
            status, body = network.read_complete_response(sock)
            if 500 <= status <= 599:
                outcome = f"a {status} from the server"
            else:
                problems += valid_token_problems(status, body, secret)
                outcome = "signed by a restarted worker"
        except (OSError, http.client.HTTPException) as e:
            outcome = "-"
            problems.append(f"no complete answer: {type(e).__name__}: {e}")
    report.check(f"[{dep.target}] the workers killed while the server holds a request's body: a complete "
                 f"answer once the body is in", problems, outcome)
    problems, detail = signed_by_restarted_workers(dep, secret, pids, len(pids))
    report.check(f"[{dep.target}] the server restarts its workers again, and a request is signed", problems,
                 detail)


def test_killed_workers(args, report):
    for target in ("apache-fcgid", "lighttpd-fastcgi"):
        dep = start_deployment(args, target, args.secret, report)
        if dep is None:
            continue
        try:
            killed_worker_handed_over(dep, report, args.secret)
            killed_worker_body_held(dep, report, args.secret)
        finally:
            finish_deployment(dep, report, args.secret)


# ------------------------------------------------------------------------ 2. disconnects mid-body

def disconnect(address, how):
    """Starts a signing request that declares a 100-byte body, and goes away in the middle of it."""
    sock = fcgi_client.connect(address, timeout=ANSWER_TIMEOUT_S)
    head = fcgi_client.request_head(fcgi_params(body_length=100))
    if how == "after the head":
        sock.sendall(head)
    elif how == "inside a STDIN record":
        sock.sendall(head + fcgi_client.record(fcgi_client.STDIN, 1, b"x" * 40)[:8 + 10])
    elif how == "inside a record header":
        sock.sendall(head + fcgi_client.record(fcgi_client.STDIN, 1, b"x" * 40)[:3])
    else:  # with a reset: close with SO_LINGER 0
        sock.sendall(head + fcgi_client.record(fcgi_client.STDIN, 1, SIGN_BODY[:10]))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    time.sleep(0.05)  # a worker has accepted it and reads the body
    sock.close()


def hold_all_threads(listen, secret, idle_fds, label, report):
    """THREADS requests in flight at once (head and half the body each): all accepted (sdksign holds one
    descriptor more for each), then each completed and answered; then one more."""
    held, problems = [], []
    try:
        for _ in range(THREADS):
            sock = fcgi_client.connect(listen.address, timeout=ANSWER_TIMEOUT_S)
            fcgi_client.begin(sock, fcgi_params(body_length=len(SIGN_BODY)))
            sock.sendall(fcgi_client.record(fcgi_client.STDIN, 1, SIGN_BODY[:10]))
            held.append(sock)
        fds = listen.wait_fds(idle_fds + THREADS)
        if fds != idle_fds + THREADS:
            problems.append(f"sdksign has {fds} descriptors open with {THREADS} requests in flight, expected "
                            f"{idle_fds + THREADS}: not every thread took one")
        for sock in held:
            sock.sendall(fcgi_client.record(fcgi_client.STDIN, 1, SIGN_BODY[10:]) +
                         fcgi_client.record(fcgi_client.STDIN, 1))
        for index, sock in enumerate(held, 1):
            try:
                stdout, _ = fcgi_client.read_response(sock)
                status, _r, _h, body = fcgi_client.parse_cgi_output(stdout)
                problems += [f"request {index}: {p}" for p in valid_token_problems(status, body, secret)]
            except OSError as e:
                problems.append(f"request {index}: {type(e).__name__}: {e}")
    finally:
        for sock in held:
            sock.close()
    problems += [f"the next request: {p}" for p in sign_over_fastcgi(listen.address, secret)]
    report.check(f"[listen] {label}: {THREADS} requests in flight at once, all accepted and answered, then the "
                 f"next one", problems)


def test_disconnects(args, report):
    listen = Listen(args)
    try:
        idle_fds = listen.idle_fds()
        ways = ["after the head", "inside a STDIN record", "inside a record header", "with a reset"]
        for index in range(THREADS + 2):
            disconnect(listen.address, ways[index % len(ways)])
        problems = sign_over_fastcgi(listen.address, args.secret)
        report.check(f"[listen] after {THREADS + 2} clients disconnected mid-body ({', '.join(ways)}), a valid "
                     f"request is answered at once", problems)
        fds = listen.wait_fds(idle_fds)
        report.check("[listen] sdksign closed every one of those connections",
                     [] if fds == idle_fds else [f"{fds} descriptors open, {idle_fds} when idle"], f"{fds} fds")
        hold_all_threads(listen, args.secret, idle_fds, "after the disconnects", report)
        alive = listen.process.poll() is None
        status = listen.stop()
        report.check("[listen] still running, exits 0 on SIGTERM",
                     [] if alive and status == 0 else [f"alive {alive}, exit {status}"])
        report.check("[listen] no sanitizer report in sdksign's stderr",
                     sanitizers.problems(listen.stderr(), "sdksign's stderr"))
    finally:
        listen.stop()


# ------------------------------------------------------------------------------------- 3. slow loris

def slow_loris_through(args, target, report):
    dep = start_deployment(args, target, args.secret, report)
    if dep is None:
        return
    try:
        slow_count = THREADS * 2
        tricklers = [Trickler(lambda: socket.create_connection(("127.0.0.1", dep.port), timeout=60),
                              http_head(dep, len(SIGN_BODY)), [bytes([b]) for b in SIGN_BODY], network.read_complete_response)
                     for _ in range(slow_count)]
        for trickler in tricklers:
            trickler.start()
        count, problems = fast_clients_meanwhile(lambda: sign_over_http(dep, args.secret),
                                                 lambda: not all(t.sent_all.is_set() for t in tricklers))
        report.check(f"[{target}] {slow_count} clients trickling their bodies a byte at a time "
                     f"({len(SIGN_BODY)} bytes, one every {TRICKLE_INTERVAL_S} s): other clients are served "
                     f"meanwhile",
                     problems, f"{count} requests signed meanwhile")
        report.check(f"[{target}] every slow client gets its token in the end",
                     trickler_problems(tricklers, args.secret, SERVER_ANSWER_TIMEOUT_S))
    finally:
        finish_deployment(dep, report, args.secret)


def read_fastcgi_answer(sock):
    stdout, _ = fcgi_client.read_response(sock)
    status, _reason, _headers, body = fcgi_client.parse_cgi_output(stdout)
    return status, body


def slow_loris_direct(args, report):
    listen = Listen(args)
    try:
        idle_fds = listen.idle_fds()
        connect = lambda: fcgi_client.connect(listen.address, timeout=60)  # noqa: E731
        body_pieces = [fcgi_client.record(fcgi_client.STDIN, 1, bytes([b])) for b in SIGN_BODY]
        body_pieces.append(fcgi_client.record(fcgi_client.STDIN, 1))
        head = fcgi_client.request_head(fcgi_params(body_length=len(SIGN_BODY)))
        # Body tricklers: one thread each, from the first byte of the body on (the head arrived whole).
        slow = [Trickler(connect, head, body_pieces, read_fastcgi_answer) for _ in range(THREADS - 1)]
        for trickler in slow:
            trickler.start()
        count, problems = fast_clients_meanwhile(lambda: sign_over_fastcgi(listen.address, args.secret),
                                                 lambda: not all(t.sent_all.is_set() for t in slow))
        report.check(f"[listen] {THREADS - 1} clients trickling their bodies through {THREADS} threads: the last "
                     f"thread serves the others meanwhile", problems, f"{count} requests signed meanwhile")
        report.check("[listen] and every body trickler gets its token in the end",
                     trickler_problems(slow, args.secret, ANSWER_TIMEOUT_S))

        # Head tricklers and a peer that sends nothing at all: libfcgi reads a request's head inside
        # FCGX_Accept_r, so each holds the thread that accepted it, and must hold no more than that one.
        head_pieces = [head[i:i + 4] for i in range(0, len(head), 4)]
        whole_body = fcgi_client.record(fcgi_client.STDIN, 1, SIGN_BODY) + fcgi_client.record(fcgi_client.STDIN, 1)
        slow = [Trickler(connect, b"", head_pieces + [whole_body], read_fastcgi_answer, interval=0.05)
                for _ in range(THREADS - 2)]
        silent = fcgi_client.connect(listen.address, timeout=ANSWER_TIMEOUT_S)
        try:
            for trickler in slow:
                trickler.start()
            count, problems = fast_clients_meanwhile(lambda: sign_over_fastcgi(listen.address, args.secret),
                                                     lambda: not all(t.sent_all.is_set() for t in slow))
            report.check(f"[listen] {THREADS - 2} clients trickling their FastCGI request heads 4 bytes at a time "
                         f"and one that connects and sends nothing: the last thread serves the others meanwhile",
                         problems, f"{count} requests signed meanwhile")
        finally:
            silent.close()
        report.check("[listen] and every head trickler gets its token in the end",
                     trickler_problems(slow, args.secret, ANSWER_TIMEOUT_S))
        fds = listen.wait_fds(idle_fds)
        report.check("[listen] no connection is left open after the slow clients",
                     [] if fds == idle_fds else [f"{fds} descriptors open, {idle_fds} when idle"])
        status = listen.stop()
        report.check("[listen] exits 0 on SIGTERM after the slow clients",
                     [] if status == 0 else [f"exit {status}"])
    finally:
        listen.stop()


def test_slow_loris(args, report):
    for target in ("nginx-unix", "lighttpd-fastcgi"):
        slow_loris_through(args, target, report)
    slow_loris_direct(args, report)


# ------------------------------------------------------------------------------ 4. logs on a full disk

# Each kind with its expected status; all of them sent in turn, over and over.
FASTCGI_KINDS = [
    ("POST", "/", SIGN_BODY, "application/json", 200),
    ("POST", "/", b'{"meetingNumber":', "application/json", 400),
    ("POST", "/", b'{"meetingNumber":"123456789","role":2}', "application/json", 400),
    ("GET", "/", b"", None, 405),
    ("GET", "/nope", b"", None, 404),
    ("POST", "/", SIGN_BODY, "text/plain", 415),
    ("POST", "/", SIGN_BODY + b" " * 5000, "application/json", 413),
    ("GET", "/health", b"", None, 200),
]


def write_credentials(path, secret):
    """Atomically, as an operator's deploy tool would: a new file renamed over the old one."""
    temporary = path + ".new"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(f"ZOOM_MEETING_SDK_KEY={tokens.TEST_KEY}\nZOOM_MEETING_SDK_SECRET={secret}\n")
    os.chmod(temporary, 0o600)
    os.rename(temporary, path)


def logging_run(args, stderr, folder):
    """Serves the mix with the file provider while its file is rotated, removed and restored; returns
    (problems, number of requests answered, the exit status)."""
    path = os.path.join(folder, "credentials.env")
    first, second = args.secret, tokens.make_test_secret()
    write_credentials(path, first)
    listen = Listen(args, ["--log-level=debug", "--max-body-bytes=4096", "--refresh-interval-ms=100",
                           "--provider=file", f"--file.path={path}"],
                    stderr=stderr, plugin_dir=args.file_plugin_dir)
    problems, answered = [], 0
    try:
        def round_of_kinds(secrets_ok, label):
            nonlocal answered
            for method, route, body, content_type, expected in FASTCGI_KINDS:
                try:
                    status, _reason, _headers, data = fcgi_client.request(listen.address, method, route, body,
                                                                          content_type=content_type)
                except OSError as e:
                    problems.append(f"{label}: {method} {route}: {type(e).__name__}: {e}")
                    continue
                answered += 1
                if status != expected:
                    problems.append(f"{label}: {method} {route} ({content_type}): status {status}, "
                                    f"expected {expected}")
                elif expected == 200 and route == "/":
                    token = json.loads(data)["signature"]
                    if not any(tokens.verify_signature(token, s) for s in secrets_ok):
                        problems.append(f"{label}: a token verifies with neither secret")
            disconnect(listen.address, "inside a STDIN record")

        for _ in range(20):
            round_of_kinds([first], "before any change")
        # Each change logs: a rotation (info), a missing file (warn, then debug for each retry), a return (info).
        for label, change, secrets_ok in (
                ("rotated", lambda: write_credentials(path, second), [first, second]),
                ("file removed", lambda: os.unlink(path), [second]),
                ("file restored", lambda: write_credentials(path, second), [second])):
            change()
            deadline = time.monotonic() + 1.0  # ten refreshes of 100 ms, while requests keep coming
            while time.monotonic() < deadline:
                round_of_kinds(secrets_ok, label)
        if listen.process.poll() is not None:
            problems.append(f"sdksign exited with status {listen.process.returncode} while serving")
    finally:
        status = listen.stop()
    return problems, answered, status


def test_full_disk(args, report):
    with tempfile.TemporaryDirectory(prefix="sdksign-faults-") as folder:
        log_path = os.path.join(folder, "stderr.log")
        with open(log_path, "wb") as log:
            problems, answered, status = logging_run(args, log, folder)
        logged = processes.read_text(log_path)
        wanted = ["rotated", "refresh failed", "usable again", "stopping on", "stopped after"]
        missing = [w for w in wanted if w not in logged]
        report.check("[full disk] the run with stderr on a file answers everything and logs its changes",
                     problems + [f"no log line says {w!r}" for w in missing] +
                     ([] if status == 0 else [f"exit {status}"]) + sanitizers.problems(logged, "sdksign's stderr"),
                     f"{answered} requests, {len(logged.splitlines())} log lines")
        with open("/dev/full", "wb") as full:
            problems, answered, status = logging_run(args, full, folder)
        report.check("[full disk] with stderr on /dev/full (every log write fails with ENOSPC): every request "
                     "answered correctly, the process stays up, exit 0 on SIGTERM",
                     problems + ([] if status == 0 else [f"exit {status}"]), f"{answered} requests")

    # CGI: one request per process, stderr on /dev/full.
    cgi_args = argparse.Namespace(sdksign=args.sdksign, plugin_dir=args.plugin_dir)
    table = {"settings": {"max_body_bytes": 102400}}
    case = {"method": "POST", "path": "/", "headers": {"Content-Type": "application/json"},
            "body": SIGN_BODY.decode()}
    env = run_table.cgi_environment(cgi_args, table, case, SIGN_BODY, args.secret)
    env.update(sanitizers.environment())
    problems = []
    for label, changes, expected in (("configured", {}, 200),
                                     ("without a secret (logs an error)", {"ZOOM_MEETING_SDK_SECRET": None}, 503),
                                     ("bad JSON, --log-level=debug", {"SDKSIGN_LOG_LEVEL": "debug"}, 400)):
        run_env = {k: v for k, v in {**env, **changes}.items() if v is not None}
        body = b'{"meetingNumber":' if expected == 400 else SIGN_BODY
        run_env["CONTENT_LENGTH"] = str(len(body))
        with open("/dev/full", "wb") as full:
            completed = subprocess.run([args.sdksign], input=body, env=run_env, stdout=subprocess.PIPE,
                                       stderr=full, timeout=20)
        status, _headers, data, found = run_table.parse_cgi_output(completed.stdout)
        problems += [f"{label}: {p}" for p in found]
        if status != expected or completed.returncode != 0:
            problems.append(f"{label}: status {status}, exit {completed.returncode}, expected {expected} and 0")
        elif expected == 200:
            problems += [f"{label}: {p}" for p in valid_token_problems(status, data, args.secret)]
    report.check("[full disk] sdksign as CGI with stderr on /dev/full: answered (200, 503 JSON, 400), exit 0",
                 problems)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--plugin-dir", required=True, help="folder with env.so")
    parser.add_argument("--file-plugin-dir", required=True, help="folder with file.so")
    parser.add_argument("--source-root", required=True)
    parser.add_argument("--only", choices=["killed", "disconnects", "slow", "disk"], help="run one part")
    args = parser.parse_args()
    for name in ("sdksign", "plugin_dir", "file_plugin_dir", "source_root"):
        setattr(args, name, os.path.abspath(getattr(args, name)))
    args.secret = tokens.make_test_secret()
    report = reports.Report(args.secret)
    missing = [name for name in ("apache2", "lighttpd", "nginx") if servers.find_program(name) is None]
    report.check("apache2, lighttpd and nginx are installed", [f"missing: {missing}"] if missing else [])
    if missing:
        return report.finish()
    parts = {"killed": test_killed_workers, "disconnects": test_disconnects, "slow": test_slow_loris,
             "disk": test_full_disk}
    for name, part in parts.items():
        if args.only in (None, name):
            started = time.monotonic()
            part(args, report)
            print(f"     ({name}: {time.monotonic() - started:.1f} s)", flush=True)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
