#!/usr/bin/env python3
"""Secret rotation under load, through a real web server: lighttpd with lighttpd/sdksign-serve.conf spawns two
sdksign FastCGI processes while four client threads sign in a loop; the credentials are rotated by 50 writes
of a file (provider `file`: atomic renames and in-place rewrites, in several dotenv shapes), then 50 times in
the Vault test server (provider `vault`, through the server's control API).

The file holds a Meeting SDK and a Video SDK credential, and the load mixes `POST /` and `POST /videosdk`: most
writes change both credentials, every fifth changes only the Video SDK one and another fifth only the Meeting
SDK one, so each is seen rotating with the other and alone. The Vault phase does the same with the two
credentials at two secret paths (`path`, `video-path`), each rotation written path by path.

What it checks, for each source and each rotated credential:
  - zero failed requests: every answer is a 200 with a token;
  - every token verifies (HMAC-SHA256 over its first two segments, in Python) with the secret before or the
    secret after the rotation it overlaps, its key (sdkKey and appKey, or app_key) naming the same
    credential, never anything else: no torn or stale-by-two credential, and never the other SDK's;
  - once the last rotation has settled (one rotation interval after it began), only the newest credential;
  - every credential signed some tokens (the rotations were really picked up);
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
# How long the load goes on once the last rotation has settled: its answers must all be the newest credential's.
SETTLED_LOAD_S = 0.5
# In the file, write i leaves the Meeting SDK credential as it was when i % 5 == 0, the Video SDK one when
# i % 5 == 3; every other write changes both.
KEPT_AT = {"meeting": 0, "video": 3}


def changes(i, kind):
    """Whether write i of a source changes the `kind` credential (see KEPT_AT)."""
    return i % 5 != KEPT_AT[kind]


def make_credentials(count, label):
    return [(f"rot-{label}-key-{i}", f"rot-{label}-secret-{i}-" + secrets.token_urlsafe(12)) for i in range(count)]


class Rotation:
    """One credential rotated in a source: its successive (key, secret) values and when the write of each
    after the first began."""

    def __init__(self, kind, label, count, report):
        self.kind = kind
        self.request = rs.MEETING_REQUEST if kind == "meeting" else rs.VIDEO_REQUEST
        self.credentials = make_credentials(count, label)
        report.secrets += [s for _k, s in self.credentials]
        self.times = []  # times[i - 1]: when credentials[i] began to be written

    def current(self):
        return self.credentials[len(self.times)]

    def advance(self, when):
        self.times.append(when)
        return self.current()

    def signed_by(self, body, token, credential):
        """True when the answer `body` with its JWT `token` was signed with `credential` (key and secret)."""
        key, secret = credential
        if not tokens.verify_signature(token, secret):
            return False
        claims = tokens.claims_of(token)
        document = json.loads(body)
        if self.kind == "meeting":
            return document.get("sdkKey") == key and claims.get("appKey") == key and claims.get("sdkKey") == key
        return list(document) == ["signature"] and claims.get("app_key") == key


def rotations_for(label, writes, report):
    """The Meeting and the Video SDK credential of a source written `writes` times, each with one more
    credential than the writes that change it."""
    return [Rotation(kind, f"{label}-{kind}", 1 + sum(1 for i in range(1, writes + 1) if changes(i, kind)), report)
            for kind in KEPT_AT]


def dotenv_text(index, meeting, video):
    """A different shape of the samples' .env each time: the Meeting SDK lines (key, secret), the Video SDK
    lines (key, secret)."""
    (meeting_key, meeting_secret), (video_key, video_secret) = meeting, video
    shapes = [
        f"ZOOM_MEETING_SDK_KEY={meeting_key}\nZOOM_MEETING_SDK_SECRET={meeting_secret}\n"
        f"ZOOM_VIDEO_SDK_KEY={video_key}\nZOOM_VIDEO_SDK_SECRET={video_secret}\n",
        f"export ZOOM_VIDEO_SDK_KEY=\"{video_key}\"\r\nexport ZOOM_VIDEO_SDK_SECRET=\"{video_secret}\"\r\n"
        f"export ZOOM_MEETING_SDK_KEY=\"{meeting_key}\"\r\nexport ZOOM_MEETING_SDK_SECRET=\"{meeting_secret}\"\r\n",
        f"# rotated\nZOOM_MEETING_SDK_SECRET='{meeting_secret}' # comment\nZOOM_VIDEO_SDK_SECRET='{video_secret}'\n\n"
        f"ZOOM_VIDEO_SDK_KEY={video_key} # comment\nZOOM_MEETING_SDK_KEY={meeting_key}",
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


def check_tokens(report, label, results, rotation, settle_s):
    """The checks shared by every source, on the answers of one rotated credential."""
    failed = [(round(r.start, 3), r.status, r.body[:120]) for r in results if rs.sign_ok(r.status, r.body) is None]
    report.check(f"[{label}] zero failed requests under load", failed,
                 f"{len(results)} requests, {len(rotation.times)} rotations")
    credentials = rotation.credentials
    newest = len(credentials) - 1
    settled_at = rotation.times[-1] + settle_s if rotation.times else float("-inf")
    wrong, stale, seen, settled = [], [], set(), 0
    for result in results:
        token = rs.sign_ok(result.status, result.body)
        if token is None:
            continue
        newest_at_start = bisect.bisect_right(rotation.times, result.start)
        newest_at_end = bisect.bisect_right(rotation.times, result.end)
        allowed = range(max(0, newest_at_start - 1), newest_at_end + 1)
        match = [i for i in allowed if rotation.signed_by(result.body, token, credentials[i])]
        if match:
            signer = match[0]
            seen.add(signer)
        else:
            other = [i for i, c in enumerate(credentials) if rotation.signed_by(result.body, token, c)]
            signer = other[0] if other else "none of this kind"
            wrong.append(f"a request at rotation {newest_at_start} signed with credential {signer}")
        if result.start >= settled_at:
            settled += 1
            if signer != newest:
                stale.append(f"a request {result.start - settled_at:.2f} s after the last rotation settled "
                             f"signed with credential {signer}, not {newest}")
    report.check(f"[{label}] every token verifies with the secret before or after its rotation, never another",
                 wrong, f"{len(results) - len(failed)} tokens checked")
    report.check(f"[{label}] once the last rotation has settled ({settle_s:.2f} s), only the newest credential",
                 stale if settled else ["no request started after the last rotation had settled"],
                 f"{settled} tokens")
    missing = [i for i in range(len(credentials)) if i not in seen]
    report.check(f"[{label}] all {len(credentials)} credentials signed tokens (every rotation was picked up)",
                 [f"never seen: {missing[:10]}"] if missing else [])


def run_load_and_rotate(report, label, server, rotate, writes, rotations, interval):
    """Signs with every rotation's request in turn while rotate(i, when) makes writes 1..`writes` of the
    source, one interval apart; then checks the answers of each rotation's kind."""
    load = rs.Load(server.port, threads=4, limit_s=interval * (writes + 2) + SETTLED_LOAD_S + 30,
                   requests=[rotation.request for rotation in rotations])
    try:
        time.sleep(interval)
        for i in range(1, writes + 1):
            rotate(i, time.monotonic())
            time.sleep(interval)
        # The last rotation settles one interval after it began (what check_tokens' stale-by-two check already
        # counts on for every rotation), and then the load goes on a little.
        time.sleep(interval + SETTLED_LOAD_S)
    finally:
        results = load.stop()
    for rotation in rotations:
        name = f"{label} {rotation.kind}" if len(rotations) > 1 else label
        check_tokens(report, name, [r for r in results if r.kind == rotation.kind], rotation, interval)


def check_log(report, label, server, rotations):
    log = server.log()
    leaked = [f"{r.kind} {i}" for r in rotations for i, (_k, secret) in enumerate(r.credentials) if secret in log]
    report.check(f"[{label}] no secret in lighttpd's or sdksign's log", [f"secrets {leaked[:5]}"] if leaked else [])


def file_phase(args, report, lighttpd):
    writes = args.rotations
    rotations = rotations_for("file", writes, report)
    meeting, video = rotations
    directory = tempfile.mkdtemp(prefix="sdksign-rotfile-")
    path = os.path.join(directory, "zoom.env")
    write_atomically(path, dotenv_text(0, meeting.current(), video.current()))
    config = (f"provider = file\nrefresh-interval-ms = {REFRESH_MS}\n\n"
              f"[file]\npath = {path}\n")
    server = rs.Lighttpd(lighttpd, args.source_root, args.sdksign, args.file_plugin_dir, config)
    try:
        report.check("[file] lighttpd serves sdksign with the file provider", [server.problem] if server.problem else [],
                     f"port {server.port}")
        if server.problem:
            print(report.scrub(server.log()[-3000:]), flush=True)
            return

        def rotate(i, when):
            for rotation in rotations:
                if changes(i, rotation.kind):
                    rotation.advance(when)
            text = dotenv_text(i, meeting.current(), video.current())
            (write_atomically if i % 2 else rewrite_in_place)(path, text)

        run_load_and_rotate(report, "file", server, rotate, writes, rotations, args.interval)
        check_log(report, "file", server, rotations)
    finally:
        server.close()
        shutil.rmtree(directory, ignore_errors=True)


def vault_phase(args, report, lighttpd):
    writes = args.rotations
    rotations = rotations_for("vault", writes, report)
    paths = {"meeting": "sdksign/meeting", "video": "sdksign/video"}
    vault = rs.VaultServer(args.vault_server)
    server = None
    try:
        for rotation in rotations:
            vault.write_secret(*rotation.current(), path=paths[rotation.kind])
        server = rs.Lighttpd(lighttpd, args.source_root, args.sdksign, args.vault_plugin_dir,
                             rs.vault_config(vault.address, refresh_ms=REFRESH_MS, video_path=paths["video"]))
        report.check("[vault] lighttpd serves sdksign with the vault provider",
                     [server.problem] if server.problem else [], f"port {server.port}")
        if server.problem:
            print(report.scrub(server.log()[-3000:]), flush=True)
            return

        def rotate(i, when):
            for rotation in rotations:
                if changes(i, rotation.kind):
                    vault.write_secret(*rotation.advance(when), path=paths[rotation.kind])

        run_load_and_rotate(report, "vault", server, rotate, writes, rotations, args.interval)
        check_log(report, "vault", server, rotations)
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
