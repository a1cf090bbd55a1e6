"""Who is this agent: the one place the viewer resolves and checks the agent.

An agent is either a Django user with a session cookie (the standalone viewer) or, embedded
in Zendesk or Pipedrive iframes where browsers block third-party cookies, a host user carrying
our embed token in `Authorization: Bearer` (profileviewer/embed). Views only ever see
`@agent_required` and `request.agent`.
"""

from __future__ import annotations

import contextlib
import zoneinfo
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

from profileviewer import masking
from profileviewer.agents import limits
from profileviewer.audit import trail
from profileviewer.embed import hosts, tokens
from profileviewer.embed.tokens import EmbedAgent, EmbedTokenError

# The browser's IANA zone, written by static/js/app.js, so times show in the agent's zone;
# embedded, where no cookie is kept, the page sends it as a header instead.
TIME_ZONE_COOKIE = "pv_tz"
TIME_ZONE_HEADER = "X-Time-Zone"
# A fresh embed token, sent back while the one a request carried is past half its life.
RENEWED_TOKEN_HEADER = "X-Embed-Token"  # noqa: S105 (a header name, not a secret)
REFUSED_HEADER = "X-Embed-Refused"

View = Callable[..., HttpResponse]
Agent = AbstractBaseUser | EmbedAgent


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an `Authorization: Bearer` header, or None without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def resolve_agent(request: HttpRequest) -> Agent | None:
    """The agent making the request, or None: an embed token when the request carries one
    (and then only it: a bad token never falls back to a cookie), else the session's user.
    Raises EmbedTokenError for a bad embed token, so the page can say why."""
    token = bearer_token(request)
    if token is not None:
        return tokens.read(token)
    user: AbstractBaseUser | AnonymousUser = request.user
    if user.is_authenticated and user.is_active:
        return user  # type: ignore[return-value]
    return None


def is_embedded(request: HttpRequest) -> bool:
    """Whether the agent came through a host (Zendesk, Pipedrive) rather than a session."""
    return isinstance(getattr(request, "agent", None), EmbedAgent)


def agent_time_zone(request: HttpRequest) -> zoneinfo.ZoneInfo | None:
    name = request.headers.get(TIME_ZONE_HEADER) or request.COOKIES.get(TIME_ZONE_COOKIE, "")
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _login_redirect(request: HttpRequest) -> HttpResponse:
    # An htmx panel must not swap the login form into itself: send the whole page there.
    htmx = request.htmx  # type: ignore[attr-defined]
    try:
        current = htmx.current_url_abs_path if htmx else None
    except ValueError:  # an HX-Current-URL that is not a URL ("http://[")
        current = None
    next_url = current or request.get_full_path()
    target = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}"
    if htmx:
        return HttpResponseClientRedirect(target)
    return HttpResponseRedirect(target)


def embed_refused(request: HttpRequest, error: EmbedTokenError) -> HttpResponse:
    """A 401 the embedded page shows in place of the panel (static/js/embed.js)."""
    response = render(
        request, "embed/refused.html", {"message": str(error), "restart": error.restart}, status=401
    )
    response["Cache-Control"] = "no-store"
    response[REFUSED_HEADER] = "1"  # ours, to show as it is (not a proxy's 401 page)
    return response


def agent_required(view: View) -> View:
    """Let only a signed-in agent through, within their rate (agents/limits.py), with times
    shown in their time zone and customer data masked for their role (profileviewer/masking)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            agent = resolve_agent(request)
        except EmbedTokenError as error:
            return embed_refused(request, error)
        if agent is None:
            return _login_redirect(request)
        request.agent = agent  # type: ignore[attr-defined]
        zone = agent_time_zone(request)
        wait = limits.admit(request, agent)
        if wait > 0:
            response = limits.slow_down(request, wait)
        else:
            zoned = timezone.override(zone) if zone else contextlib.nullcontext()
            # What the agent's role may see, masked in every read the view makes.
            with masking.override(masking.for_agent(agent)), zoned:
                response = view(request, *args, **kwargs)
        trail.record_view(request, response)
        if isinstance(agent, EmbedAgent):
            # Customer data for one bearer: never kept, never served to another.
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ("Authorization",))
            if response.status_code < 300 and agent.needs_renewal():
                response[RENEWED_TOKEN_HEADER] = tokens.renew(agent)
        return response

    return wrapper


def embed_host_required(view: View) -> View:
    """Under `@agent_required`: only for an agent whose token this host's entry issued, and
    only while the host is on (a host switched off stops its tokens at once)."""

    @wraps(view)
    def wrapper(request: HttpRequest, host: str) -> HttpResponse:
        config = hosts.zendesk_config() if host == "zendesk" else hosts.pipedrive_config()
        if config is None:
            raise Http404("This host is not configured.")
        agent = getattr(request, "agent", None)
        if not isinstance(agent, EmbedAgent) or agent.host != host:
            error = EmbedTokenError("This panel's sign-in is for another app: reload the app.")
            return embed_refused(request, error)
        return view(request, host)

    return wrapper
