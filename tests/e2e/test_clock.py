"""A worker whose clock is a minute ahead of the others' (libfaketime) keeps to Redis's clock.

Were due times, heartbeats and the reaper's cutoff taken from each host's clock, this worker
would run a delayed job a minute early and take every other worker for dead.
"""

from __future__ import annotations

import time

from tests.e2e.faketime import clock_ahead_env
from tests.e2e.fleet import Fleet
from tests.e2e.support import wait_for

AHEAD_SECONDS = 60
# The skewed worker reaps every recovery_timeout / 2, the first time a third of it after it
# starts; the healthy one, with a long timeout, never does in this test, so the skewed one
# is sure to be the reaper, and to hold the lock (for 10 s) where the test can see it.
AHEAD_RECOVERY = "20"
STEADY_RECOVERY = "600"
SLOW_JOB_SECONDS = 14.0


def test_a_worker_whose_clock_is_ahead_neither_runs_delayed_jobs_early_nor_reaps_the_living(
    fleet: Fleet,
) -> None:
    # Given a healthy worker running a slow job
    steady = fleet.start_ready("steady", "--recovery-timeout", STEADY_RECOVERY)
    slow = fleet.dispatch("slow", 1, seconds=SLOW_JOB_SECONDS)
    wait_for(lambda: fleet.events("start", 1) or None, "the slow job to start")

    # And a second worker whose clock is a minute ahead
    ahead = fleet.start_ready("ahead", "--recovery-timeout", AHEAD_RECOVERY,
                              env=clock_ahead_env(AHEAD_SECONDS))

    # When a job due in 30 s is queued, then one due now
    delayed = fleet.queue.dispatch("work", "noop", {"n": 2}, delay=30)
    fleet.dispatch("noop", 3)

    # Then the skewed worker runs the one due now (so it has looked at the delayed set since)
    (done,) = wait_for(lambda: fleet.events("end", 3) or None, "the skewed worker to run job 3")
    assert done.pid == ahead.pid
    # and its clock really is ahead: the handler wrote its own time
    assert done.at - time.time() > AHEAD_SECONDS - 10, "libfaketime did not take effect"
    # And it reaps while the healthy worker is busy
    wait_for(lambda: fleet.redis.get(fleet.keys.reaper) == "ahead",
             "the skewed worker to take the reaper's lock", seconds=SLOW_JOB_SECONDS - 2)

    # Then the delayed job is still waiting for its time
    (state,) = fleet.states([delayed])
    assert state.state == "delayed", state

    # And the healthy worker keeps its job: it runs once, there, and nothing was reaped
    (finished,) = wait_for(lambda: fleet.finished([slow]), "the slow job to finish")
    assert (finished.state, finished.attempts, finished.recoveries) == ("succeeded", 1, 0)
    assert [event.pid for event in fleet.events("start", 1)] == [steady.pid]
    assert "is dead" not in fleet.log("ahead")
    assert fleet.registered() == {"steady", "ahead"}
