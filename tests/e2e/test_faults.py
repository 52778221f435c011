"""Faults a worker must survive, each with real worker processes and a real Redis (issue 3).

The workers are `tests/e2e/recording_worker.py`: every handler writes "start" and "end"
lines to a file outside Redis, so each test can count how often a job really ran.
"""

from __future__ import annotations

import json
import re
import signal
import time

from tests.e2e.fleet import QUEUE, Fleet, OwnRedis
from tests.e2e.support import wait_for

RECOVERY_SECONDS = 2.0  # the recording worker's --recovery-timeout
DRAIN_JOBS = 10_000


def test_a_job_whose_worker_is_killed_mid_job_runs_once_more_on_another(fleet: Fleet) -> None:
    # Given two workers, one of them in the middle of a 2 s job
    fleet.start_ready("w1")
    fleet.start_ready("w2")
    slow = fleet.dispatch("slow", 0, seconds=2)
    first = wait_for(lambda: fleet.events("start", 0) or None, "the slow job to start")[0]
    victim = fleet.name_of(first.pid)
    assert fleet.held()[victim] == [slow]
    others = [fleet.dispatch("noop", n) for n in range(1, 21)]

    # When that worker is killed with SIGKILL
    killed_at = time.time()
    fleet.kill(victim)

    # Then the other worker runs the job again within the recovery time
    rerun = wait_for(lambda: fleet.events("start", 0)[1:] or None, "a second run", 15)[0]
    assert fleet.name_of(rerun.pid) != victim
    assert rerun.at - killed_at < 3 * RECOVERY_SECONDS
    # And every job ends succeeded, each run to its end exactly once
    states = wait_for(lambda: fleet.finished([slow, *others]), "every job to finish")
    assert {state.state for state in states} == {"succeeded"}
    assert fleet.count("end") == {n: 1 for n in range(21)}
    assert (states[0].attempts, states[0].recoveries) == (2, 1)
    # And the dead worker holds nothing and has left the registry
    assert victim not in fleet.held()
    assert victim not in fleet.registered()


def test_a_kill_mid_job_reruns_no_job_that_finished_before_it(fleet: Fleet) -> None:
    # Given 300 quick jobs and then a 5 s job, taken by a worker that soon learns the
    # quick jobs are quick and takes them 100 at a time
    quick = [fleet.dispatch("noop", n) for n in range(300)]
    slow = fleet.dispatch("slow", 300, seconds=5)
    fleet.start("w1")
    wait_for(lambda: fleet.events("start", 300) or None, "the slow job to start")

    # Then the quick jobs' outcomes are recorded while the slow job runs, not after it:
    # a finished job waits at most a moment (the Recorder's max wait) to be recorded
    wait_for(lambda: fleet.finished(quick), "the quick jobs to read succeeded", seconds=2)
    assert not fleet.events("end", 300), "the slow job ended: the check came too late"

    # When the worker is killed with SIGKILL in the middle of the slow job, and another
    # worker takes over
    fleet.kill("w1")
    fleet.start("w2")

    # Then each quick job ran exactly once; only the slow one runs again
    wait_for(lambda: fleet.finished([*quick, slow]), "every job to finish")
    twice = [n for n, count in fleet.count("end").items() if count > 1]
    assert twice == []
    assert fleet.count("start")[300] == 2


def test_sigterm_finishes_the_running_job_takes_no_other_and_exits_0(fleet: Fleet) -> None:
    # Given a worker with a 5 s shutdown timeout running a 1 s job, two jobs waiting behind it
    worker = fleet.start_ready("w1", "--shutdown-timeout", "5")
    slow = fleet.dispatch("slow", 0, seconds=1)
    wait_for(lambda: fleet.events("start", 0) or None, "the slow job to start")
    waiting = [fleet.dispatch("noop", 1), fleet.dispatch("noop", 2)]

    # When it is sent SIGTERM
    worker.send_signal(signal.SIGTERM)

    # Then it finishes the job, records it and exits 0
    assert worker.wait(timeout=15) == 0, fleet.log("w1")
    assert fleet.states([slow])[0].state == "succeeded"
    assert fleet.count("end") == {0: 1}
    # And it took no other job: they wait on the queue, in order
    assert fleet.waiting() == waiting
    assert {state.state for state in fleet.states(waiting)} == {"queued"}
    assert "Received SIGTERM" in fleet.log("w1")
    assert not fleet.held()
    assert "w1" not in fleet.registered()


def test_sigterm_puts_a_job_past_the_shutdown_timeout_back_at_the_front(fleet: Fleet) -> None:
    # Given a worker with a 0.5 s shutdown timeout running a 30 s job, one job waiting
    worker = fleet.start_ready("w1", "--shutdown-timeout", "0.5")
    slow = fleet.dispatch("slow", 0, seconds=30)
    wait_for(lambda: fleet.events("start", 0) or None, "the slow job to start")
    waiting = fleet.dispatch("noop", 1)

    # When it is sent SIGTERM
    worker.send_signal(signal.SIGTERM)

    # Then it stops the job, puts it back at the front of its queue, and exits 0
    assert worker.wait(timeout=15) == 0, fleet.log("w1")
    assert fleet.waiting() == [slow, waiting]
    assert fleet.states([slow])[0].state == "queued"
    assert not fleet.events("end")
    assert f"[STOP] Job {slow} (handler slow) stopped: back on its queue" in fleet.log("w1")
    assert not fleet.held()


def test_a_second_sigterm_stops_the_job_at_once(fleet: Fleet) -> None:
    # Given a worker with a 60 s shutdown timeout running a 30 s job, already sent SIGTERM
    worker = fleet.start_ready("w1", "--shutdown-timeout", "60")
    slow = fleet.dispatch("slow", 0, seconds=30)
    wait_for(lambda: fleet.events("start", 0) or None, "the slow job to start")
    worker.send_signal(signal.SIGTERM)
    wait_for(lambda: "Received SIGTERM:" in fleet.log("w1"), "the worker to see SIGTERM")

    # When it is sent SIGTERM again
    worker.send_signal(signal.SIGTERM)

    # Then it stops the job at once (long before 30 s), puts it back on its queue, exits 0
    assert worker.wait(timeout=10) == 0, fleet.log("w1")
    assert fleet.waiting() == [slow]
    assert fleet.states([slow])[0].state == "queued"
    assert "Received SIGTERM again" in fleet.log("w1")
    assert not fleet.events("end")


def test_a_job_past_its_time_limit_is_stopped_failed_and_retried(fleet: Fleet) -> None:
    # Given a worker whose `forever` handler has a 0.5 s limit (3 attempts at most)
    worker = fleet.start_ready("w1")

    # When a job that never returns is queued, then a quick one
    stuck = fleet.dispatch("forever", 0)
    quick = fleet.dispatch("noop", 1)

    # Then each attempt is stopped at 0.5 s and recorded as failed, until the policy gives up
    state = wait_for(lambda: fleet.finished([stuck]), "the stuck job to fail")[0]
    assert state.state == "failed"
    assert state.error == "timed out after 0.5 s"
    assert [(h["outcome"], h["error"]) for h in state.history] == [
        ("failed", "timed out after 0.5 s")
    ] * 3
    assert len(fleet.events("start", 0)) == 3
    # And the worker went on: the quick job ran, and the worker still runs
    assert fleet.states([quick])[0].state == "succeeded"
    assert worker.poll() is None
    later = fleet.dispatch("noop", 2)
    assert wait_for(lambda: fleet.finished([later]), "a later job")[0].state == "succeeded"


def test_workers_survive_a_redis_restart(own_redis: OwnRedis, own_fleet: Fleet) -> None:
    fleet = own_fleet
    # Given two workers on a Redis of the test's own, each in the middle of a 2 s job,
    # and 20 jobs waiting
    names = ["w1", "w2"]
    for name in names:
        fleet.start_ready(name)
    in_flight = [fleet.dispatch("slow", n, seconds=2) for n in (0, 1)]
    wait_for(lambda: len(fleet.events("start")) == 2, "both slow jobs to start")
    waiting = [fleet.dispatch("noop", n) for n in range(2, 22)]

    # When Redis stops, stays down until both workers notice, and starts again
    own_redis.stop()
    wait_for(lambda: all("Redis unreachable" in fleet.log(name) for name in names),
             "both workers to log the loss of Redis")
    own_redis.start()

    # Then both workers reconnect, and every job ends succeeded
    wait_for(lambda: all("Redis is back" in fleet.log(name) for name in names),
             "both workers to reconnect")
    states = wait_for(lambda: fleet.finished(in_flight + waiting), "every job to finish", 60)
    assert {state.state for state in states} == {"succeeded"}
    # And each waiting job ran exactly once; each job in flight at most twice
    ends = fleet.count("end")
    assert {n: ends[n] for n in range(2, 22)} == {n: 1 for n in range(2, 22)}
    assert ends[0] in (1, 2) and ends[1] in (1, 2), ends
    wait_for(lambda: not fleet.held(), "no job to be left in a processing list")


def test_a_redis_outage_longer_than_the_recovery_timeout_reaps_no_live_worker(
    own_redis: OwnRedis, own_fleet: Fleet
) -> None:
    fleet = own_fleet
    # Given four workers (recovery timeout 1 s) on a Redis of the test's own, each in the
    # middle of a 4 s job
    names = [f"w{i}" for i in range(1, 5)]
    for name in names:
        fleet.start_ready(name, "--recovery-timeout", "1")
    in_flight = [fleet.dispatch("slow", n, seconds=4) for n in range(4)]
    wait_for(lambda: len(fleet.events("start")) == 4, "the slow jobs to start")

    # When Redis stops for 2 s, twice the recovery timeout, and starts again
    own_redis.stop()
    time.sleep(2.0)  # the outage itself, not a wait for something
    own_redis.start()

    # Then the jobs succeed, each run at most twice
    states = wait_for(lambda: fleet.finished(in_flight), "the jobs to finish", 30)
    assert {state.state for state in states} == {"succeeded"}
    assert set(fleet.count("end").values()) <= {1, 2}
    # And no worker was taken for dead: all kept beating through the outage
    assert not [name for name in names if " is dead " in fleet.log(name)]


def test_a_poison_message_goes_to_failed_with_its_data_and_the_worker_goes_on(
    fleet: Fleet,
) -> None:
    # Given a worker
    worker = fleet.start_ready("w1")
    poison = ["not json", json.dumps({"id": "x", "payload": {}}),
              b"\xff\xfe".decode("utf-8", "surrogateescape")]  # not even UTF-8

    # When data that is not a job is pushed onto its queue, then a job
    fleet.redis.rpush(fleet.keys.queue(QUEUE), *poison)
    job = fleet.dispatch("noop", 0)

    # Then the job runs, and the poison is in the failed list as it came, with the reason
    assert wait_for(lambda: fleet.finished([job]), "the job")[0].state == "succeeded"
    failed = fleet.queue.failed()
    assert [entry["raw"] for entry in failed] == poison
    # (the JSON parser words the rest of a "not JSON" reason)
    errors = [entry["error"] for entry in failed]
    assert errors[0].startswith("Malformed job: not JSON: ")
    assert errors[1] == "Malformed job: field 'handler' missing or not a str"
    assert errors[2].startswith("Malformed job: not JSON: ")
    # And the worker still runs, holding nothing
    assert worker.poll() is None
    assert not fleet.held()


def test_a_non_retryable_error_fails_the_job_after_one_attempt(fleet: Fleet) -> None:
    # Given a worker whose `give_up` handler marks PermanentError as not worth retrying
    fleet.start_ready("w1")

    # When its job raises PermanentError, and another job follows
    doomed = fleet.dispatch("give_up", 0)
    after = fleet.dispatch("noop", 1)

    # Then the job is failed after its one attempt, and the next job runs
    state, next_state = wait_for(lambda: fleet.finished([doomed, after]), "both jobs")
    assert (state.state, state.attempts) == ("failed", 1)
    assert state.error == "PermanentError: job 0 can never succeed"
    assert [entry["id"] for entry in fleet.queue.failed()] == [doomed]
    assert len(fleet.events("start", 0)) == 1
    assert next_state.state == "succeeded"


def test_four_workers_drain_10000_jobs_each_run_exactly_once(fleet: Fleet) -> None:
    # Given 10,000 jobs on the queue
    started = time.monotonic()
    ids = [fleet.dispatch("noop", n) for n in range(DRAIN_JOBS)]
    dispatched = time.monotonic()

    # When four workers drain it (a long recovery timeout: none of them dies here)
    names = [f"w{i}" for i in range(1, 5)]
    workers = [fleet.start(name, "--recovery-timeout", "10") for name in names]

    # Then every job runs exactly once and ends succeeded
    wait_for(lambda: sum(fleet.count("end").values()) >= DRAIN_JOBS, "10,000 runs", 90)
    states = wait_for(lambda: fleet.finished(ids), "10,000 recorded outcomes")
    drained = time.monotonic()
    assert fleet.count("end") == dict.fromkeys(range(DRAIN_JOBS), 1)
    assert {state.state for state in states} == {"succeeded"}
    # And nothing is left in a processing list; stopped, each worker counts what it ran
    assert not fleet.held()
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    assert [worker.wait(timeout=15) for worker in workers] == [0] * 4
    processed = [re.search(r"stopped: (\d+) processed", fleet.log(name)) for name in names]
    assert sum(int(match[1]) for match in processed if match) == DRAIN_JOBS
    print(f"dispatched 10,000 jobs in {dispatched - started:.1f} s, "
          f"4 workers drained them in {drained - dispatched:.1f} s")


def test_a_worker_started_while_redis_is_down_waits_for_it_then_registers_and_runs(
    own_redis: OwnRedis, own_fleet: Fleet
) -> None:
    fleet = own_fleet
    # Given Redis down when a worker starts
    own_redis.stop()
    worker = fleet.start("w1")
    wait_for(lambda: "Redis unreachable at start" in fleet.log("w1"),
             "the worker to log that Redis is unreachable")

    # When Redis comes back, with a job waiting
    own_redis.start()
    job_id = fleet.dispatch("noop", 1)

    # Then the worker is still running, registers, and runs the job
    wait_for(lambda: "w1" in fleet.registered(), "the worker to register")
    states = wait_for(lambda: fleet.finished([job_id]), "the job to finish", 30)
    assert [state.state for state in states] == ["succeeded"]
    assert worker.poll() is None, fleet.log("w1")
