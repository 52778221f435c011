"""The lesson's worker on the fault panel: start `python worker.py --lesson`, kill it mid-job.

Beside the reliable workers, so an audience sees the difference: a reliable worker killed
mid-job gets its job back from the reaper; the lesson's worker, which BLPOPs, takes its job
with it, and the invariant panel names the job as in no place.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from flask import Blueprint, flash, redirect
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from jobs import JobQueue
from shop.db import get_session
from shop.demo.faults import FaultRefused, Victim, local_pid
from shop.demo.mode import back_to_page
from shop.extensions import current_queue
from shop.models import OrderJob

bp = Blueprint("lesson", __name__, url_prefix="/demo/lesson-worker")

WORKER_PY = Path(__file__).resolve().parents[2] / "worker.py"
RECENT_JOBS = 60


@bp.post("/start")
def start() -> ResponseReturnValue:
    """Start `python worker.py --lesson` on the shop's queues, with this process's settings."""
    pid = start_lesson_worker()
    flash(f"Started the lesson's worker (pid {pid}): it BLPOPs jobs from payments, emails and "
          "reports, as the lesson writes it. Place an order, then kill it while it runs the "
          "payment.", "info")
    return redirect(back_to_page(), 303)


@bp.post("/kill")
def kill() -> ResponseReturnValue:
    """SIGKILL a lesson's worker that is running a job; nothing gives that job back."""
    try:
        victim = kill_lesson_worker_mid_job(current_queue(), recent_jobs())
    except FaultRefused as refused:
        flash(str(refused), "error")
        return redirect(back_to_page(), 303)
    flash(f"Killed the lesson's worker {victim.worker_id} (kill -9 {victim.pid}) while it ran "
          f"{victim.job_id}. That job was only in the worker's memory: it is lost, and the "
          "invariant names it as in no place.", "info")
    return redirect(back_to_page(), 303)


def start_lesson_worker() -> int:
    """Start the lesson's worker as a child of this process; return its pid."""
    # Not a session of its own: Ctrl-C of `make run` reaches the web app's process group,
    # and so stops this worker too.
    process = subprocess.Popen([sys.executable, str(WORKER_PY), "--lesson"],
                               cwd=WORKER_PY.parent, env=os.environ.copy())
    # Collect its exit status when it ends (killed, or stopped), so it leaves no zombie.
    threading.Thread(target=process.wait, daemon=True).start()
    return process.pid


def recent_jobs() -> list[tuple[str, str]]:
    """The recent orders' queued jobs, as (queue, job id)."""
    query = (select(OrderJob.queue, OrderJob.job_id).where(OrderJob.pushed_at.is_not(None))
             .order_by(OrderJob.id.desc()).limit(RECENT_JOBS))
    return [(queue, job_id) for queue, job_id in get_session().execute(query)]


def kill_lesson_worker_mid_job(queue: JobQueue, jobs: list[tuple[str, str]]) -> Victim:
    """SIGKILL a lesson's worker of this host running one of these jobs, or raise FaultRefused.

    A lesson's worker holds its job in no list, so it is found from the jobs' states.
    """
    for state in queue.states(jobs):
        if state is None or state.state != "running" or state.worker is None:
            continue
        pid = local_pid(state.worker)
        if pid is not None and is_lesson_worker(pid):
            os.kill(pid, signal.SIGKILL)
            return Victim(state.worker, pid, state.id)
    raise FaultRefused(
        "No lesson's worker on this machine is running a job right now: start one, place an "
        "order, then kill it while the payment takes its time."
    )


def is_lesson_worker(pid: int) -> bool:
    """True if pid is alive and, where /proc tells, runs `worker.py --lesson`."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.parent.exists():
        return cmdline.exists() and b"--lesson" in cmdline.read_bytes()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
