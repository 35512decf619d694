"""Child worker processes: start with given settings, stop in order, pick free ports.

Shared by ``demo``, ``bench`` and the integration tests, so all of them run
workers exactly as a user's ``listing-monitor worker`` would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from stream.settings import Settings, settings_env

WORKER_ARGS = ("-m", "stream", "worker")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(
    settings: Settings, log_path: Path, args: Sequence[str] = WORKER_ARGS
) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    """Start ``python ARGS`` with ``settings`` in its environment, output to ``log_path``.

    The child gets its own session: Ctrl-C reaches only the parent, which then
    stops the child in order (:func:`stop`) instead of racing it.
    """
    env = {**os.environ, **settings_env(settings)}
    env["LISTING_MONITOR_KAFKA_BOOTSTRAP"] = settings.bootstrap
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, log


def stop(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Stop a child gracefully (SIGTERM), killing it only if it does not stop in time."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
