"""Panels kept as rendered, never longer than the answers they were built from.

A panel asked for again is served as it was rendered, without its reads, masking and
template: most of a cached panel's cost (docs/performance.md, "Panels kept as rendered").
The key holds everything a panel's HTML depends on besides those answers: the request (path,
query, htmx target, host), the agent's masking policy and time zone. A panel is kept until
the first of its answers expires from the client's cache, so it is never older than they
may be. A refresh (``fresh=1``) replaces it, and only a refresh does; one past the agent's
allowance, which shows a note, neither reads nor replaces it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from profileviewer import masking
from profileviewer.agents import limits
from profileviewer.observability import context, metrics

logger = logging.getLogger("profileviewer.viewer")

KEY_PREFIX = "pv:panel:v1:"


def _key(request: HttpRequest) -> str:
    policy = masking.current()
    # A repeated parameter keeps its values' order: the views read the last one.
    query = sorted((k, values) for k, values in request.GET.lists() if k != "fresh")
    parts = [
        request.path,
        query,
        request.htmx.target,  # type: ignore[attr-defined]
        str(getattr(request.agent, "host", "")),  # type: ignore[attr-defined]
        repr(policy),
        sorted(policy.hidden_traits),
        timezone.get_current_timezone_name(),
    ]
    return KEY_PREFIX + hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def kept(request: HttpRequest) -> HttpResponse | None:
    """This panel as kept for this request, or None (a refresh always reads)."""
    if not request.htmx or request.GET.get("fresh") == "1":  # type: ignore[attr-defined]
        return None
    try:
        response = caches["default"].get(_key(request))
    except Exception as exc:  # a cache outage costs the reads, not the panel
        logger.warning("Panel cache read failed (%s)", type(exc).__name__)
        return None
    hit = isinstance(response, HttpResponse)
    metrics.panel_lookup(hit)
    return response if hit else None


def keep(request: HttpRequest, response: HttpResponse) -> None:
    """Keep a panel rendered without error, until the first answer it read expires."""
    expires_at = context.answers_expire_at()
    if expires_at is None or not request.htmx or limits.fresh_limited(request):  # type: ignore[attr-defined]
        return  # drawn from no answer, a page, or a refresh answered from the cache with a note
    seconds = expires_at - time.time()
    if seconds <= 0:
        return
    try:
        if request.GET.get("fresh") == "1":
            # Even for a moment: a refresh replaces what was kept before it.
            caches["default"].set(_key(request), response, seconds)
        else:
            # Never over a refresh that a slower request, begun before it, comes back after.
            caches["default"].add(_key(request), response, seconds)
    except Exception as exc:  # as above: the panel is still good without it
        logger.warning("Panel cache write failed (%s)", type(exc).__name__)
