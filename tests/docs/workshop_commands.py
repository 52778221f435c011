"""The commands of the workshop's pages that tests/docs/test_workshop.py runs, as written, as
it follows the steps in a fresh copy of the repository."""

from __future__ import annotations

EXPORT_REDIS_URL = "export REDIS_URL=$(cat instance/redis/url)"
EXPORT_DEMO_SETTINGS = "export SHOP_DEMO=1 JOBS_RETRY_BASE=1 JOBS_RECOVERY_TIMEOUT=6"
RPUSH = """redis-cli -u "$REDIS_URL" RPUSH queue:hello '{"type": "greet", "name": "Ada"}'"""
LLEN = 'redis-cli -u "$REDIS_URL" LLEN queue:hello'
BLPOP = 'redis-cli -u "$REDIS_URL" BLPOP queue:hello 5'
LESSON_WORKER = "python worker.py --lesson"
LESSON_RETRIES = "python worker.py --lesson --queue payments --queue default"
DELAYED = 'redis-cli -u "$REDIS_URL" ZRANGE queue:delayed:emails 0 -1 WITHSCORES'
WAREHOUSE_WORKER = "python worker.py --queue warehouse"

WORKSHOP: tuple[str, ...] = (
    EXPORT_REDIS_URL, EXPORT_DEMO_SETTINGS, RPUSH, LLEN, BLPOP, LESSON_WORKER, LESSON_RETRIES,
    DELAYED, WAREHOUSE_WORKER,
)
