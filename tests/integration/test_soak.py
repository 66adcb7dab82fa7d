#!/usr/bin/env python3
"""A soak: a million requests through nginx and sdksign with the shipped configuration, and the FastCGI
worker's memory and file descriptors flat across them.

    test_soak.py --sdksign build/src/sdksign --plugin-dir build/plugins/env --source-root . \
                 [--requests 1000000] [--warmup 100000] [--wrk /usr/bin/wrk]

What it shows:
  - nginx runs the shipped nginx/sdksign-unix.conf, and sdksign runs as sdksign.service runs it (the
    shipped unit's ExecStart: `sdksign --listen` on a unix socket, its user, 4 worker threads), exactly as
    the deploy-nginx-unix test sets them up (servers.py). sdksign.conf sets max-body-bytes = 2048,
    so that the too-large kind is small enough to send a hundred thousand times (nginx's own limit stays
    the shipped 128k: those bodies reach sdksign, which answers the 413 itself).
  - wrk (soak.lua) sends a fixed mix, each wrk thread cycling through eight kinds with a known answer:
    a valid POST (200 with a signature), invalid JSON (400 $body), a validation error (400 role), GET on
    the signing endpoint (405), an unknown path (404), a text/plain body (415), a body over sdksign's
    limit (413) and GET /health (200). Every answer is tallied by status and body (which error property,
    signature or health), so a web server's own error page is told from sdksign's JSON.
  - The requests are counted, not timed: soak.lua stops each wrk thread after its share of answers. The
    first --warmup requests are one wrk run (the warm-up), the rest runs of at most --slice requests.
  - Checks, over every run: no socket error (connect, read, write, timeout), no answer outside the eight
    expected ones (so no 5xx, no HTML page), and per wrk thread, each kind's answers no more than the
    requests of that kind that it sent and, all kinds together, fewer missing answers than the thread has
    connections (wrk drops the requests in flight when a thread stops). A sample of the tokens (one
    signature in SAMPLE_EVERY) verifies with HMAC-SHA256 over the test secret, with the expected claims.
  - The sdksign process's VmRSS (/proc/PID/status) and open descriptors (/proc/PID/fd), measured when it
    is idle after the warm-up and after each run: at the end, the RSS may exceed the post-warm-up value
    by at most RSS_BOUND_KIB (1 MiB) and the descriptor count may not exceed it at all. In a sanitized
    build (--sanitized) the RSS is reported but not bounded: AddressSanitizer keeps freed memory in its
    quarantine on purpose.
  - At the end: nginx's error log has no [error] or worse line, the logs hold no secret and no sanitizer
    report, and sdksign --listen exits 0 on SIGTERM.

No timing is asserted. Prints one line per check, a SUMMARY line with the numbers, then "N passed, M failed".
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
import sanitizers
from harness import processes, reports, servers, tokens

MAX_BODY_BYTES = 2048
SIGN_BODY = '{"meetingNumber":"123456789","role":0}'
TOO_LARGE_BODY = '{"meetingNumber":"123456789","role":0}' + " " * 4058  # 4096 bytes, twice the limit
# name, method, path below the mount point, Content-Type ("-": none), body ("-": none), the expected answer
# as soak.lua tallies it (status/what).
KINDS = [
    ("sign", "POST", "", "application/json", SIGN_BODY, "200/signature"),
    ("invalid-json", "POST", "", "application/json", '{"meetingNumber":', "400/$body"),
    ("validation-error", "POST", "", "application/json", '{"meetingNumber":"123456789","role":2}', "400/role"),
    ("wrong-method", "GET", "", "-", "-", "405/$method"),
    ("unknown-path", "GET", "/nope", "-", "-", "404/$path"),
    ("wrong-content-type", "POST", "", "text/plain", SIGN_BODY, "415/Content-Type"),
    ("too-large", "POST", "", "application/json", TOO_LARGE_BODY, "413/$body"),
    ("health", "GET", "/health", "-", "-", "200/health"),
]
EXPECTED_ANSWERS = {kind[5] for kind in KINDS}
RSS_BOUND_KIB = 1024
SAMPLE_EVERY = 500
WRK_THREADS = 2
WRK_CONNECTIONS = 16  # nginx's wrapper has worker_connections 64: each request holds 2 (client, upstream)
# Bounds, not measurements: a run that reaches one has failed (count not reached, or hung).
WRK_DURATION_BOUND_S = 480
SETTLE_TIMEOUT_S = 10.0


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def proc_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def settled_usage(pid):
    """(RSS KiB, fd count) once the process is idle: the fd count unchanged for half a second (the
    connections of the last requests are closed), at most SETTLE_TIMEOUT_S."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    last, same = None, 0
    while time.monotonic() < deadline:
        fds = proc_fds(pid)
        same = same + 1 if fds == last else 0
        last = fds
        if same >= 5:
            break
        time.sleep(0.1)
    return proc_rss_kib(pid), proc_fds(pid)


def parse_counts(text):
    counts = {}
    for part in filter(None, text.split(",")):
        key, _, value = part.rpartition("=")
        counts[key] = int(value)
    return counts


def parse_wrk_output(stdout):
    """{"summary": {...}, "threads": [{"received", "sent", "answers"}], "tokens": [...], "unexpected": [...]}"""
    parsed = {"summary": None, "threads": [], "tokens": [], "unexpected": []}
    for line in stdout.splitlines():
        if line.startswith("SOAK-SUMMARY "):
            parsed["summary"] = {k: int(v) for k, v in (f.split("=") for f in line.split()[1:])}
        elif line.startswith("SOAK-THREAD "):
            fields = dict(f.split("=", 1) for f in line.split()[1:])
            parsed["threads"].append({"received": int(fields["received"]),
                                      "sent": parse_counts(fields.get("sent", "")),
                                      "answers": parse_counts(fields.get("answers", ""))})
        elif line.startswith("SOAK-TOKEN "):
            parsed["tokens"].append(line.split(" ", 1)[1].strip())
        elif line.startswith("SOAK-UNEXPECTED "):
            parsed["unexpected"].append(line.split(" ", 1)[1].strip())
    return parsed


def run_slice(wrk, script, dep, requests):
    """One wrk run of at least `requests` answers; returns (parsed output, problems)."""
    per_thread = -(-requests // WRK_THREADS)
    done_dir = tempfile.mkdtemp(prefix="sdksign-soak-", dir="/tmp")
    args = [str(per_thread), str(SAMPLE_EVERY), done_dir]
    for name, method, path, content_type, body, _answer in KINDS:
        args += [name, method, dep.url(path), content_type, body]
    argv = [wrk, "-t", str(WRK_THREADS), "-c", str(WRK_CONNECTIONS), "-d", f"{WRK_DURATION_BOUND_S}s",
            "--timeout", "10s", "-s", script, f"http://127.0.0.1:{dep.port}{dep.url('')}", "--"] + args
    try:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            process = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            # Each thread marks its stop (soak.lua); then SIGINT ends wrk's sleep, and done() reports.
            processes.wait_for(lambda: process.poll() is not None or
                                    len(os.listdir(done_dir)) >= WRK_THREADS, WRK_DURATION_BOUND_S + 30, 0.1)
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                return None, ["wrk did not end within 30 s of SIGINT"]
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    finally:
        shutil.rmtree(done_dir, ignore_errors=True)
    parsed = parse_wrk_output(stdout)
    problems = []
    if process.returncode != 0 or parsed["summary"] is None or len(parsed["threads"]) != WRK_THREADS:
        return None, [f"wrk exit {process.returncode}: {stdout[-1500:]} {stderr[-1500:]}"]
    for thread in parsed["threads"]:
        if thread["received"] < per_thread:
            problems.append(f"a wrk thread got {thread['received']} answers of {per_thread}: the run ended by "
                            f"its time bound ({WRK_DURATION_BOUND_S} s), not by its count")
    return parsed, problems


def check_slice(parsed):
    """Problems with one run's answers (the mix, the statuses, the socket errors)."""
    problems = []
    summary = parsed["summary"]
    errors = {k: summary[k] for k in ("connect", "read", "write", "timeout") if summary[k]}
    if errors:
        problems.append(f"socket errors {errors}")
    connections_per_thread = WRK_CONNECTIONS // WRK_THREADS
    for index, thread in enumerate(parsed["threads"], 1):
        answers, sent = thread["answers"], thread["sent"]
        outside = {k: v for k, v in answers.items() if k not in EXPECTED_ANSWERS}
        if outside:
            problems.append(f"thread {index}: answers outside the expected set: {outside} "
                            f"(first ones: {parsed['unexpected'][:3]})")
        if sum(answers.values()) != thread["received"]:
            problems.append(f"thread {index}: {thread['received']} answers but {sum(answers.values())} tallied")
        missing = 0
        for name, _method, _path, _ctype, _body, answer in KINDS:
            got, requested = answers.get(answer, 0), sent.get(name, 0)
            if got > requested:
                problems.append(f"thread {index}: {got} answers {answer} to {requested} {name} requests")
            missing += requested - got
        if not 0 <= missing <= connections_per_thread:
            problems.append(f"thread {index}: {missing} requests without their expected answer "
                            f"(at most {connections_per_thread}, the requests in flight when it stopped)")
    return problems


def check_tokens(sampled, secret):
    problems = []
    now = int(time.time())
    for token in sampled:
        parts = token.split(".")
        if len(parts) != 3 or not tokens.verify_signature(token, secret):
            problems.append(f"token does not verify with the test secret: {token[:60]}...")
            continue
        claims = json.loads(tokens.b64url_decode(parts[1]))
        if (claims.get("appKey") != tokens.TEST_KEY or claims.get("mn") != "123456789" or
                claims.get("role") != 0 or claims.get("exp", 0) - claims.get("iat", 0) != 7200 or
                abs(claims.get("iat", 0) - now) > 3600):
            problems.append(f"unexpected claims {claims}")
    return problems


def error_log_problems(text):
    """nginx's log lines at [error] or worse (every level from error up; warn and notice are fine)."""
    bad = [line for line in text.splitlines()
           if any(f"[{level}]" in line for level in ("error", "crit", "alert", "emerg"))]
    return [f"{len(bad)} line(s), first: {bad[0][:300]}"] if bad else []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--plugin-dir", required=True)
    parser.add_argument("--source-root", required=True)
    parser.add_argument("--requests", type=int, default=1_000_000, help="requests in all (at least)")
    parser.add_argument("--warmup", type=int, default=100_000, help="the first run, before the baseline")
    parser.add_argument("--slice", type=int, default=300_000, help="most requests per wrk run after it")
    parser.add_argument("--wrk", help="wrk executable (default: from PATH)")
    parser.add_argument("--sanitized", action="store_true", help="a sanitized build: RSS reported, not bounded")
    args = parser.parse_args()
    args.sdksign = os.path.abspath(args.sdksign)
    args.plugin_dir = os.path.abspath(args.plugin_dir)
    secret = tokens.make_test_secret()
    report = reports.Report(secret)
    wrk = args.wrk or shutil.which("wrk")
    nginx = servers.find_program("nginx")
    report.check("wrk and nginx are installed", [] if wrk and nginx else
                 [f"missing: {[n for n, p in (('wrk', wrk), ('nginx', nginx)) if not p]} (Debian packages "
                  "wrk and nginx)"])
    if not (wrk and nginx):
        return report.finish()
    if args.warmup >= args.requests or args.warmup <= 0 or args.slice <= 0:
        raise SystemExit("--warmup must be positive and below --requests; --slice positive")
    script = os.path.join(HERE, "soak.lua")

    dep = servers.Deployment("nginx-unix", os.path.abspath(args.source_root), args.sdksign,
                             args.plugin_dir, tokens.TEST_KEY, secret,
                             f"max-body-bytes = {MAX_BODY_BYTES}\n")
    started = time.monotonic()
    try:
        problems = dep.start()
        report.check("nginx serves the shipped nginx/sdksign-unix.conf with sdksign.service's sdksign",
                     problems, f"port {dep.port}" if not problems else "")
        if problems:
            return report.finish()
        pid = dep.listen_process.pid
        report.check("the measured process is sdksign itself",
                     [] if processes.exe_of(pid) == os.path.realpath(dep.sdksign) else
                     [f"process {pid} is {processes.exe_of(pid)}"], f"pid {pid}")
        idle_rss, idle_fds = settled_usage(pid)

        sizes = [args.warmup]
        left = args.requests - args.warmup
        while left > 0:
            sizes.append(min(args.slice, left))
            left -= sizes[-1]
        totals, sampled, usage = {}, [], []
        slice_problems, total_answers = [], 0
        for index, size in enumerate(sizes):
            slice_started = time.monotonic()
            parsed, problems = run_slice(wrk, script, dep, size)
            if parsed is not None:
                problems += check_slice(parsed)
                for thread in parsed["threads"]:
                    for key, count in thread["answers"].items():
                        totals[key] = totals.get(key, 0) + count
                        total_answers += count
                sampled += parsed["tokens"]
            alive = dep.listen_process.poll() is None
            if not alive:
                problems.append(f"sdksign exited with status {dep.listen_process.returncode}")
            usage.append(settled_usage(pid) if alive else (0, 0))
            name = "warm-up" if index == 0 else f"run {index}"
            print(f"     {name}: {size} requests in {time.monotonic() - slice_started:.1f} s; "
                  f"answers so far {total_answers}; sdksign VmRSS {usage[-1][0]} KiB, {usage[-1][1]} fds",
                  flush=True)
            slice_problems += [f"{name}: {p}" for p in problems]
            if not alive or parsed is None:
                break
        report.check(f"{total_answers} answers, all of them expected, matching the mix, no socket error",
                     slice_problems + ([] if total_answers >= args.requests or slice_problems else
                                       [f"only {total_answers} answers of {args.requests}"]))
        report.check(f"{len(sampled)} sampled tokens verify with HMAC-SHA256 over the test secret",
                     check_tokens(sampled, secret) + ([] if sampled else ["no token sampled"]))

        (rss_before, fds_before), (rss_after, fds_after) = usage[0], usage[-1]
        growth = rss_after - rss_before
        if args.sanitized:
            report.check("sdksign's RSS after the soak (a sanitized build: reported, not bounded)", [],
                         f"{rss_before} KiB -> {rss_after} KiB")
        else:
            report.check(f"sdksign's RSS grows at most {RSS_BOUND_KIB} KiB from the warm-up to the end",
                         [] if growth <= RSS_BOUND_KIB else [f"{rss_before} KiB -> {rss_after} KiB (+{growth})"],
                         f"{rss_before} KiB -> {rss_after} KiB")
        report.check("sdksign's open descriptors do not grow from the warm-up to the end",
                     [] if fds_after <= fds_before else [f"{fds_before} -> {fds_after}"],
                     f"{fds_before} -> {fds_after}; {idle_fds} when idle before any request")

        by_status = {}
        for key, count in totals.items():
            status = key.split("/", 1)[0]
            by_status[status] = by_status.get(status, 0) + count
        elapsed = time.monotonic() - started
        server_s, listen_s, listen_status = dep.stop_gracefully()
        report.check("sdksign --listen exits 0 on SIGTERM after the soak",
                     [] if listen_status == 0 else [f"exit status {listen_status}"],
                     f"{listen_s:.2f} s" if listen_s is not None else "")
        report.check("nginx's error log has no line at [error] or worse", error_log_problems(dep.server_log()))
        logs = dep.all_logs()
        report.check("no log contains the secret", ["THE SECRET APPEARS IN A LOG"] if secret in logs else [])
        report.check("no sanitizer report in the logs", sanitizers.problems(logs, "the logs of nginx-unix"))
        print("SUMMARY " + " ".join([
            f"requests={total_answers}",
            "statuses=" + ",".join(f"{s}:{n}" for s, n in sorted(by_status.items())),
            "answers=" + ",".join(f"{k}:{n}" for k, n in sorted(totals.items())),
            f"rss_kib={rss_before}->{rss_after}",
            f"fds={fds_before}->{fds_after}",
            f"idle_before_warmup=rss:{idle_rss},fds:{idle_fds}",
            f"tokens_verified={len(sampled)}",
            f"seconds={elapsed:.0f}",
        ]), flush=True)
    finally:
        dep.remove()
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
