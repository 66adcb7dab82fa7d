#!/usr/bin/env python3
"""What a client can put into a CGI process's command line and environment through Apache, with the shipped
apache/sdksign-cgi.conf.in (mod_cgid) and apache/htaccess.example (servers.Deployment).

    test_cgi_arguments.py --sdksign build/src/sdksign --plugin-dir build/plugins/env --source-root . \
                          [--target apache-cgi|apache-htaccess ...]

Apache's mod_cgi and mod_cgid follow RFC 3875 section 4.4: a query string without an unencoded '=' is split
at '+', percent-decoded and passed to the program as its arguments, so `?--config%3D/dev/null` arrives as
the argument `--config=/dev/null`. A process started as CGI must ignore its command line whatever it holds.
The deployment's configuration (sdksign.conf for the shipped CGI file, SetEnv SDKSIGN_* in the .htaccess)
asks for a bearer token, an allowed origin (origin-check = reject), one allowed meeting and a user for host
tokens; each request below sends the right bearer token, the allowed origin and the listed meeting unless
it says otherwise, and must be answered exactly as that configuration says:

  ?--env.key-var%3DZOOM_MEETING_SDK_SECRET      a normal token whose sdkKey is the key, never the secret;
  ?--require-user%3Dnone+--origin-check%3Doff+--allowed-meetings%3D999
                                                a host token: 403 (role); another origin: 403 (Origin);
                                                meeting 999: 403 (meetingNumber);
  ?--config%3D/dev/null                         no bearer token: 401 (the file, bearer token included, is
                                                still read);
  ?--provider-path%3D/.../planted.so            a normal token; the planted object (whose constructor would
                                                create a marker file) is never loaded;
  ?--listen%3D127.0.0.1:PORT                    a normal token; nothing listens on PORT, no sdksign is left;
  ?sign, ?check, ?--help, ?--version            a normal token (no subcommand from a request);
  headers Sdksign-Config: /dev/null, Sdksign-Require-User: none, Sdksign-Provider-Path: ...
                                                (HTTP_SDKSIGN_* variables, never configuration): 401
                                                without the bearer token, 403 for a host token.

Also: no log holds the secret or the bearer token, and sdksign logs that it ignored its arguments without
echoing them. And, with sdksign run directly as CGI (target "direct"), a configuration it cannot start with
is still answered with sdksign's JSON 500, and its one log line names the file and line, never the text:
an empty option name (SDKSIGN_=x, a file line " = x") and a malformed file line holding a secret.
Prints one line per check, then "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import http.client
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

import evidence
import run_table
import sanitizers
from harness import access, contract, network, processes, reports, servers, tokens

TARGETS = ["apache-cgi", "apache-htaccess", "direct"]
ALLOWED_ORIGIN = access.ALLOWED_ORIGIN
MEETING = access.LISTED_MEETING
# A CGI request that leaves a server behind never finishes; this bounds the wait for each answer.
REQUEST_TIMEOUT_S = 15.0
# What the shipped .htaccess gets in addition to its bearer-token example: the same policy as sdksign.conf.
HTACCESS_POLICY = (f"SetEnv SDKSIGN_CORS_ORIGIN {ALLOWED_ORIGIN}\nSetEnv SDKSIGN_ORIGIN_CHECK reject\n"
                   f"SetEnv SDKSIGN_ALLOWED_MEETINGS {MEETING}\nSetEnv SDKSIGN_REQUIRE_USER host\n")
PLANTED_SOURCE = r"""
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void planted(void) {
    int fd = open("@MARKER@", O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) close(fd);
}
"""


def plant_shared_object(dep):
    """An uploaded file an attacker would point --provider-path at: loading it creates the marker file.
    Returns (the object's path, the marker's path)."""
    folder = dep.path("upload")
    os.makedirs(folder, mode=0o777, exist_ok=True)
    os.chmod(folder, 0o777)  # the web server's user may create the marker here
    marker = os.path.join(folder, "loaded-marker")
    source = os.path.join(folder, "planted.c")
    with open(source, "w", encoding="ascii") as f:
        f.write(PLANTED_SOURCE.replace("@MARKER@", marker))
    library = os.path.join(folder, "planted.so")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", library, source], check=True, capture_output=True,
                   timeout=60)
    os.chmod(library, 0o755)
    return library, marker


def signed(result, secret, role=0, meeting=MEETING):
    """contract.token_problems, plus: the secret is nowhere in the answer."""
    problems = contract.token_problems(result, secret, role, meeting)
    if secret.encode("utf-8") in result[2]:
        problems.append("THE ANSWER HOLDS THE SECRET")
    return problems


def run_target(target, ctx, report):
    token = evidence.secret(secrets.token_urlsafe(32))
    holder = {}

    def edit(relative, text):
        if relative != "apache/htaccess.example":
            return text
        text = access.enable_example(text, "bearer-token").replace("/home/you/sdksign-token",
                                                                   holder["dep"].path("etc", "bearer-token"))
        return text + HTACCESS_POLICY

    conf = (f"bearer-token-file = @SDKSIGN_CONF_DIR@/bearer-token\ncors-origin = {ALLOWED_ORIGIN}\n"
            f"origin-check = reject\nallowed-meetings = {MEETING}\nrequire-user = host\n")
    dep = servers.Deployment(target, ctx.source_root, ctx.sdksign, ctx.plugin_dir, tokens.TEST_KEY,
                             ctx.secret, conf if target == "apache-cgi" else "",
                             files=access.bearer_file(token), edit_shipped=edit)
    holder["dep"] = dep
    started = time.monotonic()
    try:
        library, marker = plant_shared_object(dep)
        listen_port = network.free_port()
        problems = dep.start()
        report.check(f"[{target}] Apache serves sdksign with the shipped files", problems,
                     f"port {dep.port}" if not problems else "")
        if problems:
            return

        def check(what, found):
            report.check(f"[{target}] {what}", found)

        def sign(query="", role=0, meeting=MEETING, headers=None, bearer=True, origin=ALLOWED_ORIGIN):
            all_headers = {"Content-Type": "application/json", "Origin": origin}
            if bearer:
                all_headers["Authorization"] = "Bearer " + token
            all_headers.update(headers or {})
            try:
                status, _reason, answer_headers, data = network.http_request(
                    dep.port, "POST", dep.url("/") + query, contract.body_of(meeting, role), all_headers,
                    timeout=REQUEST_TIMEOUT_S)
            except (OSError, http.client.HTTPException) as e:
                return 0, [], f"no answer: {type(e).__name__}: {e}".encode()
            return status, answer_headers, data

        secret = ctx.secret
        check("control: no query, the right token: 200, a valid token", signed(sign(), secret))
        check("control: a host token without a user: 403 (role)",
              contract.error_problems(sign(role=1), 403, ["role"], cors=ALLOWED_ORIGIN))

        result = sign("?--env.key-var%3DZOOM_MEETING_SDK_SECRET")
        check("?--env.key-var%3DZOOM_MEETING_SDK_SECRET: a normal token, sdkKey is the key",
              signed(result, secret))

        unlock = "?--require-user%3Dnone+--origin-check%3Doff+--allowed-meetings%3D999"
        check(f"{unlock}, a host token: still 403 (role)",
              contract.error_problems(sign(unlock, role=1), 403, ["role"], cors=ALLOWED_ORIGIN))
        check(f"{unlock}, another origin: still 403 (Origin)",
              contract.error_problems(sign(unlock, origin=access.OTHER_ORIGIN), 403, ["Origin"], cors=None))
        check(f"{unlock}, meeting 999: still 403 (meetingNumber)",
              contract.error_problems(sign(unlock, meeting="999"), 403, ["meetingNumber"], cors=ALLOWED_ORIGIN))

        check("?--config%3D/dev/null without the bearer token: still 401",
              contract.bearer_refusal_problems(sign("?--config%3D/dev/null", bearer=False), cors=ALLOWED_ORIGIN))

        result = sign("?--provider-path%3D" + library)
        problems = signed(result, secret)
        if os.path.exists(marker):
            problems.append("the planted shared object was loaded (its marker file exists)")
        check("?--provider-path%3D<planted .so>: a normal token, the object never loaded", problems)

        result = sign(f"?--listen%3D127.0.0.1:{listen_port}")
        problems = signed(result, secret)
        if processes.wait_for(lambda: network.listening_addresses(listen_port), 1.0):
            problems.append(f"something listens on 127.0.0.1:{listen_port}")
        if not processes.wait_for(lambda: not dep.sdksign_pids(), 5.0):
            problems.append(f"sdksign processes left behind: {dep.sdksign_pids()}")
        check(f"?--listen%3D127.0.0.1:{listen_port}: a normal token, no listener, no process left", problems)

        for query in ("?sign", "?check", "?--help", "?--version", "?serve+--threads%3D0"):
            check(f"{query}: a normal token (no subcommand or option from a request)",
                  signed(sign(query), secret))

        hostile = {"Sdksign-Config": "/dev/null", "Sdksign-Require-User": "none",
                   "Sdksign-Origin-Check": "off", "Sdksign-Provider-Path": library,
                   "Sdksign-Env--Key-Var": "ZOOM_MEETING_SDK_SECRET"}
        check("Sdksign-* request headers (HTTP_SDKSIGN_*) without the bearer token: 401",
              contract.bearer_refusal_problems(sign(headers=hostile, bearer=False), cors=ALLOWED_ORIGIN))
        check("Sdksign-* request headers, a host token: 403 (role)",
              contract.error_problems(sign(role=1, headers=hostile), 403, ["role"], cors=ALLOWED_ORIGIN))
        check("Sdksign-* request headers, an attendee token: a normal token", signed(sign(headers=hostile), secret))
        check("no request loaded the planted shared object", ["the marker file exists"]
              if os.path.exists(marker) else [])

        dep.stop_gracefully()
        logs = dep.all_logs()
        evidence.keep(logs, f"cgi-arguments-{target}")
        leaked = [what for what, text in (("the SDK secret", secret), ("the bearer token", token)) if text in logs]
        check("no log holds the secret or the bearer token", [f"{what} appears in a log" for what in leaked])
        echoed = [word for word in ("ZOOM_MEETING_SDK_SECRET", "allowed-meetings", "planted.so", "/dev/null")
                  if word in logs]
        check("sdksign logs that it ignored its arguments, without echoing them",
              ([] if "ignored" in logs and "command-line argument" in logs else ["no such line in the log"]) +
              [f"the log echoes {word!r}" for word in echoed])
        check("no sanitizer report in the server's log", dep.sanitizer_problems())
        if report.failed:
            print(f"--- {target} logs (last lines) ---\n" + report.scrub(logs[-4000:]).replace(token, "<token>"),
                  flush=True)
    finally:
        dep.remove()
        print(f"     [{target}] {time.monotonic() - started:.1f} s", flush=True)


def run_direct(ctx, report):
    """Start-up failures of sdksign run as CGI: JSON 500 on stdout, one line on stderr without the text."""
    folder = tempfile.mkdtemp(prefix="sdksign-cgi-config-")
    pasted = evidence.secret("hvs." + secrets.token_urlsafe(24))
    try:
        files = {"empty-name.conf": " = x\n", "pasted-secret.conf": f"threads = 2\ntoken {pasted}\n"}
        for name, text in files.items():
            with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
                f.write(text)
        cases = [
            ("SDKSIGN_=x", {"SDKSIGN_": "x", "SDKSIGN_CONFIG": "/dev/null"}, "SDKSIGN_"),
            ("a file line ' = x'", {"SDKSIGN_CONFIG": os.path.join(folder, "empty-name.conf")}, "line 1"),
            ("a file line holding a pasted secret",
             {"SDKSIGN_CONFIG": os.path.join(folder, "pasted-secret.conf")}, "line 2"),
        ]
        for what, variables, named in cases:
            env = {"PATH": "/usr/bin:/bin", "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST",
                   "SCRIPT_NAME": "/zoom/signature", "PATH_INFO": "/", "CONTENT_TYPE": "application/json",
                   "CONTENT_LENGTH": "2", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
                   "SDKSIGN_PLUGIN_DIR": ctx.plugin_dir, "ZOOM_MEETING_SDK_KEY": tokens.TEST_KEY,
                   "ZOOM_MEETING_SDK_SECRET": ctx.secret}
            env.update(sanitizers.environment())
            env.update(variables)
            completed = subprocess.run([ctx.sdksign], input=b"{}", env=env, capture_output=True, timeout=30)
            status, _headers, body, problems = run_table.parse_cgi_output(completed.stdout)
            stderr = completed.stderr.decode("utf-8", "replace")
            evidence.keep(stderr, "cgi-arguments-direct")
            if status != 500 or b'"$server"' not in body:
                problems.append(f"status {status}, body {body[:200]!r}: not sdksign's JSON 500")
            if completed.returncode != 0:
                problems.append(f"exit status {completed.returncode}")
            lines = [line for line in stderr.splitlines() if "configuration" in line]
            if len(lines) != 1 or named not in lines[0]:
                problems.append(f"expected one configuration line naming {named!r}: {stderr.strip()[:300]!r}")
            if pasted in stderr or pasted.encode() in completed.stdout:
                problems.append("THE PASTED SECRET IS IN THE OUTPUT")
            report.check(f"[direct] {what}: sdksign's JSON 500, one log line naming {named!r}, no text of the "
                         "file", [p.replace(pasted, "<pasted secret>") for p in problems])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--plugin-dir", required=True)
    parser.add_argument("--source-root", required=True)
    parser.add_argument("--target", action="append", choices=TARGETS, help="default: all")
    args = parser.parse_args()
    ctx = argparse.Namespace(sdksign=os.path.abspath(args.sdksign), plugin_dir=os.path.abspath(args.plugin_dir),
                             source_root=os.path.abspath(args.source_root), secret=tokens.make_test_secret())
    report = reports.Report(ctx.secret)
    if servers.find_program("apache2") is None or shutil.which("cc") is None:
        report.check("apache2 and cc are installed", ["install apache2 and gcc (scripts/test does)"])
        return report.finish()
    for target in args.target or TARGETS:
        if target == "direct":
            run_direct(ctx, report)
        else:
            run_target(target, ctx, report)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
