"""The benchmark: the project's queue beside the lesson's loop and other queues, and POST /orders.

`make bench` (or `python -m bench.run`) runs it; `make bench-peers` adds RQ, Celery,
Dramatiq, arq, SAQ and Huey, each installed in a throwaway virtualenv outside the project.
Nothing here is imported by `jobs/` or `shop/`. The modules a worker process of another
system imports (`recorder`, `roundtrips`, `measure`, `peers/*`) need only redis-py.
"""
