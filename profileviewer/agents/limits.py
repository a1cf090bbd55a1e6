"""How fast one agent may ask, and how often they may skip the cache (issue 21).

Every request `agent_required` lets through takes a token from its agent's bucket
(AGENT_RATE a second, AGENT_BURST at once); over it, the request is answered "slow down"
with Retry-After: a 429 page, or for htmx the panel's own error box (status 200, so htmx
swaps it) which retries itself. A request that skips the cache (`fresh=1`, the timeline's
live poll) also takes one from a second bucket (AGENT_FRESH_RATE, AGENT_FRESH_BURST): each
costs upstream calls from the budget every agent shares, so past it the request is answered
like any other, from the cache, and says so, as the API does for a key's `no-cache`
(API_FRESH_RATE). An agent is a signed-in user, or a host's user embedded; the buckets are
the shared ones (profileviewer.ratelimit), in Redis for every process when REDIS_URL is set.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from profileviewer.embed.tokens import EmbedAgent
from profileviewer.ratelimit import forget_redis_buckets, named_buckets, retry_after_header
from profileviewer.viewer.errors import slow_down_error

BUCKETS = "pv:agent:bucket:"


def agent_name(agent: AbstractBaseUser | EmbedAgent) -> str:
    """Whose buckets: the user, or the host user (as JSON: host ids are any text, so no
    separator could make two of them one name)."""
    if isinstance(agent, EmbedAgent):
        return "embed:" + json.dumps([agent.host, agent.account, agent.user])
    return f"user:{agent.pk}"


def skips_cache(request: HttpRequest) -> bool:
    """The refresh button's requests and any other `fresh=1`, and the timeline's live poll
    (`since=`, always read afresh: services.new_events)."""
    return request.GET.get("fresh") == "1" or "since" in request.GET


def _take(name: str, rate: float, burst: int) -> float:
    return named_buckets(BUCKETS, settings.REDIS_URL).take(name, rate, burst)


def admit(request: HttpRequest, agent: AbstractBaseUser | EmbedAgent) -> float:
    """0 to let the request through (marked `fresh_limited` when it asked to skip the cache
    past the agent's allowance), else the seconds until it would be let through."""
    name = agent_name(agent)
    wait = _take(name, settings.AGENT_RATE, settings.AGENT_BURST)
    if wait > 0:
        return wait
    if skips_cache(request):
        fresh_wait = _take("fresh:" + name, settings.AGENT_FRESH_RATE, settings.AGENT_FRESH_BURST)
        request.fresh_limited = fresh_wait > 0  # type: ignore[attr-defined]
    return 0.0


def fresh_limited(request: HttpRequest) -> bool:
    """Whether this request asked to skip the cache after the agent's allowance ran out: it is
    answered from the cache instead, and the panel says so."""
    return getattr(request, "fresh_limited", False)


def slow_down(request: HttpRequest, wait: float) -> HttpResponse:
    error = slow_down_error(wait)
    context = {"error": error, "retry_url": request.get_full_path()}
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "viewer/panels.html#panel-error", context)
    else:
        response = render(request, "viewer/slow_down.html", context, status=429)
    response["Retry-After"] = retry_after_header(wait)
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ("HX-Request",))
    return response


def reset() -> None:
    """Forget every bucket this process holds, and its Redis connections (tests; the suite's
    reset_client_state does it too)."""
    forget_redis_buckets()
