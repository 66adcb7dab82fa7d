"""The Video SDK endpoint through a deployment: video_requests.json sent below its mount point, over HTTP
(run_cases) or through any other way in (run_cases_through, e.g. sdksign run as a CGI program), each answer
checked (status, CORS, the error properties in order, a token signed with the video secret whose claims come
in the video sample's order with their JSON types, never the secret itself)."""

import json
import os

from harness import network, tokens

VIDEO_KEY = "sdksign-integration-video-key"
TABLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "video_requests.json")


def make_video_secret():
    """A fresh Video SDK secret, registered for the secret scan as the meeting one is."""
    return tokens.make_test_secret()


def load_cases():
    with open(TABLE, encoding="utf-8") as f:
        return json.load(f)["cases"]


def token_problems(token, case, key, secret):
    if not tokens.verify_signature(token, secret):
        return ["the signature does not verify with the video secret"]
    claims = json.loads(tokens.b64url_decode(token.split(".")[1]), object_pairs_hook=lambda pairs: pairs)
    times = dict(claims)
    problems = []
    if not (isinstance(times.get("iat"), int) and isinstance(times.get("exp"), int)):
        return [f"iat and exp are not integers: {claims!r:.300}"]
    if times["exp"] - times["iat"] != case["lifetime"]:
        problems.append(f"exp - iat is {times['exp'] - times['iat']}, not {case['lifetime']}")
    expected = [(name, key if value == "$key" else value) for name, value in case["claims"]]
    expected[4:4] = [("iat", times["iat"]), ("exp", times["exp"])]  # after version, as in the sample
    # Types matter (role_type 1, never "1"): compare the JSON text of each claim.
    if [(n, json.dumps(v)) for n, v in claims] != [(n, json.dumps(v)) for n, v in expected]:
        problems.append(f"claims {claims!r:.400}, expected {expected!r:.400}")
    return problems


def case_problems(case, status, headers, body, key, secret):
    problems = []
    if secret.encode("utf-8") in body:
        problems.append("THE VIDEO SECRET APPEARS IN THE RESPONSE")
    if status != case["status"]:
        problems.append(f"status {status}, expected {case['status']}: {body[:300]!r}")
    if network.find_headers(headers, "Access-Control-Allow-Origin") != ["*"]:
        problems.append("no Access-Control-Allow-Origin: *")
    try:
        document = json.loads(body)
    except ValueError:
        return problems + [f"not JSON: {body[:200]!r}"]
    if "claims" in case:
        if sorted(document) != ["signature"]:
            problems.append(f"a 200 has the signature alone, as the video sample's: {sorted(document)}")
        else:
            problems += token_problems(document["signature"], case, key, secret)
    elif "properties" in case:
        got = [error.get("property") for error in document.get("errors", [])]
        if got != case["properties"]:
            problems.append(f"error properties {got}, expected {case['properties']}")
    elif document != case["body"]:
        problems.append(f"body {document!r:.300}, expected {case['body']!r}")
    return problems


def run_cases(port, mount, key, secret):
    """Yields (case name, problems, detail) for every case, sent to 127.0.0.1:port below `mount`."""

    def send(method, path, body, headers):
        status, _reason, answer_headers, answer = network.http_request(port, method, path, body, headers)
        return status, answer_headers, answer, []

    yield from run_cases_through(send, mount, key, secret)


def run_cases_through(send, mount, key, secret):
    """Yields (case name, problems, detail) for every case, each handed to
    send(method, path, body bytes or None, request headers) -> (status, [(name, value)], body bytes,
    problems of the transport itself)."""
    for case in load_cases():
        path = mount + case["path"]
        body = json.dumps(case["json"]).encode("utf-8") if "json" in case else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            status, answer_headers, answer, problems = send(case["method"], path, body, headers)
            problems = problems + case_problems(case, status, answer_headers, answer, key, secret)
        except OSError as e:
            problems, status = [f"request failed: {type(e).__name__}: {e}"], "-"
        yield case["name"], problems, f"{case['method']} {path} -> {status}"
