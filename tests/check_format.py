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
    try:
        subprocess.run([clang_format, "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"check_format: cannot run {clang_format} ({error}); scripts/test installs it "
              "(apt-get install clang-format)", file=sys.stderr)
        return 1
    unformatted = []
    for path in files:
        result = subprocess.run([clang_format, "--dry-run", "--Werror", str(path)], cwd=root,
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            first = result.stderr.strip().splitlines()[0] if result.stderr.strip() else "(no message)"
            unformatted.append(f"{path.relative_to(root)}: {first}")
    print(f"check_format: {len(files)} files, {len(unformatted)} not formatted")
    for line in unformatted:
        print(f"  {line}")
    if unformatted:
        print("check_format: `clang-format -i FILE` formats a file as .clang-format says")
    return 1 if unformatted else 0


if __name__ == "__main__":
    sys.exit(main())
