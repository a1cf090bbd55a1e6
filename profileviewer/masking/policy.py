"""Who may see what: a `Policy` per request, resolved from the agent, the service key or the
export's role, and in force for the duration of a view (``override``, like the time zone).

Anyone without a role sees the least: the default policy, in force wherever none was set
(a background job, a new code path), masks everything there is to mask.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import caches
from django.db.models import Q

from profileviewer.embed.tokens import EmbedAgent

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

APP = "masking"


@dataclass(frozen=True)
class Policy:
    """What a role sees in full; everything else is masked (masking/masks.py)."""

    full_phone: bool = False
    restricted_traits: bool = False
    raw_events: bool = False

    @property
    def hidden_traits(self) -> frozenset[str]:
        if self.restricted_traits:
            return frozenset()
        return frozenset(settings.MASKING_RESTRICTED_TRAITS)

    @property
    def masks_nothing(self) -> bool:
        return self.full_phone and not self.hidden_traits


RESTRICTED = Policy()
FULL = Policy(full_phone=True, restricted_traits=True, raw_events=True)
_current: ContextVar[Policy] = ContextVar("masking_policy", default=RESTRICTED)


def _from_codenames(codenames: set[str]) -> Policy:
    return Policy(
        full_phone="view_full_phone" in codenames,
        restricted_traits="view_restricted_traits" in codenames,
        raw_events="view_raw_events" in codenames,
    )


def _policy(holders: Q) -> Policy:
    """What the permissions of this app that ``holders`` hold show: one query."""
    from django.contrib.auth.models import Permission  # the app package loads before models

    permissions = Permission.objects.filter(holders, content_type__app_label=APP).order_by()
    return _from_codenames(set(permissions.values_list("codename", flat=True)))


def _kept(key: str, read: Callable[[], Policy]) -> Policy:
    """``read()``, kept in this process for MASKING_POLICY_CACHE_SECONDS: an agent's every
    request needs it, and a changed role may take that long to apply (README, "Roles and
    masking"), in each process alike; kept in Redis, it cost each request a round trip
    (docs/performance.md, "Floors, and the November code on the same machine")."""
    seconds = settings.MASKING_POLICY_CACHE_SECONDS
    if not seconds:
        return read()
    key = f"pv:masking:policy:{key}"
    kept = caches["process"]
    policy = kept.get(key)
    if not isinstance(policy, Policy):
        policy = read()
        kept.set(key, policy, seconds)
    return policy


def for_user(user: AbstractBaseUser) -> Policy:
    """A signed-in user's: their groups' permissions and their own (a superuser has all), as
    Django's ModelBackend grants them, in one query where its get_all_permissions makes two."""
    if getattr(user, "is_superuser", False):
        return FULL
    if not user.is_active:
        return RESTRICTED
    return _kept(f"user:{user.pk}", lambda: _policy(Q(group__user=user) | Q(user=user)))


def for_group(group_id: int | None) -> Policy:
    """The policy of a group (a service key's role); the least for none."""
    return RESTRICTED if group_id is None else _policy(Q(group__pk=group_id))


def for_role(name: str | None) -> Policy:
    """The policy of the group named `name`; the least when there is no such group."""
    if not name:
        return RESTRICTED
    # A group's name may hold any text; its digest makes a valid cache key.
    key = "role:" + hashlib.sha256(name.encode()).hexdigest()
    return _kept(key, lambda: _policy(Q(group__name=name)))


def embed_role(agent: EmbedAgent) -> str:
    """Host users have no Django user: each host's agents take the role its setting names."""
    return settings.ZENDESK_ROLE if agent.host == "zendesk" else settings.PIPEDRIVE_ROLE


def for_agent(agent: AbstractBaseUser | EmbedAgent) -> Policy:
    if isinstance(agent, EmbedAgent):
        return for_role(embed_role(agent))
    return for_user(agent)


def current() -> Policy:
    """The policy in force: the request's, or the least outside of one."""
    return _current.get()


@contextmanager
def override(policy: Policy) -> Iterator[None]:
    token = _current.set(policy)
    try:
        yield
    finally:
        _current.reset(token)
