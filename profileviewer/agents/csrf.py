"""CSRF: the check itself, which embed-token requests skip, and our own page for a refused
form (CSRF_FAILURE_VIEW).

A refused form happens to agents, not only to attackers: a sign-in page left open while the session
changed, cookies cleared or blocked. Django's stock page says only "CSRF verification failed"
and points at DEBUG; the reason it gives is for developers and is not shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseForbidden
from django.middleware import csrf
from django.shortcuts import render

from profileviewer.agents.auth import bearer_token
from profileviewer.embed import tokens
from profileviewer.embed.tokens import EmbedTokenError


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "agents/form_expired.html", status=403)


class CsrfViewMiddleware(csrf.CsrfViewMiddleware):
    """Django's CSRF check, except for a request with a valid embed token.

    CSRF abuses a credential the browser adds by itself (a cookie); an embed token is sent
    only by our page's script, in a header another site cannot set without our consent
    (CORS). A request whose bearer token does not verify is checked as usual.
    """

    def process_view(
        self,
        request: HttpRequest,
        callback: Callable[..., HttpResponseBase],
        callback_args: tuple[Any, ...],
        callback_kwargs: dict[str, Any],
    ) -> HttpResponseForbidden | None:
        token = bearer_token(request)
        if token is not None:
            try:
                tokens.read(token)
            except EmbedTokenError:
                pass
            else:
                return None
        return super().process_view(request, callback, callback_args, callback_kwargs)
