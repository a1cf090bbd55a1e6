"""Failed sign-ins, counted by django-axes per account and per address (settings.py,
LOGIN_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES), on the agents' and the admin's sign-in alike.

Axes checks for a lock in its authentication backend, before Django's hashes the password, so
a refused attempt costs no hashing and takes the same time whether the account exists or not.
"""

from __future__ import annotations

import ipaddress
import math
from typing import Any

from axes.utils import reset as reset_failures
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str | None:
    """The address failures are counted against (AXES_CLIENT_IP_CALLABLE): the connection's,
    or behind TRUSTED_PROXY_COUNT proxies the one the outermost proxy saw. Entries further
    left in X-Forwarded-For are written by the client, so they are never read."""
    remote: str | None = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(hops) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:  # a proxy that does not append: not an address to store
        return remote


def lockout_page(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """What a locked-out sign-in gets (AXES_LOCKOUT_CALLABLE): the same page whoever the
    account is, and whether it exists or not."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    response = render(request, "agents/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    response["Cache-Control"] = "no-store"
    return response


@receiver(user_logged_in, dispatch_uid="agents-forgive-failures")
def forgive_own_failures(
    sender: object, request: HttpRequest, user: AbstractBaseUser, **kwargs: object
) -> None:
    # Only this account's failures, wherever they came from. Axes' AXES_RESET_ON_SUCCESS
    # would also clear every failure from this address, so an agent could try another
    # account's password four times, sign in as themselves, and start again.
    reset_failures(username=user.get_username())
