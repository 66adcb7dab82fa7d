"""sdksign's HTTP contract, as checks: each returns the list of what is wrong with an answer (empty: right).

An answer is (status, headers, body): headers as http.client gives them ([(name, value)]) for header(),
token_problems(), error_problems() and bearer_refusal_problems(); as network.read_response reads them
({lower-case name: [values]}) for server_error_problems(), which checks answers read off a raw socket.
"""

import json

from harness import tokens
from harness.network import find_headers


def body_of(meeting=None, role=0):
    """A signature request's JSON body: {} without a meeting (unless a role is given), else both fields."""
    document = {} if meeting is None else {"meetingNumber": meeting, "role": role}
    if meeting is None and role:
        document["role"] = role
    return json.dumps(document).encode()


def header(result, name):
    found = find_headers(result[1], name)
    return found[0] if found else None


def token_problems(result, secret, role, meeting):
    status, _headers, body = result
    if status != 200:
        return [f"status {status}, expected 200: {body[:300]!r}"]
    try:
        document = json.loads(body)
        token = document["signature"]
        claims = json.loads(tokens.b64url_decode(token.split(".")[1]))
    except (ValueError, KeyError, TypeError, IndexError) as e:
        return [f"not a signature body ({type(e).__name__}): {body[:300]!r}"]
    problems = []
    if not tokens.verify_signature(token, secret):
        problems.append("the token does not verify with the test secret")
    if document.get("sdkKey") != tokens.TEST_KEY:
        problems.append(f"sdkKey {document.get('sdkKey')!r}")
    if claims.get("role") != role:
        problems.append(f"role claim {claims.get('role')!r}, expected {role}")
    if claims.get("mn") != meeting:
        problems.append(f"mn claim {claims.get('mn')!r}, expected {meeting!r}")
    return problems


def error_problems(result, status, properties, cors="*"):
    """sdksign's JSON error: the status, the properties in order, and the CORS header (None: absent)."""
    got, _headers, body = result
    problems = [] if got == status else [f"status {got}, expected {status}"]
    try:
        document = json.loads(body)
        found = [e["property"] for e in document["errors"]]
        if found != properties:
            problems.append(f"error properties {found}, expected {properties}")
        if not all(isinstance(e.get("reason"), str) and e["reason"] for e in document["errors"]):
            problems.append("an error without a reason")
    except (ValueError, KeyError, TypeError) as e:
        problems.append(f"not sdksign's JSON error ({type(e).__name__}): {body[:300]!r}")
    if header(result, "Access-Control-Allow-Origin") != cors:
        problems.append(f"Access-Control-Allow-Origin {header(result, 'Access-Control-Allow-Origin')!r}, "
                        f"expected {cors!r}")
    if b'"signature"' in body:
        problems.append("the answer holds a signature")
    return problems


def bearer_refusal_problems(result, cors="*"):
    """sdksign's 401 for a missing or wrong bearer token: error_problems and its Bearer challenge."""
    problems = error_problems(result, 401, ["Authorization"], cors=cors)
    if header(result, "WWW-Authenticate") != 'Bearer realm="sdksign"':
        problems.append(f"WWW-Authenticate {header(result, 'WWW-Authenticate')!r}")
    return problems


def server_error_problems(answer, statuses, prop):
    """What is wrong with an answer the web server made itself, against sdksign's error contract: a status
    of `statuses`, JSON {"errors":[{"property": prop, "reason": "..."}]}, Content-Type
    application/json; charset=utf-8, Access-Control-Allow-Origin: * and Cache-Control: no-store."""
    status, headers, body = answer
    problems = []
    if status not in statuses:
        problems.append(f"status {status}, expected {' or '.join(map(str, statuses))}")
    try:
        errors = json.loads(body)["errors"]
        if [e["property"] for e in errors] != [prop] or not all(isinstance(e["reason"], str) and e["reason"]
                                                               for e in errors):
            problems.append(f"errors {errors!r}, expected one with property {prop!r} and a reason")
    except (ValueError, KeyError, TypeError) as e:
        problems.append(f"the body is not sdksign's JSON error shape ({type(e).__name__}): {body[:200]!r}")
    for name, wanted in (("content-type", "application/json; charset=utf-8"),
                         ("access-control-allow-origin", "*"), ("cache-control", "no-store")):
        if headers.get(name) != [wanted]:
            problems.append(f"{name}: {headers.get(name)}, expected [{wanted!r}]")
    if b"signature" in body:
        problems.append("signed")
    return problems
