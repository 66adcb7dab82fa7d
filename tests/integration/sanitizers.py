"""Sanitizer reports of sdksign processes that the integration tests do not start themselves.

In a build with -Db_sanitize=address,undefined (scripts/test's build-asan, compiled with
-fno-sanitize-recover=all), an sdksign that meets a memory error, undefined behaviour or, at exit, a leak prints
a report to its stderr and exits non-zero. When a web server spawned that process, nobody sees the exit status
and its stderr is the server's error log: a test passes unless it reads that log. So every test that collects
a server's error log or sdksign's stderr hands it to `problems()` in one check of its own, and the report makes
the test fail. In a normal build there is never such a line, so the check passes there and costs nothing.

The web servers give the processes they spawn an environment of their own (mod_fcgid's InitialEnv, lighttpd's
bin-copy-environment, Apache's CGI environment), with no ASAN_OPTIONS: the sanitizers' defaults apply there,
and they are enough (AddressSanitizer halts on the first error and checks for leaks at exit, UBSan aborts
because nothing may recover). Where a test builds the environment itself, `environment()` adds the same
options as the test run's own, or defaults that keep those behaviours explicit.

Python 3 standard library only.
"""
import os

import evidence

# The first line of each kind of report, as the GCC and Clang runtimes print them. The last one means that
# LeakSanitizer could not run at all (it stops the process's threads with ptrace): no leak check happened.
MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
    "LeakSanitizer has encountered a fatal error",
)

# Used when the test run itself sets none (meson sets its own for the tests it starts; scripts/test sets them).
DEFAULT_OPTIONS = {
    "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}
NAMES = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")


def environment():
    """The sanitizer variables for an environment a test builds for sdksign: the test run's own, else
    DEFAULT_OPTIONS. Harmless for a build without sanitizers, which ignores them."""
    found = {name: os.environ[name] for name in NAMES if os.environ.get(name)}
    for name, value in DEFAULT_OPTIONS.items():
        found.setdefault(name, value)
    return found


def reports(text, context_lines=6):
    """Each sanitizer report in `text`: its first line and a few after it, as one string."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if any(marker in line for marker in MARKERS):
            found.append("\n".join(lines[i:i + context_lines]))
    return found


def problems(text, where):
    """For a test's check: empty when `text` holds no sanitizer report, else one problem per report (the
    first few), naming `where` the text came from. Every log a test collects passes here, so this is also
    where it is kept for the run's final secret scan (evidence.py)."""
    evidence.keep(text, where)
    found = reports(text)
    if not found:
        return []
    return [f"{len(found)} sanitizer report(s) in {where}"] + [f"report:\n{r}" for r in found[:3]]
