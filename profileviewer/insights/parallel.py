"""One process-wide pool for the upstream reads that a panel or an API answer makes side by side.

A pool per call started new threads for every summary and every activity chart, and each new
thread then opened its own cache connections. Tasks given to this pool only call the client
and never submit to the pool themselves, so a full pool delays them but cannot deadlock.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

WORKERS = 32

_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pv-reads")


def reads_pool() -> ThreadPoolExecutor:
    return _pool
