#!/usr/bin/env python3
"""The Debian packages (debian/), built, installed on this machine, used through Apache, and purged.

    test_package.py --source-root . --work-dir build/package

Steps, each bounded by a timeout and timed:
  1. The source tree as git sees it (tracked and untracked files, not the ignored build folders) is copied to
     WORK_DIR/src/sdksign, and `dpkg-buildpackage -us -uc -b` builds it there, as cheaply as a package build
     can be: DEB_BUILD_OPTIONS=nocheck (no test program is built), noopt, noddebs, parallel=2, no debug
     information.
  2. lintian on the .changes: no error. The packages: sdksign-vault alone needs libcurl; the conffiles.
  3. `apt-get install` of the three .debs (so that their Depends resolve): then nothing is enabled, started
     or running (no sdksign process, no web-server link, no enabled unit); `sdksign --version` prints the
     Debian version of debian/changelog (the copy's changelog gets an entry of the test's own first, a
     version that is not the project's); the providers are in /usr/lib/<multiarch>/sdksign and the vault one
     loads.
  4. Credentials in /etc/sdksign/credentials.env, read by the file provider (provider = file in
     sdksign.conf): `sdksign check` says the meeting credential is usable.
  5. `a2enmod` of the modules the shipped file names and `a2enconf sdksign-fcgid`, then the system's apache2
     binary with the system's mods-enabled and conf-enabled folders, but on a free port of 127.0.0.1 with
     its own pid file, logs and runtime folders (no site of the machine, never the machine's own Apache
     service): a POST to /zoom/signature answers a token that verifies with the secret.
  6. The example provider in C (examples/provider/provider.c, `fd`) compiled against the installed
     sdksign-dev alone with `pkg-config --cflags sdksign-provider` (C99, -Wall -Wextra -pedantic -Werror) and
     loaded by the installed sdksign, its secret read from an inherited pipe; providerdir of the .pc file is
     the folder sdksign loads providers from.
  7. `lighty-enable-mod sdksign-fastcgi` (lighttpd is not started), then `dpkg --purge` of the three: every
     file the packages had is gone (but shared folders that were there before), and so are /etc/sdksign with
     the credentials, the a2enconf link and Apache's record of it, and the lighty-enable-mod link; the users
     and groups are what they were before. The modules the test enabled in both servers are disabled again.

It changes the machine (a package installed, then purged), so it refuses to run where sdksign is already
installed (as a package or in /usr/bin, /etc/sdksign), and holds a lock (/run/lock/sdksign-package-test.lock)
so that two checkouts never run it at once. While it purges, a /usr/sbin/policy-rc.d (exit 101) keeps the
package scripts from reloading the machine's own Apache, when the file is not there already. Needs root,
apache2 and libapache2-mod-fcgid, debhelper, dpkg-dev and lintian (scripts/test installs them).

Prints one line per check, then "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import email.utils
import fcntl
import glob
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # importing the harness must not leave __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import network, tokens  # noqa: E402
from harness.processes import pids_running, read_text  # noqa: E402
from harness.reports import Report  # noqa: E402

PACKAGES = ["sdksign", "sdksign-vault", "sdksign-dev"]
LOCK_FILE = "/run/lock/sdksign-package-test.lock"
LOCK_WAIT_S = 900
BUILD_TIMEOUT_S = 1200
APT_TIMEOUT_S = 600
START_TIMEOUT_S = 20.0
POLICY_RC_D = "/usr/sbin/policy-rc.d"
# What the package installs in the web servers' folders, and the links and state that enabling makes.
WEB_SERVER_FILES = ["/etc/apache2/conf-available/sdksign-fcgid.conf", "/etc/apache2/conf-available/sdksign-cgi.conf",
                    "/etc/lighttpd/conf-available/50-sdksign-fastcgi.conf",
                    "/etc/lighttpd/conf-available/50-sdksign-external.conf",
                    "/etc/lighttpd/conf-available/50-sdksign-cgi.conf",
                    "/etc/nginx/snippets/sdksign-unix.conf", "/etc/nginx/snippets/sdksign-tcp.conf"]
CONFFILES = ["/etc/sdksign/sdksign.conf"] + WEB_SERVER_FILES
ENABLED_PATTERNS = ["/etc/apache2/conf-enabled/*sdksign*", "/etc/lighttpd/conf-enabled/*sdksign*",
                    "/etc/systemd/system/*.wants/sdksign*", "/var/lib/apache2/conf/*/*sdksign*"]
LEFTOVER_PATTERNS = ENABLED_PATTERNS + ["/etc/sdksign", "/usr/bin/sdksign", "/usr/lib/*/sdksign",
                                        "/usr/include/sdksign", "/usr/lib/*/pkgconfig/sdksign*",
                                        "/usr/share/doc/sdksign*", "/usr/share/sdksign",
                                        "/usr/share/man/man*/sdksign*", "/lib/systemd/system/sdksign*",
                                        "/usr/lib/systemd/system/sdksign*",
                                        "/var/lib/systemd/deb-systemd-helper-*/*sdksign*",
                                        "/var/lib/systemd/deb-systemd-helper-*/*/*sdksign*"]


def run(argv, timeout, env=None, cwd=None):
    """Runs argv; (exit status, stdout + stderr as text)."""
    try:
        completed = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return 124, f"timed out after {timeout} s: {(e.output or b'').decode(errors='replace')[-1500:]}"
    return completed.returncode, completed.stdout.decode(errors="replace")


def clean_env(**extra):
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
           "DEBIAN_FRONTEND": "noninteractive"}
    env.update(extra)
    return env


def installed_packages():
    """The sdksign packages dpkg knows in any state but not-installed (config-files counts: not purged)."""
    status, out = run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n"] + PACKAGES, 30)
    return [line.split()[0] for line in out.splitlines()
            if len(line.split()) == 2 and line.split()[1] != "not-installed"]


def leftovers():
    return sorted({path for pattern in LEFTOVER_PATTERNS for path in glob.glob(pattern)})


class Timer:
    def __init__(self):
        self.started = time.monotonic()

    def __str__(self):
        return f"{time.monotonic() - self.started:.0f} s"


def export_source(source_root, target):
    """The tree as git sees it (uncommitted edits included, ignored build folders left out)."""
    if os.path.isdir(os.path.join(source_root, ".git")) or os.path.isfile(os.path.join(source_root, ".git")):
        status, out = run(["git", "-C", source_root, "ls-files", "-co", "--exclude-standard", "-z"], 60)
        if status != 0:
            raise RuntimeError(f"git ls-files: {out[-500:]}")
        for relative in filter(None, out.split("\0")):
            source = os.path.join(source_root, relative)
            if not os.path.lexists(source):
                continue  # deleted in the work tree, not yet in the index
            os.makedirs(os.path.join(target, os.path.dirname(relative)), exist_ok=True)
            shutil.copy2(source, os.path.join(target, relative), follow_symlinks=False)
    else:
        shutil.copytree(source_root, target, symlinks=True,
                        ignore=shutil.ignore_patterns("build*", ".git", "__pycache__"))


def give_own_version(tree):
    """A debian/changelog entry of the test's own on top, so that `sdksign --version` can only print it when
    the Debian version reached the build (the first entry's version is the project's version too)."""
    changelog = os.path.join(tree, "debian", "changelog")
    version = run(["dpkg-parsechangelog", "-S", "Version"], 30, cwd=tree)[1].strip() + "+packagetest1"
    maintainer = run(["dpkg-parsechangelog", "-S", "Maintainer"], 30, cwd=tree)[1].strip()
    with open(changelog, encoding="utf-8") as f:
        text = f.read()
    entry = (f"sdksign ({version}) unstable; urgency=medium\n\n"
             "  * Built by tests/package/test_package.py, with a version of its own.\n\n"
             f" -- {maintainer}  {email.utils.formatdate(localtime=True)}\n\n")
    with open(changelog, "w", encoding="utf-8") as f:
        f.write(entry + text)
    return version


def build_packages(report, source_root, work_dir):
    """Steps 1 and 2. Returns (the .deb paths by package, the Debian version) or None."""
    src_parent = os.path.join(work_dir, "src")
    shutil.rmtree(src_parent, ignore_errors=True)
    tree = os.path.join(src_parent, "sdksign")
    export_source(source_root, tree)
    version = give_own_version(tree)
    timer = Timer()
    # The packaging is under test here, not the compiler's output (the other suites test the code): noopt
    # (-O0) and -g0 after dpkg-buildflags' -g cut the compile time, and noddebs drops the -dbgsym packages.
    env = clean_env(DEB_BUILD_OPTIONS="nocheck noopt noddebs parallel=2", DEB_CXXFLAGS_MAINT_APPEND="-g0")
    status, out = run(["dpkg-buildpackage", "-us", "-uc", "-b"], BUILD_TIMEOUT_S, env=env, cwd=tree)
    with open(os.path.join(work_dir, "dpkg-buildpackage.log"), "w", encoding="utf-8") as f:
        f.write(out)
    report.check("dpkg-buildpackage -us -uc -b builds the packages", [] if status == 0 else
                 [f"exit {status}: {out[-2000:]}"], f"{timer}, nocheck, -j2")
    if status != 0:
        return None
    warnings = [line for line in out.splitlines() if re.search(r"\bwarning:", line)
                and ("/src/" in line or "/plugins/" in line or "/include/" in line)]
    report.check("the package build compiles without warnings", warnings)
    debs = {}
    for package in PACKAGES:
        found = glob.glob(os.path.join(src_parent, f"{package}_{version}_*.deb"))
        if len(found) == 1:
            debs[package] = found[0]
    report.check("one .deb for each of " + ", ".join(PACKAGES) + " (no -dbgsym)",
                 [] if len(debs) == len(PACKAGES) and not glob.glob(os.path.join(src_parent, "*dbgsym*"))
                 else [f"found {sorted(os.listdir(src_parent))}"])
    if len(debs) != len(PACKAGES):
        return None

    changes = glob.glob(os.path.join(src_parent, "*.changes"))
    timer = Timer()
    status, out = run(["lintian", "--fail-on", "error", "--allow-root"] + changes, 300, env=clean_env())
    errors = [line for line in out.splitlines() if line.startswith("E:")]
    report.check("lintian reports no error", errors or ([] if status == 0 else [f"exit {status}: {out[-1500:]}"]),
                 f"{timer}")

    def field(package, name):
        return run(["dpkg-deb", "-f", debs[package], name], 30)[1].strip()

    depends = field("sdksign", "Depends")
    vault_depends = field("sdksign-vault", "Depends")
    problems = []
    if "libcurl" in depends or "libbotan" not in depends:
        problems.append(f"sdksign: Depends: {depends}")
    if "libcurl" not in vault_depends or f"sdksign (= {version})" not in vault_depends:
        problems.append(f"sdksign-vault: Depends: {vault_depends}")
    report.check("Depends from dh_shlibdeps: libcurl only for sdksign-vault, which depends on this sdksign",
                 problems)
    listed = run(["dpkg-deb", "-I", debs["sdksign"], "conffiles"], 30)[1].split()
    report.check("sdksign.conf and the web servers' files are conffiles",
                 [f"not a conffile: {path}" for path in CONFFILES if path not in listed])
    return debs, version


def earlier_packages(report, folder):
    """--debs-from: the .debs of an earlier build; (the .deb paths by package, their version) or None."""
    debs = {}
    for package in PACKAGES:
        found = sorted(glob.glob(os.path.join(folder, f"{package}_*.deb")))
        if len(found) == 1:
            debs[package] = os.path.abspath(found[0])
    report.check(f"one .deb for each package in {folder}", [] if len(debs) == len(PACKAGES) else
                 [f"found {sorted(os.listdir(folder))}"])
    if len(debs) != len(PACKAGES):
        return None
    return debs, run(["dpkg-deb", "-f", debs["sdksign"], "Version"], 30)[1].strip()


def check_nothing_enabled(report):
    """Step 3: installing changed no web server and started nothing."""
    enabled = sorted({path for pattern in ENABLED_PATTERNS for path in glob.glob(pattern)})
    running = pids_running("/usr/bin/sdksign")
    problems = ([f"enabled: {enabled}"] if enabled else []) + ([f"running: {running}"] if running else [])
    report.check("installing enables nothing and starts nothing (no web-server link, no enabled unit, "
                 "no sdksign process)", problems)


def check_installed(report, version):
    """Step 3: what is where, and the version."""
    status, out = run(["/usr/bin/sdksign", "--version"], 30, env=clean_env())
    report.check("sdksign --version prints the Debian version of debian/changelog",
                 [] if status == 0 and out.strip() == f"sdksign {version}" else [f"exit {status}: {out!r}"],
                 out.strip())
    status, multiarch = run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], 30)
    plugin_dir = f"/usr/lib/{multiarch.strip()}/sdksign"
    missing = [name for name in ("env.so", "file.so", "vault.so")
               if not os.path.isfile(os.path.join(plugin_dir, name))]
    report.check(f"the providers are in {plugin_dir}", [f"missing {missing}"] if missing else [])
    unit = "/lib/systemd/system/sdksign.service"
    documentation = [line.split("file://", 1)[1].strip() for line in read_text(unit).splitlines()
                     if line.startswith("Documentation=file://")]
    report.check("the systemd unit is installed, and the file its Documentation= names is there (uncompressed)",
                 [] if documentation and all(os.path.isfile(p) for p in documentation) else
                 [f"{unit}: Documentation {documentation or 'missing'}"])
    # --help loads the configured provider to list its options: vault.so found by name and loadable.
    status, out = run(["/usr/bin/sdksign", "--config=/dev/null", "--provider=vault", "--help"], 30,
                      env=clean_env())
    report.check("the installed sdksign loads the vault provider from there",
                 [] if status == 0 and "--vault." in out else [f"exit {status}: {out[-800:]}"])
    return plugin_dir


def configure_credentials(report, secret):
    """Step 4: the file provider reads /etc/sdksign/credentials.env, readable by www-data alone."""
    web = pwd.getpwnam("www-data")
    path = "/etc/sdksign/credentials.env"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"ZOOM_MEETING_SDK_KEY={tokens.TEST_KEY}\nZOOM_MEETING_SDK_SECRET={secret}\n")
    os.chown(path, web.pw_uid, web.pw_gid)
    conf = "/etc/sdksign/sdksign.conf"
    with open(conf, encoding="utf-8") as f:
        text = f.read()
    with open(conf, "w", encoding="utf-8") as f:
        f.write(f"provider = file\n{text}\n[file]\npath = {path}\n")
    status, out = run(["/usr/bin/sdksign", "check"], 30, env=clean_env())
    report.check("sdksign check: the credentials in /etc/sdksign/credentials.env are usable",
                 [] if status == 0 and secret not in out else [f"exit {status}: {out[-800:]}"],
                 out.strip().splitlines()[0] if out.strip() else "")


def apache_modules():
    """The modules the first `a2enmod` line of the installed Apache file names (its set-up commands)."""
    with open("/etc/apache2/conf-available/sdksign-fcgid.conf", encoding="utf-8") as f:
        for line in f:
            words = line.lstrip("#").split()
            if words[:1] == ["a2enmod"]:
                return words[1:]
    return []


class PrivateApache:
    """The system's apache2 with /etc/apache2's mods-enabled and conf-enabled, on a port of 127.0.0.1, with
    its own runtime folders: what `systemctl reload apache2` would serve, without touching that service."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="sdksign-package-apache-", dir="/tmp")
        os.chmod(self.root, 0o755)
        for sub in ("run", "lock", "log"):
            os.makedirs(os.path.join(self.root, sub), mode=0o755)
        self.process = None
        self.port = None

    def env(self):
        return clean_env(APACHE_RUN_USER="www-data", APACHE_RUN_GROUP="www-data",
                         APACHE_RUN_DIR=os.path.join(self.root, "run"),
                         APACHE_PID_FILE=os.path.join(self.root, "run", "apache2.pid"),
                         APACHE_LOCK_DIR=os.path.join(self.root, "lock"),
                         APACHE_LOG_DIR=os.path.join(self.root, "log"))

    def configure(self, port):
        self.port = port
        lines = [
            'ServerRoot "/etc/apache2"',
            f'DefaultRuntimeDir "{self.root}/run"',
            f'PidFile "{self.root}/run/apache2.pid"',
            f'ErrorLog "{self.root}/log/error.log"',
            "LogLevel warn",
            "User www-data",
            "Group www-data",
            "ServerName 127.0.0.1",
            f"Listen 127.0.0.1:{port}",
            "IncludeOptional mods-enabled/*.load",
            "IncludeOptional mods-enabled/*.conf",
            # mod_fcgid's sockets and process table of this instance, not the machine's Apache's.
            f'FcgidIPCDir "{self.root}/fcgidsock"',
            f'FcgidProcessTableFile "{self.root}/fcgid_shm"',
            "IncludeOptional conf-enabled/*.conf",
        ]
        self.config = os.path.join(self.root, "apache2.conf")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        """Returns None when serving, else a problem."""
        for attempt in range(3):
            self.configure(network.free_port())
            status, out = run(["apache2", "-t", "-f", self.config], 30, env=self.env())
            if status != 0:
                return f"apache2 -t: exit {status}: {out[-1500:]}"
            self.process = subprocess.Popen(["apache2", "-f", self.config, "-DFOREGROUND"], env=self.env(),
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, start_new_session=True)
            problem = network.wait_until_serving(self.port, self.process, START_TIMEOUT_S,
                                                 "/zoom/signature/health", "apache2")
            if problem is None:
                return None
            log = self.log()
            self.stop()
            if attempt == 2 or "in use" not in log.lower():
                return problem + "\n" + log[-2000:]
        return "not reached"

    def log(self):
        return read_text(os.path.join(self.root, "log", "error.log"))

    def stop(self):
        """apachectl graceful-stop, as apache2.service does; mod_fcgid stops the sdksign processes."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGWINCH)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def remove(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def sign_through_apache(report, secret):
    """Step 5; returns the modules the test enabled (to disable again)."""
    status, out = run(["a2query", "-m"], 30)
    before = {line.split()[0] for line in out.splitlines() if line.strip()}
    wanted = apache_modules()
    enabled_here = [m for m in wanted if m not in before]
    problems = [] if wanted else ["no a2enmod line in sdksign-fcgid.conf"]
    for argv in (["a2enmod", "-q"] + wanted, ["a2enconf", "-q", "sdksign-fcgid"]):
        status, out = run(argv, 60, env=clean_env())
        if status != 0:
            problems.append(f"{' '.join(argv)}: exit {status}: {out[-500:]}")
    if not os.path.islink("/etc/apache2/conf-enabled/sdksign-fcgid.conf"):
        problems.append("no /etc/apache2/conf-enabled/sdksign-fcgid.conf after a2enconf")
    report.check(f"a2enmod {' '.join(wanted)} and a2enconf sdksign-fcgid", problems)
    if problems:
        return enabled_here
    apache = PrivateApache()
    try:
        problem = apache.start()
        report.check("the system's apache2 with its conf-enabled serves /zoom/signature/health",
                     [problem] if problem else [], f"port {apache.port}")
        if problem:
            return enabled_here
        body = b'{"meetingNumber":"123456789","role":0}'
        status, _reason, _headers, answer = network.http_request(
            apache.port, "POST", "/zoom/signature", body, {"Content-Type": "application/json"}, timeout=20)
        try:
            parsed = json.loads(answer)
            ok = status == 200 and parsed.get("sdkKey") == tokens.TEST_KEY and \
                tokens.verify_signature(parsed.get("signature", ""), secret)
        except ValueError:
            ok = False
        report.check("POST /zoom/signature through Apache (mod_fcgid) answers a token signed with the secret",
                     [] if ok else [f"status {status}: {answer[:300]!r}; log: {apache.log()[-1500:]}"])
    finally:
        apache.remove()
    return enabled_here


def enable_in_lighttpd(report):
    """lighty-enable-mod sdksign-fastcgi (not started: the purge must take the link away). Returns the
    links of the modules it enabled with it (its `depends:` line), to take away after the purge."""
    folder = "/etc/lighttpd/conf-enabled"
    before = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    status, out = run(["lighty-enable-mod", "sdksign-fastcgi"], 60, env=clean_env())
    link = os.path.join(folder, "50-sdksign-fastcgi.conf")
    report.check("lighty-enable-mod sdksign-fastcgi", [] if status == 0 and os.path.islink(link) else
                 [f"exit {status}: {out[-800:]}"])
    after = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    return sorted(after - before - {"50-sdksign-fastcgi.conf"})


def check_provider_sdk(report, source_root, work_dir, plugin_dir):
    """Step 6."""
    status, cflags = run(["pkg-config", "--cflags", "sdksign-provider"], 30)
    status_dir, providerdir = run(["pkg-config", "--variable=providerdir", "sdksign-provider"], 30)
    report.check("pkg-config: providerdir of sdksign-provider.pc is the folder sdksign loads providers from",
                 [] if status == 0 and status_dir == 0 and providerdir.strip() == plugin_dir else
                 [f"exit {status}/{status_dir}: {cflags!r} {providerdir!r}"], providerdir.strip())
    source = os.path.join(source_root, "examples", "provider", "provider.c")
    module = os.path.join(work_dir, "fd.so")
    argv = ["cc", "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fvisibility=hidden", "-shared",
            "-fPIC"] + cflags.split() + ["-o", module, source]
    status, out = run(argv, 120, env=clean_env())
    report.check("the example provider in C compiles against the installed sdksign-dev alone "
                 "(pkg-config --cflags)", [] if status == 0 else [f"{' '.join(argv)}: exit {status}: {out[-1500:]}"])
    if status != 0:
        return
    # Its secret comes from a pipe sdksign inherits; a public test value, not a secret of the test run.
    read_end, write_end = os.pipe()
    os.write(write_end, b"package-test-value-not-a-secret\n")
    os.close(write_end)
    argv = ["/usr/bin/sdksign", "check", "--config=/dev/null", f"--provider-path={module}",
            "--fd.key=package-test-key", f"--fd.secret-fd={read_end}"]
    try:
        completed = subprocess.run(argv, env=clean_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=30, pass_fds=(read_end,))
        status, out = completed.returncode, completed.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired:
        status, out = 124, "timed out after 30 s"
    finally:
        os.close(read_end)
    report.check("the installed sdksign loads it with --provider-path and its credential is usable",
                 [] if status == 0 else [f"exit {status}: {out[-800:]}"])


def purge(report, before, enabled_modules, lighttpd_links):
    """Step 7."""
    files = []
    for package in PACKAGES:
        status, out = run(["dpkg-query", "-L", package], 30)
        files += out.splitlines() if status == 0 else []
    problems = []
    status, out = run(["dpkg", "--purge"] + PACKAGES, APT_TIMEOUT_S, env=clean_env())
    if status != 0:
        problems.append(f"dpkg --purge: exit {status}: {out[-1500:]}")
    if enabled_modules:
        # -p: Apache's record that an admin disabled them goes too, as if they had never been enabled.
        run(["a2dismod", "-q", "-f", "-p"] + enabled_modules, 60, env=clean_env())
    for name in lighttpd_links:
        os.unlink(os.path.join("/etc/lighttpd/conf-enabled", name))
    still = installed_packages()
    if still:
        problems.append(f"dpkg still knows {still}")
    # A folder the packages shared with the system (it was there before) stays; anything else is left over.
    problems += [f"left behind: {path}" for path in sorted({os.path.normpath(p) for p in files})
                 if os.path.lexists(path) and path not in before["dirs"]]
    problems += [f"left behind: {path}" for path in leftovers()]
    after = snapshot()
    problems += [f"{name} changed" for name in ("passwd", "group", "apache modules", "lighttpd modules")
                 if after[name] != before[name]]
    report.check("dpkg --purge leaves nothing behind (package files, /etc/sdksign with the credentials, the "
                 "a2enconf link and Apache's record of it, the lighty-enable-mod link), users, groups and the "
                 "web servers' modules as they were", problems)


def snapshot():
    """What must be the same after the purge as before the install: users, groups, Apache's modules (with
    the state a2enmod and a2dismod keep), lighttpd's enabled files."""
    state = {}
    for name in ("passwd", "group"):
        with open(f"/etc/{name}", encoding="utf-8") as f:
            state[name] = sorted(f.read().splitlines())
    state["apache modules"] = (sorted(run(["a2query", "-m"], 30)[1].splitlines()),
                               sorted(glob.glob("/var/lib/apache2/module/*/*")))
    state["lighttpd modules"] = sorted(glob.glob("/etc/lighttpd/conf-enabled/*"))
    return state


def folders_of(debs):
    """The folders the packages hold that exist before they are installed (shared, never removed)."""
    dirs = set()
    for deb in debs.values():
        out = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], capture_output=True, timeout=60).stdout
        listing = subprocess.run(["tar", "-t"], input=out, capture_output=True, timeout=60).stdout.decode()
        for entry in listing.splitlines():
            path = os.path.normpath("/" + entry.lstrip("./").rstrip("/"))
            if entry.endswith("/") and os.path.isdir(path):
                dirs.add(path)
    return dirs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source-root", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--debs-from", help="while working on this test: skip the build and lintian, install "
                        "the .debs of this folder (a WORK_DIR/src of an earlier run)")
    args = parser.parse_args()
    secret = tokens.make_test_secret()
    report = Report(secret)
    if os.geteuid() != 0:
        report.check("runs as root (it installs and purges packages)", ["not root"])
        return report.finish()
    os.makedirs(args.work_dir, exist_ok=True)
    work_dir = os.path.abspath(args.work_dir)
    lock = open(LOCK_FILE, "w")
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                report.check(f"the lock {LOCK_FILE}", [f"another run held it for {LOCK_WAIT_S} s"])
                return report.finish()
            time.sleep(1)
    there = installed_packages() + [p for p in ("/usr/bin/sdksign", "/etc/sdksign") if os.path.lexists(p)]
    report.check("sdksign is not installed on this machine yet (this test installs and purges it)",
                 [f"already there: {there}; remove it first"] if there else [])
    if there:
        return report.finish()

    built = build_packages(report, args.source_root, work_dir) if args.debs_from is None else \
        earlier_packages(report, args.debs_from)
    if built is None:
        return report.finish()
    debs, version = built
    before = snapshot()
    before["dirs"] = folders_of(debs)
    enabled_modules = []
    lighttpd_links = []
    created_policy = False
    try:
        timer = Timer()
        status, out = run(["apt-get", "install", "-y", "-q", "--no-install-recommends",
                           "-o", "DPkg::Lock::Timeout=300"] + [debs[p] for p in PACKAGES],
                          APT_TIMEOUT_S, env=clean_env())
        report.check("apt-get install of the three .debs", [] if status == 0 else [f"exit {status}: {out[-2000:]}"],
                     f"{timer}")
        if status != 0:
            return report.finish()
        check_nothing_enabled(report)
        plugin_dir = check_installed(report, version)
        configure_credentials(report, secret)
        enabled_modules = sign_through_apache(report, secret)
        lighttpd_links = enable_in_lighttpd(report)
        check_provider_sdk(report, args.source_root, work_dir, plugin_dir)
    finally:
        # The postrm disables what the admin enabled and reloads Apache: not the machine's own one here.
        if not os.path.lexists(POLICY_RC_D):
            with open(POLICY_RC_D, "w", encoding="utf-8") as f:
                f.write("#!/bin/sh\nexit 101\n")
            os.chmod(POLICY_RC_D, 0o755)
            created_policy = True
        try:
            purge(report, before, enabled_modules, lighttpd_links)
        finally:
            if created_policy:
                os.unlink(POLICY_RC_D)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
