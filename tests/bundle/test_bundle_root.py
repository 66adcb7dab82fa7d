#!/usr/bin/env python3
"""scripts/bundle's tarball on a host that has nothing but the C library.

    test_bundle_root.py --tarball dist/sdksign-0.1.0-linux-x86_64.tar.gz --dynamic-sdksign build/src/sdksign

Checks:
  - the tarball holds one folder, sdksign/, with sdksign (mode 755), env.so, file.so, vault.so, .htaccess,
    the five error documents and HOSTING.txt, which names the glibc version the binaries need;
  - `readelf -d` of every binary: no NEEDED beyond libc.so.6 and the dynamic loader (and libm.so.6 and
    libcurl.so.4 for vault.so); the highest GLIBC_ symbol version is at most 2.34;
  - the program has no `cpuid` instruction (`objdump -d`): Botan's CPU probe is replaced;
  - an empty root holding only the dynamic loader, libc.so.6, libm.so.6 and /proc (mounted here, always
    unmounted), with the folder unpacked into it: sdksign run there as CGI with chroot signs a request with
    env.so, and with file.so (a .env file in the root), and both tokens verify. A request to the Video SDK
    endpoint, whose credential is absent, throws and catches the provider's "not found" and answers 404,
    so the static unwinder works there without libgcc_s.so.1 (bundle/dl_find_object.cpp). The commands
    --version, --help (with the env provider's options), check, sign and verify (the token on standard
    input) work there too. The control: the
    normal build's sdksign, which needs Botan, Boost and libfcgi from the system, cannot start there.

Needs root (chroot, mount). Prints one line per check, then "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from harness import reports, tokens  # noqa: E402

FOLDER_FILES = ["sdksign", "env.so", "file.so", "vault.so", ".htaccess", "HOSTING.txt", "413.json", "500.json",
                "502.json", "503.json", "504.json"]
BINARIES = ["sdksign", "env.so", "file.so", "vault.so"]
HIGHEST_GLIBC = (2, 34)
HOST_LIBRARIES = ["libc.so.6", "libm.so.6"]
LIBRARY_DIRS = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"]
BODY = b'{"meetingNumber":"123456789","role":0}'
RUN_TIMEOUT_S = 30


def allowed(binary, needed):
    if needed == "libc.so.6" or needed.startswith("ld-linux"):
        return True
    # libm too would be loaded by every CGI request (bundle/rounding_mode.cpp); vault.so is not.
    return binary == "vault.so" and needed in ("libm.so.6", "libcurl.so.4")


def needed_libraries(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    return [line.split("[", 1)[1].split("]", 1)[0] for line in out.splitlines() if "(NEEDED)" in line]


def glibc_versions(path):
    out = subprocess.run(["readelf", "-W", "--dyn-syms", path], capture_output=True, text=True, check=True).stdout
    found = set()
    for word in out.replace("@", " ").replace("(", " ").replace(")", " ").split():
        if word.startswith("GLIBC_") and word[6:].replace(".", "").isdigit():
            found.add(tuple(int(part) for part in word[6:].split(".")))
    return found


def interpreter(path):
    out = subprocess.run(["readelf", "-l", path], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if "Requesting program interpreter:" in line:
            return line.split(":", 1)[1].strip().rstrip("]").strip()
    return None


def cpuid_instructions(path):
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path], capture_output=True, text=True,
                         check=True).stdout
    return [line.strip() for line in out.splitlines() if line.split("\t")[-1].split(" ")[0] == "cpuid"]


def copy_into_root(root, path):
    """The file at `path` (symlinks followed) into the root at the same path."""
    target = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copy2(os.path.realpath(path), target)


def host_library(name):
    for directory in LIBRARY_DIRS:
        candidate = os.path.join(directory, name)
        if os.path.exists(candidate):
            return candidate
    return None


def run_cgi(root, program, env):
    """sdksign in the root with chroot, as CGI with one signing request: (exit status, stdout, stderr). No
    SDKSIGN_CONFIG=/dev/null as in .htaccess: the root has no /dev, and the default file may be missing."""
    full_env = {"PATH": "/", "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST", "PATH_INFO": "/",
                "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "application/json",
                "CONTENT_LENGTH": str(len(BODY))}
    full_env.update(env)
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    completed = subprocess.run([chroot, root, program], input=BODY, env=full_env, capture_output=True,
                               timeout=RUN_TIMEOUT_S)
    return completed.returncode, completed.stdout, completed.stderr.decode("utf-8", "replace")


def run_command(root, args, env, stdin=b""):
    """sdksign in the root with chroot, as a command (no web server): (exit status, stdout, stderr)."""
    full_env = {"PATH": "/"}
    full_env.update(env)
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    completed = subprocess.run([chroot, root, "/sdksign/sdksign"] + args, input=stdin, env=full_env,
                               capture_output=True, timeout=RUN_TIMEOUT_S)
    return completed.returncode, completed.stdout.decode("utf-8", "replace"), \
        completed.stderr.decode("utf-8", "replace")


def command_problems(result, expected_in_stdout):
    status, out, err = result
    if status == 0 and expected_in_stdout in out:
        return []
    return [f"exit status {status}, stdout {out[:300]!r}, stderr {err[-300:]!r}"]


def signed_problems(result, secret):
    status, out, err = result
    head, _, body = out.partition(b"\r\n\r\n")
    try:
        token = json.loads(body)["signature"]
    except (ValueError, KeyError, TypeError):
        return [f"exit status {status}, answer {out[:300]!r}, stderr {err[-500:]!r}"]
    problems = []
    if not head.startswith(b"Status: 200") or status != 0:
        problems.append(f"exit status {status}, head {head[:200]!r}")
    if not tokens.verify_signature(token, secret):
        problems.append("the token does not verify with the secret")
    return problems


def check_folder(report, folder):
    present = sorted(os.listdir(folder))
    report.check("the tarball holds one folder sdksign/ with the program, the providers, .htaccess, the error "
                 "documents and HOSTING.txt", [] if present == sorted(FOLDER_FILES) else
                 [f"holds {present}"])
    mode = os.stat(os.path.join(folder, "sdksign")).st_mode & 0o777
    report.check("sdksign is mode 755", [] if mode == 0o755 else [f"mode {mode:o}"])
    highest = (0, 0)
    for binary in BINARIES:
        needed = needed_libraries(os.path.join(folder, binary))
        report.check(f"readelf -d {binary}: no NEEDED beyond the C library"
                     f"{' and libcurl.so.4' if binary == 'vault.so' else ''}",
                     [f"needs {name}" for name in needed if not allowed(binary, name)], " ".join(needed))
        highest = max([highest] + list(glibc_versions(os.path.join(folder, binary))))
    shown = ".".join(map(str, highest))
    report.check(f"the binaries need glibc {'.'.join(map(str, HIGHEST_GLIBC))} at most",
                 [] if (0, 0) < highest <= HIGHEST_GLIBC else [f"they need GLIBC_{shown}"], f"GLIBC_{shown}")
    with open(os.path.join(folder, "HOSTING.txt"), encoding="utf-8") as f:
        hosting = f.read()
    report.check("HOSTING.txt names that glibc version", [] if f"glibc {shown} or later" in hosting else
                 [f"no 'glibc {shown} or later' in it"])
    # Botan's CPU probe is replaced (bundle/cpu_features.cpp): were the --wrap to miss, because a later Botan
    # renamed the function, the program would still work, only a few traps per request slower; this says so.
    report.check("the program has no cpuid instruction (Botan's probe reads the C library's copy)",
                 cpuid_instructions(os.path.join(folder, "sdksign")))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tarball", required=True)
    parser.add_argument("--dynamic-sdksign", required=True, help="the normal build's sdksign (the control)")
    args = parser.parse_args()
    secret = tokens.make_test_secret()
    report = reports.Report(secret)
    if os.geteuid() != 0:
        report.check("runs as root", ["this test uses chroot and mounts /proc: run it as root"])
        return report.finish()

    root = tempfile.mkdtemp(prefix="sdksign-bundle-root-")
    proc = os.path.join(root, "proc")
    mounted = False
    try:
        os.chmod(root, 0o755)
        with tarfile.open(args.tarball) as tar:
            names = tar.getnames()
            tar.extractall(root)
        report.check("every path in the tarball is under sdksign/",
                     [name for name in names if name != "sdksign" and not name.startswith("sdksign/")])
        folder = os.path.join(root, "sdksign")
        check_folder(report, folder)

        # What every Linux host has, and nothing else.
        loader = interpreter(os.path.join(folder, "sdksign"))
        missing = []
        for path in [loader] + [host_library(name) for name in HOST_LIBRARIES]:
            if path is None:
                missing.append("a library of the host")
            else:
                copy_into_root(root, path)
        os.makedirs(proc)
        subprocess.run(["mount", "-t", "proc", "proc", proc], check=True)
        mounted = True
        report.check("the root holds only the dynamic loader, libc, libm and /proc", missing,
                     f"loader {loader}")

        result = run_cgi(root, "/sdksign/sdksign", {"ZOOM_MEETING_SDK_KEY": tokens.TEST_KEY,
                                                    "ZOOM_MEETING_SDK_SECRET": secret})
        report.check("in the root, sdksign as CGI with env.so signs, and the token verifies",
                     signed_problems(result, secret))
        # The Video SDK endpoint with only the Meeting credential set: the provider's "not found" is thrown
        # and caught, so the static unwinder runs there without libgcc_s.so.1.
        status, out, err = run_cgi(root, "/sdksign/sdksign", {"ZOOM_MEETING_SDK_KEY": tokens.TEST_KEY,
                                                              "ZOOM_MEETING_SDK_SECRET": secret,
                                                              "PATH_INFO": "/videosdk"})
        report.check("in the root, the Video SDK endpoint without its credential answers 404 JSON (an "
                     "exception thrown and caught)",
                     [] if status == 0 and out.startswith(b"Status: 404") and b'"errors"' in out else
                     [f"exit status {status}, answer {out[:300]!r}, stderr {err[-300:]!r}"])

        # What an admin runs by hand over SSH on the host: the commands work there too.
        credentials = {"ZOOM_MEETING_SDK_KEY": tokens.TEST_KEY, "ZOOM_MEETING_SDK_SECRET": secret}
        report.check("in the root, sdksign --version prints the version",
                     command_problems(run_command(root, ["--version"], {}), "sdksign "))
        report.check("in the root, sdksign --help lists the env provider's options",
                     command_problems(run_command(root, ["--help"], {}), "env.key-var"))
        report.check("in the root, sdksign check reports the credential",
                     command_problems(run_command(root, ["check"], credentials), "ok: provider env"))
        status, out, err = run_command(root, ["sign", BODY.decode()], credentials)
        try:
            token = json.loads(out)["signature"]
        except (ValueError, KeyError, TypeError):
            token = ""
        report.check("in the root, sdksign sign prints a token that verifies",
                     [] if status == 0 and token and tokens.verify_signature(token, secret) else
                     [f"exit status {status}, stdout {out[:300]!r}, stderr {err[-300:]!r}"])
        report.check("in the root, sdksign verify reads the token from standard input and accepts it",
                     command_problems(run_command(root, ["verify"], credentials, token.encode()), "valid"))

        home = os.path.join(root, "home", "you")
        os.makedirs(home)
        with open(os.path.join(home, "zoom.env"), "w", encoding="utf-8") as f:
            f.write(f"ZOOM_MEETING_SDK_KEY={tokens.TEST_KEY}\nZOOM_MEETING_SDK_SECRET={secret}\n")
        os.chmod(os.path.join(home, "zoom.env"), 0o600)
        result = run_cgi(root, "/sdksign/sdksign", {"SDKSIGN_PROVIDER": "file",
                                                    "SDKSIGN_FILE__PATH": "/home/you/zoom.env"})
        report.check("in the root, sdksign as CGI with file.so signs, and the token verifies",
                     signed_problems(result, secret))

        # The control: a binary that needs more than the root has cannot start there.
        shutil.copy2(args.dynamic_sdksign, os.path.join(root, "dynamic-sdksign"))
        status, _, err = run_cgi(root, "/dynamic-sdksign", {"ZOOM_MEETING_SDK_KEY": tokens.TEST_KEY,
                                                            "ZOOM_MEETING_SDK_SECRET": secret})
        report.check("the control: the normal build's sdksign cannot start in that root (shared libraries "
                     "missing)", [] if status != 0 and "error while loading shared libraries" in err else
                     [f"exit status {status}, stderr {err[-300:]!r}"])
    finally:
        if mounted:
            subprocess.run(["umount", proc], check=False)
        if not os.path.ismount(proc):
            shutil.rmtree(root, ignore_errors=True)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
