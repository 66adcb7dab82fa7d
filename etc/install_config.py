#!/usr/bin/env python3
"""`meson install` step for the files of the configuration folder (sdksign.conf and the web-server files):
never replace a file that is already there.

    install_config.py DIRECTORY FILE...     (run by meson, see etc/meson.build)

Admins edit these files in place (require-user = host in sdksign.conf, the commented examples of the web
server files), so an upgrade that overwrote them would silently undo a security setting. For each FILE:
  - DIRECTORY/name does not exist: installed (mode 0644);
  - it exists with the same content: left alone;
  - it exists with other content: left alone, and the new default is installed beside it as name.dist
    (replacing an older .dist), with a line saying so; compare them (diff -u name name.dist) and merge.
DESTDIR is honoured as meson does it (DIRECTORY is absolute; DESTDIR is put in front of it), and so are
`meson install --quiet` and `--dry-run`.
"""

import os
import shutil
import sys
import tempfile


def destdir_join(destdir, path):
    if not destdir:
        return path
    # What meson does on POSIX: DESTDIR + the absolute path.
    return os.path.join(destdir, os.path.relpath(path, os.path.sep)) if os.path.isabs(path) else \
        os.path.join(destdir, path)


def same_content(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def copy_atomically(source, target):
    """Writes target through a temporary file in its folder, so that a reader never sees half a file."""
    folder = os.path.dirname(target)
    handle, temporary = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out, open(source, "rb") as f:
            shutil.copyfileobj(f, out)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    directory, files = argv[1], argv[2:]
    destdir = os.environ.get("DESTDIR", "")
    quiet = os.environ.get("MESON_INSTALL_QUIET", "") not in ("", "0")
    dry_run = os.environ.get("MESON_INSTALL_DRY_RUN", "") not in ("", "0")
    target_dir = destdir_join(destdir, directory)
    if not dry_run:
        os.makedirs(target_dir, mode=0o755, exist_ok=True)
    for source in files:
        name = os.path.basename(source)
        target = os.path.join(target_dir, name)
        shown = os.path.join(directory, name)
        if not os.path.lexists(target):
            if not dry_run:
                copy_atomically(source, target)
            if not quiet:
                print(f"Installing {source} to {target_dir}")
        elif os.path.isfile(target) and same_content(source, target):
            if not quiet:
                print(f"Keeping {shown} (unchanged)")
        else:
            if not dry_run:
                copy_atomically(source, target + ".dist")
            # Said even with --quiet: the admin has to merge by hand.
            say(f"Keeping {shown}, which differs from the new default: the new default is {shown}.dist "
                f"(compare with diff -u {shown} {shown}.dist)")
    return 0


def say(line):
    """A line the admin must see. meson 1.0 shows an install script's output only when it fails, so the
    line also goes to the terminal meson runs in, when there is one."""
    print(line, flush=True)
    try:
        with open("/dev/tty", "w", encoding="utf-8") as tty:
            tty.write(line + "\n")
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv))
