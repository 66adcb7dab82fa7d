"""What the rotation and fault tests share: lighttpd serving sdksign with lighttpd/sdksign-serve.conf (the file
scripts/serve uses, unchanged) and a configuration file of the test's own, a bounded load of signing requests
from several threads, the Vault-compatible test server (vault_server.py), token checks, and reporting.

Python 3 standard library only. Every wait is bounded; every process started here is stopped by the `close`
of the object that started it (the callers use try/finally).
"""
import collections
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import evidence
import sanitizers
from harness import network, processes, reports
from harness.processes import read_text, short_temp_dir

SIGN_BODY = b'{"meetingNumber":"123456789","role":0}'
VIDEO_SIGN_BODY = b'{"sessionName":"rotation","role":0}'


class SignRequest(collections.namedtuple("SignRequest", "kind path body")):
    """One signing request of a Load: `kind` names the credential that signs it ("meeting" or "video")."""


MEETING_REQUEST = SignRequest("meeting", "/", SIGN_BODY)
VIDEO_REQUEST = SignRequest("video", "/videosdk", VIDEO_SIGN_BODY)


class Result(collections.namedtuple("Result", "start end status body kind")):
    """One request of a Load: monotonic start and end, the status (0 for a transport error), the body, and the
    kind of its SignRequest."""
# How long a stop waits for the sdksign processes lighttpd spawned to exit after lighttpd itself (they finish
# their requests in flight, and a sanitized build checks for leaks at exit, which must not be cut short).
CHILDREN_EXIT_TIMEOUT_S = 15.0
# Every Lighttpd started in this process, so that Report.finish can check all their logs for sanitizer reports.
_servers = []


class Report(reports.Report):
    """A Report that, at the end, also checks the logs of every lighttpd this process started."""

    def finish(self):
        for secret in self.secrets:
            evidence.secret(secret)
        # Whatever test used them: each lighttpd of this process is stopped now if it still runs, and the
        # logs of all are checked for sanitizer reports of the sdksign processes they spawned.
        if _servers:
            found = []
            for server in _servers:
                server.stop()
                found += server.sanitizer_problems()
            self.check(f"no sanitizer report in the log of lighttpd and the sdksign processes it spawned "
                       f"({len(_servers)} lighttpd run(s))", found)
        return super().finish()


def http_request(port, method, path, body=None, headers=None, timeout=10.0):
    """One request on a fresh connection: (status, body bytes)."""
    status, _reason, _headers, data = network.http_request(port, method, path, body, headers, timeout)
    return status, data


def find_lighttpd(given):
    if given:
        return given if os.access(given, os.X_OK) else None
    return shutil.which("lighttpd") or next(
        (p for p in ("/usr/sbin/lighttpd", "/usr/local/sbin/lighttpd") if os.access(p, os.X_OK)), None)


class Lighttpd:
    """lighttpd with lighttpd/sdksign-serve.conf, spawning two sdksign FastCGI processes configured by the
    INI text `config` (written to a file handed over as SDKSIGN_CONFIG)."""

    def __init__(self, lighttpd, source_root, sdksign, plugin_dir, config, extra_env=None):
        self.dir = short_temp_dir("sdksign-rot-")
        self.log_path = os.path.join(self.dir, "lighttpd.log")
        self.config_path = os.path.join(self.dir, "sdksign.conf")
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(config)
        os.chmod(self.config_path, 0o600)
        self.process = None
        self.port = None
        self._sanitizer_problems = None  # set when the log is removed
        _servers.append(self)
        conf = os.path.join(source_root, "lighttpd", "sdksign-serve.conf")
        for _attempt in range(3):
            self.port = network.free_port()
            env = {
                "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
                "LANG": "C.UTF-8",
                "SDKSIGN_SERVE_PORT": str(self.port),
                "SDKSIGN_SERVE_DIR": self.dir,
                "SDKSIGN_SERVE_BIN": os.path.realpath(sdksign),
                "SDKSIGN_SERVE_PLUGIN_DIR": os.path.realpath(plugin_dir),
                "SDKSIGN_SERVE_MAX_REQUEST_KIB": "116",
                "SDKSIGN_CONFIG": self.config_path,
            }
            env.update(extra_env or {})
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen([lighttpd, "-D", "-f", conf], env=env, stdin=subprocess.DEVNULL,
                                                stdout=log, stderr=log, start_new_session=True)
            self.problem = self._wait_until_serving()
            if self.problem is None or "in use" not in read_text(self.log_path):
                break
            self.close(remove=False)

    def _wait_until_serving(self, timeout_s=15.0):
        return network.wait_until_serving(self.port, self.process, timeout_s, who="lighttpd")

    def log(self):
        return read_text(self.log_path)

    def stop(self):
        """Stops lighttpd with SIGTERM and waits (bounded) for the sdksign processes it spawned, which stay in
        its process group, to exit on the SIGTERM lighttpd sends them; then kills whatever is left. The log
        stays; stopping again does nothing."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        pgid = self.process.pid
        deadline = time.monotonic() + CHILDREN_EXIT_TIMEOUT_S
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(0.05)
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def sanitizer_problems(self):
        """Sanitizer reports (sanitizers.py) in the log, which holds the stderr of lighttpd and of the sdksign
        processes it spawned. Complete only after stop()."""
        if self._sanitizer_problems is not None:
            return self._sanitizer_problems
        return sanitizers.problems(self.log(), "lighttpd's log")

    def close(self, remove=True):
        self.stop()
        if remove:
            self._sanitizer_problems = self.sanitizer_problems()
            shutil.rmtree(self.dir, ignore_errors=True)


def _group_alive(pgid):
    """True while a process of the group `pgid` is running (zombies excluded)."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                text = f.read().decode("ascii", "replace")
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


class Load:
    """`threads` clients signing in a loop, each request on a fresh connection, until stop() or `limit_s`.
    Each thread sends `requests` (SignRequests) in turn, starting with a different one, so that several kinds
    are in flight at once. Every result is a Result."""

    def __init__(self, port, threads=4, limit_s=60.0, requests=(MEETING_REQUEST,)):
        self.port = port
        self.results = []
        self._requests = list(requests)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._deadline = time.monotonic() + limit_s
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]
        for thread in self._threads:
            thread.start()

    def _run(self, first):
        mine = []
        turn = first
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            request = self._requests[turn % len(self._requests)]
            turn += 1
            start = time.monotonic()
            try:
                status, body = http_request(self.port, "POST", request.path, request.body,
                                            {"Content-Type": "application/json"}, timeout=10.0)
            except (OSError, http.client.HTTPException) as e:
                status, body = 0, repr(e).encode()
            mine.append(Result(start, time.monotonic(), status, body, request.kind))
        with self._lock:
            self.results.extend(mine)

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)
        self.results.sort()
        return self.results


class VaultServer:
    """tests/integration/vault_server.py on free ports of 127.0.0.1, plain HTTP, root token `root`."""

    def __init__(self, server_script):
        self.dir = tempfile.mkdtemp(prefix="sdksign-vault-")
        port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "vault.log")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, server_script, "--port-file", port_file],
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=True)
        deadline = time.monotonic() + 20
        self.port = self.control_port = None
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with open(port_file) as f:
                    self.port = int(f.read().strip())
                with open(port_file + ".control") as f:
                    self.control_port = int(f.read().strip())
                break
            except (OSError, ValueError):
                time.sleep(0.05)
        if self.control_port is None:
            self.close()
            raise RuntimeError("the Vault test server did not start: " + read_text(self.log_path)[-2000:])
        self.address = f"http://127.0.0.1:{self.port}"

    def control(self, path, body=None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.control_port}/_test/{path}",
                                         data=json.dumps(body or {}).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def write_secret(self, key, secret, path="sdksign/meeting"):
        return self.control("kv", {"mount": "secret", "path": path, "data": {"key": key, "secret": secret}})

    def close(self):
        processes.terminate(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


def vault_config(address, stale_after=300, refresh_ms=100, fetch_timeout_ms=1000, video_path=None):
    """sdksign.conf for the vault provider: the Meeting SDK credential at sdksign/meeting, and the Video SDK one
    at `video_path` when it is given."""
    return (f"provider = vault\nrefresh-interval-ms = {refresh_ms}\nstale-after = {stale_after}\n"
            f"fetch-timeout-ms = {fetch_timeout_ms}\n\n"
            f"[vault]\naddress = {address}\ntoken = root\nmount = secret\npath = sdksign/meeting\n"
            + (f"video-path = {video_path}\n" if video_path else ""))


def sign_ok(status, body):
    """The token of a 200 signing answer, or None."""
    if status != 200:
        return None
    try:
        return json.loads(body)["signature"]
    except (ValueError, KeyError, TypeError):
        return None
