#!/usr/bin/env python3
"""`meson install` and the relocatable layouts: where every file goes, and that sdksign finds its plugins.

    test_deploy_install.py --build-root build

Installs the build into a scratch DESTDIR (`meson install --destdir ... --no-rebuild`), then checks:
  - the binary in bindir, the env provider in libdir/sdksign, the configurations (sdksign.conf and the Apache,
    lighttpd and nginx files) in sysconfdir/sdksign, the systemd unit in PREFIX/lib/systemd/system, the
    examples (with the .htaccess one) in datadir/doc/sdksign/examples; every placeholder filled in with the
    install's paths;
  - the installed binary signs with a provider it can only have found through the install's own layout
    (a provider name that exists nowhere else), from the DESTDIR tree and from a copy of it elsewhere;
  - the shared-hosting upload (sdksign and env.so side by side in cgi-bin/) answers a CGI request, and a
    portable tree (bin/sdksign, lib/sdksign/env.so) signs;
  - a lone binary says where it looked;
  - an upgrade keeps the admin's edits: a second `meson install` into the same DESTDIR, after two files of the
    configuration folder were edited, leaves both edits in place, installs the new defaults beside them as
    NAME.dist and says so, and leaves the unedited files alone (no .dist); the first install made no .dist.

Prints one line per check, then "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import filecmp
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile

import run_table
from harness import reports, tokens

CONFIGS = ["sdksign.conf", "apache-fcgid.conf", "apache-cgi.conf", "lighttpd-fastcgi.conf",
           "lighttpd-external.conf", "lighttpd-cgi.conf", "nginx-unix.conf", "nginx-tcp.conf"]
EXAMPLES = ["htaccess.example", "apache-fcgid.conf", "apache-cgi.conf", "lighttpd-fastcgi.conf",
            "lighttpd-external.conf", "lighttpd-cgi.conf", "nginx-unix.conf", "nginx-tcp.conf", "sdksign.service"]


def build_options(build_root):
    out = subprocess.run(["meson", "introspect", "--buildoptions", build_root], capture_output=True, check=True,
                         timeout=60).stdout
    return {o["name"]: o["value"] for o in json.loads(out)}


def under(prefix, path):
    return path if os.path.isabs(path) else os.path.join(prefix, path)


def cgi_sign(binary, secret, provider="env"):
    """One signing request to `binary` run as CGI, the way a web server runs it; (token verifies, detail)."""
    body = b'{"meetingNumber":"123456789","role":0}'
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST",
           "SCRIPT_NAME": "/cgi-bin/sdksign", "PATH_INFO": "", "CONTENT_TYPE": "application/json",
           "CONTENT_LENGTH": str(len(body)), "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
           "SDKSIGN_CONFIG": "/dev/null", "SDKSIGN_PROVIDER": provider,
           "ZOOM_MEETING_SDK_KEY": tokens.TEST_KEY, "ZOOM_MEETING_SDK_SECRET": secret}
    completed = subprocess.run([binary], input=body, env=env, capture_output=True, timeout=30)
    status, _headers, answer, problems = run_table.parse_cgi_output(completed.stdout)
    try:
        ok = status == 200 and tokens.verify_signature(json.loads(answer)["signature"], secret)
    except (ValueError, KeyError, TypeError):
        ok = False
    ok = ok and not problems and completed.returncode == 0
    return ok, f"status {status}: {answer[:200]!r}; {problems}; {describe(completed)}"


def describe(completed):
    return f"exit {completed.returncode}: {completed.stderr.decode(errors='replace').strip()[:400]}"


def check_upgrade_keeps_edits(report, build_root, destdir, conf_dir):
    """The second install into the same DESTDIR, after the admin edited two files of the configuration folder."""
    staged_conf = destdir + conf_dir
    leftovers = sorted(n for n in os.listdir(staged_conf) if n.endswith(".dist"))
    report.check("a first install installs every configuration file as it is, no .dist",
                 [f"found {leftovers}"] if leftovers else [])
    edits = {"sdksign.conf": "\n# edited by the admin\nrequire-user = host\n",
             "nginx-unix.conf": "\n# edited by the admin: the host-signature example turned on\n"}
    for name, addition in edits.items():
        with open(os.path.join(staged_conf, name), "a", encoding="utf-8") as f:
            f.write(addition)
    # Under a terminal, as an admin runs it (`script` gives it one): meson 1.0 shows an install script's
    # output only when it fails, so install_config.py also writes its notice to the terminal.
    command = " ".join(shlex.quote(a) for a in ["meson", "install", "-C", build_root, "--destdir", destdir,
                                                 "--no-rebuild"])
    again = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, timeout=120,
                           stdin=subprocess.DEVNULL)
    output = (again.stdout + again.stderr).decode(errors="replace")
    problems = [] if again.returncode == 0 else [f"exit {again.returncode}: {output[-1500:]}"]
    for name, addition in edits.items():
        path = os.path.join(staged_conf, name)
        with open(path, encoding="utf-8") as f:
            if not f.read().endswith(addition):
                problems.append(f"{name}: the admin's edit is gone")
        default = os.path.join(build_root, "etc" if name == "sdksign.conf" else name.split("-")[0], name)
        try:
            if not filecmp.cmp(path + ".dist", default, shallow=False):
                problems.append(f"{name}.dist is not the new default {default}")
        except OSError as e:
            problems.append(f"{name}.dist: {e}")
        if f"{os.path.join(conf_dir, name)}.dist" not in output.replace("\r\n", "\n"):
            problems.append(f"the install log does not name {name}.dist: {output[-800:]!r}")
    unexpected = sorted(n for n in os.listdir(staged_conf) if n.endswith(".dist")
                        and n[:-len(".dist")] not in edits)
    if unexpected:
        problems.append(f"a .dist beside files nobody edited: {unexpected}")
    report.check("an upgrade (a second meson install) keeps the edited configuration files, installs the new "
                 "defaults as .dist beside them and says so", problems)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-root", required=True)
    args = parser.parse_args()
    secret = tokens.make_test_secret()
    report = reports.Report(secret)
    options = build_options(args.build_root)
    prefix = options["prefix"]
    bindir, libdir = under(prefix, options["bindir"]), under(prefix, options["libdir"])
    sysconf, datadir = under(prefix, options["sysconfdir"]), under(prefix, options["datadir"])
    scratch = tempfile.mkdtemp(prefix="sdksign-install-", dir="/tmp")
    try:
        destdir = os.path.join(scratch, "destdir")
        installed = subprocess.run(["meson", "install", "-C", args.build_root, "--destdir", destdir,
                                    "--no-rebuild", "--quiet"], capture_output=True, timeout=120)
        report.check("meson install --destdir succeeds", [] if installed.returncode == 0 else
                     [f"exit {installed.returncode}: {(installed.stdout + installed.stderr).decode()[-1500:]}"])
        if installed.returncode != 0:
            return report.finish()

        def staged(path):
            return destdir + path

        binary = os.path.join(bindir, "sdksign")
        plugin_dir = os.path.join(libdir, "sdksign")
        conf_dir = os.path.join(sysconf, "sdksign")
        examples = os.path.join(datadir, "doc", "sdksign", "examples")
        mandir = under(prefix, options["mandir"])
        expected = [binary, os.path.join(plugin_dir, "env.so"),
                    os.path.join(prefix, "lib/systemd/system/sdksign.service"),
                    os.path.join(datadir, "doc", "sdksign", "README.md"),
                    os.path.join(datadir, "doc", "sdksign", "SECURITY.md"),
                    os.path.join(mandir, "man8", "sdksign.8"), os.path.join(mandir, "man5", "sdksign.conf.5")]
        # The pages README.md links to, beside it.
        expected += [os.path.join(datadir, "doc", "sdksign", "docs", name + ".md")
                     for name in ("configuration", "credentials", "deploying", "install-debian", "performance",
                                  "providers", "shared-hosting", "testing")]
        expected += [os.path.join(conf_dir, name) for name in CONFIGS]
        expected += [os.path.join(examples, name) for name in EXAMPLES]
        # The web servers' own error answers in sdksign's JSON shape (errors/; .html for lighttpd).
        expected += [os.path.join(datadir, "sdksign", "errors", status + ext)
                     for status in ("413", "500", "502", "503", "504") for ext in (".json", ".html")]
        missing = [p for p in expected if not os.path.isfile(staged(p))]
        report.check("installs the binary, the plugin, the configurations, the unit, the examples, the man "
                     "pages and the docs",
                     [f"missing {missing}"] if missing else [], f"{len(expected)} files under {prefix}")
        report.check("the installed binary is executable",
                     [] if os.access(staged(binary), os.X_OK) else ["not executable"])

        problems = []
        for path in expected:
            if not path.endswith((".conf", ".service", ".example")):
                continue
            with open(staged(path), encoding="utf-8") as f:
                text = f.read()
            leftover = [part for part in text.split("@")[1::2] if part.isupper() and " " not in part]
            if leftover:
                problems.append(f"{path}: placeholders {leftover}")
        for name in ("apache-fcgid.conf", "apache-cgi.conf", "lighttpd-fastcgi.conf", "lighttpd-cgi.conf"):
            with open(staged(os.path.join(conf_dir, name)), encoding="utf-8") as f:
                text = f.read()
            for wanted in (binary, os.path.join(conf_dir, "sdksign.conf")):
                if wanted not in text:
                    problems.append(f"{name} does not name {wanted}")
        with open(staged(os.path.join(prefix, "lib/systemd/system/sdksign.service")), encoding="utf-8") as f:
            unit = f.read()
        if f"ExecStart={binary} --listen /run/sdksign/sdksign.sock" not in unit:
            problems.append("sdksign.service does not start the installed binary on /run/sdksign/sdksign.sock")
        report.check("installed files name the installed paths, no placeholder left", problems)
        check_upgrade_keeps_edits(report, args.build_root, destdir, conf_dir)

        analyze = shutil.which("systemd-analyze")
        if analyze:
            # The unit as installed, but starting the staged binary (verify checks that ExecStart exists).
            unit_copy = os.path.join(scratch, "sdksign.service")
            with open(unit_copy, "w", encoding="utf-8") as f:
                f.write(unit.replace(f"ExecStart={binary} ", f"ExecStart={staged(binary)} "))
            verified = subprocess.run([analyze, "verify", unit_copy], capture_output=True, timeout=60)
            report.check("systemd-analyze verify accepts sdksign.service", [] if verified.returncode == 0 else
                         [f"exit {verified.returncode}: {(verified.stdout + verified.stderr).decode()[-800:]}"])
        else:
            print("(systemd-analyze is not installed: the unit file's syntax is not checked)", flush=True)

        # A provider's file must be named after its table (env.so for "env"), so the staged env.so can only be
        # told from an installed one by there being none in the compiled-in folder: only the
        # executable-relative lookup can then find it.
        compiled_in = os.path.join(plugin_dir, "env.so")
        report.check("no env.so in the compiled-in plugin folder, so only the executable-relative lookup can "
                     "find the staged one", [f"{compiled_in} exists: remove it, or the lookup is not tested"]
                     if os.path.exists(compiled_in) else [])
        ok, detail = cgi_sign(staged(binary), secret)
        report.check("the installed binary finds its plugin folder relative to itself (DESTDIR tree)",
                     [] if ok else [detail])
        moved = os.path.join(scratch, "moved")
        shutil.copytree(destdir, moved, symlinks=True)
        ok, detail = cgi_sign(moved + binary, secret)
        report.check("a copy of the installed tree elsewhere still finds its plugins", [] if ok else [detail])

        # Shared hosting: one folder uploaded into cgi-bin/, the plugin beside the binary; run as CGI.
        cgi_bin = os.path.join(scratch, "public_html", "cgi-bin")
        os.makedirs(cgi_bin)
        shutil.copy2(staged(binary), os.path.join(cgi_bin, "sdksign"))
        shutil.copy2(staged(os.path.join(plugin_dir, "env.so")), os.path.join(cgi_bin, "env.so"))
        ok, detail = cgi_sign(os.path.join(cgi_bin, "sdksign"), secret)
        report.check("cgi-bin upload (sdksign and env.so side by side) answers a CGI request with a token",
                     [] if ok else [detail])

        portable = os.path.join(scratch, "portable")
        os.makedirs(os.path.join(portable, "bin"))
        os.makedirs(os.path.join(portable, "lib", "sdksign"))
        shutil.copy2(staged(binary), os.path.join(portable, "bin", "sdksign"))
        shutil.copy2(staged(os.path.join(plugin_dir, "env.so")), os.path.join(portable, "lib", "sdksign", "env.so"))
        ok, detail = cgi_sign(os.path.join(portable, "bin", "sdksign"), secret)
        report.check("a portable tree (bin/sdksign, lib/sdksign/) finds its plugins", [] if ok else [detail])

        # A provider name that exists nowhere: the message must name every place the binary looked.
        unique = "envtest" + secrets.token_hex(4)
        lone = os.path.join(scratch, "lone")
        os.makedirs(lone)
        shutil.copy2(staged(binary), os.path.join(lone, "sdksign"))
        completed = subprocess.run([os.path.join(lone, "sdksign"), "check", f"--provider={unique}"],
                                   capture_output=True, timeout=30,
                                   env={"PATH": "/usr/bin:/bin", "SDKSIGN_CONFIG": "/dev/null"})
        message = completed.stderr.decode(errors="replace") + completed.stdout.decode(errors="replace")
        wanted = [os.path.join(lone, unique + ".so"), os.path.join(scratch, "lib", "sdksign", unique + ".so")]
        report.check("a binary without plugins fails, naming every place it looked",
                     [] if completed.returncode != 0 and all(w in message for w in wanted) else
                     [f"{describe(completed)}; expected it to name {wanted}"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
