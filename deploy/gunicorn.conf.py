"""gunicorn's settings for the shop: supervisor runs it with them, and so does the benchmark.

    gunicorn --config deploy/gunicorn.conf.py "shop:create_app()"

The benchmark (`python -m bench.orders_load`) overrides only `bind`, so what it measures is
this file. Change a setting here, then measure it there.
"""

import os

bind = "127.0.0.1:8000"  # behind nginx or another reverse proxy (deploy/README.md)

# POST /orders spends its time on the CPU (SQLAlchemy, mostly: bench/README.md has the
# profile) and waits only briefly on the database and Redis, so sync workers, one per core
# plus one to run while another waits (longer where the database is on another host).
# Measured on 2 cores with 32 clients each sending its next order once answered (medians
# of 4 to 7 runs): 2, 3 and 4 sync workers answered 252, 253 and 263 orders/s, within the
# noise of one another, with p99 192, 204 and 251 ms (more processes, more waiting for
# SQLite's write lock). Threads did worse: gthread 2 x 8, 3 x 4 and 4 x 2 answered 176 to
# 225 orders/s with p99 of 250 to 900 ms, as one process's threads take turns on its GIL.
worker_class = "sync"
workers = (os.cpu_count() or 1) + 1

# One line per request on stdout, which supervisor writes to /var/log/shop/web.log; about
# 0.07 ms of CPU a request.
accesslog = "-"
