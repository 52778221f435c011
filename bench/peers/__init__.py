"""The other Python queues, each measured from a throwaway virtualenv of its own.

One module per peer (`<name>_peer.py`) holds both ends: a `System` for the benchmark's
process (how to enqueue, how to start a worker) and the peer's worker-side task, which
runs the shared no-op job of bench.recorder. REQUIREMENTS says what each venv installs.
"""

# pip requirements of each peer's virtualenv (venv.py). Each gets its own venv because
# they pin redis-py differently (arq: <6, SAQ: <8).
REQUIREMENTS: dict[str, list[str]] = {
    "rq": ["rq", "redis"],
    "celery": ["celery[redis]"],
    "dramatiq": ["dramatiq[redis]"],
    "arq": ["arq"],
    "saq": ["saq[redis]", "typing_extensions"],  # saq imports it without requiring it
    "huey": ["huey", "redis"],
}
