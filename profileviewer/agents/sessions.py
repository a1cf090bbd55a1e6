"""How long a sign-in lasts: SESSION_IDLE_MINUTES without a request, SESSION_MAX_HOURS in all.

Django's own idle timeout (SESSION_SAVE_EVERY_REQUEST) writes the session on every request,
and one profile page makes a dozen; this writes the time last seen at most once a minute.
An expired session is signed out before the view runs, so `agent_required` sends the agent
to the sign-in page as for any stranger (a whole-page redirect from an htmx panel).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.base import SessionBase
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from profileviewer.agents.auth import bearer_token
from profileviewer.observability.urls import PROBE_PATHS

SIGNED_IN_AT = "pv_signed_in_at"
SEEN_AT = "pv_seen_at"
# The time last seen is written at most this often, so the idle limit may act up to this
# many seconds early.
SEEN_WRITE_INTERVAL = 60
# Sent by requests the page makes on its own (the timeline's live poll): they are not the
# agent's activity, so an unattended screen showing a customer still times out.
BACKGROUND_HEADER = "X-Background-Request"


@receiver(user_logged_in, dispatch_uid="agents-stamp-sign-in")
def stamp_sign_in(
    sender: object, request: HttpRequest, user: AbstractBaseUser, **kwargs: object
) -> None:
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


def _expiry_reason(session: SessionBase, now: float) -> str | None:
    seen_at = session.get(SEEN_AT)
    signed_in_at = session.get(SIGNED_IN_AT)
    # A session from before these limits has no stamps: it ends now.
    if not isinstance(seen_at, float) or not isinstance(signed_in_at, float):
        return "Please sign in again."
    if now - signed_in_at > settings.SESSION_MAX_HOURS * 3600:
        return f"You were signed out: a sign-in lasts {settings.SESSION_MAX_HOURS} hours."
    if now - seen_at > settings.SESSION_IDLE_MINUTES * 60:
        return (
            f"You were signed out after {settings.SESSION_IDLE_MINUTES} minutes without activity."
        )
    return None


class SessionLifetimeMiddleware:
    """Signs out an agent idle for too long or signed in for too long. Requests with an
    embed token have no session and are left alone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in PROBE_PATHS:  # a probe is no one's activity and reads no session
            return self.get_response(request)
        session = request.session
        if bearer_token(request) is None and SESSION_KEY in session:
            now = time.time()
            reason = _expiry_reason(session, now)
            if reason is not None:
                logout(request)
                messages.info(request, reason)
            elif (
                now - session[SEEN_AT] >= SEEN_WRITE_INTERVAL
                and request.headers.get(BACKGROUND_HEADER) != "1"
            ):
                session[SEEN_AT] = now
        return self.get_response(request)
