"""SIGTERM and SIGINT for a worker: the first stops it after the running job, the second at once."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from jobs.alarm import Alarm

log = logging.getLogger(__name__)


def install_stop_signals(
    stopping: threading.Event, alarm: Alarm, shutdown_timeout: float
) -> Callable[[], None]:
    """Route SIGTERM/SIGINT to stopping (and SIGALRM to alarm); return a function undoing it.

    The first signal sets stopping and gives the running job shutdown_timeout seconds more;
    a second one rings the alarm now, ending the job. Only the main thread receives
    signals, so elsewhere this does nothing (Worker.stop still works).
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stopping.is_set():
            log.warning("Received %s again: stopping the current job now", name)
            alarm.ring_now("forced")
            return
        log.info("Received %s: finishing the current job (at most %g s), then stopping",
                 name, shutdown_timeout)
        stopping.set()
        alarm.shorten(shutdown_timeout, "shutdown")

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    previous[signal.SIGALRM] = signal.signal(signal.SIGALRM, alarm.ring)
    alarm.enabled = True

    def restore() -> None:
        alarm.enabled = False
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
