"""The export: every profile through the listing's scrollId, written atomically, resumable.

Guarantees:
- The output is written to ``FILE.part`` beside ``FILE`` and renamed over ``FILE`` only when
  the listing is exhausted, so ``FILE`` is never a half-written export.
- ``FILE.checkpoint`` (JSON: the scrollId of the page in progress, how many of its profiles
  are written, the total count, the byte length of ``FILE.part`` that holds them, and the
  options) is saved after every page and whenever the export stops early. ``resume=True``
  truncates ``FILE.part`` to that length, re-reads that page and skips the profiles already
  written: no duplicates, no gaps, and the result equals an uninterrupted export byte for byte
  (given the same upstream data).
- Profiles are fetched by a few threads, up to ``AHEAD`` ahead and across listing pages,
  but written in listing order.
- A batch job waits for its own limiter: when the client gives up because *our* token bucket
  stayed empty for its call budget (code ``client_rate_limit``, no HTTP status), the call is
  simply made again after the wait the bucket named. Everything the Profiles API itself
  answers (429s included, after the client's retries) still ends the run, checkpoint kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from profileviewer.audit import trail
from profileviewer.client import IntileryError, NotFoundError, ProfileRef, RateLimitError, Traits
from profileviewer.export.records import Format, header, profile_events, render

CHECKPOINT_VERSION = 1
# Parallel event reads, enough to keep the upstream busy through its latency; the shared
# rate limiter, not this number, caps the request rate.
DEFAULT_WORKERS = 8
# How many profiles may be in flight ahead of the one being written.
AHEAD = 200
# The code the client gives its own bucket's give-up (an upstream 429 has an HTTP status).
LOCAL_LIMIT_CODE = "client_rate_limit"
# Longest single sleep between two tries for a local token, so Ctrl-C is noticed promptly.
MAX_LOCAL_WAIT = 1.0


class ExportError(Exception):
    """Base of the export's failures; ``exit_code`` is what the command exits with."""

    exit_code = 1


class ExportUsageError(ExportError):
    exit_code = 2


class UpstreamFailure(ExportError):
    exit_code = 1

    def __init__(self, message: str, cause: IntileryError) -> None:
        super().__init__(message)
        self.cause = cause

    @property
    def unanswered(self) -> bool:
        """The Profiles API was never reached, or never answered: the URL may be wrong."""
        return self.cause.http_status is None and not is_local_rate_limit(self.cause)


class ExportInterrupted(ExportError):
    exit_code = 130


class _StopRequested(Exception):
    pass


@dataclass(frozen=True)
class ExportOptions:
    out: Path
    format: Format = "jsonl"
    with_events: bool = False
    since: datetime | None = None
    # The group whose masking the file gets (export/roles.py); None: everything masked.
    role: str | None = None

    def fingerprint(self) -> dict[str, Any]:
        """What a resumed export must share with the one it continues."""
        return {
            "format": self.format,
            "with_events": self.with_events,
            "since": self.since.isoformat() if self.since else None,
            "role": self.role,
        }

    @property
    def part_path(self) -> Path:
        return self.out.with_name(self.out.name + ".part")

    @property
    def checkpoint_path(self) -> Path:
        return self.out.with_name(self.out.name + ".checkpoint")


@dataclass
class Checkpoint:
    scroll_id: str | None  # fetches the page in progress; None is the first page
    skip: int  # profiles of that page already written
    count: int  # profiles written in all
    offset: int  # bytes of the .part file that hold them
    events: int = 0
    options: dict[str, Any] | None = None
    version: int = CHECKPOINT_VERSION


@dataclass(frozen=True)
class ExportResult:
    path: Path
    profiles: int
    events: int
    seconds: float
    resumed_from: int


Progress = Callable[[int, int], None]  # (profiles written, events written)


def is_local_rate_limit(error: IntileryError) -> bool:
    """True when our own token bucket, not the Profiles API, turned the call away."""
    return (
        isinstance(error, RateLimitError)
        and error.http_status is None
        and error.code == LOCAL_LIMIT_CODE
    )


class PatientClient:
    """The client's reads, retried for as long as only our own limiter says "not yet".

    Interactive callers want a quick "try again" when the budget is spent; a batch job wants
    every token it is entitled to, however long the queue for them is.
    """

    def __init__(self, client: Any, stop: threading.Event | None = None) -> None:
        self.client = client
        self.stop = stop

    def _call[R](self, method: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        while True:
            try:
                return method(*args, **kwargs)
            except RateLimitError as error:
                if not is_local_rate_limit(error):
                    raise
                wait = min(max(error.retry_after or 0.0, 0.01), MAX_LOCAL_WAIT)
            if self.stop is not None:
                if self.stop.wait(wait):
                    raise _StopRequested
            else:
                time.sleep(wait)

    def list_profiles(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(self.client.list_profiles, *args, **kwargs)

    def events(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(self.client.events, *args, **kwargs)


def _save_checkpoint(path: Path, state: Checkpoint) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(state)))
    os.replace(tmp, path)


def _load_checkpoint(options: ExportOptions) -> Checkpoint:
    path = options.checkpoint_path
    try:
        data = json.loads(path.read_text())
        state = Checkpoint(**data)
    except FileNotFoundError:
        raise ExportUsageError(f"Nothing to resume: no checkpoint at {path}.") from None
    except (ValueError, TypeError, OSError) as error:
        raise ExportUsageError(f"The checkpoint {path} is unreadable ({error}).") from None
    if state.version != CHECKPOINT_VERSION or state.options != options.fingerprint():
        raise ExportUsageError(
            f"The checkpoint was made with other options ({state.options}); rerun with those "
            "or start afresh without --resume."
        )
    if not options.part_path.exists() or options.part_path.stat().st_size < state.offset:
        raise ExportUsageError(f"{options.part_path} is missing or shorter than the checkpoint.")
    return state


def _open_output(options: ExportOptions, resume: bool) -> tuple[BinaryIO, Checkpoint]:
    if not options.out.parent.is_dir():
        raise ExportUsageError(f"Cannot write {options.out}: {options.out.parent} is not a folder.")
    if options.out.is_dir():
        raise ExportUsageError(f"Cannot write {options.out}: it is a folder.")
    if resume:
        state = _load_checkpoint(options)
        try:
            resumed = options.part_path.open("r+b")
        except OSError as error:
            raise ExportUsageError(f"Cannot write {options.part_path}: {error.strerror}.") from None
        resumed.truncate(state.offset)
        resumed.seek(state.offset)
        return resumed, state
    try:
        stream = options.part_path.open("wb")
    except OSError as error:
        raise ExportUsageError(f"Cannot write {options.part_path}: {error.strerror}.") from None
    with contextlib.suppress(FileNotFoundError):
        options.checkpoint_path.unlink()
    first = header(options.format, options.with_events)
    stream.write(first)
    return stream, Checkpoint(None, 0, 0, len(first), 0, options.fingerprint())


def run_export(
    client: Any,
    options: ExportOptions,
    *,
    resume: bool = False,
    progress: Progress | None = None,
    workers: int = DEFAULT_WORKERS,
    stop: threading.Event | None = None,
) -> ExportResult:
    """Export every profile; raise an ``ExportError`` subclass if it cannot finish.

    What ``client`` reads is written as it is: the command gives it a client masked for its
    ``--role`` (export/roles.py).

    ``stop`` is set by a signal handler (Ctrl-C, SIGTERM): the export then stops between two
    profiles, where the checkpoint is exact.
    """
    started = time.monotonic()
    client = PatientClient(client, stop)
    stream, state = _open_output(options, resume)
    resumed_from = state.count

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="export")
    # A second pool for a large profile's extra pages: the profile workers wait on it, so it
    # must not be the same pool (a worker waiting on its own pool's queue could deadlock).
    pages_pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="pages")

    def record(traits: Traits) -> tuple[bytes, int]:
        if stop is not None and stop.is_set():
            raise _StopRequested  # queued work after Ctrl-C: let the process exit promptly
        events = None
        if options.with_events:
            ref = ProfileRef("id", traits.id)
            try:
                events = profile_events(client, ref, options.since, pages_pool=pages_pool)
            except NotFoundError:
                events = []  # deleted since the listing was read: export what the listing said
        return render(options.format, traits, events), len(events or ())

    def checkpoint() -> None:
        stream.flush()
        os.fsync(stream.fileno())
        _save_checkpoint(options.checkpoint_path, state)

    def listing() -> Iterator[tuple[str | None, int, Traits]]:
        """Each profile still to write, with the scrollId of its page and its place in it."""
        scroll_id, skip = state.scroll_id, state.skip
        while True:
            page = client.list_profiles(scroll_id)
            for index, traits in enumerate(page.profiles):
                if index >= skip:
                    yield scroll_id, index, traits
            if not page.profiles or page.scroll_id is None:
                return
            scroll_id, skip = page.scroll_id, 0

    # Profiles are fetched up to AHEAD ahead of the one being written, across listing pages,
    # so a slow profile does not leave the other workers idle; they are written in order.
    pending: deque[tuple[str | None, int, Traits, Future[tuple[bytes, int]]]] = deque()
    source = listing()

    def fill() -> None:
        while len(pending) < AHEAD:
            item = next(source, None)
            if item is None:
                return
            scroll_id, index, traits = item
            pending.append((scroll_id, index, traits, pool.submit(record, traits)))

    try:
        checkpoint()  # from here on a consistent checkpoint always exists
        fill()
        while pending:
            scroll_id, index, traits, future = pending.popleft()
            data, event_count = future.result()
            if scroll_id != state.scroll_id:
                # The first profile of a new listing page: the previous page is complete.
                state.scroll_id, state.skip = scroll_id, 0
                checkpoint()
            stream.write(data)
            # Recorded as it is written, so a stopped export records only what it wrote.
            trail.record_export(ProfileRef("id", traits.id))
            state.skip = index + 1
            state.count += 1
            state.events += event_count
            state.offset += len(data)
            if progress:
                progress(state.count, state.events)
            if stop is not None and stop.is_set():
                raise _StopRequested
            fill()
    except IntileryError as error:
        checkpoint()
        raise UpstreamFailure(
            f"The Profiles API failed after {state.count} profiles: {str(error).rstrip('.')}. "
            "Run again with --resume to continue.",
            cause=error,
        ) from None
    except _StopRequested:
        checkpoint()
        raise ExportInterrupted(
            f"Interrupted after {state.count} profiles; run again with --resume to continue."
        ) from None
    except KeyboardInterrupt:
        # A hard interrupt may land mid-record: keep the last checkpoint saved, which is exact.
        raise ExportInterrupted(
            "Interrupted; run again with --resume to continue from the last checkpoint."
        ) from None
    except OSError as error:
        raise ExportUsageError(f"Cannot write {options.part_path}: {error.strerror}.") from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        pages_pool.shutdown(wait=False, cancel_futures=True)
        stream.close()
    os.replace(options.part_path, options.out)
    with contextlib.suppress(FileNotFoundError):
        options.checkpoint_path.unlink()
    return ExportResult(
        options.out, state.count, state.events, time.monotonic() - started, resumed_from
    )
