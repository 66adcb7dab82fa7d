#!/usr/bin/env python3
"""sdksign's access policy (origin-check, require-user, bearer-token-file, allowed-meetings) through the real
web servers, with the shipped files of apache/, lighttpd/ and nginx/ (servers.Deployment).

    test_access_policy.py --sdksign build/src/sdksign --plugin-dir build/plugins/env --source-root . \
                          [--scenario NAME ...]

Where a shipped file holds a commented example for an option (between "# --- example: NAME ---" and
"# --- end of example ---"), the scenario enables it exactly as the file tells a deployer to: it removes the
'#' that starts each line in between, and changes nothing else. Scenarios:

  nginx-host-login        nginx-unix, `require-user = host`, the example authenticated location of
                          nginx/sdksign-unix.conf.in (auth_basic, a password file made with
                          `openssl passwd -apr1`) in front of the same sdksign: attendee tokens through the
                          open location, host tokens only through the authenticated one; neither a client's
                          own Remote-User header nor unchecked Basic credentials on the open location count
                          as a user (nginx's $remote_user is the name in any Basic header: the shipped
                          location sends REMOTE_USER empty);
  apache-fcgid-bearer     mod_fcgid with `bearer-token-file`: 401 JSON with WWW-Authenticate without the
                          right token, 200 with it (FcgidPassHeader Authorization passes it), a preflight and
                          the health endpoint need none;
  apache-cgi-bearer       the same under mod_cgid (CGIPassAuth On in apache/sdksign-cgi.conf.in);
  apache-htaccess-bearer  the same on shared hosting (the bearer-token example of apache/htaccess.example,
                          with the path of the token file filled in);
  apache-fcgid-host-login `require-user = host` with the example authenticated location of
                          apache/sdksign-fcgid.conf.in (AuthType Basic);
  lighttpd-origin-meetings  lighttpd-fastcgi with `cors-origin`, `origin-check = reject`, `allowed-meetings`
                          and `require-user = host` with the example authenticated address of
                          lighttpd/50-sdksign-fastcgi.conf.in (mod_auth): listed origin and meeting signed,
                          other origin, other meeting and a token for any meeting refused with 403, health
                          open to all;
  lighttpd-external-bearer, lighttpd-cgi-bearer, nginx-unix-bearer
                          `bearer-token-file` behind lighttpd and nginx, which pass Authorization on as it is;
  nginx-tcp-strict-all    `origin-check = strict` and `require-user = all` behind a location without
                          authentication: nothing signed, made-up credentials included; health open.
And three that take one line out of a shipped file, to show that the line is what makes an option work:
  nginx-without-empty-remote-user   without `fastcgi_param REMOTE_USER "";`, made-up Basic credentials get
                          a host token (nginx's $remote_user is not checked without auth_basic);
  apache-fcgid-without-passheader   without `FcgidPassHeader Authorization`, the right token gets 401;
  apache-cgi-without-cgipassauth    without `CGIPassAuth On`, the right token gets 401.

Each also checks that neither the SDK secret, nor the bearer token, nor a password appears in any log of the
server or of sdksign, and that no log holds a sanitizer report (after the stop, when sdksign has exited).
Requests go to 127.0.0.1 only. Prints one line per check, then "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import base64
import http.client
import os
import secrets
import subprocess
import sys
import time

import evidence
from harness import network, reports, servers, tokens
from harness.access import ALLOWED_ORIGIN, LISTED_MEETING, OTHER_ORIGIN, bearer_file, enable_example
from harness.contract import bearer_refusal_problems, body_of, error_problems, header, token_problems

PREFIX_MEETING = "8579990001"  # matches the rule 857*
OTHER_MEETING = "123456789"
HOST_USER = "alice"
HOST_LOCATION = "/zoom/host-signature"


# ------------------------------------------------------------------------------------------------ helpers

def htpasswd_line(user, password):
    """One line of an Apache-style password file, with the apr1 (MD5) hash that nginx, Apache and lighttpd
    all read, made the way the shipped files' comments say (`openssl passwd -apr1`)."""
    hashed = subprocess.run(["openssl", "passwd", "-apr1", "-stdin"], input=password.encode(),
                            capture_output=True, check=True, timeout=20).stdout.decode().strip()
    return f"{user}:{hashed}\n"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Client:
    """Requests to one deployment; each answer is (status, headers, body)."""

    def __init__(self, dep):
        self.dep = dep

    def request(self, method, path, body=None, headers=None):
        all_headers = dict(headers or {})
        if body is not None:
            all_headers.setdefault("Content-Type", "application/json")
        status, _reason, answer_headers, data = network.http_request(self.dep.port, method, path, body,
                                                                     all_headers)
        return status, answer_headers, data

    def sign(self, meeting=None, role=0, headers=None, at=None):
        return self.request("POST", at or self.dep.url("/"), body_of(meeting, role), headers)


def server_login_problems(result):
    """The web server's own 401 for a location it protects: a Basic challenge, no signature, not sdksign's."""
    status, _headers, body = result
    problems = [] if status == 401 else [f"status {status}, expected the server's 401: {body[:300]!r}"]
    challenge = header(result, "WWW-Authenticate") or ""
    if not challenge.startswith("Basic ") or "Zoom hosts" not in challenge:
        problems.append(f"WWW-Authenticate {challenge!r}, expected the server's Basic challenge")
    if b'"signature"' in body or b'"errors"' in body:
        problems.append(f"the answer came from sdksign: {body[:300]!r}")
    return problems


def preflight_problems(result, origin="*"):
    status, _headers, body = result
    problems = [] if status == 204 else [f"status {status}, expected 204: {body[:300]!r}"]
    if header(result, "Access-Control-Allow-Origin") != origin:
        problems.append(f"Access-Control-Allow-Origin {header(result, 'Access-Control-Allow-Origin')!r}")
    if "POST" not in (header(result, "Access-Control-Allow-Methods") or ""):
        problems.append(f"Access-Control-Allow-Methods {header(result, 'Access-Control-Allow-Methods')!r}")
    return problems


def health_problems(result):
    status, _headers, body = result
    return [] if status == 200 else [f"status {status}, expected 200: {body[:300]!r}"]


PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


# -------------------------------------------------------------------------------------------- scenarios

def nginx_host_login(ctx):
    password = evidence.secret(secrets.token_urlsafe(12))
    spec = dict(
        target="nginx-unix",
        conf="require-user = host\n",
        files={"etc/sdksign-hosts.htpasswd": (htpasswd_line(HOST_USER, password), 0o640)},
        edit=lambda relative, text: enable_example(text, "host-signature") if relative.startswith("nginx/")
        else text,
        hidden=[password],
    )

    def checks(dep, c, check):
        login = {"Authorization": basic(HOST_USER, password)}
        check("attendee token through the open location: 200, a valid token",
              token_problems(c.sign(LISTED_MEETING, 0), ctx.secret, 0, LISTED_MEETING))
        check("host token through the open location: sdksign's 403 JSON (property role) with CORS",
              error_problems(c.sign(LISTED_MEETING, 1), 403, ["role"]))
        check("host token through the open location with a client's own Remote-User header: 403",
              error_problems(c.sign(LISTED_MEETING, 1, {"Remote-User": HOST_USER}), 403, ["role"]))
        check("host token through the open location with Basic credentials nothing checks (nginx's "
              "$remote_user): 403",
              error_problems(c.sign(LISTED_MEETING, 1, {"Authorization": basic(HOST_USER, "wrong")}), 403,
                             ["role"]))
        check("host token through the authenticated location without credentials: nginx's 401",
              server_login_problems(c.sign(LISTED_MEETING, 1, at=HOST_LOCATION)))
        check("host token through the authenticated location with a wrong password: nginx's 401",
              server_login_problems(c.sign(LISTED_MEETING, 1, {"Authorization": basic(HOST_USER, "nope")},
                                           at=HOST_LOCATION)))
        check("host token through the authenticated location with the password: 200, a valid token",
              token_problems(c.sign(LISTED_MEETING, 1, login, at=HOST_LOCATION), ctx.secret, 1, LISTED_MEETING))
        check("host token through the authenticated location with the password and a client's Remote-User "
              "header: 200",
              token_problems(c.sign(LISTED_MEETING, 1, dict(login, **{"Remote-User": "mallory"}),
                                    at=HOST_LOCATION), ctx.secret, 1, LISTED_MEETING))
        check("attendee token through the authenticated location: 200",
              token_problems(c.sign(LISTED_MEETING, 0, login, at=HOST_LOCATION), ctx.secret, 0, LISTED_MEETING))
        check("health endpoint through the open location: 200",
              health_problems(c.request("GET", dep.url("/health"))))
    return spec, checks


def bearer_checks(ctx, token, with_preflight=True):
    def checks(dep, c, check):
        right = {"Authorization": "Bearer " + token}
        check("no Authorization: sdksign's 401 JSON (property Authorization) with WWW-Authenticate and CORS",
              bearer_refusal_problems(c.sign(LISTED_MEETING, 0)))
        check("a wrong bearer token: 401",
              bearer_refusal_problems(c.sign(LISTED_MEETING, 0, {"Authorization": "Bearer " + token[:-1] + "x"})))
        check("the token as Basic credentials: 401",
              bearer_refusal_problems(c.sign(LISTED_MEETING, 0, {"Authorization": "Basic " + token})))
        check("the right bearer token: 200, a valid token (the server passes Authorization on)",
              token_problems(c.sign(LISTED_MEETING, 1, right), ctx.secret, 1, LISTED_MEETING))
        check("the right token with the scheme in lower case: 200",
              token_problems(c.sign(LISTED_MEETING, 0, {"Authorization": "bearer " + token}), ctx.secret, 0,
                             LISTED_MEETING))
        if with_preflight:
            check("a preflight (OPTIONS) without a token: 204 with CORS",
                  preflight_problems(c.request("OPTIONS", dep.url("/"), None,
                                               dict(PREFLIGHT, Origin=ALLOWED_ORIGIN))))
        check("health endpoint without a token: 200", health_problems(c.request("GET", dep.url("/health"))))
    return checks


def bearer_scenario(target):
    """The bearer-token scenario of a target whose shipped file passes Authorization on as it is."""
    def scenario(ctx):
        token = evidence.secret(secrets.token_urlsafe(32))
        spec = dict(target=target, conf="bearer-token-file = @SDKSIGN_CONF_DIR@/bearer-token\n",
                    files=bearer_file(token), hidden=[token])
        return spec, bearer_checks(ctx, token)
    return scenario


def apache_htaccess_bearer(ctx):
    token = evidence.secret(secrets.token_urlsafe(32))
    holder = {}

    def edit(relative, text):
        if relative != "apache/htaccess.example":
            return text
        # The other edit the example asks for: where the user keeps the token.
        return enable_example(text, "bearer-token").replace("/home/you/sdksign-token",
                                                            holder["dep"].path("etc", "bearer-token"))
    spec = dict(target="apache-htaccess", conf="", files=bearer_file(token), edit=edit, hidden=[token],
                holder=holder)
    return spec, bearer_checks(ctx, token)


def without_line(line):
    """An edit that removes one directive line of the shipped file (to show that the line is what makes the
    option work), failing when the file has no such line."""
    def edit(relative, text):
        kept = [t for t in text.split("\n") if t.strip() != line]
        if len(kept) == len(text.split("\n")):
            raise RuntimeError(f"{relative} has no line {line!r}")
        return "\n".join(kept)
    return edit


def hidden_authorization(ctx, target, line):
    """The shipped file without `line`: the server keeps Authorization from sdksign, and the right token
    gets 401 (so the line is what the bearer-token-file option needs)."""
    token = evidence.secret(secrets.token_urlsafe(32))
    spec = dict(target=target, conf="bearer-token-file = @SDKSIGN_CONF_DIR@/bearer-token\n",
                files=bearer_file(token), edit=without_line(line), hidden=[token])

    def checks(dep, c, check):
        check(f"without {line!r} the right bearer token gets 401: the line is what passes Authorization on",
              bearer_refusal_problems(c.sign(LISTED_MEETING, 0, {"Authorization": "Bearer " + token})))
    return spec, checks


def nginx_without_empty_remote_user(ctx):
    """Why the shipped nginx location sends REMOTE_USER empty first: without that line, nginx's
    fastcgi_params passes $remote_user, the name in any Basic header, which nothing checked."""
    spec = dict(target="nginx-unix", conf="require-user = host\n",
                edit=without_line('fastcgi_param REMOTE_USER "";'))

    def checks(dep, c, check):
        check("without 'fastcgi_param REMOTE_USER \"\";' made-up Basic credentials get a host token: "
              "the line is needed",
              token_problems(c.sign(LISTED_MEETING, 1, {"Authorization": basic("anyone", "anything")}),
                             ctx.secret, 1, LISTED_MEETING))
    return spec, checks


def apache_fcgid_without_passheader(ctx):
    return hidden_authorization(ctx, "apache-fcgid", "FcgidPassHeader Authorization")


def apache_cgi_without_cgipassauth(ctx):
    return hidden_authorization(ctx, "apache-cgi", "CGIPassAuth On")


def nginx_tcp_strict_all(ctx):
    spec = dict(target="nginx-tcp",
                conf=f"cors-origin = {ALLOWED_ORIGIN}\norigin-check = strict\nrequire-user = all\n")

    def checks(dep, c, check):
        allowed = {"Origin": ALLOWED_ORIGIN}
        check("no Origin header (origin-check strict): 403 (property Origin)",
              error_problems(c.sign(LISTED_MEETING, 0), 403, ["Origin"], cors=None))
        check("another origin: 403 (property Origin)",
              error_problems(c.sign(LISTED_MEETING, 0, {"Origin": OTHER_ORIGIN}), 403, ["Origin"], cors=None))
        check("the allowed origin, but no user (require-user all; nginx sends REMOTE_USER empty): 403 "
              "(property $user)",
              error_problems(c.sign(LISTED_MEETING, 0, allowed), 403, ["$user"], cors=ALLOWED_ORIGIN))
        check("the same with Basic credentials nothing checks and a Remote-User header: 403 (property $user)",
              error_problems(c.sign(LISTED_MEETING, 0, dict(allowed, **{
                  "Authorization": basic(HOST_USER, "x"), "Remote-User": HOST_USER})), 403, ["$user"],
                  cors=ALLOWED_ORIGIN))
        check("a preflight from the allowed origin: 204",
              preflight_problems(c.request("OPTIONS", dep.url("/"), None, dict(PREFLIGHT, **allowed)),
                                 ALLOWED_ORIGIN))
        check("GET health without Origin: 200", health_problems(c.request("GET", dep.url("/health"))))
    return spec, checks


def apache_fcgid_host_login(ctx):
    password = evidence.secret(secrets.token_urlsafe(12))
    modules = ["auth_basic", "authn_core", "authn_file", "authz_user"]  # a2enmod auth_basic authn_file authz_user
    spec = dict(
        target="apache-fcgid",
        conf="require-user = host\n",
        files={"etc/sdksign-hosts.htpasswd": (htpasswd_line(HOST_USER, password), 0o640)},
        edit=lambda relative, text: enable_example(text, "host-signature"),
        server_conf="\n".join(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so" for m in modules),
        hidden=[password],
    )

    def checks(dep, c, check):
        check("attendee token through /zoom/signature: 200",
              token_problems(c.sign(LISTED_MEETING, 0), ctx.secret, 0, LISTED_MEETING))
        check("host token through /zoom/signature: sdksign's 403 JSON (property role) with CORS",
              error_problems(c.sign(LISTED_MEETING, 1), 403, ["role"]))
        check("host token through /zoom/signature with unchecked Basic credentials and Remote-User: 403",
              error_problems(c.sign(LISTED_MEETING, 1, {"Authorization": basic(HOST_USER, "wrong"),
                                                        "Remote-User": HOST_USER}), 403, ["role"]))
        check("host token through the authenticated address without credentials: Apache's 401",
              server_login_problems(c.sign(LISTED_MEETING, 1, at=HOST_LOCATION)))
        check("host token through the authenticated address with the password: 200, a valid token",
              token_problems(c.sign(LISTED_MEETING, 1, {"Authorization": basic(HOST_USER, password)},
                                    at=HOST_LOCATION), ctx.secret, 1, LISTED_MEETING))
    return spec, checks


def lighttpd_origin_meetings(ctx):
    password = evidence.secret(secrets.token_urlsafe(12))
    spec = dict(
        target="lighttpd-fastcgi",
        conf=(f"cors-origin = {ALLOWED_ORIGIN}\norigin-check = reject\n"
              f"allowed-meetings = {LISTED_MEETING}, 857*\nrequire-user = host\n"),
        files={"etc/sdksign-hosts.htpasswd": (htpasswd_line(HOST_USER, password), 0o640)},
        edit=lambda relative, text: enable_example(text, "host-signature"),
        # lighty-enable-mod auth
        server_conf='include "/etc/lighttpd/conf-available/05-auth.conf"',
        hidden=[password],
    )

    def checks(dep, c, check):
        allowed = {"Origin": ALLOWED_ORIGIN}
        result = c.sign(LISTED_MEETING, 0, allowed)
        problems = token_problems(result, ctx.secret, 0, LISTED_MEETING)
        if header(result, "Access-Control-Allow-Origin") != ALLOWED_ORIGIN:
            problems.append(f"Access-Control-Allow-Origin {header(result, 'Access-Control-Allow-Origin')!r}")
        check("the allowed origin and a listed meeting: 200, a valid token, CORS for that origin", problems)
        check("the allowed origin and a meeting matching 857*: 200",
              token_problems(c.sign(PREFIX_MEETING, 0, allowed), ctx.secret, 0, PREFIX_MEETING))
        check("no Origin header (origin-check reject, not strict): 200",
              token_problems(c.sign(LISTED_MEETING, 0), ctx.secret, 0, LISTED_MEETING))
        check("another origin: sdksign's 403 JSON (property Origin), no CORS header",
              error_problems(c.sign(LISTED_MEETING, 0, {"Origin": OTHER_ORIGIN}), 403, ["Origin"], cors=None))
        check("a preflight from another origin: 403",
              error_problems(c.request("OPTIONS", dep.url("/"), None, dict(PREFLIGHT, Origin=OTHER_ORIGIN)),
                             403, ["Origin"], cors=None))
        check("a preflight from the allowed origin: 204",
              preflight_problems(c.request("OPTIONS", dep.url("/"), None, dict(PREFLIGHT, **allowed)),
                                 ALLOWED_ORIGIN))
        check("a meeting off the list: 403 JSON (property meetingNumber) with CORS for the origin",
              error_problems(c.sign(OTHER_MEETING, 0, allowed), 403, ["meetingNumber"], cors=ALLOWED_ORIGIN))
        result = c.request("POST", dep.url("/"), b"{}", allowed)
        check("{} (a token for any meeting): 403 (property meetingNumber)",
              error_problems(result, 403, ["meetingNumber"], cors=ALLOWED_ORIGIN))
        check("GET health from another origin: 200",
              health_problems(c.request("GET", dep.url("/health"), None, {"Origin": OTHER_ORIGIN})))
        check("host token through /zoom/signature, with unchecked Basic credentials: 403 (property role)",
              error_problems(c.sign(LISTED_MEETING, 1, dict(allowed, Authorization=basic(HOST_USER, "x"))),
                             403, ["role"], cors=ALLOWED_ORIGIN))
        check("host token through the authenticated address without credentials: lighttpd's 401",
              server_login_problems(c.sign(LISTED_MEETING, 1, allowed, at=HOST_LOCATION)))
        check("host token through the authenticated address with the password: 200, a valid token",
              token_problems(c.sign(LISTED_MEETING, 1, dict(allowed, Authorization=basic(HOST_USER, password)),
                                    at=HOST_LOCATION), ctx.secret, 1, LISTED_MEETING))
        check("a meeting off the list through the authenticated address: 403 (property meetingNumber)",
              error_problems(c.sign(OTHER_MEETING, 1, dict(allowed, Authorization=basic(HOST_USER, password)),
                                    at=HOST_LOCATION), 403, ["meetingNumber"], cors=ALLOWED_ORIGIN))
    return spec, checks


SCENARIOS = {
    "nginx-host-login": nginx_host_login,
    "apache-fcgid-bearer": bearer_scenario("apache-fcgid"),
    "apache-cgi-bearer": bearer_scenario("apache-cgi"),
    "apache-htaccess-bearer": apache_htaccess_bearer,
    "apache-fcgid-host-login": apache_fcgid_host_login,
    "lighttpd-origin-meetings": lighttpd_origin_meetings,
    "lighttpd-external-bearer": bearer_scenario("lighttpd-external"),
    "lighttpd-cgi-bearer": bearer_scenario("lighttpd-cgi"),
    "nginx-unix-bearer": bearer_scenario("nginx-unix"),
    "nginx-tcp-strict-all": nginx_tcp_strict_all,
    "nginx-without-empty-remote-user": nginx_without_empty_remote_user,
    "apache-fcgid-without-passheader": apache_fcgid_without_passheader,
    "apache-cgi-without-cgipassauth": apache_cgi_without_cgipassauth,
}


# ------------------------------------------------------------------------------------------------- main

def run_scenario(name, ctx, report):
    spec, checks = SCENARIOS[name](ctx)
    target = spec["target"]
    server = target.split("-")[0]
    if servers.find_program("apache2" if server == "apache" else server) is None:
        report.check(f"[{name}] {server} is installed", [f"{server} not found: install it (scripts/test does)"])
        return
    started = time.monotonic()
    dep = servers.Deployment(target, ctx.source_root, ctx.sdksign, ctx.plugin_dir, tokens.TEST_KEY,
                             ctx.secret, spec["conf"], files=spec.get("files"),
                             edit_shipped=spec.get("edit"), server_conf=spec.get("server_conf", ""))
    if "holder" in spec:
        spec["holder"]["dep"] = dep
    try:
        problems = dep.start()
        report.check(f"[{name}] {target} serves sdksign with the shipped files and this sdksign.conf: "
                     f"{spec['conf'].strip().replace(chr(10), '; ') or '(none: SetEnv)'}", problems,
                     f"port {dep.port}" if not problems else "")
        if problems:
            return

        def check(what, found):
            report.check(f"[{name}] {what}", found)
        try:
            checks(dep, Client(dep), check)
        except (OSError, http.client.HTTPException) as e:
            check("every request is answered", [f"{type(e).__name__}: {e}"])
        dep.stop_gracefully()
        logs = dep.all_logs()
        leaked = [what for what, text in [("the SDK secret", ctx.secret)] +
                  [("a bearer token or a password of the test", h) for h in spec.get("hidden", [])]
                  if text in logs]
        check("no log of the server or of sdksign holds the secret, the bearer token or a password",
              [f"{what} appears in a log" for what in leaked])
        check("no sanitizer report in the server's log or sdksign's stderr", dep.sanitizer_problems())
        if report.failed:
            hidden = spec.get("hidden", [])
            text = report.scrub(logs[-5000:])
            for value in hidden:
                text = text.replace(value, "<hidden>")
            print(f"--- {name} logs (last lines) ---\n{text}", flush=True)
    finally:
        dep.remove()
        print(f"     [{name}] {time.monotonic() - started:.1f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdksign", required=True)
    parser.add_argument("--plugin-dir", required=True)
    parser.add_argument("--source-root", required=True)
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS),
                        help="run only this scenario (repeatable; default: all)")
    args = parser.parse_args()
    ctx = argparse.Namespace(sdksign=os.path.abspath(args.sdksign), plugin_dir=os.path.abspath(args.plugin_dir),
                             source_root=os.path.abspath(args.source_root), secret=tokens.make_test_secret())
    report = reports.Report(ctx.secret)
    for name in args.scenario or list(SCENARIOS):
        run_scenario(name, ctx, report)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
