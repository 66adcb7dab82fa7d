#!/usr/bin/env python3
"""Checks that the includes between the folders of src/ run one way: no folder includes, directly or through
others, a folder that includes it. The headers at the top of src/ (errors.hpp, the generated
build_config.hpp) are leaves every folder may use, and main.cpp is the root that may use every folder.

    check_layering.py SOURCE_ROOT

Prints the folder graph; exits 1 naming the include lines of every cycle."""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder_of(path):
    """The layer of a file or an include path relative to src/."""
    if "/" in path:
        return path.split("/", 1)[0]
    return "(main)" if path == "main.cpp" else "(base)"


def include_graph(src):
    edges = {}
    for directory, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith((".hpp", ".cpp", ".hpp.in")):
                continue
            relative = os.path.relpath(os.path.join(directory, name), src)
            with open(os.path.join(directory, name), encoding="utf-8") as source:
                for number, line in enumerate(source, 1):
                    match = INCLUDE.match(line)
                    if not match:
                        continue
                    target = match.group(1)
                    if target.endswith(".in"):
                        target = target[:-3]
                    a, b = folder_of(relative), folder_of(target)
                    if a != b:
                        edges.setdefault(a, {}).setdefault(b, []).append(f"src/{relative}:{number}: {target}")
    return edges


def cycles(edges):
    """Strongly connected components with more than one folder (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for successor in edges.get(node, {}):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    nodes = set(edges) | {b for targets in edges.values() for b in targets}
    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def main():
    src = os.path.join(sys.argv[1], "src")
    edges = include_graph(src)
    for a in sorted(edges):
        print(f"{a} -> {', '.join(sorted(edges[a]))}")
    bad = cycles(edges)
    for component in bad:
        print(f"cycle between folders: {', '.join(component)}")
        for a in component:
            for b in component:
                for line in edges.get(a, {}).get(b, []):
                    print(f"  {line}")
    if bad:
        return 1
    print("layering: includes between the folders of src/ run one way")
    return 0


if __name__ == "__main__":
    sys.exit(main())
