#!/usr/bin/env python3
"""Checks that vault_server.py answers as Vault does (statuses, bodies, headers; see vault-api.md), since
the vault provider's tests and the rotation and fault tests trust it to stand in for Vault.

Usage: vault_server_check.py [--server PATH]   (default: vault_server.py beside this file)
"""
import argparse
import email.utils
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from harness import processes, reports

REPORT = reports.Report()
check = REPORT.expect


class Server:
    def __init__(self, script, directory, *extra):
        os.makedirs(directory, exist_ok=True)
        self.port_file = os.path.join(directory, "port")
        self.process = subprocess.Popen([sys.executable, script, "--port-file", self.port_file, *extra],
                                        stdin=subprocess.DEVNULL)
        # Certificates take a few seconds to make, more on a loaded machine.
        deadline = time.monotonic() + 60
        while not os.path.exists(self.port_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("vault_server.py did not start")
            time.sleep(0.02)
        self.port = int(open(self.port_file).read())
        self.control_port = int(open(self.port_file + ".control").read())

    def stop(self):
        processes.terminate(self.process)

    def control(self, route, body=None):
        method = "GET" if route in ("requests", "state") else "POST"
        status, _, answer = exchange(self.control_port, method, "/_test/" + route, body if method == "POST" else None)
        if status != 200:
            raise RuntimeError(f"control {route} answered {status}")
        return json.loads(answer)


def exchange(port, method, path, body=None, headers=None, context=None):
    if context is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    else:
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=data, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def vault(server, method, path, token="root", body=None, headers=None, context=None):
    all_headers = {"X-Vault-Request": "true"}
    if token is not None:
        all_headers["X-Vault-Token"] = token
    all_headers.update(headers or {})
    status, response_headers, text = exchange(server.port, method, path, body, all_headers, context)
    return status, response_headers, text, (json.loads(text) if text.strip() else None)


def check_plain(server):
    server.control("kv", {"path": "app/meeting", "data": {"key": "k", "secret": "s"}})
    status, headers, text, body = vault(server, "GET", "/v1/secret/data/app/meeting")
    check("kv2 read: 200", status == 200, status)
    check("kv2 read: JSON content type and no-store", headers.get("Content-Type") == "application/json" and
          headers.get("Cache-Control") == "no-store")
    check("kv2 read: body ends with a newline", text.endswith("\n"))
    check("kv2 read: envelope keys in Vault's order", list(body)[:8] == [
        "request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info", "warnings", "auth"], list(body))
    check("kv2 read: pairs at data.data, version in data.metadata",
          body["data"]["data"] == {"key": "k", "secret": "s"} and body["data"]["metadata"]["version"] == 1 and
          body["data"]["metadata"]["deletion_time"] == "" and body["lease_duration"] == 0)

    status, _, _, body = vault(server, "GET", "/v1/secret/data/missing")
    check("kv2 missing: 404 with empty errors", status == 404 and body == {"errors": []}, body)
    status, _, _, body = vault(server, "GET", "/v1/secret/data/app/meeting?version=7")
    check("kv2 missing version: 404 with empty errors", status == 404 and body == {"errors": []}, body)
    status, _, _, body = vault(server, "GET", "/v1/secret/app/meeting")
    check("v1 path on a v2 mount: 404, data null, the versioned K/V warning",
          status == 404 and body["data"] is None and "errors" not in body and
          body["warnings"][0].startswith("Invalid path for a versioned K/V secrets engine"), body)

    server.control("kv", {"path": "app/meeting", "data": {"key": "k2", "secret": "s2"}})
    server.control("kv/delete", {"path": "app/meeting", "versions": [1]})
    status, _, _, body = vault(server, "GET", "/v1/secret/data/app/meeting?version=1")
    check("deleted version: 404 envelope with data.data null and a deletion_time",
          status == 404 and "errors" not in body and body["data"]["data"] is None and
          body["data"]["metadata"]["deletion_time"] != "", body)
    status, _, _, body = vault(server, "GET", "/v1/secret/data/app/meeting")
    check("the latest version is still readable", status == 200 and body["data"]["metadata"]["version"] == 2)
    server.control("kv/destroy", {"path": "app/meeting"})
    status, _, _, body = vault(server, "GET", "/v1/secret/data/app/meeting")
    check("destroyed version: 404 envelope with destroyed true",
          status == 404 and body["data"]["data"] is None and body["data"]["metadata"]["destroyed"] is True, body)

    status, _, _, body = vault(server, "POST", "/v1/secret/data/written", body={"data": {"key": "w"}})
    check("kv2 write: 200 with the new version's metadata", status == 200 and body["data"]["version"] == 1, body)
    status, _, _, body = vault(server, "GET", "/v1/secret/data/written")
    check("kv2 write: readable", status == 200 and body["data"]["data"] == {"key": "w"})

    server.control("mount", {"path": "kv1", "version": 1})
    server.control("kv", {"mount": "kv1", "path": "p", "data": {"key": "k"}})
    status, _, _, body = vault(server, "GET", "/v1/kv1/p")
    check("kv1 read: pairs in data, advisory lease 2764800", status == 200 and body["data"] == {"key": "k"} and
          body["lease_duration"] == 2764800, body)
    status, _, _, body = vault(server, "GET", "/v1/kv1/missing")
    check("kv1 missing: 404 with empty errors", status == 404 and body == {"errors": []})

    status, _, _, body = vault(server, "GET", "/v1/secret/data/x", token="hvs.bogus")
    check("bad token: 403 wrapped 'permission denied' and 'invalid token'", status == 403 and
          "permission denied" in body["errors"][0] and "invalid token" in body["errors"][0], body)
    limited = server.control("token", {"paths": ["secret/data/other/*"]})["token"]
    status, _, _, body = vault(server, "GET", "/v1/secret/data/app/meeting", token=limited)
    check("ACL denial: 403 'permission denied' without 'invalid token'", status == 403 and
          "permission denied" in body["errors"][0] and "invalid token" not in body["errors"][0], body)
    status, _, _, _ = vault(server, "GET", "/v1/secret/data/missing", token=None,
                            headers={"Authorization": "Bearer root"})
    check("Authorization: Bearer is accepted", status == 404)

    server.control("kv", {"path": "ns", "namespace": "team-a", "data": {"key": "in-a"}})
    status, _, _, body = vault(server, "GET", "/v1/secret/data/ns", headers={"X-Vault-Namespace": "team-a/"})
    check("namespaces: found inside", status == 200 and body["data"]["data"]["key"] == "in-a")
    status, _, _, _ = vault(server, "GET", "/v1/secret/data/ns")
    check("namespaces: absent outside", status == 404)

    server.control("seal")
    status, _, _, body = vault(server, "GET", "/v1/secret/data/app/meeting")
    check("sealed: 503 'Vault is sealed'", status == 503 and body == {"errors": ["Vault is sealed"]}, body)
    status, _, _, body = vault(server, "GET", "/v1/sys/health", token=None)
    check("sealed: health 503 with sealed true", status == 503 and body["sealed"] is True)
    server.control("unseal")
    status, _, _, body = vault(server, "GET", "/v1/sys/health", token=None)
    check("health: 200, flat body", status == 200 and body["initialized"] is True and body["sealed"] is False)


def check_tokens_and_logins(server):
    token = server.control("token", {"ttl": 60, "max_ttl": 90})["token"]
    status, _, _, body = vault(server, "GET", "/v1/auth/token/lookup-self", token=token)
    check("lookup-self: ttl, expire_time, renewable", status == 200 and 0 < body["data"]["ttl"] <= 60 and
          body["data"]["expire_time"] and body["data"]["renewable"] is True, body)
    status, _, _, body = vault(server, "GET", "/v1/auth/token/lookup-self")
    check("lookup-self of root: ttl 0, no renewable", body["data"]["ttl"] == 0 and "renewable" not in body["data"])
    status, _, _, body = vault(server, "POST", "/v1/auth/token/renew-self", token=token, body={"increment": 60})
    check("renew-self: new TTL in auth.lease_duration", status == 200 and body["auth"]["lease_duration"] == 60)
    status, _, _, body = vault(server, "POST", "/v1/auth/token/renew-self", token=token, body={"increment": 600})
    check("renew-self past max TTL: 200, capped, with a warning", status == 200 and
          body["auth"]["lease_duration"] <= 90 and "max_ttl" in body["warnings"][0], body)
    fixed = server.control("token", {"ttl": 60, "renewable": False})["token"]
    status, _, _, body = vault(server, "POST", "/v1/auth/token/renew-self", token=fixed)
    check("renew-self not renewable: 400 'lease is not renewable'", status == 400 and
          body == {"errors": ["lease is not renewable"]}, body)
    short = server.control("token", {"ttl": 1})["token"]
    time.sleep(1.2)
    status, _, _, _ = vault(server, "GET", "/v1/auth/token/lookup-self", token=short)
    check("expired token: 403", status == 403)

    role = server.control("approle", {"role_name": "r", "token_ttl": 120})
    status, _, _, body = vault(server, "POST", "/v1/auth/approle/login", token=None,
                               body={"role_id": role["role_id"], "secret_id": role["secret_id"]})
    check("AppRole login: token in auth.client_token, TTL, renewable", status == 200 and
          body["auth"]["client_token"] and body["auth"]["lease_duration"] == 120 and body["auth"]["renewable"])
    status, _, _, body = vault(server, "POST", "/v1/auth/approle/login", token=None,
                               body={"role_id": role["role_id"], "secret_id": "wrong"})
    check("AppRole bad secret id: 400 'invalid role or secret ID'", status == 400 and
          body == {"errors": ["invalid role or secret ID"]}, body)
    server.control("kubernetes", {"role": "k", "jwt": "sa.jwt"})
    status, _, _, body = vault(server, "POST", "/v1/auth/kubernetes/login", token=None,
                               body={"role": "k", "jwt": "sa.jwt"})
    check("Kubernetes login: auth block", status == 200 and body["auth"]["client_token"])
    status, _, _, body = vault(server, "POST", "/v1/auth/nomount/login", token=None, body={"role_id": "r"})
    check("login at an auth mount that does not exist: 403 'permission denied' (no token, no login route)",
          status == 403 and body == {"errors": ["permission denied"]}, (status, body))
    status, _, _, body = vault(server, "GET", "/v1/secrets/data/app/meeting")
    check("read below a mount that does not exist, root token: 404 'no handler for route'", status == 404 and
          body["errors"][0].startswith('no handler for route "secrets/data/app/meeting"'), (status, body))


def check_faults(server):
    server.control("faults", {"kind": "status", "status": 429, "retry_after": 3})
    status, headers, _, body = vault(server, "GET", "/v1/secret/data/app/meeting")
    check("fault 429: status, Retry-After, errors body", status == 429 and headers.get("Retry-After") == "3" and
          body["errors"], (status, dict(headers)))
    server.control("faults", {"kind": "status", "status": 503, "retry_after_date": 30})
    status, headers, _, _ = vault(server, "GET", "/v1/secret/data/app/meeting")
    when = email.utils.parsedate_to_datetime(headers.get("Retry-After", ""))
    check("fault 503 with an HTTP-date Retry-After about 30 s ahead", status == 503 and
          25 <= when.timestamp() - time.time() <= 31, headers.get("Retry-After"))
    server.control("kv", {"path": "large", "data": {"key": "k", "secret": "s"}})
    server.control("faults", {"kind": "large", "bytes": 3 << 20})
    status, headers, text, body = vault(server, "GET", "/v1/secret/data/large")
    check("fault large: the normal answer with a warning of that many bytes", status == 200 and
          body["data"]["data"]["key"] == "k" and len(body["warnings"][-1]) == 3 << 20 and
          int(headers["Content-Length"]) == len(text.encode()), status)
    server.control("faults", {"kind": "status", "status": 412})
    check("fault 412", vault(server, "GET", "/v1/secret/data/x")[0] == 412)
    server.control("faults", {"kind": "redirect", "location": "http://127.0.0.1:9"})
    status, headers, _, _ = vault(server, "GET", "/v1/secret/data/x?version=1")
    check("fault 307: Location keeps path and query", status == 307 and
          headers.get("Location") == "http://127.0.0.1:9/v1/secret/data/x?version=1", headers.get("Location"))
    server.control("faults", {"kind": "drop"})
    try:
        vault(server, "GET", "/v1/secret/data/x")
        check("fault drop: no answer", False)
    except (http.client.HTTPException, OSError):
        check("fault drop: no answer", True)
    server.control("faults", {"kind": "slow", "delay_ms": 300})
    start = time.monotonic()
    vault(server, "GET", "/v1/secret/data/x")
    check("fault slow: answered after the delay", time.monotonic() - start >= 0.3)
    check("faults are used up", vault(server, "GET", "/v1/secret/data/x")[0] == 404)

    server.control("go-away")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=2):
            refused = False
    except OSError:
        refused = True
    check("go-away: connections refused", refused)
    check("go-away: control API still answers", server.control("state")["listening"] is False)
    server.control("come-back")
    check("come-back: same port answers again", vault(server, "GET", "/v1/sys/health", token=None)[0] == 200)
    seen = server.control("requests")["requests"]
    check("request log records X-Vault-Request", seen and seen[-1]["x_vault_request"] == "true")
    check("request log records the Host header", seen[-1]["host"] == f"127.0.0.1:{server.port}", seen[-1])


def check_go_json(server):
    server.control("kv", {"path": "html", "data": {"key": "<a&b>", "secret": "s"}})
    _, _, text, body = vault(server, "GET", "/v1/secret/data/html")
    check("JSON as Go writes it: <, > and & escaped to \\u003c, \\u003e and \\u0026",
          "\\u003ca\\u0026b\\u003e" in text and "<" not in text and body["data"]["data"]["key"] == "<a&b>", text)


def check_unix_socket(script, directory):
    path = os.path.join(directory, "agent.sock")
    server = Server(script, directory, "--unix-socket", path)
    try:
        server.control("kv", {"path": "agent", "data": {"key": "k", "secret": "s"}})
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(10)
            connection.connect(path)
            connection.sendall(b"GET /v1/secret/data/agent HTTP/1.1\r\nHost: localhost\r\nX-Vault-Token: root\r\n"
                               b"Connection: close\r\n\r\n")
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        head, _, payload = answer.partition(b"\r\n\r\n")
        check("unix socket: Vault's API as on the port", head.startswith(b"HTTP/1.1 200") and
              json.loads(payload)["data"]["data"]["key"] == "k", head[:40])
        check("unix socket: requests are logged", server.control("requests")["requests"][-1]["path"] ==
              "/v1/secret/data/agent")
    finally:
        server.stop()


def check_tls(script, directory):
    server = Server(script, directory, "--tls-dir", os.path.join(directory, "tls"), "--require-client-cert")
    try:
        tls = os.path.join(directory, "tls")
        context = ssl.create_default_context(cafile=os.path.join(tls, "ca.pem"))
        context.load_cert_chain(os.path.join(tls, "client.pem"), os.path.join(tls, "client.key"))
        status, _, _, _ = vault(server, "GET", "/v1/sys/health", token=None, context=context)
        check("TLS: the made CA verifies the server for 127.0.0.1, with a client certificate", status == 200)
        seen = server.control("requests")["requests"]
        check("TLS: the client certificate's CN is logged", seen[-1]["client_cert_cn"] == "sdksign-test-client")
        wrong = ssl.create_default_context(cafile=os.path.join(tls, "wrong-ca.pem"))
        try:
            vault(server, "GET", "/v1/sys/health", token=None, context=wrong)
            check("TLS: the wrong CA fails verification", False)
        except ssl.SSLCertVerificationError:
            check("TLS: the wrong CA fails verification", True)
        anonymous = ssl.create_default_context(cafile=os.path.join(tls, "ca.pem"))
        try:
            vault(server, "GET", "/v1/sys/health", token=None, context=anonymous)
            check("TLS: no client certificate is refused", False)
        except (ssl.SSLError, OSError, http.client.HTTPException):
            check("TLS: no client certificate is refused", True)
        check("TLS: accepted connections are counted, refused handshakes included",
              server.control("state")["tls_connections"] == 3, server.control("state"))
        second = Server(script, os.path.join(directory, "second"), "--tls-dir", tls, "--reuse-certificates")
        try:
            status, _, _, _ = vault(second, "GET", "/v1/sys/health", token=None, context=context)
            check("TLS: --reuse-certificates serves the first server's certificates", status == 200)
        finally:
            second.stop()
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "vault_server.py"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        server = Server(args.server, directory)
        try:
            check_plain(server)
            check_tokens_and_logins(server)
            check_faults(server)
            check_go_json(server)
        finally:
            server.stop()
        check_unix_socket(args.server, os.path.join(directory, "unix"))
        check_tls(args.server, os.path.join(directory, "https"))
    return REPORT.finish()


if __name__ == "__main__":
    sys.exit(main())
