"""What the whole test run leaves for the final secret scan (tests/scan_secrets.py).

Each test checks its own logs and responses for its own secret. The final scan checks all of them at once,
for every secret any test used: a log that one test wrote while another test's secret was live, or output
that a test forgot to check, is caught there. When TEST_EVIDENCE_DIR is set (scripts/test sets it), tests
register the secrets they make with `secret()` and hand every log they collect to `keep()`; without it both do
nothing, so a test run by hand leaves nothing behind.

The variable is deliberately not SDKSIGN_*: sdksign refuses to start on an SDKSIGN_* variable it does not know,
and tests pass their environment on to it.

Python 3 standard library only.
"""
import os
import re

VARIABLE = "TEST_EVIDENCE_DIR"


def _folder():
    folder = os.environ.get(VARIABLE)
    if not folder:
        return None
    os.makedirs(os.path.join(folder, "logs"), exist_ok=True)
    return folder


def secret(value):
    """Registers a secret the scan must not find anywhere; returns it, so it can wrap the line that makes it."""
    folder = _folder()
    if folder and value:
        # One per line, as hex, so that any character (a newline, non-ASCII) survives.
        with open(os.path.join(folder, "secrets.hex"), "a", encoding="ascii") as f:
            f.write(value.encode("utf-8").hex() + "\n")
    return value


def keep(text, where):
    """Stores one collected log (or any output) for the scan, under a name made from `where`."""
    folder = _folder()
    if not folder or not text:
        return
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", where)[:80] or "log"
    path = os.path.join(folder, "logs", f"{os.getpid()}-{name}.log")
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else bytes(text)
    with open(path, "ab") as f:
        f.write(data)
