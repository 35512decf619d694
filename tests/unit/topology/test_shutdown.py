"""A stop always ends: the watchdog exits a worker that does not stop in time."""

from __future__ import annotations

import logging
import threading

import pytest

from stream.topology.shutdown import EXIT_CODE, ShutdownWatchdog


def test_the_watchdog_exits_once_the_time_is_up(caplog: pytest.LogCaptureFixture) -> None:
    exited = threading.Event()
    codes: list[int] = []

    def fake_exit(code: int) -> None:
        codes.append(code)
        exited.set()

    watchdog = ShutdownWatchdog(0.2, exit=fake_exit)
    with caplog.at_level(logging.CRITICAL, logger="stream.topology.shutdown"):
        watchdog.arm()
        watchdog.arm()  # a second stop signal changes nothing
        assert exited.wait(5)
    assert codes == [EXIT_CODE]
    assert "did not stop within 0.2 s" in caplog.text


def test_a_worker_that_stops_in_time_is_left_alone() -> None:
    codes: list[int] = []
    watchdog = ShutdownWatchdog(0.2, exit=codes.append)
    watchdog.arm()
    watchdog.disarm()
    threading.Event().wait(0.4)
    assert codes == []
