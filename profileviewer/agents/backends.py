"""Agents are Django users; the signed-in agent's record is read from the cache, not the
database, on each request.

Every viewer request resolves its agent (the profile page and its seven htmx requests), and
Django's ModelBackend reads the user row each time: about a tenth of a panel's CPU
(bench-viewer). The record is kept in the shared cache for ``AGENT_KEPT_SECONDS`` and
dropped whenever the user is saved or deleted through the ORM (the admin, ``changepassword``,
``createsuperuser``, a login's ``last_login``), so deactivating an agent or changing their
password signs them out on their next request. A change that bypasses the ORM's signals
(``QuerySet.update()``, raw SQL, or a command in another process when the cache is each
process's own memory) takes effect within ``AGENT_KEPT_SECONDS``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

AGENT_KEPT_SECONDS = 60


def _key(user_id: Any) -> str:
    return f"agent:{user_id}"


class CachedModelBackend(ModelBackend):
    """ModelBackend (username and password), with `get_user` served from the cache."""

    def get_user(self, user_id: Any) -> Any:  # the user model, or None
        key = _key(user_id)
        try:
            user = cache.get(key)
        except Exception as exc:  # an outage is a miss: the database answers
            logger.warning("Agent cache read failed (%s)", type(exc).__name__)
            return super().get_user(user_id)
        if user is None:
            user = super().get_user(user_id)
            if user is None:
                return None
            try:
                cache.set(key, user, AGENT_KEPT_SECONDS)
            except Exception as exc:
                logger.warning("Agent cache write failed (%s)", type(exc).__name__)
        return user if self.user_can_authenticate(user) else None


def forget_agent(sender: Any, instance: AbstractBaseUser, **kwargs: Any) -> None:
    """A saved or deleted user is read again from the database on their next request."""
    try:
        cache.delete(_key(instance.pk))
    except Exception as exc:
        # The kept record expires on its own; say so, since a deactivation waits for it.
        logger.error(
            "Agent cache invalidation failed (%s): the change to user %s takes effect within %d s",
            type(exc).__name__,
            instance.pk,
            AGENT_KEPT_SECONDS,
        )


def connect_signals() -> None:
    user_model = get_user_model()
    post_save.connect(forget_agent, sender=user_model, dispatch_uid="agents.forget_agent.save")
    post_delete.connect(forget_agent, sender=user_model, dispatch_uid="agents.forget_agent.delete")
