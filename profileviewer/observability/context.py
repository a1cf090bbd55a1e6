"""What one request knows about itself, wherever its work runs: its id, its upstream calls and
how long the answers it read may still be served from the client's cache.

A middleware opens a ``RequestContext`` per request in a context variable. Work the request
hands to other threads (``profileviewer.parallel``) runs in a copy of the context, which holds
the same object, so an upstream call made on a worker thread is still this request's. No Django
here: the client notes its calls through ``note_upstream_call``.
"""

from __future__ import annotations

import threading
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass, field


@dataclass
class RequestContext:
    request_id: str
    _upstream_ids: list[str] = field(default_factory=list)
    _answers_expire_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def note_upstream_call(self, upstream_request_id: str) -> None:
        with self._lock:
            if upstream_request_id not in self._upstream_ids:
                self._upstream_ids.append(upstream_request_id)

    def note_answer_expiry(self, expires_at: float) -> None:
        with self._lock:
            if self._answers_expire_at is None or expires_at < self._answers_expire_at:
                self._answers_expire_at = expires_at

    def answers_expire_at(self) -> float | None:
        """When the first answer read for this request expires (``time.time()``), or None
        when it read none."""
        with self._lock:
            return self._answers_expire_at

    def upstream_request_ids(self) -> list[str]:
        """The upstream's ids of the calls made for this request so far, first one first."""
        with self._lock:
            return list(self._upstream_ids)


_current: ContextVar[RequestContext | None] = ContextVar("pv_request_context", default=None)


def begin(request_id: str | None = None) -> Token[RequestContext | None]:
    """Open a request's context (a new id unless given); pass the token to ``end``."""
    return _current.set(RequestContext(request_id or str(uuid.uuid4())))


def end(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


def current() -> RequestContext | None:
    return _current.get()


def request_id() -> str | None:
    """This request's id, or None outside a request (a management command, a test's call)."""
    context = _current.get()
    return context.request_id if context is not None else None


def note_upstream_call(upstream_request_id: str | None) -> None:
    """Remember that this request was answered by the upstream call with this id."""
    context = _current.get()
    if context is not None and upstream_request_id:
        context.note_upstream_call(upstream_request_id)


def upstream_request_ids() -> list[str]:
    context = _current.get()
    return context.upstream_request_ids() if context is not None else []


def note_answer_expiry(expires_at: float) -> None:
    """Remember that this request read an answer the client's cache keeps until then."""
    context = _current.get()
    if context is not None:
        context.note_answer_expiry(expires_at)


def answers_expire_at() -> float | None:
    context = _current.get()
    return context.answers_expire_at() if context is not None else None
