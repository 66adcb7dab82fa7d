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

The same for a process started as CGI (file and env providers), caught after it signed, while it writes its
answer into a pipe this test filled first: every copy of the secret in MADV_DONTDUMP memory, not dumpable, and
Botan's locked pool sized for one request (VmLck at most process/locked_pool.hpp's 16 KiB, not Botan's default
512 KiB) unless the operator set BOTAN_MLOCK_POOL_SIZE, which is kept (the control).

Then --help, `sdksign check` and `sdksign sign`, started with the secret in their environment and configuration,
must not print it.

With --bundle TARBALL (the suite `bundle`), the same checks for scripts/bundle's folder, whose program gets the
pages of Botan's locked pool from its own allocator (bundle/locked_pages.cpp) rather than from Botan's.

Only the Python standard library. Needs root (to read another user's /proc/PID/mem and to start the worker as
nobody).
"""
import argparse
import fcntl
import json
import os
import platform
import pwd
import re
import resource
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time

import fcgi_client
import rotation_support as rs
import sanitizers
from harness import network, processes, tokens

UNPRIVILEGED = "nobody"
START_TIMEOUT_S = 15.0
REQUESTS = 40
# process::one_request_locked_pool_kib (src/process/locked_pool.hpp): four pages.
ONE_REQUEST_POOL_KIB = 16
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


class HeldCgi:
    """sdksign run as CGI by `nobody`, signing one request, held in its write of the answer: its stdout is a
    pipe of one page that this test filled before starting it, so it waits there (after the signing) until
    release() reads the pipe."""

    BODY = b'{"meetingNumber":"85746065432","role":0}'
    # F_SETPIPE_SZ, from <fcntl.h> (Python's fcntl module names it only from 3.10).
    SET_PIPE_SIZE = 1031
    WRITE_SYSCALL = {"x86_64": 1, "aarch64": 64}

    def __init__(self, tree, env):
        user = pwd.getpwnam(UNPRIVILEGED)
        full_env = {"PATH": "/usr/bin:/bin", "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST",
                    "PATH_INFO": "/", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
                    "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(self.BODY)),
                    "SDKSIGN_PLUGIN_DIR": tree}
        full_env.update(sanitizers.environment())
        full_env.update(env)
        body_in, body_out = os.pipe()
        os.write(body_out, self.BODY)
        os.close(body_out)
        self.answer_in, answer_out = os.pipe()
        fcntl.fcntl(answer_out, self.SET_PIPE_SIZE, 4096)
        os.set_blocking(answer_out, False)
        self.filler = 0
        try:
            while True:
                self.filler += os.write(answer_out, b"\0" * 4096)
        except BlockingIOError:
            pass
        # Blocking again for sdksign, which shares this open file.
        os.set_blocking(answer_out, True)
        self.stderr_path = os.path.join(tree, f"stderr-cgi-{os.getpid()}-{len(_workers)}.log")
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen([os.path.join(tree, "sdksign")], env=full_env, stdin=body_in,
                                            stdout=answer_out, stderr=stderr, user=user.pw_uid,
                                            group=user.pw_gid, extra_groups=[])
        os.close(body_in)
        os.close(answer_out)
        _workers.append(self)

    def writing_its_answer(self):
        """Whether sdksign is blocked writing to its stdout (fd 1); waits up to START_TIMEOUT_S."""
        number = self.WRITE_SYSCALL.get(platform.machine())
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with open(f"/proc/{self.process.pid}/syscall") as f:
                    fields = f.read().split()
                with open(f"/proc/{self.process.pid}/wchan") as f:
                    wchan = f.read().strip()
            except OSError:
                return False
            if wchan == "pipe_write" or (number is not None and fields[:2] == [str(number), "0x1"]):
                return True
            time.sleep(0.02)
        return False

    def release(self):
        """Reads the pipe to the end; returns (exit status, the answer after the filler)."""
        chunks = []
        while True:
            data = os.read(self.answer_in, 65536)
            if not data:
                break
            chunks.append(data)
        os.close(self.answer_in)
        self.answer_in = None
        self.process.wait(timeout=START_TIMEOUT_S)
        return self.process.returncode, b"".join(chunks)[self.filler:]

    def stop(self):
        if self.answer_in is not None:
            self.process.kill()
            self.release()
        return processes.read_text(self.stderr_path)


def locked_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmLck:"):
                return int(line.split()[1])
    return None


def check_cgi(report, name, cgi, secret, secret_in_environment_expected, locked_at_most):
    held = cgi.writing_its_answer()
    report.check(f"{name}: sdksign signs and waits in the write of its answer", [] if held else [
        "it did not get there: " + processes.read_text(cgi.stderr_path)[-1500:]])
    if held:
        pid = cgi.process.pid
        regions = regions_holding(pid, secret.encode())
        copies = sum(count for count, _, _ in regions)
        report.check(f"{name}: the secret is in the process's memory (so the scan can see it)",
                     [] if copies else ["not found: the scan would prove nothing"])
        exposed = [(count, line) for count, line, flags in regions if "dd" not in flags]
        if secret_in_environment_expected:
            exposed = [(count, line) for count, line in exposed if not line.endswith("[stack]")]
        report.check(f"{name}: every copy of the secret is in memory a core dump leaves out (MADV_DONTDUMP)",
                     [f"{count} cop(ies) in {line}" for count, line in exposed],
                     f"{copies} cop(ies) in {len(regions)} region(s)")
        locked = locked_kib(pid)
        report.check(f"{name}: Botan's pool locks pages, at most {locked_at_most} KiB",
                     [] if locked is not None and 0 < locked <= locked_at_most else [f"VmLck {locked} KiB"],
                     f"VmLck {locked} KiB")
        owner = os.stat(f"/proc/{pid}/environ").st_uid
        report.check(f"{name}: the process is not dumpable", [] if owner == 0 else [f"owned by uid {owner}"])
    else:
        cgi.process.kill()  # so that reading its answer to the end cannot wait for ever
    status, answer = cgi.release()
    head, _, body = answer.partition(b"\r\n\r\n")
    try:
        signed = head.startswith(b"Status: 200") and tokens.verify_signature(json.loads(body)["signature"],
                                                                               secret)
    except (ValueError, KeyError, TypeError):
        signed = False
    report.check(f"{name}: then it answers with a token that verifies, and exits 0",
                 [] if signed and status == 0 else [f"exit status {status}, answer {answer[:300]!r}"])
    log = cgi.stop()
    report.check(f"{name}: the secret is not in its log", ["THE SECRET IS IN THE LOG"] if secret in log else [])
    report.check(f"{name}: no sanitizer report", sanitizers.problems(log, "the CGI process's stderr"))


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
    parser.add_argument("--sdksign")
    parser.add_argument("--plugin-dir", action="append", help="env, file and vault plugin folders")
    parser.add_argument("--bundle", help="instead of --sdksign and --plugin-dir: scripts/bundle's tarball, whose "
                        "folder sdksign/ holds the program and the three providers")
    parser.add_argument("--vault-server", required=True)
    args = parser.parse_args()
    unpacked = None
    if args.bundle:
        if args.sdksign or args.plugin_dir:
            parser.error("--bundle replaces --sdksign and --plugin-dir")
        unpacked = tempfile.mkdtemp(prefix="sdksign-bundle-")
        with tarfile.open(args.bundle) as tar:
            tar.extractall(unpacked)
        args.sdksign = os.path.join(unpacked, "sdksign", "sdksign")
        args.plugin_dir = [os.path.join(unpacked, "sdksign")]
    elif not args.sdksign or not args.plugin_dir:
        parser.error("give --sdksign and --plugin-dir, or --bundle")
    try:
        return check_all(args)
    finally:
        if unpacked:
            shutil.rmtree(unpacked, ignore_errors=True)


def check_all(args):

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

        # CGI: a process that answers one request locks one request's pool.
        os.chmod(config, 0o644)
        check_cgi(report, "CGI, file provider", HeldCgi(tree, {"SDKSIGN_CONFIG": config}), secret, False,
                  ONE_REQUEST_POOL_KIB)
        check_cgi(report, "CGI, env provider",
                  HeldCgi(tree, {"SDKSIGN_CONFIG": "/dev/null", "ZOOM_MEETING_SDK_KEY": key,
                                 "ZOOM_MEETING_SDK_SECRET": secret}), secret, True, ONE_REQUEST_POOL_KIB)
        # The control: an operator's BOTAN_MLOCK_POOL_SIZE is kept (and VmLck shows what Botan locked).
        control = HeldCgi(tree, {"SDKSIGN_CONFIG": config, "BOTAN_MLOCK_POOL_SIZE": "512"})
        # Botan raises its soft RLIMIT_MEMLOCK to the hard one, and locks at most that.
        lockable_kib = min(512, resource.getrlimit(resource.RLIMIT_MEMLOCK)[1] // 1024)
        if control.writing_its_answer():
            report.check(f"CGI with BOTAN_MLOCK_POOL_SIZE=512: the operator's pool size is kept ({lockable_kib} "
                         f"KiB locked)", [] if locked_kib(control.process.pid) == lockable_kib else
                         [f"VmLck {locked_kib(control.process.pid)} KiB"])
        else:
            report.check("CGI with BOTAN_MLOCK_POOL_SIZE=512: sdksign signs", ["it did not"])
        control.stop()
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
