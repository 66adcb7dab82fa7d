#!/usr/bin/env python3
"""Builds scripts/bundle's tarball, then runs a test command with its path.

    with_bundle.py --bundle-script scripts/bundle --build BUILD/bundle-build --output BUILD/sdksign-bundle.tar.gz
                   -- COMMAND ARGS...   (every argument "@TARBALL@" is replaced by the tarball's path)

The bundle's release build takes minutes. As a meson custom target it would be part of `meson compile` (meson
builds every test's dependencies with the default target), so the tests of the suite `bundle` build it here,
when they run and only then, one at a time (a lock beside the tarball). The second test of the suite finds the
build folder up to date and only packs.
"""

import argparse
import fcntl
import os
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle-script", required=True)
    parser.add_argument("--build", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no test command after --")
    environment = dict(os.environ, SDKSIGN_SKIP_INSTALL="1")
    # meson runs the suite's tests side by side: one builds while the other waits, then finds it up to date.
    with open(args.output + ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = subprocess.run([args.bundle_script, "--build", args.build, "--output", args.output],
                               env=environment, check=False)
    if built.returncode != 0:
        print(f"with_bundle: {args.bundle_script} failed (exit {built.returncode})", file=sys.stderr)
        return 1
    return subprocess.run([args.output if word == "@TARBALL@" else word for word in command],
                          check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
