#!/usr/bin/env python3
"""The Vault server goes away under load, through a real web server (lighttpd with lighttpd/sdksign-serve.conf,
two sdksign FastCGI processes with the `vault` provider, stale-after = 4 s, refreshes every 200 ms).

Timeline (T0: the Vault listener closes, refusing connections; T1 = T0 + 9 s: it listens again):
  before T0              every request is signed (200)
  T0 .. T0 + 3 s         still signed with the last good credential (the stale window; health says "degraded")
  T0 + 7 s .. T1         503 with the JSON error body, property $credentials (health: 503 too)
  T1 + 4 s ..            signed again, without a restart (health: ok)
Between those windows either answer is fine: each process notices on its own refresh schedule.
Every 200 carries a token that verifies with the secret; each process logs each change of state once (not
once per request or per retry), and no log line holds the secret.

Usage: test_vault_fault.py --sdksign PATH --vault-plugin-dir DIR --vault-server PATH --source-root DIR
                           [--lighttpd PATH]
Takes about 20 s.
"""
import argparse
import json
import secrets
import sys
import time

import rotation_support as rs
from harness import tokens

STALE_AFTER_S = 4
STILL_SIGNING_UNTIL = 3.0
UNAVAILABLE_FROM = 7.0
DOWN_FOR = 9.0
RECOVERED_AFTER = 4.0
RUN_AFTER_RETURN = 6.0


def is_credentials_503(status, body):
    if status != 503:
        return False
    try:
        document = json.loads(body)
        return [e["property"] for e in document["errors"]] == ["$credentials"]
    except (ValueError, KeyError, TypeError):
        return False


def health(port):
    try:
        status, body = rs.http_request(port, "GET", "/health", timeout=5)
        return status, json.loads(body)
    except (OSError, ValueError) as e:
        return 0, repr(e)


def window(results, start, end):
    return [r for r in results if start <= r[0] < end]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--vault-plugin-dir", required=True)
    parser.add_argument("--vault-server", required=True)
    parser.add_argument("--source-root", required=True)
    parser.add_argument("--lighttpd")
    args = parser.parse_args()

    report = rs.Report()
    lighttpd = rs.find_lighttpd(args.lighttpd)
    report.check("lighttpd is installed", [] if lighttpd else ["lighttpd not found: install it"])
    if not lighttpd:
        return report.finish()
    key, secret = "fault-key", "fault-secret-" + secrets.token_urlsafe(16)
    report.secrets.append(secret)
    vault = rs.VaultServer(args.vault_server)
    server = None
    try:
        vault.write_secret(key, secret)
        config = rs.vault_config(vault.address, stale_after=STALE_AFTER_S, refresh_ms=200, fetch_timeout_ms=1000)
        server = rs.Lighttpd(lighttpd, args.source_root, args.sdksign, args.vault_plugin_dir, config)
        report.check("lighttpd serves sdksign with the vault provider", [server.problem] if server.problem else [],
                     f"port {server.port}")
        if server.problem:
            print(report.scrub(server.log()[-3000:]), flush=True)
            return report.finish()

        load = rs.Load(server.port, threads=4, limit_s=60)
        try:
            time.sleep(2.0)
            t0 = time.monotonic()
            vault.control("go-away", {"seconds": 0})
            time.sleep(2.5)
            stale_health = health(server.port)
            time.sleep(UNAVAILABLE_FROM + 0.5 - 2.5)
            down_health = health(server.port)
            time.sleep(max(0.0, t0 + DOWN_FOR - time.monotonic()))
            t1 = time.monotonic()
            vault.control("come-back", {})
            time.sleep(RECOVERED_AFTER + 0.5)
            back_health = health(server.port)
            time.sleep(RUN_AFTER_RETURN - RECOVERED_AFTER - 0.5)
        finally:
            results = load.stop()

        def problems(rows, expected, accept):
            bad = [f"at T0{r[0] - t0:+.2f} s: {r[2]} {r[3][:100]!r}" for r in rows if not accept(r[2], r[3])]
            return ([f"no requests in this window (expected {expected})"] if not rows else []) + bad

        signed = lambda status, body: ((token := rs.sign_ok(status, body)) is not None
                                       and tokens.verify_signature(token, secret))
        before = window(results, 0, t0)
        stale = window(results, t0, t0 + STILL_SIGNING_UNTIL)
        down = window(results, t0 + UNAVAILABLE_FROM, t1)
        back = window(results, t1 + RECOVERED_AFTER, float("inf"))
        report.check("before the fault: every request signed with the secret", problems(before, "200", signed),
                     f"{len(before)} requests")
        report.check(f"Vault gone, within the stale window ({STALE_AFTER_S} s): still signed with the last good secret",
                     problems(stale, "200", signed), f"{len(stale)} requests")
        report.check("Vault gone past the stale window: 503 JSON, property $credentials",
                     problems(down, "503", is_credentials_503), f"{len(down)} requests")
        report.check("Vault back: signed again without a restart", problems(back, "200", signed),
                     f"{len(back)} requests")
        transport = [r for r in results if r[2] == 0]
        report.check("no transport errors at any time", [f"{len(transport)} errors, e.g. {transport[0][3][:100]!r}"]
                     if transport else [])
        report.check("health within the stale window: 200, status degraded, meeting stale",
                     [] if stale_health[0] == 200 and isinstance(stale_health[1], dict)
                     and stale_health[1].get("status") == "degraded"
                     and stale_health[1].get("credentials") == {"meeting": "stale"} else [str(stale_health)])
        report.check("health past the stale window: 503 JSON, property $credentials",
                     [] if down_health[0] == 503 and isinstance(down_health[1], dict)
                     and [e.get("property") for e in down_health[1].get("errors", [])] == ["$credentials"]
                     else [str(down_health)])
        report.check("health after Vault is back: 200 ok",
                     [] if back_health == (200, {"status": "ok", "credentials": {"meeting": "ok"}}) else
                     [str(back_health)])

        log = server.log()
        # Two sdksign processes, each logging each change of state once, however many requests and retries.
        counts = {name: log.count(text) for name, text in (
            ("stale", "refresh failed; serving the last good one"),
            ("unavailable", "credential meeting is unavailable"),
            ("recovered", "credential meeting is usable again"))}
        report.check("each process logs each change of state once (stale, unavailable, usable again)",
                     [] if all(1 <= n <= 2 for n in counts.values()) else [str(counts)], str(counts))
        report.check("no secret in lighttpd's or sdksign's log", ["THE SECRET IS IN THE LOG"] if secret in log else [])
        if report.failed:
            print(report.scrub(log[-3000:]), flush=True)
    finally:
        if server is not None:
            server.close()
        vault.close()
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
