"""The last step of scripts/test: no secret used anywhere in the test run appears in anything it produced.

The secrets: every secret the integration tests registered while they ran (tests/integration/evidence.py), and
the fixed secrets of the C++ suites (string literals given to a name that says "secret" in tests/unit,
tests/plugins and tests/fuzz, found here so the list cannot fall behind). The places: every log the tests kept
(TEST_EVIDENCE_DIR/logs), meson's logs of every build folder (each test's whole stdout and stderr), and the lines
sdksign wrote into the fuzz logs (the rest of a fuzz log is libFuzzer's account of its inputs, which quote the
secret once the fuzzer has learnt it from the target's own comparisons). A hit names the file and the secret's
length, never the secret.

Usage: scan_secrets.py --evidence DIR --source-root DIR BUILD_DIR...
Exit status 0 when nothing was found (and at least one secret and one file were scanned), 1 otherwise.
"""
import argparse
import glob
import os
import re
import sys

LITERAL = re.compile(r'(?i)\b\w*secret\w*\s*(?:=|\{|\()\s*"([^"\\]{12,})"')


def cpp_test_secrets(source_root):
    found = set()
    for folder in ("tests/unit", "tests/plugins", "tests/fuzz"):
        for path in glob.glob(os.path.join(source_root, folder, "*.[ch]pp")):
            with open(path, encoding="utf-8", errors="replace") as f:
                # Not the names of variables that hold secrets (ZOOM_MEETING_SDK_SECRET), nor code in a string.
                found.update(value for value in (m.group(1) for m in LITERAL.finditer(f.read()))
                             if not re.fullmatch(r"[A-Z0-9_]+", value) and not re.search(r"\s", value))
    return found


def registered_secrets(evidence):
    found = set()
    path = os.path.join(evidence, "secrets.hex")
    if os.path.exists(path):
        with open(path, encoding="ascii") as f:
            for line in f:
                if line.strip():
                    found.add(bytes.fromhex(line.strip()).decode("utf-8"))
    return found


def places(evidence, build_dirs):
    paths = glob.glob(os.path.join(evidence, "logs", "*"))
    for build in build_dirs:
        paths += glob.glob(os.path.join(build, "meson-logs", "*.txt"))
        paths += glob.glob(os.path.join(build, "meson-logs", "*.json"))
        paths += glob.glob(os.path.join(build, "*.log"))  # scripts/fuzz's logs
    return sorted(set(p for p in paths if os.path.isfile(p)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--evidence", required=True)
    parser.add_argument("--source-root", required=True)
    parser.add_argument("build_dirs", nargs="*")
    args = parser.parse_args()

    registered = registered_secrets(args.evidence)
    secrets = registered | cpp_test_secrets(args.source_root)
    needles = [s.encode("utf-8") for s in secrets]
    files = places(args.evidence, args.build_dirs)
    build_roots = {os.path.normpath(b) for b in args.build_dirs} | {b.rstrip("/") for b in args.build_dirs}
    hits = []
    scanned = 0
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        if os.path.dirname(path) in build_roots:
            data = b"\n".join(line for line in data.splitlines() if line.startswith(b"sdksign["))
        scanned += len(data)
        for needle in needles:
            if needle in data:
                hits.append(f"{path}: a secret of {len(needle)} bytes")
    for hit in hits:
        print("secret scan: FOUND " + hit)
    ok = not hits and secrets and files
    print(f"secret scan: {len(secrets)} secrets ({len(registered)} from the integration tests), {len(files)} files, "
          f"{scanned} bytes: " + ("none found" if ok else "FAILED" if hits else "nothing to scan"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
