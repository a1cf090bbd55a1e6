"""Agents are Django users; the signed-in agent's record is read from the cache, not the
database, on each request.

Every viewer request resolves its agent (the profile page and its seven htmx requests), and
Django's ModelBackend reads the user row each time: about a tenth of a panel's CPU
(bench-viewer). The record is kept in the shared cache for ``AGENT_KEPT_SECONDS`` and
dropped whenever the user is saved or deleted through the ORM (the admin, ``changepassword``,
``createsuperuser``, a login's ``last_login``), at once and again when the transaction
commits, so deactivating an agent or changing their password signs them out on their next
request. A change that bypasses the ORM's signals (``QuerySet.update()``, raw SQL, or a
command in another process when the cache is each process's own memory), or a request that
read the row a moment before the change committed, takes effect within
``AGENT_KEPT_SECONDS``.

A request's session load reads the record beside the session (``sessions.py``, one round
trip) and offers it to ``get_user``, which then does not read it again.

The kept record is the user row, password hash included, as Django's own cached user
objects are: the cache (Redis in the scale-out set-up, which already holds the sessions)
must be as private as the database. Keys are per deployment (its secret key and database),
so two deployments sharing one Redis never read each other's agents.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.signals import request_finished
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.crypto import salted_hmac

from profileviewer.sharedcache import TolerantCache

logger = logging.getLogger(__name__)

AGENT_KEPT_SECONDS = 60


def agent_key(user_id: Any) -> str:
    """The cache key of a user's record: versioned (a pickled user from an older User model
    is never read back) and per deployment."""
    database = settings.DATABASES["default"]
    deployment = salted_hmac(
        "profileviewer.agents",
        f"{database.get('HOST', '')}|{database['NAME']}",
        algorithm="sha256",
    ).hexdigest()[:16]
    return f"agent:v1:{deployment}:{user_id}"


_store = TolerantCache("Agent")

# An agent id and their record (None: none kept) read beside the session this request
# loaded (sessions.py): each session load sets or clears it, and get_user takes it once.
_offered: ContextVar[tuple[str, Any] | None] = ContextVar("pv_agent_offered", default=None)


def offer_record(user_id: Any, record: Any = None) -> None:
    """What the session load read of ``user_id``'s record; ``offer_record(None)`` clears."""
    _offered.set(None if user_id is None else (str(user_id), record))


def _take_offered(user_id: Any) -> tuple[bool, Any]:
    """``(True, record or None)`` when this request's session load read ``user_id``'s
    record, else ``(False, None)``; taken either way, never used twice."""
    offered = _offered.get()
    _offered.set(None)
    if offered is None or offered[0] != str(user_id):
        return False, None
    return True, offered[1]


class CachedModelBackend(ModelBackend):
    """ModelBackend (username and password), with `get_user` served from the cache; a cache
    outage is a miss, and the database answers."""

    def get_user(self, user_id: Any) -> Any:  # the user model, or None
        key = agent_key(user_id)
        offered, user = _take_offered(user_id)
        if not offered:
            user = _store.read(key)
        if user is None:
            user = super().get_user(user_id)
            if user is None:
                return None
            _store.write(key, user, AGENT_KEPT_SECONDS)
        return user if self.user_can_authenticate(user) else None


def forget_agent(sender: Any, instance: AbstractBaseUser, **kwargs: Any) -> None:
    """A saved or deleted user is read again from the database on their next request: the
    record is dropped now and again once the change commits, since a request between the
    two (the admin saves in a transaction) would keep the row as it was before."""
    user_id = instance.pk  # a deleted instance's pk is None by the time it commits
    key = agent_key(user_id)
    _drop(key, user_id)
    transaction.on_commit(lambda: _drop(key, user_id))


def _drop(key: str, user_id: Any) -> None:
    if not _store.drop(key):
        # The kept record expires on its own; say so, since a deactivation waits for it.
        logger.error(
            "The change to user %s takes effect within %d s (its kept record stays)",
            user_id,
            AGENT_KEPT_SECONDS,
        )


def _drop_offer(**kwargs: Any) -> None:
    """A request that read a record beside its session but never asked who its agent is
    leaves nothing for the next request on its thread."""
    offer_record(None)


def connect_signals() -> None:
    user_model = get_user_model()
    post_save.connect(forget_agent, sender=user_model, dispatch_uid="agents.forget_agent.save")
    post_delete.connect(forget_agent, sender=user_model, dispatch_uid="agents.forget_agent.delete")
    request_finished.connect(_drop_offer, dispatch_uid="agents.drop_offer")
