"""Writes access records off the request's path: a queue drained in batches by one thread.

The database is the only store (no Redis on the way, so a Redis outage loses nothing); what is
still queued is written on `shutdown()`, which runs at exit. Tests call `flush()`.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import close_old_connections, connection

if TYPE_CHECKING:
    from profileviewer.audit.models import AccessRecord

logger = logging.getLogger("profileviewer.audit")

BATCH_SIZE = 500
SHUTDOWN_WAIT_SECONDS = 5.0

# None is the writer thread's signal to stop.
_queue: queue.SimpleQueue[AccessRecord | None] = queue.SimpleQueue()
_lock = threading.Lock()
_thread: threading.Thread | None = None
_exit_hook_registered = False


def enqueue(record: AccessRecord) -> None:
    _queue.put(record)
    # The test settings turn the thread off so records land only when a test flushes them,
    # inside that test's database.
    if settings.AUDIT_BACKGROUND_WRITES:
        _ensure_started()


def _ensure_started() -> None:
    global _thread, _exit_hook_registered
    with _lock:
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(target=_run, name="audit-writer", daemon=True)
        _thread.start()
        if not _exit_hook_registered:
            atexit.register(shutdown)
            _exit_hook_registered = True


def _take_batch(first: AccessRecord) -> tuple[list[AccessRecord], bool]:
    """`first` and whatever else is queued, up to a batch; and whether a stop was asked."""
    batch = [first]
    while len(batch) < BATCH_SIZE:
        try:
            item = _queue.get_nowait()
        except queue.Empty:
            break
        if item is None:
            return batch, True
        batch.append(item)
    return batch, False


def _run() -> None:
    try:
        while True:
            first = _queue.get()
            if first is None:
                return
            batch, stop = _take_batch(first)
            close_old_connections()  # this thread's own connection, maybe idle for hours
            _write(batch)
            if stop:
                return
    finally:
        connection.close()


def _write(batch: list[AccessRecord]) -> None:
    from profileviewer.audit.models import AccessRecord

    try:
        AccessRecord.objects.bulk_create(batch)
    except Exception:
        # Logged, never raised: a failure to audit must not fail anyone's request.
        logger.warning("Could not write %d audit records", len(batch), exc_info=True)


def flush() -> None:
    """Write everything queued now, in the calling thread."""
    stop_seen = False
    while True:
        batch: list[AccessRecord] = []
        while len(batch) < BATCH_SIZE:
            try:
                item = _queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                stop_seen = True
            else:
                batch.append(item)
        if not batch:
            break
        _write(batch)
    if stop_seen and _thread is not None:
        _queue.put(None)  # it was the running writer thread's; hand it back


def shutdown() -> None:
    """Stop the writer thread and write what is left (run at exit)."""
    global _thread
    with _lock:
        thread, _thread = _thread, None
    if thread is not None and thread.is_alive():
        _queue.put(None)
        thread.join(SHUTDOWN_WAIT_SECONDS)
    flush()


def discard() -> None:
    """Forget everything queued (tests: records queued by an earlier test's views)."""
    while True:
        try:
            _queue.get_nowait()
        except queue.Empty:
            return
