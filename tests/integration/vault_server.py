#!/usr/bin/env python3
"""A Vault-compatible HTTP server for tests (no real Vault or OpenBao can be installed here).

It answers the parts of Vault's API that the `vault` credential provider uses, with Vault's statuses, bodies
and headers (see vault-api.md): KV v1 and v2 (versions, soft delete, destroy), tokens with TTL, max TTL and
renewal, AppRole and Kubernetes logins, namespaces, sys/health, TLS with a CA made at start-up, and fault
injection. Python 3 standard library only; certificates are made with the `openssl` command.

Command line
------------
    python3 vault_server.py --port-file PATH [--port N] [--tls-dir DIR] [--require-client-cert]
                            [--reuse-certificates] [--unix-socket PATH] [--root-token TOKEN]
                            [--kv-version 1|2]

  --port-file PATH   written once the server accepts connections: the Vault port, one decimal line. Beside it,
                     PATH.control holds the port of the control listener (plain HTTP, never goes away).
  --port N           Vault port (default 0: a free one). Both listeners bind 127.0.0.1 only.
  --tls-dir DIR      make a CA and certificates in DIR at start-up and serve HTTPS on the Vault port:
                       ca.pem, ca.key              the CA
                       server.pem, server.key      for 127.0.0.1 and localhost, signed by the CA
                       client.pem, client.key      a client certificate (CN=sdksign-test-client), same CA
                       wrong-ca.pem                an unrelated CA (for "wrong CA must fail" tests)
                     Client certificates are verified when sent; --require-client-cert makes them mandatory.
  --reuse-certificates  serve the certificates already in --tls-dir (another server's) instead of making new
                     ones: two servers with one CA, for redirects between them.
  --unix-socket PATH also serve Vault's API (plain HTTP, same state and faults) on a unix socket at PATH,
                     as Vault Agent's listener does; go-away does not close it.
  --root-token T     the root token (default `root`): no TTL, every path allowed.
  --kv-version V     version of the KV engine mounted at `secret/` (default 2).
tests/integration/vault_server_check.py checks these answers against Vault's documented ones.
The process runs until killed (SIGTERM/SIGINT end it cleanly). SIGUSR1 = go away, SIGUSR2 = come back.

Control API (not Vault's): JSON in, JSON out, on the control port and also under /_test/ on the Vault port.
Every POST body is a JSON object; omitted fields take the defaults shown. `namespace` is "" for the root.
  POST /_test/mount        {"path":"kv1","version":1,"namespace":""}                   -> {}
  POST /_test/kv           {"mount":"secret","path":"p","data":{...},"namespace":""}    -> {"version":N}
                           (writes a new version; creates the mount, version --kv-version, if missing)
  POST /_test/kv/delete    {"mount","path","versions":[N...]} soft-deletes (default: the latest version)
  POST /_test/kv/undelete  {"mount","path","versions":[N...]}
  POST /_test/kv/destroy   {"mount","path","versions":[N...]} destroys (default: the latest version)
  POST /_test/token        {"token":(generated),"ttl":0,"max_ttl":0,"renewable":true,"paths":["*"]}
                           -> {"token":T}. ttl 0 = never expires. `paths` are ACL globs on the API path
                           without /v1/ (e.g. "secret/data/app/*"; `*` as a suffix, `+` for one segment).
  POST /_test/token/revoke {"token":T}
  POST /_test/approle      {"mount":"approle","role_name":"r","role_id":(generated),"token_ttl":3600,
                            "token_max_ttl":0,"renewable":true,"paths":["*"]}
                           -> {"role_id":R,"secret_id":S}  (the mount is created if missing)
  POST /_test/approle/secret-id {"mount":"approle","role_name":"r"} -> {"secret_id":S}
  POST /_test/kubernetes   {"mount":"kubernetes","role":"r","jwt":J,"token_ttl":3600,"token_max_ttl":0,
                            "renewable":true,"paths":["*"]}  accepts service-account token J for role r
  POST /_test/seal {} / POST /_test/unseal {}
  POST /_test/faults       {"kind":K,"count":1,"path":"/v1/", ...} queues a fault for the next `count`
                           requests (-1: until cleared) whose path starts with `path` (never /_test/):
                             "status":   {"status":500,"retry_after":(no header),"errors":[(Vault's words)]}
                                         answers that status, with Retry-After: N when retry_after is given,
                                         or Retry-After as an HTTP date N s from now with "retry_after_date"
                             "redirect": {"location":"http://127.0.0.1:P"} 307 to the same path there
                             "slow":     {"delay_ms":2000} answers normally after the delay
                             "drop":     closes the connection without answering
                             "wrap":     answers normally but with a non-null wrap_info
                             "large":    {"bytes":N} answers normally with a warning of N bytes added
                           Faults are tried in the order queued; the first match applies.
  POST /_test/faults/clear {}
  POST /_test/go-away      {"seconds":0}  closes the Vault listener and its open connections, so new ones
                           are refused; on the control port it answers once that is done. With seconds > 0
                           it comes back by itself after that long
  POST /_test/come-back    {}             listens again on the same port
  GET  /_test/requests     -> {"requests":[{"method","path","query","namespace","x_vault_request",
                              "token","client_cert_cn","host","status"}...]}  the last 10000 /v1/ requests, oldest
                              first (status null for a dropped connection); "path" as sent, percent-encoded
  POST /_test/requests/clear {}
  GET  /_test/state        -> {"sealed":bool,"listening":bool,"port":P,"tls":bool,"tls_connections":N}
                              N counts the connections accepted on the TLS port since start-up, whether
                              their handshake succeeds or not (so a refused handshake shows as one)
Vault's own writes work as well, with a token: POST /v1/<mount>/data/<path> {"data":{...}} on a v2 mount,
POST /v1/<mount>/<path> {...} on a v1 mount.
"""
import argparse
import collections
import datetime
import email.utils
import http.server
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

INVALID_V2_PATH = ("Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API "
                   "endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.")
DEFAULT_V1_LEASE = 2764800


def now():
    return time.time()


def rfc3339(timestamp):
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def wrapped_errors(*messages):
    """Vault's multierror wording, which clients have to match by substring."""
    noun = "error" if len(messages) == 1 else "errors"
    return f"{len(messages)} {noun} occurred:\n" + "".join(f"\t* {m}\n" for m in messages) + "\n"


def go_json(payload):
    """JSON as Go's encoding/json writes it for Vault: `<`, `>` and `&` escaped to six bytes each (they only
    occur inside strings, so replacing them after encoding is safe)."""
    return json.dumps(payload).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def normalize_namespace(value):
    return (value or "").strip("/")


def path_allowed(patterns, path):
    for pattern in patterns:
        if pattern == "*":
            return True
        regex = "".join("[^/]+" if part == "+" else re.escape(part) for part in re.split(r"(\+)", pattern))
        if regex.endswith(re.escape("*")):
            regex = regex[: -len(re.escape("*"))] + ".*"
        if re.fullmatch(regex, path):
            return True
    return False


class HttpError(Exception):
    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def errors(status, *messages):
    return HttpError(status, {"errors": list(messages)})


class Token:
    def __init__(self, token_id, ttl, max_ttl, renewable, paths, root=False, path="auth/token/create"):
        self.id = token_id
        self.accessor = secrets.token_hex(12)
        self.created = now()
        self.creation_ttl = ttl
        self.ttl = ttl
        self.max_ttl = max_ttl
        self.renewable = renewable and not root
        self.paths = paths
        self.root = root
        self.path = path
        self.expires = None if ttl == 0 else self.created + ttl
        self.revoked = False

    def valid(self):
        return not self.revoked and (self.expires is None or now() < self.expires)

    def remaining(self):
        return 0 if self.expires is None else max(0, int(round(self.expires - now())))


class KvMount:
    def __init__(self, version):
        self.version = version
        self.secrets = {}  # path -> v1: dict; v2: {"versions": {n: entry}, "current": n}


class State:
    def __init__(self, root_token, kv_version):
        self.lock = threading.RLock()
        self.sealed = False
        self.default_kv_version = kv_version
        self.mounts = {("", "secret"): KvMount(kv_version)}
        self.tokens = {root_token: Token(root_token, 0, 0, False, ["*"], root=True, path="auth/token/root")}
        self.approles = {}  # (mount, role_id) -> role dict
        self.kubernetes = {}  # (mount, role) -> role dict
        self.auth_mounts = {"approle": "approle", "kubernetes": "kubernetes"}
        self.faults = []
        self.requests = collections.deque(maxlen=10000)
        self.tls_connections = 0

    def mount_for(self, namespace, path):
        """The longest mount that prefixes `path`, and the rest of the path."""
        best = None
        for (ns, mount), engine in self.mounts.items():
            if ns == namespace and (path == mount or path.startswith(mount + "/")):
                if best is None or len(mount) > len(best[0]):
                    best = (mount, engine)
        if best is None:
            return None, None, None
        return best[0], best[1], path[len(best[0]) + 1:]

    def mount(self, namespace, name, version=None):
        key = (normalize_namespace(namespace), name.strip("/"))
        if key not in self.mounts:
            self.mounts[key] = KvMount(version or self.default_kv_version)
        return self.mounts[key]

    def new_token(self, ttl, max_ttl, renewable, paths, token_id=None, path="auth/token/create"):
        token = Token(token_id or "hvs." + secrets.token_urlsafe(24), ttl, max_ttl, renewable, paths, path=path)
        self.tokens[token.id] = token
        return token


def envelope(data=None, auth=None, warnings=None, lease_duration=0, renewable=False, lease_id="",
             mount_type=None, wrap_info=None):
    body = {
        "request_id": str(uuid.uuid4()),
        "lease_id": lease_id,
        "renewable": renewable,
        "lease_duration": lease_duration,
        "data": data,
        "wrap_info": wrap_info,
        "warnings": warnings,
        "auth": auth,
    }
    if mount_type is not None:
        body["mount_type"] = mount_type
    return body


def auth_block(token, metadata=None):
    return {
        "client_token": token.id,
        "accessor": token.accessor,
        "policies": ["default"],
        "token_policies": ["default"],
        "metadata": metadata or {},
        "lease_duration": token.ttl,
        "renewable": token.renewable,
        "entity_id": "",
        "token_type": "service",
        "orphan": True,
        "mfa_requirement": None,
        "num_uses": 0,
    }


class VaultApi:
    """Vault's own routes (everything under /v1/)."""

    def __init__(self, state):
        self.state = state

    def handle(self, method, path, query, headers, body):
        state = self.state
        route = path[len("/v1/"):]
        namespace = normalize_namespace(headers.get("X-Vault-Namespace"))
        with state.lock:
            if route == "sys/health":
                return self.health()
            if state.sealed:
                raise errors(503, "Vault is sealed")
            login = re.fullmatch(r"auth/(.+)/login", route)
            if login and method in ("POST", "PUT"):
                if login.group(1) in state.auth_mounts:
                    return self.login(login.group(1), body)
                if not headers.get("X-Vault-Token"):
                    # No auth method claims the path, so it is not a login: a request without a token.
                    raise errors(403, "permission denied")
            token = self.authenticate(headers)
            if route == "auth/token/lookup-self" and method == "GET":
                return self.lookup_self(token)
            if route == "auth/token/renew-self" and method in ("POST", "PUT"):
                return self.renew_self(token, body)
            if route.startswith("auth/"):
                raise errors(404, f'no handler for route "{route}". route entry not found.')
            return self.kv(method, route, query, namespace, token, body)

    def health(self):
        sealed = self.state.sealed
        body = {"initialized": True, "sealed": sealed, "standby": False, "performance_standby": False,
                "replication_performance_mode": "disabled", "replication_dr_mode": "disabled",
                "server_time_utc": int(now()), "version": "1.15.6", "cluster_name": "vault-test",
                "cluster_id": "00000000-0000-0000-0000-000000000000"}
        return (503 if sealed else 200), body

    def authenticate(self, headers):
        value = headers.get("X-Vault-Token")
        if not value:
            authorization = headers.get("Authorization", "")
            if authorization.lower().startswith("bearer "):
                value = authorization[len("bearer "):].strip()
        token = self.state.tokens.get(value) if value else None
        if token is None or not token.valid():
            if value:
                raise errors(403, wrapped_errors("permission denied", "invalid token"))
            raise errors(403, "permission denied")
        return token

    def login(self, mount, body):
        kind = self.state.auth_mounts.get(mount)
        if kind is None:
            raise errors(404, f'no handler for route "auth/{mount}/login". route entry not found.')
        if kind == "approle":
            role = self.state.approles.get((mount, body.get("role_id")))
            if role is None or body.get("secret_id") not in role["secret_ids"]:
                raise errors(400, "invalid role or secret ID")
            metadata = {"role_name": role["role_name"]}
        else:
            role = self.state.kubernetes.get((mount, body.get("role")))
            if role is None:
                raise errors(400, f'invalid role name "{body.get("role")}"')
            if body.get("jwt") != role["jwt"]:
                raise errors(403, wrapped_errors("permission denied"))
            metadata = {"role": role["role"]}
        token = self.state.new_token(role["token_ttl"], role["token_max_ttl"], role["renewable"], role["paths"],
                                     path=f"auth/{mount}/login")
        return 200, envelope(auth=auth_block(token, metadata))

    def lookup_self(self, token):
        data = {
            "accessor": token.accessor,
            "creation_time": int(token.created),
            "creation_ttl": token.creation_ttl,
            "display_name": "token",
            "entity_id": "",
            "expire_time": None if token.expires is None else rfc3339(token.expires),
            "explicit_max_ttl": token.max_ttl,
            "id": token.id,
            "issue_time": rfc3339(token.created),
            "meta": None,
            "num_uses": 0,
            "orphan": True,
            "path": token.path,
            "policies": ["root"] if token.root else ["default"],
            "ttl": token.remaining(),
            "type": "service",
        }
        if not token.root:
            data["renewable"] = token.renewable
        return 200, envelope(data=data)

    def renew_self(self, token, body):
        if not token.renewable:
            raise errors(400, "lease is not renewable")
        increment = int(body.get("increment") or token.creation_ttl)
        warnings = None
        ttl = increment
        if token.max_ttl:
            left = int(token.created + token.max_ttl - now())
            if left <= 0:
                token.revoked = True
                raise errors(403, wrapped_errors("permission denied", "invalid token"))
            if ttl > left:
                warnings = [f'TTL of "{increment}s" exceeded the effective max_ttl of "{left}s"; '
                            "TTL value is capped accordingly"]
                ttl = left
        token.ttl = ttl
        token.expires = now() + ttl if ttl else None
        return 200, envelope(auth=auth_block(token), warnings=warnings)

    def kv(self, method, route, query, namespace, token, body):
        mount, engine, rest = self.state.mount_for(namespace, route)
        if engine is None:
            if token.root:
                raise errors(404, f'no handler for route "{route}". route entry not found.')
            raise errors(403, wrapped_errors("permission denied"))
        if not path_allowed(token.paths, route):
            raise errors(403, wrapped_errors("permission denied"))
        if engine.version == 1:
            return self.kv1(method, engine, rest, body)
        if not rest.startswith("data/"):
            return 404, envelope(warnings=[INVALID_V2_PATH])
        return self.kv2(method, engine, rest[len("data/"):], query, body)

    @staticmethod
    def kv1(method, engine, path, body):
        if method in ("POST", "PUT"):
            engine.secrets[path] = dict(body)
            return 204, None
        if method != "GET":
            raise errors(405, "unsupported operation")
        pairs = engine.secrets.get(path)
        if pairs is None:
            raise errors(404)
        lease = DEFAULT_V1_LEASE
        if "ttl" in pairs:
            try:
                lease = int(str(pairs["ttl"]).rstrip("s"))
            except ValueError:
                pass
        return 200, envelope(data=dict(pairs), lease_duration=lease, mount_type="kv")

    @staticmethod
    def kv2(method, engine, path, query, body):
        if method in ("POST", "PUT"):
            version = write_v2(engine, path, body.get("data") or {})
            entry = engine.secrets[path]["versions"][version]
            return 200, envelope(data=metadata_of(entry, version), mount_type="kv")
        if method != "GET":
            raise errors(405, "unsupported operation")
        record = engine.secrets.get(path)
        if record is None:
            raise errors(404)
        wanted = record["current"]
        if "version" in query:
            try:
                wanted = int(query["version"][0])
            except ValueError:
                raise errors(400, "invalid version")
            if wanted == 0:
                wanted = record["current"]
        entry = record["versions"].get(wanted)
        if entry is None:
            raise errors(404)
        deleted = entry["deletion_time"] and entry["deletion_time"] <= now()
        if deleted or entry["destroyed"]:
            return 404, envelope(data={"data": None, "metadata": metadata_of(entry, wanted)}, mount_type="kv")
        return 200, envelope(data={"data": dict(entry["data"]), "metadata": metadata_of(entry, wanted)},
                             mount_type="kv")


def write_v2(engine, path, data):
    record = engine.secrets.setdefault(path, {"versions": {}, "current": 0})
    record["current"] += 1
    record["versions"][record["current"]] = {"data": dict(data), "created": now(), "deletion_time": None,
                                             "destroyed": False}
    return record["current"]


def metadata_of(entry, version):
    return {"created_time": rfc3339(entry["created"]), "custom_metadata": None,
            "deletion_time": rfc3339(entry["deletion_time"]) if entry["deletion_time"] else "",
            "destroyed": entry["destroyed"], "version": version}


class Control:
    """The /_test/ routes."""

    def __init__(self, server, via_control_port):
        self.server = server
        self.state = server.state
        self.via_control_port = via_control_port

    def handle(self, method, route, body):
        state = self.state
        with state.lock:
            if method == "GET" and route == "requests":
                return {"requests": list(state.requests)}
            if method == "GET" and route == "state":
                return {"sealed": state.sealed, "listening": self.server.listening(), "port": self.server.port,
                        "tls": self.server.tls_context is not None,
                        "tls_connections": state.tls_connections}
            if method != "POST":
                raise errors(405, "control routes take POST")
            handler = getattr(self, "do_" + route.replace("/", "_").replace("-", "_"), None)
            if handler is None:
                raise errors(404, f"no control route {route}")
            return handler(body) or {}

    def do_mount(self, body):
        self.state.mount(body.get("namespace"), body.get("path", "secret"), int(body.get("version", 2)))

    def _v2_entries(self, body):
        engine = self.state.mount(body.get("namespace"), body.get("mount", "secret"))
        record = engine.secrets.get(body["path"])
        if engine.version != 2 or record is None:
            raise errors(400, "no such versioned secret")
        versions = body.get("versions") or [record["current"]]
        return [record["versions"][v] for v in versions if v in record["versions"]]

    def do_kv(self, body):
        engine = self.state.mount(body.get("namespace"), body.get("mount", "secret"))
        if engine.version == 1:
            engine.secrets[body["path"]] = dict(body.get("data") or {})
            return {"version": 0}
        return {"version": write_v2(engine, body["path"], body.get("data") or {})}

    def do_kv_delete(self, body):
        for entry in self._v2_entries(body):
            entry["deletion_time"] = now()

    def do_kv_undelete(self, body):
        for entry in self._v2_entries(body):
            entry["deletion_time"] = None

    def do_kv_destroy(self, body):
        for entry in self._v2_entries(body):
            entry["destroyed"] = True
            entry["data"] = {}

    def do_token(self, body):
        token = self.state.new_token(int(body.get("ttl", 0)), int(body.get("max_ttl", 0)),
                                     bool(body.get("renewable", True)), body.get("paths", ["*"]), body.get("token"))
        return {"token": token.id}

    def do_token_revoke(self, body):
        token = self.state.tokens.get(body.get("token"))
        if token is not None:
            token.revoked = True

    def _role(self, body):
        return {"token_ttl": int(body.get("token_ttl", 3600)), "token_max_ttl": int(body.get("token_max_ttl", 0)),
                "renewable": bool(body.get("renewable", True)), "paths": body.get("paths", ["*"])}

    def do_approle(self, body):
        mount = body.get("mount", "approle")
        self.state.auth_mounts[mount] = "approle"
        role_id = body.get("role_id") or str(uuid.uuid4())
        role = self._role(body)
        role.update(role_name=body.get("role_name", "sdksign"), secret_ids=set())
        self.state.approles[(mount, role_id)] = role
        secret_id = str(uuid.uuid4())
        role["secret_ids"].add(secret_id)
        return {"role_id": role_id, "secret_id": secret_id}

    def do_approle_secret_id(self, body):
        mount = body.get("mount", "approle")
        for (role_mount, _), role in self.state.approles.items():
            if role_mount == mount and role["role_name"] == body.get("role_name", "sdksign"):
                secret_id = str(uuid.uuid4())
                role["secret_ids"].add(secret_id)
                return {"secret_id": secret_id}
        raise errors(404, "no such role")

    def do_kubernetes(self, body):
        mount = body.get("mount", "kubernetes")
        self.state.auth_mounts[mount] = "kubernetes"
        role = self._role(body)
        role.update(role=body.get("role", "sdksign"), jwt=body["jwt"])
        self.state.kubernetes[(mount, role["role"])] = role

    def do_seal(self, _body):
        self.state.sealed = True

    def do_unseal(self, _body):
        self.state.sealed = False

    def do_faults(self, body):
        if body.get("kind") not in ("status", "redirect", "slow", "drop", "wrap", "large"):
            raise errors(400, "unknown fault kind")
        fault = dict(body)
        fault.setdefault("count", 1)
        fault.setdefault("path", "/v1/")
        self.state.faults.append(fault)

    def do_faults_clear(self, _body):
        self.state.faults.clear()

    def do_go_away(self, body):
        seconds = float(body.get("seconds", 0))
        if self.via_control_port:
            # Synchronous: once the answer arrives, connections are refused.
            self.server.go_away(seconds)
        else:
            # Asked through the listener that is closing: answer first, close a moment later.
            threading.Thread(target=self.server.go_away, args=(seconds,), daemon=True).start()

    def do_come_back(self, _body):
        self.server.come_back()

    def do_requests_clear(self, _body):
        self.state.requests.clear()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vault-test"
    sys_version = ""

    def log_message(self, *_args):
        pass  # quiet: the request log is available through /_test/requests

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        value = json.loads(raw)
        if not isinstance(value, dict):
            raise ValueError("body is not a JSON object")
        return value

    def client_cn(self):
        getter = getattr(self.connection, "getpeercert", None)
        certificate = getter() if getter else None
        for entry in (certificate or {}).get("subject", ()):
            for name, value in entry:
                if name == "commonName":
                    return value
        return None

    def dispatch(self, method):
        app = self.server.app
        parsed = urllib.parse.urlsplit(self.path)
        # Vault routes on the decoded path (Go's url.URL.Path); the log keeps what was sent.
        path = urllib.parse.unquote(parsed.path)
        query = urllib.parse.parse_qs(parsed.query)
        try:
            body = self.read_body()
        except ValueError:
            self.send_json(400, {"errors": ["failed to parse JSON input"]})
            return
        if path.startswith("/_test/"):
            try:
                self.send_json(200, Control(app, self.server.control_only).handle(method, path[len("/_test/"):].strip("/"), body))
            except HttpError as e:
                self.send_json(e.status, e.body)
            except (KeyError, TypeError, ValueError) as e:
                self.send_json(400, {"errors": [f"bad control request: {e!r}"]})
            return
        if self.server.control_only or not path.startswith("/v1/"):
            self.send_json(404, {"errors": []})
            return
        entry = {"method": method, "path": parsed.path, "query": parsed.query,
                 "namespace": self.headers.get("X-Vault-Namespace"),
                 "x_vault_request": self.headers.get("X-Vault-Request"),
                 "token": self.headers.get("X-Vault-Token"), "client_cert_cn": self.client_cn(),
                 "host": self.headers.get("Host"), "status": None}
        with app.state.lock:
            app.state.requests.append(entry)
            fault = app.take_fault(path)
        status, payload, headers = self.answer(app, fault, method, path, query, body)
        entry["status"] = status
        if status is None:
            return
        self.send_json(status, payload, headers)

    def answer(self, app, fault, method, path, query, body):
        """(status, body, headers); status None when the connection was dropped."""
        kind = fault["kind"] if fault else None
        if kind == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None, None, None
        if kind == "slow":
            time.sleep(float(fault.get("delay_ms", 1000)) / 1000)
        if kind == "status":
            status = int(fault.get("status", 500))
            headers = {}
            if fault.get("retry_after") is not None:
                headers["Retry-After"] = str(fault["retry_after"])
            if fault.get("retry_after_date") is not None:
                headers["Retry-After"] = email.utils.formatdate(now() + float(fault["retry_after_date"]), usegmt=True)
            default = {429: "request path \"" + path[4:] + "\": rate limit quota exceeded",
                       412: "required index state not present", 503: "Vault is sealed"}
            return status, {"errors": fault.get("errors", [default.get(status, "internal error")])}, headers
        if kind == "redirect":
            location = fault["location"].rstrip("/") + self.path
            return 307, None, {"Location": location}
        try:
            status, payload = VaultApi(app.state).handle(method, path, query, self.headers, body)
        except HttpError as e:
            status, payload = e.status, e.body
        if kind == "large" and isinstance(payload, dict):
            payload["warnings"] = (payload.get("warnings") or []) + ["w" * int(fault.get("bytes", 1 << 20))]
        if kind == "wrap" and isinstance(payload, dict) and "wrap_info" in payload:
            payload["wrap_info"] = {"token": "hvs.wrapped", "accessor": "", "ttl": 300,
                                    "creation_time": rfc3339(now()), "creation_path": path[4:]}
        return status, payload, {}

    def send_json(self, status, payload, headers=None):
        data = b"" if payload is None else (go_json(payload) + "\n").encode()
        try:
            self.send_response(status)
            if payload is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


class Listener(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app, port, tls_context, control_only):
        self.app = app
        self.control_only = control_only
        self.tls_context = tls_context
        self.connections = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), Handler)

    def get_request(self):
        sock, address = self.socket.accept()
        if self.tls_context is not None:
            # Counted at accept, before any handshake: a client cannot see its handshake fail before that.
            with self.app.state.lock:
                self.app.state.tls_connections += 1
            # The handshake happens in the connection's own thread (finish_request), so a slow or failing
            # client never holds up the accept loop.
            sock = self.tls_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self.connections_lock:
            self.connections.add(sock)
        return sock, address

    def finish_request(self, request, client_address):
        if self.tls_context is not None:
            request.settimeout(10)
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return
            request.settimeout(None)
        super().finish_request(request, client_address)

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        pass  # a client that hangs up mid-answer is expected in fault tests

    def drop_connections(self):
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class UnixListener(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Vault's API on a unix socket, as Vault Agent's listener serves it (plain HTTP)."""
    daemon_threads = True

    def __init__(self, app, path):
        self.app = app
        self.control_only = False
        self.tls_context = None
        if os.path.exists(path):
            os.unlink(path)
        super().__init__(path, Handler)

    def handle_error(self, request, client_address):
        pass


class VaultServer:
    def __init__(self, args):
        self.state = State(args.root_token, args.kv_version)
        self.tls_context = (make_tls_context(args.tls_dir, args.require_client_cert, args.reuse_certificates)
                            if args.tls_dir else None)
        self.lock = threading.Lock()
        self.listener = None
        self.port = args.port
        self.come_back_timer = None
        self.start_listener()
        self.port = self.listener.server_address[1]
        self.control = Listener(self, 0, None, True)
        threading.Thread(target=self.control.serve_forever, daemon=True).start()
        if args.unix_socket:
            self.unix = UnixListener(self, args.unix_socket)
            threading.Thread(target=self.unix.serve_forever, daemon=True).start()

    def start_listener(self):
        deadline = time.monotonic() + 5
        while True:
            try:
                listener = Listener(self, self.port, self.tls_context, False)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.listener = listener
        threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def listening(self):
        return self.listener is not None

    def take_fault(self, path):
        for fault in self.state.faults:
            if path.startswith(fault["path"]) and fault["count"] != 0:
                if fault["count"] > 0:
                    fault["count"] -= 1
                if fault["count"] == 0:
                    self.state.faults.remove(fault)
                return fault
        return None

    def go_away(self, seconds=0):
        with self.lock:
            listener, self.listener = self.listener, None
            if listener is not None:
                listener.shutdown()
                listener.server_close()
                listener.drop_connections()
            if seconds > 0:
                self.come_back_timer = threading.Timer(seconds, self.come_back)
                self.come_back_timer.daemon = True
                self.come_back_timer.start()

    def come_back(self):
        with self.lock:
            if self.listener is None:
                self.start_listener()


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   timeout=60)


def make_certificates(directory):
    os.makedirs(directory, exist_ok=True)
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for name, subject in (("ca", "/CN=sdksign test CA"), ("wrong-ca", "/CN=an unrelated CA")):
        openssl("req", "-x509", *key, "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
                "-subj", subject, "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    leaves = (("server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
              ("client", "/CN=sdksign-test-client", "extendedKeyUsage=clientAuth"))
    for name, subject, extensions in leaves:
        with open(os.path.join(directory, f"{name}.ext"), "w") as f:
            f.write("basicConstraints=CA:FALSE\n" + extensions + "\n")
        openssl("req", "-new", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=directory)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=directory)
    for name in os.listdir(directory):
        if name.endswith(".key"):
            os.chmod(os.path.join(directory, name), 0o600)


def make_tls_context(directory, require_client_cert, reuse_certificates=False):
    if not reuse_certificates:
        make_certificates(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(directory, "server.pem"), os.path.join(directory, "server.key"))
    context.load_verify_locations(os.path.join(directory, "ca.pem"))
    context.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    return context


def main():
    parser = argparse.ArgumentParser(description="Vault-compatible test server (see the module docstring)")
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-dir")
    parser.add_argument("--require-client-cert", action="store_true")
    parser.add_argument("--reuse-certificates", action="store_true")
    parser.add_argument("--unix-socket")
    parser.add_argument("--root-token", default="root")
    parser.add_argument("--kv-version", type=int, choices=(1, 2), default=2)
    args = parser.parse_args()

    server = VaultServer(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGUSR1, lambda *_: threading.Thread(target=server.go_away, daemon=True).start())
    signal.signal(signal.SIGUSR2, lambda *_: threading.Thread(target=server.come_back, daemon=True).start())

    # Written through a temporary name so a reader never sees a half-written port.
    for path, port in ((args.port_file + ".control", server.control.server_address[1]),
                       (args.port_file, server.port)):
        temporary = path + ".tmp"
        with open(temporary, "w") as f:
            f.write(f"{port}\n")
        os.replace(temporary, path)
    while not stop.wait(0.5):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
