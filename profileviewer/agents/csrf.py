"""A form refused for its CSRF token: our own page, saying what to do (CSRF_FAILURE_VIEW).

It happens to agents, not only to attackers: a sign-in page left open while the session
changed, cookies cleared or blocked. Django's stock page says only "CSRF verification failed"
and points at DEBUG; the reason it gives is for developers and is not shown.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "agents/form_expired.html", status=403)
