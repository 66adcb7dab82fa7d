#!/usr/bin/env python3
"""A real browser calling sdksign from another origin, as the Meeting SDK web samples do.

    test_browser_cors.py --sdksign build/src/sdksign --plugin-dir build/plugins/env --source-root .

A page (page.html, served by a small Python http.server on one port of 127.0.0.1) calls sdksign (behind nginx
with the shipped nginx-unix.conf and sdksign.service's command line, on another port, so another origin)
with fetch(), POST and Content-Type: application/json, which makes the browser send a CORS preflight first.
Debian's chromium, headless, driven through Debian's chromedriver by Debian's python3-selenium (run_pages.py,
run by /usr/bin/python3; the packages chromium, chromium-driver and python3-selenium, which scripts/test
installs), loads the page three times:
  - sdksign's default configuration: the page reads a signature that verifies with the test secret;
  - cors-origin set to an allow-list without the page's origin: the browser refuses to hand the answer to
    the page, which sees a TypeError;
  - cors-origin listing the page's origin: the page reads a signature again.

Prints one line per check, then "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import reports, servers, tokens  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Debian's own interpreter: python3-selenium is installed for it, not for another python3 earlier on PATH.
SYSTEM_PYTHON = "/usr/bin/python3"


def selenium_problem():
    """None when SYSTEM_PYTHON can import selenium, else what it said."""
    try:
        completed = subprocess.run([SYSTEM_PYTHON, "-c", "import selenium.webdriver"], capture_output=True,
                                   timeout=60)
    except OSError as error:
        return str(error)
    return None if completed.returncode == 0 else completed.stderr.decode(errors="replace").strip()[-300:]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_page():
    """page.html on a free port of 127.0.0.1, in a thread; returns (server, origin)."""
    handler = functools.partial(QuietHandler, directory=HERE)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--plugin-dir", required=True)
    parser.add_argument("--source-root", required=True)
    args = parser.parse_args()
    secret = tokens.make_test_secret()
    report = reports.Report(secret)

    missing = [what for what, ok in ((CHROMIUM + " (package chromium)", os.access(CHROMIUM, os.X_OK)),
                                     (CHROMEDRIVER + " (package chromium-driver)", os.access(CHROMEDRIVER, os.X_OK)))
               if not ok]
    problem = selenium_problem()
    if problem:
        missing.append(f"selenium for {SYSTEM_PYTHON} (package python3-selenium: {problem})")
    report.check("chromium, chromedriver and python3-selenium are installed",
                 [f"missing {m}; scripts/test installs it" for m in missing])
    if missing:
        return report.finish()

    page_server, page_origin = serve_page()
    scenarios = [
        ("default configuration", "", True),
        ("allow-list without the page's origin", "cors-origin = https://meet.example.com\n", False),
        ("allow-list with the page's origin", f"cors-origin = https://meet.example.com, {page_origin}\n", True),
    ]
    deployments = []
    try:
        pages = []
        for name, conf, _allowed in scenarios:
            dep = servers.Deployment("nginx-unix", os.path.abspath(args.source_root),
                                     os.path.abspath(args.sdksign), os.path.abspath(args.plugin_dir),
                                     tokens.TEST_KEY, secret, conf)
            deployments.append(dep)
            problems = dep.start()
            report.check(f"[{name}] nginx and sdksign serve on 127.0.0.1", problems, f"port {dep.port}")
            if problems:
                return report.finish()
            endpoint = f"http://127.0.0.1:{dep.port}{dep.url('')}"
            pages.append({"name": name,
                          "url": f"{page_origin}/page.html?endpoint={urllib.parse.quote(endpoint, safe='')}"})
        completed = subprocess.run([SYSTEM_PYTHON, os.path.join(HERE, "run_pages.py"), json.dumps(pages)],
                                   capture_output=True, timeout=150, cwd=HERE)
        try:
            results = {r["name"]: r for r in json.loads(completed.stdout)}
        except ValueError:
            report.check("chromium loads the pages",
                         [f"exit {completed.returncode}: {completed.stderr.decode(errors='replace')[-2000:]}"])
            return report.finish()
        report.check("chromium loads the pages", [] if completed.returncode == 0 else
                     [completed.stderr.decode(errors="replace")[-1000:]], f"{len(results)} pages")
        for name, _conf, allowed in scenarios:
            found = results.get(name, {})
            result = found.get("result") or {}
            detail = json.dumps(result)[:200]
            if allowed:
                ok = (result.get("outcome") == "response" and result.get("status") == 200
                      and isinstance(result.get("signature"), str)
                      and tokens.verify_signature(result["signature"], secret)
                      and result.get("sdkKey") == tokens.TEST_KEY)
                report.check(f"[{name}] the page reads a signature that verifies",
                             [] if ok else [f"page saw {detail}; {found.get('failure', '')}"])
            else:
                ok = result.get("outcome") == "error" and result.get("name") == "TypeError"
                report.check(f"[{name}] the browser blocks the answer: the page sees a TypeError",
                             [] if ok else [f"page saw {detail}; {found.get('failure', '')}"])
                cors_line = any("CORS policy" in line for line in found.get("console", []))
                report.check(f"[{name}] chromium names CORS as the reason",
                             [] if cors_line else [f"console: {found.get('console')}"])
        logs = "".join(dep.all_logs() for dep in deployments)
        report.check("no log contains the secret", ["THE SECRET APPEARS IN A LOG"] if secret in logs else [])
        # Each deployment stopped first, so that the sdksign processes have exited and written any leak report.
        for dep in deployments:
            dep.stop_gracefully()
        report.check("no sanitizer report in nginx's log or sdksign's stderr",
                     [p for dep in deployments for p in dep.sanitizer_problems()])
    finally:
        for dep in deployments:
            dep.remove()
        page_server.shutdown()
        page_server.server_close()
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
