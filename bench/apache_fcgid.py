#!/usr/bin/env python3
"""Two Apache + mod_fcgid servers with the shipped apache/sdksign-fcgid.conf.in, for bench/run: one spawning
sdksign, one spawning the FastCGI floor (bench/fcgi_floor.c) in sdksign's place. Only ports and paths are
filled in, by the integration tests' own deployment code (tests/integration/harness/servers.py), so the
benchmark runs the configuration the deploy tests bring up.

    apache_fcgid.py --source-root DIR --sdksign BIN --plugin-dir DIR --floor BIN --ready FILE

Credentials come from ZOOM_MEETING_SDK_KEY and ZOOM_MEETING_SDK_SECRET. When both servers answer, writes
"SDKSIGN_PORT FLOOR_PORT" to FILE (or "failed" and the reason on stderr), then serves until SIGTERM or
SIGINT, on which it stops both servers and removes their trees. Binds 127.0.0.1 only; needs root, as Apache
drops to www-data.
"""

import argparse
import os
import re
import shutil
import signal
import sys
import time


# Lines of the error log that explain nothing wrong: Apache's notices ("[mpm_event:notice]") and the
# FastCGI programs' own informational lines on their stderr ("sdksign[PID] info ...").
QUIET = re.compile(r"\[[a-z_]+:(notice|info|debug)\]|^sdksign\[\d+\] (info|debug) ")


def write_atomically(path, text):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def deployment(deploy_servers, args, program):
    """The shipped fcgid configuration in a private tree, with `program` as the FastCGI program."""
    serving = deploy_servers.Deployment("apache-fcgid", args.source_root, args.sdksign, args.plugin_dir,
                                        os.environ["ZOOM_MEETING_SDK_KEY"], os.environ["ZOOM_MEETING_SDK_SECRET"])
    if program != args.sdksign:
        # The floor takes sdksign's place in the same tree (readable by Apache's user), under its own name.
        path = serving.path("bin", os.path.basename(program))
        shutil.copy2(program, path)
        os.chmod(path, 0o755)
        serving.values["SDKSIGN_BIN"] = path
        serving.sdksign = path
    return serving


def main():
    parser = argparse.ArgumentParser()
    for name in ("--source-root", "--sdksign", "--plugin-dir", "--floor", "--ready"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(args.source_root, "tests", "integration"))
    from harness import servers as deploy_servers  # pylint: disable=import-outside-toplevel

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    servers = []
    try:
        for program in (args.sdksign, args.floor):
            servers.append(deployment(deploy_servers, args, program))
            problems = servers[-1].start()
            if problems:
                print("apache_fcgid: " + servers[-1].scrub("\n".join(problems)), file=sys.stderr)
                write_atomically(args.ready, "failed\n")
                return 1
        write_atomically(args.ready, f"{servers[0].port} {servers[1].port}\n")
        while not stopping:
            time.sleep(0.2)
        return 0
    finally:
        for serving in servers:
            serving.cleanup()
            # What Apache said beyond its start and stop notices: the explanation of any error wrk saw.
            said = [line for line in serving.server_log().splitlines()
                    if line.strip() and not QUIET.search(line)]
            if said:
                print(f"apache_fcgid: {serving.target} ({os.path.basename(serving.sdksign)}) logged:\n"
                      + serving.scrub("\n".join(said[-20:])), file=sys.stderr)
            serving.remove()


if __name__ == "__main__":
    sys.exit(main())
