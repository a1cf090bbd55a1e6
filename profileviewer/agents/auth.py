"""Who is this agent: the one place the viewer resolves and checks the agent.

Today an agent is a Django user with a session cookie. Embedded in Zendesk or Pipedrive
iframes, browsers block that third-party cookie, so a second way in (a short-lived signed
token sent by htmx as a request header) will be added to `resolve_agent` alone; views only
ever see `@agent_required` and `request.user`.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

# The browser's IANA zone, written by static/js/app.js, so times show in the agent's zone.
TIME_ZONE_COOKIE = "pv_tz"

View = Callable[..., HttpResponse]


def resolve_agent(request: HttpRequest) -> AbstractBaseUser | None:
    """The signed-in agent, or None. The future header-token check belongs here."""
    user: AbstractBaseUser | AnonymousUser = request.user
    if user.is_authenticated and user.is_active:
        return user  # type: ignore[return-value]
    return None


def agent_time_zone(request: HttpRequest) -> zoneinfo.ZoneInfo | None:
    name = request.COOKIES.get(TIME_ZONE_COOKIE, "")
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


def agent_required(view: View) -> View:
    """Let only a signed-in agent through, with times shown in their time zone."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if resolve_agent(request) is None:
            return _login_redirect(request)
        zone = agent_time_zone(request)
        if zone is None:
            return view(request, *args, **kwargs)
        with timezone.override(zone):
            return view(request, *args, **kwargs)

    return wrapper
