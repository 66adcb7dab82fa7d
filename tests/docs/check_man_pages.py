#!/usr/bin/env python3
"""Renders each man page as `man -l --warnings` does (groff's man macros, every warning on) and fails on any
warning, and checks that each page has the sections its readers look for.

    check_man_pages.py PAGE...

Before the pages, a page with a known mistake must produce a warning: a groff that reports nothing cannot
pass the real pages unseen."""
import os
import subprocess
import sys
import tempfile

# The sections each page must have; sdksign.conf(5) has one subsection per bundled provider.
REQUIRED = {
    "sdksign.8": [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH RUN MODES", ".SH COMMANDS",
                  ".SH OPTIONS", ".SH EXIT STATUS", ".SH SIGNALS", ".SH ENVIRONMENT", ".SH FILES",
                  ".SH SEE ALSO"],
    "sdksign.conf.5": [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS", ".SH PROVIDER SECTIONS",
                       ".SS [env]", ".SS [file]", ".SS [vault]", ".SH EXAMPLE", ".SH FILES", ".SH SEE ALSO"],
}


def groff_warnings(path):
    """groff's complaints about the page at `path` (it exits 0 after a warning, so stderr is what counts)."""
    result = subprocess.run(["groff", "-man", "-ww", "-z", "-Tutf8", path], capture_output=True, text=True,
                            timeout=60, check=False, env=dict(os.environ, LC_ALL="C.UTF-8"))
    problems = result.stderr.strip().splitlines()
    if result.returncode != 0:
        problems.append(f"groff exited {result.returncode}")
    return problems


def main(pages):
    failures = []
    with tempfile.TemporaryDirectory() as scratch:
        broken = os.path.join(scratch, "broken.1")
        with open(broken, "w", encoding="utf-8") as f:
            f.write(".TH BROKEN 1\n.SH NAME\nbroken \\- a page with an undefined macro\n.XYZ\n")
        if not groff_warnings(broken):
            failures.append("groff reported nothing for a page with an undefined macro: the check is blind")
    for page in pages:
        name = os.path.basename(page)
        failures += [f"{name}: {line}" for line in groff_warnings(page)]
        with open(page, encoding="utf-8") as f:
            lines = set(f.read().splitlines())
        failures += [f"{name}: no line {heading!r}" for heading in REQUIRED.get(name, []) if heading not in lines]
        if name not in REQUIRED:
            failures.append(f"{name}: not a page this check knows")
        print(f"{name}: checked")
    for failure in failures:
        print("FAIL " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
