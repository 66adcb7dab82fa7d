"""Where the SDK secret is, and is not, in a running FastCGI worker (`sdksign --listen`).

For each provider, a worker started as an unprivileged user (nobody) signs a few requests; then, as root, this
test reads the worker's whole address space (/proc/PID/maps and /proc/PID/mem) and finds every copy of the
secret:

- with the file and vault providers, every copy is in memory marked MADV_DONTDUMP (VmFlags "dd" in
  /proc/PID/smaps: Botan's locked pool), so a core dump, if one were written, would not hold it; and the secret
  is not in /proc/PID/environ;
- with the env provider the secret is in the environment by design (that is where it was given); every other
  copy is still in dontdump memory;
- the worker is not dumpable (its /proc/PID files belong to root, so another process of the same user cannot
  read its memory or environment) and its core file limit is 0; with --core-dumps=on (the control) the same
  files belong to the worker's user and the core limit is the system's.

Then --help, `sdksign check` and `sdksign sign`, started with the secret in their environment and configuration,
must not print it.

Only the Python standard library. Needs root (to read another user's /proc/PID/mem and to start the worker as
nobody).
"""
import argparse
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import fcgi_client
import rotation_support as rs
import sanitizers
from harness import network, processes

UNPRIVILEGED = "nobody"
START_TIMEOUT_S = 15.0
REQUESTS = 40
# Every worker started, so that one left running by a failed check is still stopped at the end.
_workers = []


class Worker:
    """sdksign --listen as `nobody`, from a copy of the executable and plugins that nobody can read."""

    def __init__(self, tree, provider, extra_args, env):
        self.port = network.free_port()
        user = pwd.getpwnam(UNPRIVILEGED)
        self.uid = user.pw_uid
        self.stderr_path = os.path.join(tree, f"stderr-{provider}-{self.port}.log")
        args = [os.path.join(tree, "sdksign"), "--listen", f"127.0.0.1:{self.port}", "--threads=2",
                f"--plugin-dir={tree}", f"--provider={provider}"] + extra_args
        full_env = {"PATH": "/usr/bin:/bin"}
        full_env.update(sanitizers.environment())
        full_env.update(env)
        _workers.append(self)
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(args, env=full_env, stdin=subprocess.DEVNULL, stdout=stderr,
                                            stderr=stderr, user=user.pw_uid, group=user.pw_gid,
                                            extra_groups=[])
        deadline = time.monotonic() + START_TIMEOUT_S
        self.problem = None
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.problem = "sdksign did not start: " + processes.read_text(self.stderr_path)[-1500:]
                    break
                time.sleep(0.05)

    def sign(self, body=b'{"meetingNumber":"85746065432","role":0}'):
        return fcgi_client.request(("127.0.0.1", self.port), method="POST", path="/", body=body,
                                   content_type="application/json")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return processes.read_text(self.stderr_path)


def regions_holding(pid, needle):
    """(count, mapping line, VmFlags) for every readable mapping of `pid` that holds `needle`."""
    flags = {}
    start = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            match = re.match(r"^([0-9a-f]+)-[0-9a-f]+ ", line)
            if match:
                start = int(match.group(1), 16)
            elif line.startswith("VmFlags:"):
                flags[start] = set(line.split()[1:])
    found = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            begin, end = (int(x, 16) for x in fields[0].split("-"))
            if "r" not in fields[1] or fields[-1] == "[vvar]":
                continue
            try:
                mem.seek(begin)
                data = mem.read(end - begin)
            except OSError:
                continue
            count = data.count(needle)
            if count:
                found.append((count, line.strip(), flags.get(begin, set())))
    return found


def core_limit(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max core file size"):
                return line.split()[4:6]
    return None


def check_worker(report, name, worker, secret, secret_in_environment_expected):
    report.check(f"{name}: the worker starts as {UNPRIVILEGED}", [worker.problem] if worker.problem else [])
    if worker.problem:
        return
    statuses = [worker.sign()[0] for _ in range(REQUESTS)]
    statuses.append(worker.sign(b"not json")[0])
    report.check(f"{name}: {REQUESTS} requests signed, a bad one refused",
                 [] if statuses == [200] * REQUESTS + [400] else [f"statuses {sorted(set(statuses))}"])
    pid = worker.process.pid
    needle = secret.encode()
    regions = regions_holding(pid, needle)
    copies = sum(count for count, _, _ in regions)
    report.check(f"{name}: the secret is in the worker's memory (so the scan can see it)",
                 [] if copies else ["not found: the scan would prove nothing"])
    exposed = [(count, line) for count, line, flags in regions if "dd" not in flags]
    with open(f"/proc/{pid}/environ", "rb") as f:
        in_environment = needle in f.read()
    if secret_in_environment_expected:
        # The environment block is on the stack, where the kernel put it; nothing else may be outside "dd".
        exposed = [(count, line) for count, line in exposed if not line.endswith("[stack]")]
        report.check(f"{name}: the secret is in /proc/PID/environ, where it was given",
                     [] if in_environment else ["not found there"])
    else:
        report.check(f"{name}: the secret is not in /proc/PID/environ",
                     ["THE SECRET IS IN THE ENVIRONMENT"] if in_environment else [])
    report.check(f"{name}: every copy of the secret is in memory a core dump leaves out (MADV_DONTDUMP)",
                 [f"{count} cop(ies) in {line}" for count, line in exposed],
                 f"{copies} cop(ies) in {len(regions)} region(s)")
    owner = os.stat(f"/proc/{pid}/environ").st_uid
    report.check(f"{name}: the worker is not dumpable (/proc/PID/environ belongs to root, not {UNPRIVILEGED})",
                 [] if owner == 0 else [f"owned by uid {owner}"])
    report.check(f"{name}: the core file limit is 0", [] if core_limit(pid) == ["0", "0"] else
                 [f"limit {core_limit(pid)}"])
    log = worker.stop()
    report.check(f"{name}: the secret is not in the worker's log", ["THE SECRET IS IN THE LOG"] if secret in log
                 else [])
    report.check(f"{name}: no sanitizer report", sanitizers.problems(log, "the worker's stderr"))
    report.check(f"{name}: the worker stops cleanly", [] if worker.process.returncode == 0 else
                 [f"exit status {worker.process.returncode}"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--plugin-dir", action="append", required=True, help="env, file and vault plugin folders")
    parser.add_argument("--vault-server", required=True)
    args = parser.parse_args()

    report = rs.Report()
    if os.geteuid() != 0:
        report.check("runs as root", ["this test starts sdksign as nobody and reads its memory: run it as root"])
        return report.finish()
    secret = "memory-test-SECRET-" + os.urandom(12).hex()
    report.secrets.append(secret)
    key = "memoryKEY"
    tree = tempfile.mkdtemp(prefix="sdksign-memory-")
    vault = None
    try:
        os.chmod(tree, 0o755)
        shutil.copy2(args.sdksign, os.path.join(tree, "sdksign"))
        for folder in args.plugin_dir:
            for name in os.listdir(folder):
                if name.endswith(".so"):
                    shutil.copy2(os.path.join(folder, name), os.path.join(tree, name))
        uid = pwd.getpwnam(UNPRIVILEGED).pw_uid
        credentials = os.path.join(tree, "credentials.env")
        with open(credentials, "w") as f:
            f.write(f"ZOOM_MEETING_SDK_KEY={key}\nZOOM_MEETING_SDK_SECRET={secret}\n")
        os.chown(credentials, uid, -1)
        os.chmod(credentials, 0o600)

        worker = Worker(tree, "file", [f"--file.path={credentials}"], {})
        check_worker(report, "file provider", worker, secret, False)

        worker = Worker(tree, "env", [], {"ZOOM_MEETING_SDK_KEY": key, "ZOOM_MEETING_SDK_SECRET": secret})
        check_worker(report, "env provider", worker, secret, True)

        vault = rs.VaultServer(args.vault_server)
        vault.write_secret(key, secret)
        worker = Worker(tree, "vault", [f"--vault.address={vault.address}", "--vault.token=root",
                                        "--vault.mount=secret", "--vault.path=sdksign/meeting"], {})
        check_worker(report, "vault provider", worker, secret, False)

        # The control: with core dumps allowed, the same check sees the worker's own user.
        control = Worker(tree, "file", [f"--file.path={credentials}", "--core-dumps=on"], {})
        if not control.problem:
            owner = os.stat(f"/proc/{control.process.pid}/environ").st_uid
            report.check("--core-dumps=on: /proc/PID/environ belongs to the worker's user (the check above can "
                         "tell)", [] if owner == uid else [f"owned by uid {owner}"])
        else:
            report.check("--core-dumps=on: the worker starts", [control.problem])
        control.stop()

        # What operators run by hand: nothing prints the secret, wherever it was given.
        config = os.path.join(tree, "sdksign.conf")
        with open(config, "w") as f:
            f.write(f"provider = file\n[file]\npath = {credentials}\n")
        env = {"PATH": "/usr/bin:/bin", "ZOOM_MEETING_SDK_KEY": key, "ZOOM_MEETING_SDK_SECRET": secret}
        env.update(sanitizers.environment())
        for name, argv, expected_status in [
                ("--help", [f"--config={config}", "--help"], 0), ("--help, env provider", ["--help"], 0),
                ("check", ["check", f"--config={config}"], 0), ("check, env provider", ["check"], 0),
                ("sign", ["sign", '{"meetingNumber":"1","role":1}'], 0),
                ("a start-up error", [f"--config={config}", "--threads=0"], 2)]:
            completed = subprocess.run([os.path.join(tree, "sdksign")] + argv + [f"--plugin-dir={tree}"], env=env,
                                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
            output = (completed.stdout + completed.stderr).decode("utf-8", "replace")
            report.check(f"sdksign {name}: exit status {expected_status}",
                         [] if completed.returncode == expected_status else [f"exit status {completed.returncode}"])
            report.check(f"sdksign {name}: the secret is not printed",
                         ["THE SECRET IS IN THE OUTPUT"] if secret in output else [])
            report.check(f"sdksign {name}: no sanitizer report", sanitizers.problems(output, f"sdksign {name}"))
    finally:
        for worker in _workers:
            worker.stop()
        if vault:
            vault.close()
        shutil.rmtree(tree, ignore_errors=True)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
