#!/usr/bin/env python3
"""Fails when a C or C++ source of the project is not as clang-format would write it (.clang-format).

Usage: check_format.py SOURCE_ROOT [CLANG_FORMAT]

Every .c, .h, .cpp and .hpp file under the project's source folders is checked with
`clang-format --dry-run --Werror`; each file that differs is named with clang-format's first complaint.
`clang-format -i FILE` rewrites one.
"""

import pathlib
import subprocess
import sys

SOURCE_FOLDERS = ("src", "plugins", "include", "bench", "bundle", "tests", "examples")
SUFFIXES = {".c", ".h", ".cpp", ".hpp"}


def sources(root: pathlib.Path) -> list[pathlib.Path]:
    found = []
    for folder in SOURCE_FOLDERS:
        base = root / folder
        if base.is_dir():
            found += [p for p in base.rglob("*") if p.suffix in SUFFIXES and p.is_file()]
    return sorted(found)


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root = pathlib.Path(sys.argv[1]).resolve()
    clang_format = sys.argv[2] if len(sys.argv) == 3 else "clang-format"
    files = sources(root)
    if not files:
        print(f"check_format: no C or C++ sources under {root}", file=sys.stderr)
        return 1
    # One run for every file: clang-format names the file in each complaint, "FILE:LINE:COL: error: ...".
    try:
        result = subprocess.run([clang_format, "--dry-run", "--Werror", *map(str, files)], cwd=root,
                                capture_output=True, text=True, check=False)
    except OSError as error:
        print(f"check_format: cannot run {clang_format} ({error}); scripts/test installs it "
              "(apt-get install clang-format)", file=sys.stderr)
        return 1
    first_complaint = {}
    for line in result.stderr.splitlines():
        name, separator, rest = line.partition(":")
        if separator and ": error: " in rest and name not in first_complaint:
            first_complaint[name] = line
    if result.returncode != 0 and not first_complaint:
        print(f"check_format: {clang_format} failed: {result.stderr.strip()}", file=sys.stderr)
        return 1
    unformatted = [f"{pathlib.Path(name).relative_to(root)}: {line}"
                   for name, line in first_complaint.items()]
    print(f"check_format: {len(files)} files, {len(unformatted)} not formatted")
    for line in unformatted:
        print(f"  {line}")
    if unformatted:
        print("check_format: `clang-format -i FILE` formats a file as .clang-format says")
    return 1 if unformatted else 0


if __name__ == "__main__":
    sys.exit(main())
