"""Upstream reads run side by side: one bounded pool of threads for the process.

Made on first use and shut down at exit. When every thread is busy, ``submit`` runs the call
in the caller's thread instead of queueing it: a queued call's time budget would run out
while it waited, and a task that itself submits (a warm-up computing a summary) can never
wait on a full pool.

Each call runs in a copy of the caller's context (its ``contextvars``), so the request it was
made for still owns it: its log lines carry the request's id, and the upstream calls it makes
are the request's (profileviewer/observability/context.py).
"""

from __future__ import annotations

import atexit
import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

MAX_THREADS = 64

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_free = threading.BoundedSemaphore(MAX_THREADS)


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=MAX_THREADS, thread_name_prefix="pv-reads")
        return _pool


def _on_pool[T](fn: Callable[..., T], args: Any, kwargs: Any) -> Future[T] | None:
    if not _free.acquire(blocking=False):
        return None
    try:
        future = _executor().submit(contextvars.copy_context().run, fn, *args, **kwargs)
    except BaseException:
        _free.release()
        raise
    future.add_done_callback(lambda _: _free.release())
    return future


def submit[T](fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
    """``fn(*args, **kwargs)`` on a pool thread, or here at once when none is free."""
    future = _on_pool(fn, args, kwargs)
    if future is None:
        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
    return future


def start(fn: Callable[..., object], /, *args: Any, **kwargs: Any) -> bool:
    """Run ``fn`` in the background if a thread is free; False (nothing run) if none is."""
    return _on_pool(fn, args, kwargs) is not None


def wait_idle(timeout: float = 10.0) -> bool:
    """Wait until no call runs on the pool; False if one still does after ``timeout``."""
    deadline = time.monotonic() + timeout
    taken = 0
    try:
        while taken < MAX_THREADS:
            if not _free.acquire(timeout=max(0.0, deadline - time.monotonic())):
                return False
            taken += 1
        return True
    finally:
        for _ in range(taken):
            _free.release()


@atexit.register
def shutdown() -> None:
    """Let running calls finish and drop queued ones (there are none: see ``submit``)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
