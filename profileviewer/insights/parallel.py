"""One process-wide pool for the upstream reads that a panel or an API answer makes side by side.

A pool per call started new threads for every summary and every activity chart, and each new
thread then opened its own cache connections. Tasks given to this pool only call the client
and never submit to the pool themselves, so a full pool delays them but cannot deadlock.

Its size: a client call's time budget starts when the task runs, not when it is queued, so a
queue would stretch a request past its budget. 32 server threads, each fanning out to at most
5 reads (the summary), plus the page warm-ups' 8, fit without queueing; an idle thread costs
little.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

WORKERS = 192

_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pv-reads")


def reads_pool() -> ThreadPoolExecutor:
    return _pool
