#!/usr/bin/env python3
"""Runs the shared request table (requests.json) against one sdksign deployment and checks every answer.

    run_table.py --target lighttpd --sdksign build/src/sdksign --plugin-dir build/plugins/env --source-root .
    run_table.py --target cgi      --sdksign build/src/sdksign --plugin-dir build/plugins/env --source-root .

Targets:
  lighttpd  starts lighttpd with lighttpd/sdksign-serve.conf (the file scripts/serve uses, unchanged) on a free
            port of 127.0.0.1, sends each request with http.client, then stops lighttpd with SIGTERM and checks
            that it and the sdksign processes it spawned are gone within a few seconds.
  cgi       runs the sdksign binary once per request as a CGI program (request in the environment, body on
            stdin) and parses its CGI output; every `Status:` line must carry a reason phrase.

Both targets answer the same table, so they must agree; after it, both send the Video SDK table
(video_requests.json, harness/video.py) with a Video SDK app configured beside the Meeting SDK one. The credentials are a test key and a random test secret
(with a non-ASCII character, so that "the HMAC key is the secret's UTF-8 bytes" is checked too); no response,
sdksign stderr or lighttpd log may contain the secret, and nothing this script prints does. Neither may hold a
sanitizer report (sanitizers.py: in a build with -Db_sanitize=address,undefined, sdksign's memory errors,
undefined behaviour and leaks at exit end up there, not in an exit status this script sees).

The table (requests.json): "settings" (max_body_bytes, given to sdksign as SDKSIGN_MAX_BODY_BYTES),
"default_headers" (expected on every response unless a case overrides them; null = must be absent) and "cases",
each with:
  name, method, path (may carry a query string), headers (request headers),
  body (text, sent as UTF-8) or body_hex (raw bytes), body_pad_to (append spaces up to this many bytes),
  expect:
    status       the HTTP status
    headers      more expected headers (override default_headers; null = must be absent)
    body_empty   true: no body (HEAD, 204)
    errors       for error bodies: the `property` of each entry of {"errors":[...]}, in order
    reasons      optional: the exact `reason` of each error, in order
    reason_contains  optional: substrings that some reason must contain
    json         the exact JSON body
    token        for 200 signatures {"signature","sdkKey"}: claims (names in order), mn ("string"/"integer"),
                 mn_value, role, lifetime (exp - iat), video_webrtc_mode; the signature must verify with the
                 test secret and appKey/sdkKey must be the test key.

Prints one line per case and per extra check, then "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse

import sanitizers
from harness.network import find_headers, free_port, http_request, listening_addresses, wait_until_serving
from harness.processes import (STOP_TIMEOUT_S, children_of, exe_of, group_members, read_text, short_temp_dir,
                               stop_process, wait_gone)
from harness import video
from harness.reports import Report
from harness.tokens import TEST_KEY, b64url_decode, make_test_secret, verify_signature


JWT_HEADER_SEGMENT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"  # {"alg":"HS256","typ":"JWT"}


# ---------------------------------------------------------------------------------------------- the table

def load_table(path):
    with open(path, encoding="utf-8") as f:
        table = json.load(f)
    names = [case["name"] for case in table["cases"]]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise SystemExit(f"{path}: duplicate case names {sorted(duplicates)}")
    return table


def request_body(case):
    if "body_hex" in case:
        body = bytes.fromhex(case["body_hex"])
    elif "body" in case:
        body = case["body"].encode("utf-8")
    else:
        body = b""
    pad_to = case.get("body_pad_to")
    if pad_to is not None:
        body += b" " * (pad_to - len(body))
    return body


def check_token(body, expect, key, secret, now):
    problems = []
    try:
        document = json.loads(body, object_pairs_hook=lambda pairs: pairs)
    except ValueError as e:
        return [f"body is not JSON ({e})"]
    if [k for k, _ in document] != ["signature", "sdkKey"]:
        return [f"body keys are {[k for k, _ in document]}, expected ['signature', 'sdkKey']"]
    fields = dict(document)
    if fields["sdkKey"] != key:
        problems.append("sdkKey is not the test key")
    token = fields["signature"]
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        return problems + ["signature is not a three-part JWT"]
    if parts[0] != JWT_HEADER_SEGMENT:
        problems.append(f"JWT header segment is {b64url_decode(parts[0])!r}")
    if not verify_signature(token, secret):
        problems.append("signature does not verify with the test secret (HMAC-SHA256 over the UTF-8 secret)")
    try:
        claims_pairs = json.loads(b64url_decode(parts[1]), object_pairs_hook=lambda pairs: pairs)
    except ValueError as e:
        return problems + [f"payload is not JSON ({e})"]
    names = [k for k, _ in claims_pairs]
    claims = dict(claims_pairs)
    spec = expect["token"]
    if names != spec["claims"]:
        problems.append(f"claims {names}, expected {spec['claims']}")
    if claims.get("appKey") != key or claims.get("sdkKey") != key:
        problems.append("appKey/sdkKey claims are not the test key")
    iat, exp = claims.get("iat"), claims.get("exp")
    if type(iat) is not int or type(exp) is not int:
        problems.append(f"iat/exp are not integers: {iat!r}, {exp!r}")
    else:
        if abs(iat - now) > 60:
            problems.append(f"iat {iat} is {iat - now} s away from now")
        if exp - iat != spec["lifetime"]:
            problems.append(f"exp - iat = {exp - iat}, expected {spec['lifetime']}")
        if claims.get("tokenExp") != exp:
            problems.append(f"tokenExp {claims.get('tokenExp')!r} != exp {exp}")
    if "mn" in spec:
        mn = claims.get("mn")
        kind = "string" if isinstance(mn, str) else "integer" if type(mn) is int else type(mn).__name__
        if kind != spec["mn"]:
            problems.append(f"mn is a {kind}, expected a {spec['mn']}")
        if "mn_value" in spec and mn != spec["mn_value"]:
            problems.append(f"mn is {mn!r}, expected {spec['mn_value']!r}")
    for claim in ("role", "video_webrtc_mode"):
        if claim in spec and (type(claims.get(claim)) is not int or claims.get(claim) != spec[claim]):
            problems.append(f"{claim} is {claims.get(claim)!r}, expected {spec[claim]!r}")
    return problems


def check_case(case, result, table, key, secret):
    """Problems with one answer (empty list: as expected). result: (status, headers, body, raw bytes)."""
    status, headers, body, raw = result
    expect = case["expect"]
    problems = []
    if secret.encode("utf-8") in raw:
        problems.append("THE SECRET APPEARS IN THE RESPONSE")
    if status != expect["status"]:
        problems.append(f"status {status}, expected {expect['status']}")
    wanted = dict(table.get("default_headers", {}))
    wanted.update(expect.get("headers", {}))
    for name, value in wanted.items():
        found = find_headers(headers, name)
        if value is None:
            if found:
                problems.append(f"unexpected header {name}: {found[0]}")
        elif found != [value]:
            problems.append(f"header {name} is {found or 'absent'}, expected {value!r}")
    if expect.get("body_empty"):
        if body:
            problems.append(f"expected no body, got {len(body)} bytes")
    if "errors" in expect and not expect.get("body_empty"):
        try:
            document = json.loads(body)
            errors = document["errors"]
            properties = [e["property"] for e in errors]
            reasons = [e["reason"] for e in errors]
            if list(document) != ["errors"]:
                problems.append(f"error body has keys {list(document)}")
            if properties != expect["errors"]:
                problems.append(f"error properties {properties}, expected {expect['errors']}")
            if not all(isinstance(r, str) and r for r in reasons):
                problems.append("an error has an empty reason")
            if "reasons" in expect and reasons != expect["reasons"]:
                problems.append(f"reasons {reasons}, expected {expect['reasons']}")
            for text in expect.get("reason_contains", []):
                if not any(text in r for r in reasons):
                    problems.append(f"no reason mentions {text!r}: {reasons}")
        except (ValueError, KeyError, TypeError) as e:
            problems.append(f"not an error body ({type(e).__name__}): {body[:200]!r}")
    if "json" in expect:
        try:
            if json.loads(body) != expect["json"]:
                problems.append(f"body {body[:200]!r}, expected {expect['json']}")
        except ValueError:
            problems.append(f"body is not JSON: {body[:200]!r}")
    if "token" in expect and status == 200:
        problems += check_token(body, expect, key, secret, int(time.time()))
    return problems


# ------------------------------------------------------------------------------------------ lighttpd target

def credentials_environment(args, secret):
    """The Meeting SDK app's credentials, and the Video SDK app's beside them when args has a video_secret
    (the table's health answers name both)."""
    env = {"ZOOM_MEETING_SDK_KEY": TEST_KEY, "ZOOM_MEETING_SDK_SECRET": secret}
    if getattr(args, "video_secret", None):
        env.update({"ZOOM_VIDEO_SDK_KEY": video.VIDEO_KEY, "ZOOM_VIDEO_SDK_SECRET": args.video_secret})
    return env


def lighttpd_environment(args, table, port, state_dir, secret):
    max_body = table["settings"]["max_body_bytes"]
    return {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        "LANG": "C.UTF-8",
        "SDKSIGN_SERVE_PORT": str(port),
        "SDKSIGN_SERVE_DIR": state_dir,
        "SDKSIGN_SERVE_BIN": os.path.realpath(args.sdksign),
        "SDKSIGN_SERVE_PLUGIN_DIR": os.path.realpath(args.plugin_dir),
        # Same rule as scripts/serve: lighttpd's limit a little above sdksign's.
        "SDKSIGN_SERVE_MAX_REQUEST_KIB": str((max_body + 1023) // 1024 + 16),
        "SDKSIGN_MAX_BODY_BYTES": str(max_body),
        "SDKSIGN_CONFIG": "/dev/null",  # never pick up a system /etc/sdksign/sdksign.conf
        **credentials_environment(args, secret),
    }


def run_lighttpd(args, table, report, secret):
    if args.lighttpd:
        lighttpd = args.lighttpd if os.access(args.lighttpd, os.X_OK) else None
    else:
        lighttpd = shutil.which("lighttpd") or next(
            (p for p in ("/usr/sbin/lighttpd", "/usr/local/sbin/lighttpd") if os.access(p, os.X_OK)), None)
    if lighttpd is None:
        report.check("[lighttpd] lighttpd is installed",
                     [f"lighttpd not found ({args.lighttpd or 'PATH, /usr/sbin, /usr/local/sbin'}): install it (apt-get install "
                      "lighttpd, or run scripts/test, which does)"])
        return
    config = os.path.join(args.source_root, "lighttpd", "sdksign-serve.conf")
    state_dir = short_temp_dir("sdksign-lt-")
    log_path = os.path.join(state_dir, "lighttpd.log")
    process = None
    try:
        syntax = subprocess.run([lighttpd, "-tt", "-f", config], capture_output=True, timeout=20,
                                env=lighttpd_environment(args, table, 1, state_dir, secret))
        report.check("[lighttpd] lighttpd -tt accepts lighttpd/sdksign-serve.conf",
                     [] if syntax.returncode == 0 else
                     [f"exit {syntax.returncode}: {(syntax.stdout + syntax.stderr).decode(errors='replace')}"])
        if syntax.returncode != 0:
            return
        # The port may be taken between choosing it and lighttpd binding it: try a few.
        for attempt in range(3):
            port = free_port()
            env = lighttpd_environment(args, table, port, state_dir, secret)
            with open(log_path, "ab") as log:
                process = subprocess.Popen([lighttpd, "-D", "-f", config], env=env, stdin=subprocess.DEVNULL,
                                           stdout=log, stderr=log, start_new_session=True)
            problem = wait_until_serving(port, process)
            if problem is None or attempt == 2 or "in use" not in read_text(log_path):
                break
            stop_process(process)
        report.check("[lighttpd] serving on 127.0.0.1", [problem] if problem else [],
                     f"port {port}" if not problem else "")
        if problem:
            print(report.scrub(read_text(log_path)[-3000:]), flush=True)
            return

        addresses = listening_addresses(port)
        report.check("[lighttpd] listens on 127.0.0.1 only", [] if addresses == ["127.0.0.1"] else
                     [f"listening on {addresses}"])

        children = children_of(process.pid)
        sdksign_exe = os.path.realpath(args.sdksign)
        report.check("[lighttpd] spawned 2 sdksign FastCGI processes",
                     [] if len(children) == 2 and all(exe_of(p) == sdksign_exe for p in children) else
                     [f"children {[(p, exe_of(p)) for p in children]}"])

        run_cases(table, report, secret, lambda case: send_http(port, case))
        for name, problems, detail in video.run_cases(port, "", video.VIDEO_KEY, args.video_secret):
            report.check(f"[lighttpd] {name}", problems, detail)

        # Stop as a service manager would, and time it.
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
            stopped = []
        except subprocess.TimeoutExpired:
            stopped = [f"lighttpd still running {STOP_TIMEOUT_S:.0f} s after SIGTERM"]
        elapsed = time.monotonic() - started
        report.check(f"[lighttpd] stopped within {STOP_TIMEOUT_S:.0f} s of SIGTERM", stopped, f"{elapsed:.2f} s")
        left = wait_gone(children, max(0.5, STOP_TIMEOUT_S - elapsed))
        left_in_group = [p for p in group_members(process.pid) if p != process.pid]
        report.check("[lighttpd] no sdksign process left", [f"still running: {sorted(set(left + left_in_group))}"]
                     if left or left_in_group else [], f"all gone {time.monotonic() - started:.2f} s after SIGTERM")
        log_text = read_text(log_path)
        report.check("[lighttpd] the error log does not contain the secret",
                     ["THE SECRET APPEARS IN THE LIGHTTPD LOG"]
                     if secret in log_text or args.video_secret in log_text else [])
        # Read after every sdksign process has exited, so a leak report written at exit is in it.
        report.check("[lighttpd] no sanitizer report in the error log (lighttpd's and sdksign's stderr)",
                     sanitizers.problems(log_text, "lighttpd's log"))
        if report.failed:
            print("--- lighttpd log (stderr of lighttpd and sdksign) ---\n" + report.scrub(log_text[-4000:]),
                  flush=True)
    finally:
        if process is not None:
            stop_process(process)
        shutil.rmtree(state_dir, ignore_errors=True)


def send_http(port, case):
    body = request_body(case)
    send = body if body or case["method"] in ("POST", "PUT", "PATCH") else None
    status, _reason, headers, data = http_request(port, case["method"], case["path"], send,
                                                  dict(case.get("headers", {})))
    raw = "".join(f"{n}: {v}\r\n" for n, v in headers).encode("latin-1", "replace") + data
    return (status, headers, data, raw), []


# ----------------------------------------------------------------------------------------------- CGI target

STATUS_LINE = re.compile(r"^(\d{3}) (\S.*)$")


def cgi_environment(args, table, case, body, secret):
    url = urllib.parse.urlsplit(case["path"])
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": "run_table.py",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_ADDR": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "54321",
        "REQUEST_METHOD": case["method"],
        "REQUEST_URI": case["path"],
        "SCRIPT_NAME": "",
        "PATH_INFO": urllib.parse.unquote(url.path),
        "QUERY_STRING": url.query,
        "HTTP_HOST": "127.0.0.1",
        "SDKSIGN_PLUGIN_DIR": args.plugin_dir,
        "SDKSIGN_MAX_BODY_BYTES": str(table["settings"]["max_body_bytes"]),
        "SDKSIGN_CONFIG": "/dev/null",
        **credentials_environment(args, secret),
    }
    env.update(sanitizers.environment())
    if body or case["method"] in ("POST", "PUT", "PATCH"):  # as http.client sends Content-Length: 0
        env["CONTENT_LENGTH"] = str(len(body))
    for name, value in case.get("headers", {}).items():
        if name.lower() == "content-type":
            env["CONTENT_TYPE"] = value
        elif name.lower() != "content-length":
            env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def parse_cgi_output(output):
    """(status, headers, body, problems) from a CGI program's stdout."""
    problems = []
    ends = [(i, len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if (i := output.find(sep)) >= 0]
    if not ends:
        return 0, [], b"", ["no blank line ends the CGI headers"]
    end, sep_len = min(ends)
    head, body = output[:end].decode("latin-1"), output[end + sep_len:]
    headers = []
    for line in re.split(r"\r?\n", head):
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            problems.append(f"malformed CGI header line {line!r}")
            continue
        headers.append((name, value.strip()))
    statuses = find_headers(headers, "Status")
    status = 0
    if len(statuses) != 1:
        problems.append(f"expected one Status header, got {statuses}")
    else:
        match = STATUS_LINE.match(statuses[0])
        if not match:
            problems.append(f"Status header {statuses[0]!r} lacks a reason phrase")
        else:
            status = int(match.group(1))
        headers = [(n, v) for n, v in headers if n.lower() != "status"]
    return status, headers, body, problems


def run_cgi_case(args, table, case, secret, stderr_texts):
    body = request_body(case)
    env = cgi_environment(args, table, case, body, secret)
    completed = subprocess.run([args.sdksign], input=body, env=env, capture_output=True, timeout=20)
    stderr_texts.append(completed.stderr.decode("utf-8", "replace"))
    status, headers, data, problems = parse_cgi_output(completed.stdout)
    if completed.returncode != 0:
        problems.append(f"exit status {completed.returncode}; stderr: "
                        f"{completed.stderr.decode('utf-8', 'replace').strip()[:300]}")
    lengths = find_headers(headers, "Content-Length")
    if lengths and case["method"] != "HEAD" and lengths != [str(len(data))]:
        problems.append(f"Content-Length {lengths} but the body has {len(data)} bytes")
    if case["method"] == "HEAD" and data:
        problems.append("a HEAD answer has a body")
    return (status, headers, data, completed.stdout), problems


def run_cgi(args, table, report, secret):
    stderr_texts = []
    reason_problems = []

    def one(case):
        result, problems = run_cgi_case(args, table, case, secret, stderr_texts)
        reason_problems.extend(f"{case['name']}: {p}" for p in problems if "Status" in p)
        return result, problems

    run_cases(table, report, secret, one)

    # The Video SDK table as a web server would run sdksign for it: the same environment (with the video
    # credential that credentials_environment adds), the JSON body on stdin.
    def send_video(method, path, body, headers):
        case = {"name": f"video {method} {path}", "method": method, "path": path, "headers": headers,
                "body_hex": (body or b"").hex()}
        try:
            (status, answer_headers, data, _raw), problems = one(case)
        except subprocess.TimeoutExpired as e:
            return 0, [], b"", [f"sdksign did not answer within {e.timeout} s"]
        return status, answer_headers, data, problems

    for name, problems, detail in video.run_cases_through(send_video, "", video.VIDEO_KEY, args.video_secret):
        report.check(f"[cgi] {name}", problems, detail)
    report.check("[cgi] every Status: header has a reason phrase", reason_problems)
    report.check("[cgi] no stderr output contains the secret",
                 ["THE SECRET APPEARS IN SDKSIGN'S STDERR"]
                 if any(secret in t or args.video_secret in t for t in stderr_texts) else [])
    report.check("[cgi] no sanitizer report in sdksign's stderr",
                 sanitizers.problems("\n".join(stderr_texts), "sdksign's stderr"))


# ------------------------------------------------------------------------------------------------------ main

def run_cases(table, report, secret, send):
    """send(case) -> ((status, headers, body, raw), transport problems)."""
    for case in table["cases"]:
        try:
            result, problems = send(case)
            problems = problems + check_case(case, result, table, TEST_KEY, secret)
            status = result[0]
        except (OSError, subprocess.TimeoutExpired, http.client.HTTPException) as e:
            problems, status = [f"request failed: {type(e).__name__}: {e}"], "-"
        report.check(case["name"], problems, f"{case['method']} {case['path']} -> {status}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=["lighttpd", "cgi"], required=True)
    parser.add_argument("--sdksign", required=True, help="the built sdksign executable")
    parser.add_argument("--plugin-dir", required=True, help="folder with env.so")
    parser.add_argument("--source-root", required=True, help="the repository (for lighttpd/sdksign-serve.conf)")
    parser.add_argument("--table", help="request table (default: requests.json next to this script)")
    parser.add_argument("--lighttpd", help="lighttpd executable (default: from PATH or /usr/sbin)")
    args = parser.parse_args()
    args.sdksign = os.path.abspath(args.sdksign)
    args.plugin_dir = os.path.abspath(args.plugin_dir)
    args.source_root = os.path.abspath(args.source_root)
    table = load_table(args.table or os.path.join(os.path.dirname(os.path.abspath(__file__)), "requests.json"))

    secret = make_test_secret()
    args.video_secret = video.make_video_secret()
    report = Report(secret, args.video_secret)
    print(f"target {args.target}: {len(table['cases'])} cases from the request table, then "
          f"{len(video.load_cases())} from the Video SDK table", flush=True)
    if args.target == "lighttpd":
        run_lighttpd(args, table, report, secret)
    else:
        run_cgi(args, table, report, secret)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
