#!/usr/bin/env python3
"""Checks that every relative link of the project's Markdown pages resolves: the file or folder exists, and a
#fragment names a heading of the page it points to (GitHub's anchors).

    check_doc_links.py SOURCE_ROOT

The pages: README.md, SECURITY.md, docs/*.md, and bench/performance.md.in (read as docs/performance.md, which
bench/run writes from it). Web addresses are not fetched. Before the pages, a page with a broken link and a
broken fragment must fail, so that a check that finds nothing cannot pass unseen."""
import glob
import os
import re
import sys
import tempfile

LINK = re.compile(r"\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def prose_lines(text):
    """The lines outside fenced code blocks, with their numbers."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def anchor(heading):
    """GitHub's anchor of a heading: lower case, markup and punctuation dropped, blanks as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    seen = {}
    result = set()
    for _, line in prose_lines(text):
        match = HEADING.match(line)
        if match:
            base = anchor(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            result.add(base if count == 0 else f"{base}-{count}")
    return result


def problems_of(path, read_as):
    """Every link of the page at `path` that does not resolve; relative links start at `read_as`'s folder."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # The prose as one text (a link's words may wrap onto the next line), code blocks blanked and inline
    # code (`[env]`, `a[i](x)`) blanked to the same length, so that offsets still give line numbers.
    prose = dict(prose_lines(text))
    kept = "\n".join(prose.get(number, "") for number in range(1, len(text.splitlines()) + 1))
    kept = re.sub(r"`[^`\n]*`", lambda code: " " * len(code.group(0)), kept)
    problems = []
    for match in LINK.finditer(kept):
        target = match.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # https:, mailto: ...
        file_part, _, fragment = target.partition("#")
        resolved = os.path.normpath(os.path.join(os.path.dirname(read_as), file_part)) if file_part else read_as
        where = f"{path}:{kept.count(chr(10), 0, match.start()) + 1}: {target}"
        if not os.path.exists(resolved):
            problems.append(f"{where}: no such file")
        elif fragment and (not resolved.endswith(".md") or fragment not in anchors_of(resolved)):
            problems.append(f"{where}: no heading with the anchor #{fragment}")
    return problems


def pages(root):
    listed = [os.path.join(root, "README.md"), os.path.join(root, "SECURITY.md")]
    listed += sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    result = [(page, page) for page in listed]
    template = os.path.join(root, "bench", "performance.md.in")
    if os.path.exists(template):
        result.append((template, os.path.join(root, "docs", "performance.md")))
    return result


def self_test():
    """The checker must see a missing file and a missing heading."""
    with tempfile.TemporaryDirectory() as scratch:
        page = os.path.join(scratch, "page.md")
        with open(page, "w", encoding="utf-8") as f:
            f.write("# Title\n\n## A `code` heading: with punctuation\n\n[fine](#a-code-heading-with-punctuation) "
                    "[fine too](page.md#title)\n[gone](missing.md) [no\nheading](#nowhere)\n"
                    "```\n[in code](ignored.md)\n```\n")
        found = problems_of(page, page)
        expected = ["missing.md: no such file", "#nowhere: no heading with the anchor #nowhere"]
        if len(found) != 2 or not all(any(e in p for p in found) for e in expected):
            return [f"the checker is wrong about a page with two broken links: {found}"]
    return []


def main(root):
    failures = self_test()
    checked = 0
    for page, read_as in pages(root):
        failures += problems_of(page, read_as)
        checked += 1
    for failure in failures:
        print("FAIL " + failure)
    print(f"{checked} pages checked, {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
