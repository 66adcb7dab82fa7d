#!/usr/bin/env python3
"""`sdksign verify` run as an operator runs it, with the env provider: a token sdksign signed is valid (exit
0, from the argument and from standard input), tokens signed here with Python's hmac that break one rule each
are not (exit 1, naming the cause), what is no token is a usage error (exit 2), --json prints one object
that parses, and neither secret ever appears in what it prints.

Usage: test_verify_command.py --sdksign PATH --plugin-dir DIR
"""
import argparse
import hashlib
import hmac
import json
import subprocess
import sys
import time

import sanitizers
from harness import reports, tokens
from harness.processes import sdksign_environment

KEY = "verify-test-key"
SECRET = tokens.make_test_secret()
VIDEO_KEY = "verify-video-key"
VIDEO_SECRET = tokens.make_test_secret()
OTHER_SECRET = tokens.make_test_secret()
REPORT = reports.Report(SECRET, VIDEO_SECRET, OTHER_SECRET)
check = REPORT.expect
stderr_texts = []


def environment(video=True):
    extra = {"ZOOM_VIDEO_SDK_KEY": VIDEO_KEY, "ZOOM_VIDEO_SDK_SECRET": VIDEO_SECRET} if video else {}
    return sdksign_environment(KEY, SECRET, **extra)


def run(args, stdin=None, video=True):
    result = subprocess.run([ARGS.sdksign, *args, "--plugin-dir", ARGS.plugin_dir], env=environment(video),
                            input=(stdin or "").encode(), capture_output=True, timeout=30)
    stdout, stderr = result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
    stderr_texts.append(stderr)
    leaked = [s for s in (SECRET, VIDEO_SECRET, OTHER_SECRET) if s in stdout or s in stderr]
    check(f"no secret in the output of sdksign {args[0]} {' '.join(a for a in args[1:] if len(a) < 20)}", not leaked)
    return result.returncode, stdout, stderr


def sign(payload, secret):
    head = tokens.b64url_encode(b'{"alg":"HS256","typ":"JWT"}') + "." + \
        tokens.b64url_encode(json.dumps(payload, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode("utf-8"), head.encode("ascii"), hashlib.sha256).digest()
    return head + "." + tokens.b64url_encode(mac)


def meeting_claims(**changes):
    now = int(time.time())
    claims = {"appKey": KEY, "sdkKey": KEY, "mn": "123456789", "role": 0, "iat": now - 30, "exp": now + 7170,
              "tokenExp": now + 7170}
    claims.update(changes)
    return claims


def main():
    code, out, _ = run(["sign", '{"meetingNumber":"123456789","role":1}'])
    check("sdksign sign makes a meeting token", code == 0, out)
    signed = json.loads(out)["signature"] if code == 0 else sign(meeting_claims(), SECRET)

    code, out, _ = run(["verify", signed])
    check("a token sdksign signed is valid: exit 0", code == 0, f"exit {code}: {out}")
    check("one line per rule, the signature's among them", "pass signature:" in out and "pass tokenExp:" in out, out)
    code, out, _ = run(["verify"], stdin=signed + "\n")
    check("the token on standard input: exit 0", code == 0, f"exit {code}: {out}")

    code, out, _ = run(["sign", "--video", '{"sessionName":"s","role":1}'])
    video_token = json.loads(out)["signature"] if code == 0 else ""
    code, out, _ = run(["verify", "--json", video_token])
    report = json.loads(out) if out.strip().startswith("{") else {}
    check("--json: one object, a valid video token", code == 0 and report.get("valid") is True
          and report.get("kind") == "video" and all(r["result"] == "pass" for r in report.get("rules", [])),
          f"exit {code}: {out}")
    code, out, _ = run(["verify", video_token], video=False)
    check("no video credential: exit 1, said plainly", code == 1 and "no Video SDK credential" in out, out)

    failures = [
        ("another secret", sign(meeting_claims(), OTHER_SECRET), "fail signature: made with another secret"),
        ("the video secret", sign(meeting_claims(), VIDEO_SECRET), "fail signature: made with the Video SDK"),
        ("iat in the future", sign(meeting_claims(iat=int(time.time()) + 600, exp=int(time.time()) + 7800,
                                                  tokenExp=int(time.time()) + 7800), SECRET), "--iat-backdate"),
        ("a string iat", sign(meeting_claims(iat=str(int(time.time()) - 30)), SECRET), "fail iat: iat is a string"),
        ("an old JWT-app token", sign({"iss": KEY, "exp": int(time.time()) + 600}, SECRET), "JWT-app token"),
    ]
    for name, token, cause in failures:
        code, out, _ = run(["verify", token])
        check(f"{name}: exit 1 naming the cause", code == 1 and cause in out, f"exit {code}: {out}")
    code, out, _ = run(["verify", "--json", failures[0][1]])
    report = json.loads(out) if out.strip().startswith("{") else {}
    check("--json of an invalid token parses", code == 1 and report.get("valid") is False
          and any(r["rule"] == "signature" and r["result"] == "fail" for r in report.get("rules", [])), out)

    for name, args, stdin in [("not a JWT", ["verify", "hello"], None), ("bad base64url", ["verify", "a.b*.c"], None),
                              ("bad JSON", ["verify", tokens.b64url_encode(b"{") + ".e30.c2ln"], None),
                              ("empty standard input", ["verify"], ""),
                              ("standard input larger than any token", ["verify"], "e30." * 20000),
                              ("two tokens", ["verify", signed, signed], None)]:
        code, out, err = run(args, stdin=stdin)
        check(f"{name}: exit 2 with a message", code == 2 and "sdksign verify:" in err and out == "",
              f"exit {code}: {err}")
        if name.startswith("standard input larger"):
            check("standard input is read up to 64 KiB, not to its end", "larger than any token" in err, err)

    found = sanitizers.problems("\n".join(stderr_texts), "sdksign's stderr")
    check("no sanitizer report in the stderr of any sdksign run", not found, "; ".join(found))
    return REPORT.finish()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--plugin-dir", required=True)
    ARGS = parser.parse_args()
    sys.exit(main())
