"""The test credentials and the checks of the JWTs sdksign signs with them."""

import base64
import hashlib
import hmac
import json
import secrets

import evidence

TEST_KEY = "sdksign-integration-key"


def make_test_secret():
    """A fresh secret with a non-ASCII character (the HMAC key is its UTF-8 bytes), kept for the secret scan."""
    return evidence.secret("tëst-" + secrets.token_urlsafe(24))


def b64url_decode(segment):
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def verify_signature(token, secret):
    """True when the JWT's third segment is HMAC-SHA256(secret as UTF-8, header.payload), base64url unpadded."""
    parts = token.split(".")
    if len(parts) != 3:
        return False
    expected = b64url_encode(hmac.new(secret.encode("utf-8"), (parts[0] + "." + parts[1]).encode("ascii"),
                                      hashlib.sha256).digest())
    return hmac.compare_digest(expected, parts[2])


def claims_of(token):
    """The decoded payload of a JWT (not verified: verify_signature first)."""
    return json.loads(b64url_decode(token.split(".")[1]))
