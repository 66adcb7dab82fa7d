#!/usr/bin/env python3
"""scripts/serve end to end: it reads a .env file, starts lighttpd + sdksign on 127.0.0.1:$PORT, signs the
README request of Zoom's sample with the .env credentials (and the Video SDK sample's README request on
/videosdk with the .env's Video SDK lines), and stops completely on SIGINT.

    test_serve_script.py --source-root . --build-root build [--lighttpd /usr/sbin/lighttpd]

Runs scripts/serve with SDKSIGN_SKIP_INSTALL=1 (no apt-get, no build), SDKSIGN_BUILD_DIR=the build root,
SDKSIGN_ENV_FILE=a temporary .env written in the awkward-but-valid dotenv forms users have (CRLF, `export`,
comments, quotes, spaces around `=`), and a scratch SDKSIGN_SERVE_DIR. The .env secret is random and never
printed; no output of scripts/serve, lighttpd or sdksign may contain it.

Prints one line per check, then "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # the modules imported below must not leave __pycache__ in the source tree
import evidence
import sanitizers
from harness.contract import server_error_problems
from harness.network import exchange, free_port, http_request, listening_addresses, wait_until_serving
from harness.processes import children_of, exe_of, group_members, kill_group, read_text, short_temp_dir, wait_gone
from harness import video
from harness.reports import Report
from harness.tokens import verify_signature

STOP_TIMEOUT_S = 5.0
README_BODY = b'{"meetingNumber":"123456789","role":0}'
# The request of the Video SDK sample's README.
VIDEO_BODY = b'{"sessionName":"Cool Cars","role":1,"sessionKey":"session123","userIdentity":"user123"}'


def serve_environment(args, port, env_file, serve_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDKSIGN_", "ZOOM_"))}
    if args.lighttpd:
        env["PATH"] = os.path.dirname(args.lighttpd) + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    env.update({
        "PORT": str(port),
        "SDKSIGN_SKIP_INSTALL": "1",
        "SDKSIGN_BUILD_DIR": args.build_root,
        "SDKSIGN_ENV_FILE": env_file,
        "SDKSIGN_SERVE_DIR": serve_dir,
        "SDKSIGN_CONFIG": "/dev/null",
        # The .env file wins over variables already in the environment (documented in scripts/serve).
        "ZOOM_MEETING_SDK_KEY": "key-from-the-environment",
        "ZOOM_MEETING_SDK_SECRET": "secret-from-the-environment",
    })
    return env


def start_serve(args, env, scratch, name):
    out_path = os.path.join(scratch, name + ".out")
    err_path = os.path.join(scratch, name + ".err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen([os.path.join(args.source_root, "scripts", "serve")], env=env,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True,
                                   cwd=scratch)
    return process, out_path, err_path


def run_to_exit(args, env, scratch, name, timeout_s=20.0):
    process, out_path, err_path = start_serve(args, env, scratch, name)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        kill_group(process.pid)
        process.wait(timeout=5)
        return None, read_text(out_path) + read_text(err_path)
    return process.returncode, read_text(out_path) + read_text(err_path)


def wait_for_line(path, needle, process, timeout_s=20.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in read_text(path).splitlines():
            if needle in line:
                return line
        if process.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def stop_and_check(report, label, process, send_signal):
    """Sends SIGINT (to lighttpd alone, or to the whole group as a terminal's Ctrl-C does) and checks that
    lighttpd and every sdksign process it spawned are gone within STOP_TIMEOUT_S."""
    children = children_of(process.pid)
    report.check(f"{label}: lighttpd spawned 2 sdksign processes",
                 [] if len(children) == 2 and all(os.path.basename(exe_of(p) or "") == "sdksign" for p in children)
                 else [f"children {[(p, exe_of(p)) for p in children]}"])
    started = time.monotonic()
    send_signal()
    problems = []
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        problems.append(f"still running {STOP_TIMEOUT_S:.0f} s after SIGINT")
    left = wait_gone(children, max(0.5, STOP_TIMEOUT_S - (time.monotonic() - started)))
    left += [p for p in group_members(process.pid) if p != process.pid and p not in left]
    if left:
        problems.append(f"processes left: {left}")
    report.check(f"{label}: everything stopped after SIGINT", problems,
                 f"{time.monotonic() - started:.2f} s, exit status {process.returncode}")
    kill_group(process.pid)


def check_own_errors(args, report, env_file, scratch, serve_dir):
    """lighttpd's own answers in sdksign's JSON shape with CORS: a body over lighttpd's limit (413, $body), and
    sdksign killed while it cannot start again (503, $server). Runs scripts/serve on a copy of the build's
    sdksign and env.so (the copy is made unstartable, never the build's). Returns the output."""
    build = os.path.join(scratch, "build-copy")
    os.makedirs(os.path.join(build, "src"), exist_ok=True)
    os.makedirs(os.path.join(build, "plugins", "env"), exist_ok=True)
    binary = os.path.join(build, "src", "sdksign")
    shutil.copy2(os.path.join(args.build_root, "src", "sdksign"), binary)
    shutil.copy2(os.path.join(args.build_root, "plugins", "env", "env.so"), os.path.join(build, "plugins", "env"))
    port = free_port()
    env = serve_environment(args, port, env_file, serve_dir)
    env["SDKSIGN_BUILD_DIR"] = build
    process, out_path, err_path = start_serve(args, env, scratch, "serve-errors")
    try:
        problem = wait_until_serving(port, process)
        report.check("lighttpd's own errors: serving", [problem] if problem else [])
        if problem:
            return read_text(out_path) + read_text(err_path)
        body = README_BODY + b" " * (1024 * 1024)
        head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Origin: https://meet.example.com\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
        try:
            problems = server_error_problems(exchange(port, head.encode(), [body]), (413,), "$body")
        except OSError as e:
            problems = [f"no answer: {type(e).__name__}: {e}"]
        report.check("a body over lighttpd's own limit (1 MiB): lighttpd's 413 in sdksign's JSON shape ($body) with "
                     "CORS", problems)
        os.chmod(binary, 0o644)
        children = children_of(process.pid)
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        wait_gone(children, 5.0)
        head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(README_BODY)}\r\nConnection: close\r\n\r\n")
        try:
            problems = server_error_problems(exchange(port, head.encode(), [README_BODY]), (500, 502, 503, 504),
                                             "$server")
        except OSError as e:
            problems = [f"no answer: {type(e).__name__}: {e}"]
        report.check("sdksign killed and unable to start: lighttpd's 5xx in sdksign's JSON shape ($server) with CORS",
                     problems)
    finally:
        output = end_serve(process, out_path, err_path)
    return output


def end_serve(process, out_path, err_path):
    """Ends a scripts/serve run (its whole process group) and returns everything it printed."""
    kill_group(process.pid)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    return read_text(out_path) + read_text(err_path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source-root", required=True)
    parser.add_argument("--build-root", required=True)
    parser.add_argument("--lighttpd", help="lighttpd executable (its folder goes first in PATH)")
    args = parser.parse_args()
    args.source_root = os.path.abspath(args.source_root)
    args.build_root = os.path.abspath(args.build_root)

    key = "serve-test-key"
    secret = evidence.secret("sërve #" + secrets.token_urlsafe(24))  # '#' and a blank: only quoting keeps them
    video_secret = evidence.secret("vidéo-" + secrets.token_urlsafe(24))
    report = Report(secret, video_secret)
    scratch = short_temp_dir("sdksign-serve-")
    serve_dir = os.path.join(scratch, "run")
    env_file = os.path.join(scratch, "zoom.env")
    with open(env_file, "wb") as f:
        f.write(("# Zoom Meeting SDK credentials (Marketplace > App Credentials)\r\n"
                 "\r\n"
                 f"export ZOOM_MEETING_SDK_KEY = \"{key}\"   # client id\r\n"
                 f"ZOOM_MEETING_SDK_SECRET='{secret}'\r\n"
                 "  # indented comment\r\n"
                 "PORT_FROM_SAMPLE=4000 # ignored\r\n"
                 "# The Video SDK sample's lines: /videosdk too\r\n"
                 f"ZOOM_VIDEO_SDK_KEY={video.VIDEO_KEY}\r\n"
                 f"ZOOM_VIDEO_SDK_SECRET=\"{video_secret}\"\r\n").encode("utf-8"))
    outputs = []
    try:
        if shutil.which("lighttpd", path=serve_environment(args, 1, env_file, serve_dir)["PATH"]) is None:
            report.check("lighttpd is installed", ["lighttpd not found in PATH: install it (apt-get install "
                                                   "lighttpd, or run scripts/test, which does)"])
            return report.finish()

        # Refusals: clear message, non-zero exit, quickly.
        env = serve_environment(args, free_port(), os.path.join(scratch, "missing.env"), serve_dir)
        status, text = run_to_exit(args, env, scratch, "missing")
        outputs.append(text)
        report.check("missing .env: exits non-zero with an example", [] if status not in (0, None) and
                     "ZOOM_MEETING_SDK_KEY=" in text and "ZOOM_MEETING_SDK_SECRET=" in text and "missing.env" in text
                     else [f"exit {status}, output {text[-600:]!r}"])
        no_secret = os.path.join(scratch, "no-secret.env")
        with open(no_secret, "w") as f:
            f.write(f"ZOOM_MEETING_SDK_KEY={key}\nZOOM_MEETING_SDK_SECRET=\n")
        status, text = run_to_exit(args, serve_environment(args, free_port(), no_secret, serve_dir), scratch,
                                   "no-secret")
        outputs.append(text)
        report.check(".env with an empty secret: exits non-zero naming it",
                     [] if status not in (0, None) and "ZOOM_MEETING_SDK_SECRET" in text
                     else [f"exit {status}, output {text[-600:]!r}"])
        env = serve_environment(args, 1, env_file, serve_dir)
        env["PORT"] = "http"
        status, text = run_to_exit(args, env, scratch, "bad-port")
        outputs.append(text)
        report.check("PORT that is not a number: exits non-zero", [] if status not in (0, None) and "PORT" in text
                     else [f"exit {status}, output {text[-600:]!r}"])

        # Serve, sign the README request, stop with SIGINT to lighttpd (what `kill -INT` does).
        for label, whole_group in (("SIGINT to lighttpd", False), ("Ctrl-C (SIGINT to the process group)", True)):
            port = free_port()
            process, out_path, err_path = start_serve(args, serve_environment(args, port, env_file, serve_dir),
                                                      scratch, "serve")
            try:
                line = wait_for_line(out_path, "listening on", process)
                url = f"http://127.0.0.1:{port}/"
                report.check(f"{label}: prints where it listens and an example curl",
                             [] if line and url in line and "curl" in line else
                             [f"no such line; output: {(read_text(out_path) + read_text(err_path))[-800:]!r}"])
                problem = wait_until_serving(port, process)
                report.check(f"{label}: serving on port {port}", [problem] if problem else [])
                if problem:
                    continue
                addresses = listening_addresses(port)
                report.check(f"{label}: listens on 127.0.0.1 only",
                             [] if addresses == ["127.0.0.1"] else [f"listening on {addresses}"])
                status, _reason, headers, body = http_request(port, "POST", "/", README_BODY,
                                                              {"Content-Type": "application/json"})
                problems = [] if status == 200 else [f"status {status}: {body[:300]!r}"]
                if status == 200:
                    answer = json.loads(body)
                    if answer.get("sdkKey") != key:
                        problems.append(f"sdkKey {answer.get('sdkKey')!r}, expected the .env key {key!r}")
                    if not verify_signature(answer.get("signature", ""), secret):
                        problems.append("the token does not verify with the .env secret")
                report.check(f"{label}: README request signed with the .env credentials", problems)
                if not whole_group:
                    status, _reason, headers, body = http_request(port, "POST", "/videosdk", VIDEO_BODY,
                                                                  {"Content-Type": "application/json"})
                    problems = [] if status == 200 else [f"status {status}: {body[:300]!r}"]
                    if status == 200 and not verify_signature(json.loads(body).get("signature", ""), video_secret):
                        problems.append("the token does not verify with the .env's Video SDK secret")
                    report.check(f"{label}: the video sample's README request signed on /videosdk", problems)
                if whole_group:
                    stop_and_check(report, label, process, lambda: os.killpg(process.pid, signal.SIGINT))
                else:
                    stop_and_check(report, label, process, lambda: process.send_signal(signal.SIGINT))
            finally:
                outputs.append(end_serve(process, out_path, err_path))
        outputs.append(check_own_errors(args, report, env_file, scratch, serve_dir))
        report.check("no output contains the secret",
                     ["THE SECRET APPEARS IN THE OUTPUT"]
                     if any(secret in text or video_secret in text for text in outputs) else [])
        # The output of scripts/serve holds lighttpd's stderr, which the sdksign processes it spawned inherit.
        report.check("no sanitizer report in the output (lighttpd's and sdksign's stderr)",
                     sanitizers.problems("\n".join(outputs), "the output of scripts/serve"))
        if report.failed:
            print("--- output of the last scripts/serve run ---\n" + report.scrub(outputs[-1][-4000:]), flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
