"""Processes seen through /proc, stopped and waited for with bounded waits; scratch folders and log files."""

import os
import signal
import subprocess
import tempfile
import time

import sanitizers

STOP_TIMEOUT_S = 3.0


def proc_stat(pid):
    """(state, ppid, pgid) of a process from /proc, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2])


def all_pids():
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def children_of(pid):
    return [p for p in all_pids() if (stat := proc_stat(p)) and stat[1] == pid]


def alive(pid):
    """Running (a zombie has exited; in a container nobody may reap it)."""
    stat = proc_stat(pid)
    return stat is not None and stat[0] != "Z"


def exe_of(pid):
    try:
        return os.path.realpath(f"/proc/{pid}/exe")
    except OSError:
        return None


def group_members(pgid):
    return [p for p in all_pids() if (stat := proc_stat(p)) and stat[2] == pgid and stat[0] != "Z"]


def wait_gone(pids, timeout_s):
    """The pids still alive after up to `timeout_s` (empty: all gone)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def wait_for(predicate, timeout_s, step=0.05):
    """Polls `predicate` until it holds or `timeout_s` is over; its last value."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


def stop_process(process, timeout_s=STOP_TIMEOUT_S):
    """Last resort cleanup: SIGTERM, then the whole process group (a server and its children) goes."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            pass
    kill_group(process.pid)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def terminate(process, timeout_s=5.0):
    """SIGTERM, and SIGKILL when it has not exited within `timeout_s`; waits for the exit."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout_s)


def pids_running(executable):
    """Live processes whose program is `executable` (zombies excluded)."""
    return [pid for pid in all_pids() if exe_of(pid) == executable and alive(pid)]


def stop_every_process(executable, settle_s=0.3, timeout_s=5.0):
    """SIGSTOPs every process running `executable`, also one that a process manager (mod_fcgid) starts
    meanwhile, until none is left running for `settle_s`; returns their pids."""
    stopped = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        new = [pid for pid in pids_running(executable) if pid not in stopped]
        for pid in new:
            os.kill(pid, signal.SIGSTOP)
        stopped += new
        if not new and stopped:
            time.sleep(settle_s)
            if not [pid for pid in pids_running(executable) if pid not in stopped]:
                break
    return stopped


def read_text(path):
    """A log file's text ('' when it is not there)."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def short_temp_dir(prefix):
    """A private scratch folder with a path short enough for unix sockets (at most 107 bytes)."""
    base = tempfile.gettempdir()
    if len(base) > 60:
        base = "/tmp"
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def sdksign_environment(key, secret, **extra):
    """This process's environment for an sdksign it starts: without the caller's SDKSIGN_*, ZOOM_* and FCGI_*
    variables (sdksign would act on them), with the sanitizers' options, the env provider's key and secret,
    and `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDKSIGN_", "ZOOM_", "FCGI_"))}
    env.update(sanitizers.environment())
    env.update(ZOOM_MEETING_SDK_KEY=key, ZOOM_MEETING_SDK_SECRET=secret)
    env.update(extra)
    return env
