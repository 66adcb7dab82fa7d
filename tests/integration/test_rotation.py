#!/usr/bin/env python3
"""Secret rotation under load, through a real web server: lighttpd with lighttpd/sdksign-serve.conf spawns two
sdksign FastCGI processes while four client threads sign in a loop; the key and secret are rotated 50 times,
first in a file (provider `file`: atomic renames and in-place rewrites, in several dotenv shapes and JSON-free),
then in the Vault test server (provider `vault`, through the server's control API).

What it checks, for each source:
  - zero failed requests: every answer is a 200 with a token;
  - every token verifies with the secret before or the secret after the rotation it overlaps (its sdkKey
    naming the same credential), never anything else: no torn or stale-by-two credential;
  - every one of the 51 credentials signed some tokens (the rotations were really picked up);
  - neither lighttpd's log nor sdksign's lines contain a secret.

Usage: test_rotation.py --sdksign PATH --file-plugin-dir DIR --source-root DIR [--lighttpd PATH]
                        [--vault-plugin-dir DIR --vault-server tests/integration/vault_server.py]
                        [--rotations 50] [--interval 0.45]
Takes about 25 s per source.
"""
import argparse
import bisect
import json
import os
import secrets
import shutil
import sys
import tempfile
import time

import rotation_support as rs
from harness import tokens

# How often sdksign re-reads the source: well under the rotation interval, so that a process is never more
# than one rotation behind.
REFRESH_MS = 100


def make_credentials(count, label):
    return [(f"rot-{label}-key-{i}", f"rot-{label}-secret-{i}-" + secrets.token_urlsafe(12)) for i in range(count)]


def dotenv_text(index, key, secret):
    """A different shape of the sample's .env each time."""
    shapes = [
        f"ZOOM_MEETING_SDK_KEY={key}\nZOOM_MEETING_SDK_SECRET={secret}\n",
        f"export ZOOM_MEETING_SDK_KEY=\"{key}\"\r\nexport ZOOM_MEETING_SDK_SECRET=\"{secret}\"\r\n",
        f"# rotated\nZOOM_MEETING_SDK_SECRET='{secret}' # comment\n\nZOOM_MEETING_SDK_KEY={key}",
    ]
    return shapes[index % len(shapes)]


def write_atomically(path, text):
    temporary = path + ".tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.rename(temporary, path)


def rewrite_in_place(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def check_tokens(report, label, results, rotation_times, credentials):
    """The checks shared by every source; rotation_times[i - 1] is when credential i started being written."""
    failed = [(round(s, 3), status, body[:120]) for (s, _e, status, body) in results
              if rs.sign_ok(status, body) is None]
    report.check(f"[{label}] zero failed requests under load", failed,
                 f"{len(results)} requests, {len(rotation_times)} rotations")
    wrong = []
    seen = set()
    for start, end, status, body in results:
        token = rs.sign_ok(status, body)
        if token is None:
            continue
        sdk_key = json.loads(body)["sdkKey"]
        newest_at_start = bisect.bisect_right(rotation_times, start)
        newest_at_end = bisect.bisect_right(rotation_times, end)
        allowed = range(max(0, newest_at_start - 1), newest_at_end + 1)
        match = [i for i in allowed if verifies_as(token, sdk_key, credentials[i])]
        if match:
            seen.add(match[0])
            continue
        other = [i for i, c in enumerate(credentials) if verifies_as(token, sdk_key, c)]
        wrong.append(f"a request at rotation {newest_at_start} signed with credential "
                     f"{other[0] if other else 'none'}")
    report.check(f"[{label}] every token verifies with the secret before or after its rotation, never another",
                 wrong, f"{len(results) - len(failed)} tokens checked")
    missing = [i for i in range(len(credentials)) if i not in seen]
    report.check(f"[{label}] all {len(credentials)} credentials signed tokens (every rotation was picked up)",
                 [f"never seen: {missing[:10]}"] if missing else [])


def verifies_as(token, sdk_key, credential):
    key, secret = credential
    if sdk_key != key or not tokens.verify_signature(token, secret):
        return False
    claims = tokens.claims_of(token)
    return claims.get("appKey") == key and claims.get("sdkKey") == key


def run_load_and_rotate(report, label, server, rotate, credentials, interval):
    load = rs.Load(server.port, threads=4, limit_s=interval * len(credentials) + 30)
    rotation_times = []
    try:
        time.sleep(interval)
        for i in range(1, len(credentials)):
            rotation_times.append(time.monotonic())
            rotate(i)
            time.sleep(interval)
        time.sleep(max(interval, 0.5))
    finally:
        results = load.stop()
    check_tokens(report, label, results, rotation_times, credentials)


def check_log(report, label, server, credentials):
    log = server.log()
    leaked = [i for i, (_k, secret) in enumerate(credentials) if secret in log]
    report.check(f"[{label}] no secret in lighttpd's or sdksign's log", [f"secrets {leaked[:5]}"] if leaked else [])


def file_phase(args, report, lighttpd):
    credentials = make_credentials(args.rotations + 1, "file")
    report.secrets += [s for _k, s in credentials]
    directory = tempfile.mkdtemp(prefix="sdksign-rotfile-")
    path = os.path.join(directory, "zoom.env")
    write_atomically(path, dotenv_text(0, *credentials[0]))
    config = (f"provider = file\nrefresh-interval-ms = {REFRESH_MS}\n\n"
              f"[file]\npath = {path}\n")
    server = rs.Lighttpd(lighttpd, args.source_root, args.sdksign, args.file_plugin_dir, config)
    try:
        report.check("[file] lighttpd serves sdksign with the file provider", [server.problem] if server.problem else [],
                     f"port {server.port}")
        if server.problem:
            print(report.scrub(server.log()[-3000:]), flush=True)
            return

        def rotate(i):
            text = dotenv_text(i, *credentials[i])
            (write_atomically if i % 2 else rewrite_in_place)(path, text)

        run_load_and_rotate(report, "file", server, rotate, credentials, args.interval)
        check_log(report, "file", server, credentials)
    finally:
        server.close()
        shutil.rmtree(directory, ignore_errors=True)


def vault_phase(args, report, lighttpd):
    credentials = make_credentials(args.rotations + 1, "vault")
    report.secrets += [s for _k, s in credentials]
    vault = rs.VaultServer(args.vault_server)
    server = None
    try:
        vault.write_secret(*credentials[0])
        server = rs.Lighttpd(lighttpd, args.source_root, args.sdksign, args.vault_plugin_dir,
                             rs.vault_config(vault.address, refresh_ms=REFRESH_MS))
        report.check("[vault] lighttpd serves sdksign with the vault provider",
                     [server.problem] if server.problem else [], f"port {server.port}")
        if server.problem:
            print(report.scrub(server.log()[-3000:]), flush=True)
            return
        run_load_and_rotate(report, "vault", server, lambda i: vault.write_secret(*credentials[i]), credentials,
                            args.interval)
        check_log(report, "vault", server, credentials)
    finally:
        if server is not None:
            server.close()
        vault.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--file-plugin-dir", required=True)
    parser.add_argument("--vault-plugin-dir")
    parser.add_argument("--vault-server")
    parser.add_argument("--source-root", required=True)
    parser.add_argument("--lighttpd")
    parser.add_argument("--rotations", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.45, help="seconds between rotations")
    args = parser.parse_args()

    report = rs.Report()
    lighttpd = rs.find_lighttpd(args.lighttpd)
    report.check("lighttpd is installed", [] if lighttpd else
                 ["lighttpd not found: install it (apt-get install lighttpd, or run scripts/test, which does)"])
    if lighttpd:
        started = time.monotonic()
        file_phase(args, report, lighttpd)
        print(f"     (file phase took {time.monotonic() - started:.1f} s)", flush=True)
        if args.vault_plugin_dir and args.vault_server:
            started = time.monotonic()
            vault_phase(args, report, lighttpd)
            print(f"     (vault phase took {time.monotonic() - started:.1f} s)", flush=True)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
