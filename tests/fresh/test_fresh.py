#!/usr/bin/env python3
"""The README's two commands on a fresh Debian 12 machine: a minimal root made with debootstrap, where nothing
was installed by hand.

    test_fresh.py --source-root . --work-dir build/fresh

Steps, each bounded by a timeout and timed:
  1. debootstrap --variant=minbase bookworm into WORK_DIR/root, the mirror read from this machine's own apt
     sources (/etc/apt/sources.list, /etc/apt/sources.list.d/*.list and *.sources) at run time; the root's
     sources list gets the same bookworm, bookworm-updates and bookworm-security lines. The downloaded base
     system is kept as a tarball in WORK_DIR/cache (debootstrap --make-tarball, then --unpack-tarball), and
     what debootstrap made of it as a plain tar beside it (unpacked in seconds); the root's apt archive folder
     is WORK_DIR/cache/apt-archives. So a second run downloads little. Both are remade after 14 days.
  2. The machine's CA certificates (/etc/ssl/certs, /usr/local/share/ca-certificates) and its apt settings
     for reaching the mirror (the files of /etc/apt/apt.conf.d that set Acquire:: options, a proxy among them)
     are copied in, so that the root reaches the package registries exactly as the machine does; /proc, /sys
     and /dev are mounted (bind mounts made slaves, so nothing unmounted in the root reaches the machine), and
     always unmounted again, whatever happens.
  3. `git clone` of the project's committed HEAD into /root/sdksign (uncommitted changes are not tested).
  4. In a chroot: scripts/serve with a .env of test credentials on a free port of 127.0.0.1, until the
     README's own curl command (read from the README, port replaced) returns a token that verifies with the
     .env secret (HMAC-SHA256, checked here); then Ctrl-C (SIGINT) stops it.
  5. In the chroot: `scripts/test --install-only`, then `scripts/test --suite fast` and `--suite browser`
     (meson test in the build folder scripts/serve made, with SDKSIGN_SKIP_INSTALL=1: the packages are there).
After each chroot step no process may be left in the root (a package that started a service would show up
here), and the root serves only on 127.0.0.1 (the network namespace is the machine's).

The root is a tmpfs (about 3 GB of memory while it runs), so dpkg's syncs cost nothing and it is gone when
unmounted at the end; SDKSIGN_FRESH_KEEP=1 leaves it mounted for a look (the next run removes it). The logs
of each step stay in WORK_DIR/logs. Needs root and network access to the mirror; WORK_DIR/cache holds about
0.5 GB. `SDKSIGN_SKIP_FRESH=1 scripts/test` leaves it out (meson test --no-suite fresh); run directly with
SDKSIGN_SKIP_FRESH=1 it skips (exit 77).

Prints one line per check, then "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import glob
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # importing the harness must not leave __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import evidence  # noqa: E402
from harness.network import free_port, listening_addresses  # noqa: E402
from harness.reports import Report  # noqa: E402
from harness.tokens import verify_signature  # noqa: E402

SUITE = "bookworm"
SUITES = (SUITE, SUITE + "-updates", SUITE + "-security")
TARBALL_MAX_AGE_S = 14 * 24 * 3600
ROOT_TMPFS_SIZE = "8G"  # a limit, not a reservation: the root with every package and a build is about 3 GB
CLONE = "/root/sdksign"
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TEST_KEY = "sdksign-fresh-key"
# Step timeouts in seconds (a first run downloads everything; later ones use the cached tarball and debs).
DEBOOTSTRAP_TIMEOUT = 900
SERVE_TIMEOUT = 1200        # scripts/serve: apt-get update, the build packages, meson setup and compile
INSTALL_TIMEOUT = 1200      # scripts/test --install-only: the test packages (chromium, clang, web servers)
SUITE_TIMEOUT = 900
# The whole test ends by itself (and cleans up) this long after it started, before meson's timeout of 2400 s
# in tests/fresh/meson.build: meson follows its SIGTERM with a SIGKILL after half a second.
TOTAL_BUDGET_S = 2200
LEFTOVER_WAIT_S = 10        # sdksign stops gracefully within about 2 s when nothing is in flight


class Stopped(Exception):
    """SIGTERM (meson's timeout) or SIGHUP: unwind, so that every cleanup runs."""


def on_signal(signum, _frame):
    raise Stopped(f"stopped by signal {signum}")


# ---------------------------------------------------------------------------------- the machine's apt sources

def one_line_sources(text):
    """(uri, suites, components) of each `deb` line of a sources.list-format text."""
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        words = line.split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):  # options: [arch=amd64 signed-by=...]
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if len(words) >= 3:
            yield words[0], [words[1]], words[2:]


def deb822_sources(text):
    """(uri, suites, components) of each enabled `Types: deb` stanza of a .sources (deb822) text."""
    for stanza in re.split(r"\n\s*\n", text):
        fields, name = {}, None
        for line in stanza.splitlines():
            if line.startswith("#"):
                continue
            if line[:1].isspace() and name:
                fields[name] += " " + line.strip()
            elif ":" in line:
                name, value = line.split(":", 1)
                name = name.strip().lower()
                fields[name] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            yield uri, fields.get("suites", "").split(), fields.get("components", "").split()


def machine_sources():
    """{suite: uri} for bookworm, bookworm-updates and bookworm-security with `main`, from this machine."""
    found = {}
    paths = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
    paths += sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        entries = deb822_sources(text) if path.endswith(".sources") else one_line_sources(text)
        for uri, suites, components in entries:
            for suite in suites:
                if suite in SUITES and "main" in components and suite not in found:
                    found[suite] = uri.rstrip("/")
    return found


def apt_proxy_environment():
    """http_proxy/https_proxy for debootstrap (wget) from apt's own Acquire::http(s)::Proxy, if any."""
    env = {}
    try:
        dump = subprocess.run(["apt-config", "dump"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return env
    for scheme in ("http", "https"):
        match = re.search(rf'^Acquire::{scheme}::Proxy "([^"]+)";$', dump, re.MULTILINE)
        if match and match.group(1).upper() != "DIRECT":
            env[f"{scheme}_proxy"] = match.group(1)
    return env


# ------------------------------------------------------------------------------------- mounts and processes

def mounts_under(path):
    """Mount points at or under `path`, deepest first (from /proc/self/mountinfo)."""
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
        for line in f:
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
            if point == path or point.startswith(path + "/"):
                found.append(point)
    return sorted(set(found), key=len, reverse=True)


def unmount_all(path, keep_top=False):
    """Unmounts everything under `path`, and `path` itself unless keep_top; returns what is still mounted."""
    def points():
        return [p for p in mounts_under(path) if not (keep_top and p == path)]
    for _ in range(3):
        if not points():
            return []
        for point in points():
            if subprocess.run(["umount", point], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", point], capture_output=True)
    return points()


def processes_in(root):
    """PIDs of the processes whose root folder is `root` or under it (started in the chroot)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            where = os.readlink(f"/proc/{name}/root")
        except OSError:
            continue
        if where == root or where.startswith(root + "/"):
            found.append(int(name))
    return found


def describe(pids):
    names = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                names.append(f"{pid} " + f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:80])
        except OSError:
            pass
    return names


def kill_all_in(root):
    """SIGKILLs every process in the chroot (they were all started by this test); waits up to 10 s."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pids = processes_in(root)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.2)


def remove_root(root):
    """Removes a previous root: only once nothing is mounted under it, and never across a file system."""
    if not os.path.exists(root):
        return []
    kill_all_in(root)
    left = unmount_all(root)
    if left:
        return [f"still mounted, not removing {root}: {', '.join(left)}"]
    subprocess.run(["rm", "-rf", "--one-file-system", root], check=False)
    return [f"could not remove {root}"] if os.path.exists(root) else []


# ------------------------------------------------------------------------------------------- running steps

def timed(name, started):
    print(f"time {name}: {time.monotonic() - started:.0f} s", flush=True)


def run_logged(command, log_path, timeout, env=None):
    """Runs `command` in its own session, output to `log_path`; returns (exit status or None on timeout, tail)."""
    with open(log_path, "ab") as log:
        log.write(f"$ {' '.join(command)}\n".encode())
        log.flush()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, env=env)
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            status = None
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
    return status, tail(log_path)


def tail(path, lines=40):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "\n".join(f.read().splitlines()[-lines:])
    except OSError:
        return ""


def chroot_command(root, script, extra_env=None):
    """bash -c SCRIPT in the chroot, with a clean environment as a root login would have."""
    env = {"HOME": "/root", "PATH": CHROOT_PATH, "LANG": "C.UTF-8", "TERM": "dumb"}
    env.update(extra_env or {})
    return ["chroot", root, "/usr/bin/env", "-i"] + [f"{k}={v}" for k, v in env.items()] + \
           ["/bin/bash", "-c", script]


def readme_curl(readme_path, port):
    """The README's curl command for the sample's request (its backslash-continued lines joined), on `port`."""
    with open(readme_path, encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"^curl -s -X POST http://127\.0\.0\.1:4000/ .*?(?:\\\n.*?)*$", text, re.MULTILINE)
    if not match:
        return None
    command = re.sub(r"\\\n\s*", "", match.group(0))
    return command.replace("http://127.0.0.1:4000/", f"http://127.0.0.1:{port}/")


# ------------------------------------------------------------------------------------------------ the test

class Fresh:
    def __init__(self, args, report, secret):
        self.args = args
        self.report = report
        self.secret = secret
        self.work = os.path.abspath(args.work_dir)
        self.root = os.path.join(self.work, "root")
        self.cache = os.path.join(self.work, "cache")
        self.logs = os.path.join(self.work, "logs")
        self.deadline = time.monotonic() + TOTAL_BUDGET_S

    def budget(self, step_timeout):
        """A step's timeout, cut to what is left of the whole test's budget."""
        return max(1.0, min(step_timeout, self.deadline - time.monotonic()))

    def log(self, name):
        return os.path.join(self.logs, name + ".log")

    def step_failed(self, name, status, output):
        what = "timed out" if status is None else f"exit {status}"
        return [f"{what}; the end of {self.log(name)}:\n{self.report.scrub(output)}"]

    def no_leftovers(self, after):
        """A check that no process is left in the root a few seconds after a step (sdksign's FastCGI workers
        finish their graceful stop after lighttpd has exited); kills any that is."""
        deadline = time.monotonic() + LEFTOVER_WAIT_S
        while processes_in(self.root) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = processes_in(self.root)
        self.report.check(f"no process left in the root after {after}",
                          [f"left running: {'; '.join(describe(left))}"] if left else [])
        kill_all_in(self.root)

    # 1. debootstrap
    def bootstrap(self, sources):
        mirror = sources[SUITE]
        os.makedirs(self.cache, exist_ok=True)
        tarball = os.path.join(self.cache, f"debian-{SUITE}-minbase-"
                                           f"{hashlib.sha256(mirror.encode()).hexdigest()[:12]}.tgz")
        env = dict(os.environ, **apt_proxy_environment())
        if os.path.exists(tarball) and time.time() - os.path.getmtime(tarball) > TARBALL_MAX_AGE_S:
            os.remove(tarball)
        if not os.path.exists(tarball):
            started = time.monotonic()
            scratch = os.path.join(self.work, "tarball-work")
            problems = remove_root(scratch)
            if problems:
                return problems
            status, output = run_logged(["debootstrap", "--variant=minbase", f"--make-tarball={tarball}.part",
                                         SUITE, scratch, mirror], self.log("debootstrap"),
                                        self.budget(DEBOOTSTRAP_TIMEOUT), env)
            remove_root(scratch)
            timed("debootstrap --make-tarball (download)", started)
            if status != 0:
                return self.step_failed("debootstrap", status, output)
            os.replace(tarball + ".part", tarball)
        # debootstrap's result from that tarball, kept as a plain tar: unpacking it takes seconds, installing
        # the base system from the tarball takes a minute or two.
        base = tarball[:-len(".tgz")] + "-root.tar"
        started = time.monotonic()
        if os.path.exists(base) and os.path.getmtime(base) >= os.path.getmtime(tarball):
            status, output = run_logged(["tar", "-C", self.root, "--numeric-owner", "-xpf", base],
                                        self.log("debootstrap"), self.budget(DEBOOTSTRAP_TIMEOUT))
            timed("unpack the base system debootstrap made from the tarball before", started)
            if status != 0:
                os.remove(base)
                return self.step_failed("debootstrap", status, output)
            return []
        status, output = run_logged(["debootstrap", "--variant=minbase", f"--unpack-tarball={tarball}", SUITE,
                                     self.root, mirror], self.log("debootstrap"), self.budget(DEBOOTSTRAP_TIMEOUT),
                                    env)
        timed("debootstrap --unpack-tarball (install the base system)", started)
        if status != 0:
            # A broken tarball must not break every later run.
            os.remove(tarball)
            return self.step_failed("debootstrap", status, output)
        status, output = run_logged(["tar", "-C", self.root, "--numeric-owner", "-cf", base + ".part", "."],
                                    self.log("debootstrap"), self.budget(DEBOOTSTRAP_TIMEOUT))
        if status == 0:
            os.replace(base + ".part", base)
        return []

    # 2. what the machine uses to reach the registries, and the mounts
    def configure(self, sources):
        root = self.root
        with open(os.path.join(root, "etc/apt/sources.list"), "w", encoding="utf-8") as f:
            for suite in SUITES:
                if suite in sources:
                    f.write(f"deb {sources[suite]} {suite} main\n")
        # CA certificates: the files themselves (the links in /etc/ssl/certs point into packages the root
        # does not have yet), and the local ones, which update-ca-certificates in the root keeps adding.
        shutil.copytree("/etc/ssl/certs", os.path.join(root, "etc/ssl/certs"), symlinks=False,
                        dirs_exist_ok=True, ignore_dangling_symlinks=True)
        if os.path.isdir("/usr/local/share/ca-certificates"):
            shutil.copytree("/usr/local/share/ca-certificates",
                            os.path.join(root, "usr/local/share/ca-certificates"), dirs_exist_ok=True)
        copied = []
        for path in sorted(glob.glob("/etc/apt/apt.conf.d/*")):
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError:
                continue
            # How apt reaches the mirror (proxy, certificates, validity checks); no hooks that run programs.
            if "Acquire" in text and "Invoke" not in text and "Pre-Install-Pkgs" not in text:
                shutil.copy(path, os.path.join(root, "etc/apt/apt.conf.d", os.path.basename(path)))
                copied.append(os.path.basename(path))
        for name in ("resolv.conf", "hosts"):
            target = os.path.join(root, "etc", name)
            if os.path.exists(os.path.join("/etc", name)) and not os.path.exists(target):
                shutil.copy(os.path.join("/etc", name), target)
        print(f"     apt sources: {', '.join(f'{s} {u}' for s, u in sources.items())}; apt settings copied: "
              f"{', '.join(copied) or 'none'}", flush=True)

        archives = os.path.join(self.cache, "apt-archives")
        os.makedirs(os.path.join(archives, "partial"), exist_ok=True)
        commands = [
            ["mount", "-t", "proc", "proc", os.path.join(root, "proc")],
            ["mount", "--rbind", "/sys", os.path.join(root, "sys")],
            ["mount", "--make-rslave", os.path.join(root, "sys")],
            ["mount", "--rbind", "/dev", os.path.join(root, "dev")],
            ["mount", "--make-rslave", os.path.join(root, "dev")],
            ["mount", "--bind", archives, os.path.join(root, "var/cache/apt/archives")],
        ]
        for command in commands:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=60)
            if completed.returncode != 0:
                return [f"{' '.join(command)}: {completed.stderr.strip()}"]
        return []

    # 3. the project, as committed
    def clone(self):
        source = os.path.abspath(self.args.source_root)
        head = subprocess.run(["git", "-C", source, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", source, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        if dirty:
            print(f"     note: the fresh root tests the commit {head}; uncommitted changes in {source} are not "
                  "in it", flush=True)
        target = os.path.join(self.root, CLONE.lstrip("/"))
        status, output = run_logged(["git", "clone", "--quiet", "--no-hardlinks", source, target],
                                    self.log("clone"), self.budget(300))
        if status != 0:
            return self.step_failed("clone", status, output)
        with open(os.path.join(target, ".env"), "w", encoding="utf-8") as f:
            f.write(f"ZOOM_MEETING_SDK_KEY={TEST_KEY}\nZOOM_MEETING_SDK_SECRET={self.secret}\n")
        print(f"     cloned {head} into {CLONE}", flush=True)
        return []

    # 4. scripts/serve and the README's curl
    def serve(self):
        port = free_port()
        curl = readme_curl(os.path.join(self.root, CLONE.lstrip("/"), "README.md"), port)
        self.report.check("the README has the sample's curl command", [] if curl else
                          ["no line starting with curl -s -X POST http://127.0.0.1:4000/ in README.md"])
        if not curl:
            return
        log_path = self.log("serve")
        started = time.monotonic()
        with open(log_path, "ab") as log:
            process = subprocess.Popen(chroot_command(self.root, f"cd {CLONE} && exec scripts/serve",
                                                      {"PORT": str(port)}),
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        answer, problems = None, []
        try:
            deadline = time.monotonic() + self.budget(SERVE_TIMEOUT)
            while time.monotonic() < deadline and process.poll() is None:
                if "sdksign: listening on" in tail(log_path, 1000000):
                    completed = subprocess.run(chroot_command(self.root, curl), capture_output=True, timeout=30)
                    if completed.returncode == 0 and completed.stdout:
                        answer = completed.stdout
                        break
                time.sleep(2)
            timed("scripts/serve until the README's curl answers (install, build, start)", started)
            if answer is None:
                problems = self.step_failed("serve", process.poll(), tail(log_path))
            addresses = listening_addresses(port)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as the README says
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    problems.append("scripts/serve did not stop within 15 s of SIGINT")
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.report.check("scripts/serve installs, builds and serves; the README's curl gets an answer", problems,
                          f"port {port}")
        if answer is not None:
            try:
                body = json.loads(answer)
            except ValueError:
                body = {}
            token = body.get("signature") if isinstance(body, dict) else None
            ok = isinstance(token, str) and verify_signature(token, self.secret) and body.get("sdkKey") == TEST_KEY
            self.report.check("the token verifies with the .env secret (HS256) and sdkKey is the .env key",
                              [] if ok else [f"answer: {self.report.scrub(answer.decode(errors='replace'))[:300]}"])
            self.report.check("scripts/serve listens on 127.0.0.1 only",
                              [] if addresses and set(addresses) == {"127.0.0.1"} else
                              [f"listening addresses of port {port}: {addresses}"])
        evidence.keep(tail(log_path, 10000), "fresh-serve")
        self.no_leftovers("scripts/serve")

    # 5. scripts/test's install step, then the fast and browser suites
    def test_suites(self):
        started = time.monotonic()
        status, output = run_logged(chroot_command(self.root, f"cd {CLONE} && scripts/test --install-only"),
                                    self.log("test-install"), self.budget(INSTALL_TIMEOUT))
        timed("scripts/test --install-only", started)
        self.report.check("scripts/test --install-only installs the test packages",
                          [] if status == 0 else self.step_failed("test-install", status, output))
        self.no_leftovers("scripts/test --install-only")
        if status != 0:
            return
        for suite in ("fast", "browser"):
            started = time.monotonic()
            name = f"suite-{suite}"
            # scripts/test --suite: meson test in the build folder scripts/serve made (built first if it is
            # missing or out of date), then the secret scan of that run.
            status, output = run_logged(
                chroot_command(self.root, f"cd {CLONE} && scripts/test --suite {suite}",
                               {"SDKSIGN_SKIP_INSTALL": "1"}),
                self.log(name), self.budget(SUITE_TIMEOUT))
            timed(f"scripts/test --suite {suite}", started)
            summary = re.findall(r"^tests: \d+ passed, \d+ failed$", output, re.MULTILINE)
            self.report.check(f"scripts/test --suite {suite} passes in the fresh root",
                              [] if status == 0 else self.step_failed(name, status, output),
                              ", ".join(summary))
            evidence.keep(tail(self.log(name), 10000), f"fresh-{name}")
            self.no_leftovers(f"scripts/test --suite {suite}")

    def run(self):
        everything = time.monotonic()
        sources = machine_sources()
        self.report.check(f"this machine's apt sources name a {SUITE} main mirror",
                          [] if SUITE in sources else
                          [f"no 'deb URI {SUITE} main' in /etc/apt/sources.list or /etc/apt/sources.list.d"],
                          sources.get(SUITE, ""))
        if SUITE not in sources:
            return
        os.makedirs(self.logs, exist_ok=True)
        for old in glob.glob(os.path.join(self.logs, "*.log")):
            os.remove(old)
        problems = remove_root(self.root)
        self.report.check("no root is left from an earlier run", problems)
        if problems:
            return
        try:
            # The root lives in memory: dpkg's many syncs cost nothing, and unmounting removes it at once.
            os.makedirs(self.root)
            completed = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={ROOT_TMPFS_SIZE},mode=0755", "tmpfs",
                                        self.root], capture_output=True, text=True, timeout=60)
            self.report.check("a tmpfs for the root", [completed.stderr.strip()] if completed.returncode else [],
                              ROOT_TMPFS_SIZE)
            if completed.returncode:
                return
            problems = self.bootstrap(sources)
            self.report.check(f"debootstrap makes a minimal Debian 12 ({SUITE}) root", problems, self.root)
            if problems:
                return
            problems = self.configure(sources)
            self.report.check("the machine's CA certificates and apt settings are copied in; /proc, /sys, /dev "
                              "mounted", problems)
            if problems:
                return
            started = time.monotonic()
            problems = self.clone()
            timed("git clone", started)
            self.report.check("git clone of the project's HEAD into the root", problems)
            if problems:
                return
            self.serve()
            self.test_suites()
        finally:
            kill_all_in(self.root)
            keep = os.environ.get("SDKSIGN_FRESH_KEEP") == "1"
            left = unmount_all(self.root, keep_top=keep)
            self.report.check("everything mounted in the root is unmounted" + (", but its tmpfs" if keep else ""),
                              [f"still mounted: {', '.join(left)}"] if left else [])
            if keep:
                print(f"     the root is kept (SDKSIGN_FRESH_KEEP=1): {self.root}; the next run or "
                      f"`umount {self.root}` removes it", flush=True)
            elif not left and os.path.isdir(self.root):
                os.rmdir(self.root)
            print(f"     logs: {self.logs}", flush=True)
            timed("fresh, all steps", everything)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source-root", required=True)
    parser.add_argument("--work-dir", required=True, help="scratch folder: the root, the caches and the logs")
    args = parser.parse_args()
    if os.environ.get("SDKSIGN_SKIP_FRESH") == "1":
        print("skipped: SDKSIGN_SKIP_FRESH=1")
        return 77
    secret = evidence.secret("frësh-" + secrets.token_urlsafe(24))
    report = Report(secret)
    missing = [tool for tool in ("debootstrap", "git", "chroot", "mount", "umount") if not shutil.which(tool)]
    report.check("runs as root, with debootstrap and git", (["needs root (debootstrap, mount, chroot); "
                                                             "SDKSIGN_SKIP_FRESH=1 skips this test"]
                                                            if os.geteuid() != 0 else []) +
                 [f"missing {tool}; scripts/test installs it" for tool in missing])
    if os.geteuid() != 0 or missing:
        return report.finish()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    try:
        Fresh(args, report, secret).run()
    except Stopped as stopped:
        report.check("finished", [str(stopped)])
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
