#!/usr/bin/env python3
"""The example provider in plain C (examples/provider/provider.c) loaded by the real sdksign, as an operator
loads a third-party provider: `--provider-path` to the built fd.so, its options in the section its table
names ([fd]), each secret read from a pipe the process inherited. `sdksign sign` and `sign --video` return
tokens whose signatures Python's hmac checks with those secrets; `sdksign check` passes; `--help` shows the
provider's description and options; found by name, the file must be called after its table's name (fd.so,
not pipe.so); the file exports its entry point alone. No secret appears in anything sdksign prints.

Usage: example_provider.py --sdksign PATH --provider PATH
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import sanitizers  # noqa: E402  (with evidence.py: keeps the output and secrets for the secret scan)
from harness import reports, tokens  # noqa: E402

KEY = "example-meeting-key"
SECRET = tokens.make_test_secret()
VIDEO_KEY = "example-video-key"
VIDEO_SECRET = tokens.make_test_secret()
REPORT = reports.Report(SECRET, VIDEO_SECRET)
check = REPORT.expect


def environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDKSIGN_", "ZOOM_", "FCGI_"))}
    env.update(sanitizers.environment())
    return env


def run(args, secrets=()):
    """sdksign with `args`, each secret of `secrets` on a pipe of its own whose number `{fd0}`, `{fd1}` in the
    arguments stand for."""
    readers = []
    try:
        for secret in secrets:
            reader, writer = os.pipe()
            os.write(writer, secret.encode("utf-8") + b"\n")
            os.close(writer)
            readers.append(reader)
        command = [ARGS.sdksign]
        for arg in [*args, "--config=/dev/null"]:
            for i, reader in enumerate(readers):
                arg = arg.replace(f"{{fd{i}}}", str(reader))
            command.append(arg)
        result = subprocess.run(command, env=environment(), pass_fds=readers, capture_output=True, timeout=30)
    finally:
        for reader in readers:
            os.close(reader)
    stdout, stderr = result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
    shown = " ".join(a for a in args if "{fd" not in a and "/" not in a)
    check(f"no secret in what sdksign {shown} printed",
          SECRET not in stdout + stderr and VIDEO_SECRET not in stdout + stderr)
    REPORT.check(f"no sanitizer report from sdksign {shown}",
                 sanitizers.problems(stdout + stderr, f"example provider: sdksign {shown}"))
    return result.returncode, stdout, stderr


def signed_with(token, secret):
    parts = token.split(".")
    if len(parts) != 3:
        return False
    mac = hmac.new(secret.encode("utf-8"), (parts[0] + "." + parts[1]).encode("ascii"), hashlib.sha256).digest()
    return hmac.compare_digest(base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii"), parts[2])


def main():
    provider = ["--provider-path", ARGS.provider]
    both = [*provider, f"--fd.key={KEY}", "--fd.secret-fd={fd0}", f"--fd.video-key={VIDEO_KEY}",
            "--fd.video-secret-fd={fd1}"]

    code, out, err = run(["sign", *both, '{"meetingNumber":"123456789","role":0}'], (SECRET, VIDEO_SECRET))
    check("sign exits 0", code == 0, err.strip())
    body = json.loads(out) if code == 0 else {}
    check("the token carries the provider's key", body.get("sdkKey") == KEY, out.strip())
    check("the token is signed with the secret read from the pipe", signed_with(body.get("signature", ""), SECRET))

    code, out, err = run(["sign", "--video", *both, '{"sessionName":"s","role":1}'], (SECRET, VIDEO_SECRET))
    check("sign --video exits 0", code == 0, err.strip())
    signature = json.loads(out).get("signature", "") if code == 0 else ""
    check("the video token is signed with the video secret", signed_with(signature, VIDEO_SECRET))
    check("the video token carries the video key",
          code == 0 and tokens.claims_of(signature).get("app_key") == VIDEO_KEY)

    code, out, err = run(["check", *provider, f"--fd.key={KEY}", "--fd.secret-fd={fd0}"], (SECRET,))
    check("check passes", code == 0, (out + err).strip())
    check("the provider's line comes through the host's logger", "] info fd: read the Meeting SDK secret" in err,
          err.strip())

    code, out, err = run([*provider, "--help"])
    check("--help shows the provider's description",
          code == 0 and f"Provider 'fd' ({ARGS.provider}): reads each SDK secret once" in out, out[-400:])
    check("--help lists its options", "fd.secret-fd" in out and "fd.video-key" in out)

    code, out, err = run(["check", *provider, "--fd.key=k"])
    check("a key without its secret is refused at start-up (exit 2)",
          code == 2 and "key and secret-fd go together" in err, err.strip())

    folder = tempfile.mkdtemp(prefix="sdksign-example-")
    try:
        shutil.copy(ARGS.provider, os.path.join(folder, "fd.so"))
        shutil.copy(ARGS.provider, os.path.join(folder, "pipe.so"))
        code, out, err = run(["check", "--plugin-dir", folder, "--provider", "fd", f"--fd.key={KEY}",
                              "--fd.secret-fd={fd0}"], (SECRET,))
        check("installed as fd.so, it is found by name", code == 0, (out + err).strip())
        code, out, err = run(["check", "--plugin-dir", folder, "--provider", "pipe", "--pipe.key=k"])
        check("as pipe.so, it is refused by that name (its table says fd)",
              code == 2 and "calls itself 'fd', not 'pipe'" in err, err.strip())
    finally:
        shutil.rmtree(folder)

    # Names with a leading underscore are the toolchain's (a sanitizer's, say), never the provider's own.
    listing = subprocess.run(["nm", "-D", "--defined-only", ARGS.provider], capture_output=True, text=True,
                             timeout=30).stdout
    exported = [line.split()[-1] for line in listing.splitlines() if line.strip()]
    own = [name for name in exported if not name.startswith("_")]
    check("it exports its entry point alone", own == ["sdksign_provider_v1"], " ".join(exported))
    return REPORT.finish()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--provider", required=True, help="the built fd.so")
    ARGS = parser.parse_args()
    sys.exit(main())
