"""Child processes of ``meridian up``: each in a session of its own, logged to a file, stopped with its tree."""

from __future__ import annotations

import contextlib
import signal
import subprocess
from pathlib import Path


def spawn(cmd: list[str], env: dict[str, str], logfile: Path) -> subprocess.Popen[bytes]:
    logfile.parent.mkdir(parents=True, exist_ok=True)
    with logfile.open("ab") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    """Interrupt a child as Ctrl-C would, then make sure its whole process tree is gone.

    ``dagster dev`` starts code servers in sessions of their own that would otherwise linger
    until their heartbeat times out, so every descendant is collected first and reaped here.
    """
    import psutil

    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for member in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.send_signal(signal.SIGINT if member.pid == proc.pid else signal.SIGTERM)
    _, alive = psutil.wait_procs(family, timeout=timeout_s)
    for member in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(alive, timeout=10)
    proc.poll()
