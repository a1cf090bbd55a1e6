"""The masking itself: typed results in, masked copies out, never the cached originals changed.

`MaskedClient` applies it where data leaves the client, so the viewer's panels, the live poll,
the embed's reply text, the API and the export all read masked data, each through the one
policy it was given. A phone is any value under a key that names one (``phone``,
``mobileNumber``, ``msisdn``...), anywhere in a profile or an event; a restricted trait is any
key MASKING_RESTRICTED_TRAITS names, anywhere, and is removed with its value.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterator
from typing import Any

from profileviewer.client import (
    Event,
    EventPage,
    ExternalId,
    Meta,
    ProfileListPage,
    ProfilesClient,
    Traits,
)
from profileviewer.masking.policy import Policy

PHONE_KEY = re.compile(r"phone|mobile|msisdn|^tel$", re.IGNORECASE)
MASK = "•••"


def mask_phone(value: str) -> str:
    """Only the last 4 digits, and none of a number too short to hide anything by showing 4."""
    digits = [char for char in value if char.isdigit()]
    if not digits:
        return value
    return MASK if len(digits) <= 6 else f"{MASK} {''.join(digits[-4:])}"


@functools.lru_cache(maxsize=4096)
def _is_phone_key(key: str) -> bool:
    # Answers repeat the same few hundred keys; the cache's size bounds what odd ones cost.
    return PHONE_KEY.search(key) is not None


class _Scrubber:
    """One answer's masking under one policy. A container the answer holds twice (a Meta's
    raw JSON is also its traits' raw JSON) is walked once and masked the same both times."""

    def __init__(self, policy: Policy) -> None:
        self.hidden = policy.hidden_traits
        self.phones = not policy.full_phone
        self.done: dict[tuple[int, bool], Any] = {}

    def __call__(self, value: Any, *, phone: bool = False) -> Any:
        if isinstance(value, dict | list):
            key = (id(value), phone)
            if key not in self.done:
                walk = self._dict if isinstance(value, dict) else self._list
                self.done[key] = walk(value, phone)
            return self.done[key]
        if phone and isinstance(value, str | int) and not isinstance(value, bool):
            return mask_phone(str(value))
        return value

    def _dict(self, value: Any, phone: bool) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        changed = False
        for key, item in value.items():
            if key in self.hidden:
                changed = True
                continue
            under_phone = phone or (self.phones and isinstance(key, str) and _is_phone_key(key))
            new = self(item, phone=under_phone)
            changed = changed or new is not item
            out[key] = new
        return out if changed else value

    def _list(self, value: Any, phone: bool) -> list[Any]:
        items = [self(item, phone=phone) for item in value]
        changed = any(new is not old for new, old in zip(items, value, strict=True))
        return items if changed else value


def scrub(value: Any, policy: Policy, *, phone: bool = False) -> Any:
    """`value` (JSON) without its restricted keys and with its phones masked; the same object
    when nothing in it needed changing."""
    return _Scrubber(policy)(value, phone=phone)


def _traits(result: Traits, policy: Policy, scrubber: _Scrubber) -> Traits:
    return dataclasses.replace(
        result,
        phone=result.phone if policy.full_phone else mask_phone(result.phone),
        custom=scrubber(result.custom),
        raw=scrubber(result.raw),
    )


def traits(result: Traits, policy: Policy) -> Traits:
    if policy.masks_nothing:
        return result
    return _traits(result, policy, _Scrubber(policy))


def meta(result: Meta, policy: Policy) -> Meta:
    if policy.masks_nothing:
        return result
    scrubber = _Scrubber(policy)
    return dataclasses.replace(
        result,
        traits=_traits(result.traits, policy, scrubber),
        first_events=scrubber(result.first_events),
        last_events=scrubber(result.last_events),
        raw=scrubber(result.raw),
    )


def _event(result: Event, policy: Policy, scrubber: _Scrubber) -> Event:
    raw = scrubber(result.raw) if policy.raw_events else None
    properties = scrubber(result.properties)
    if raw is result.raw and properties is result.properties:
        return result  # most events: nothing in them to mask
    return dataclasses.replace(result, properties=properties, raw=raw)


def event(result: Event, policy: Policy) -> Event:
    return _event(result, policy, _Scrubber(policy))


def event_page(page: EventPage, policy: Policy) -> EventPage:
    scrubber = _Scrubber(policy)
    return dataclasses.replace(page, events=tuple(_event(e, policy, scrubber) for e in page.events))


def external_id(result: ExternalId, policy: Policy) -> ExternalId:
    if policy.full_phone or not _is_phone_key(result.type):
        return result
    return dataclasses.replace(result, value=mask_phone(result.value))


class MaskedClient:
    """The client's reads, each answer masked for one policy. Only the reads are offered: a new
    client method is unreachable through here until it is masked too."""

    def __init__(self, client: ProfilesClient, policy: Policy) -> None:
        self.client = client
        self.policy = policy

    def traits(self, *args: Any, **kwargs: Any) -> list[Traits]:
        return [traits(t, self.policy) for t in self.client.traits(*args, **kwargs)]

    def meta(self, *args: Any, **kwargs: Any) -> list[Meta]:
        return [meta(m, self.policy) for m in self.client.meta(*args, **kwargs)]

    def events(self, *args: Any, **kwargs: Any) -> EventPage:
        return event_page(self.client.events(*args, **kwargs), self.policy)

    def iter_events(self, *args: Any, **kwargs: Any) -> Iterator[Event]:
        for item in self.client.iter_events(*args, **kwargs):
            yield event(item, self.policy)

    def external_ids(self, *args: Any, **kwargs: Any) -> list[ExternalId]:
        return [external_id(i, self.policy) for i in self.client.external_ids(*args, **kwargs)]

    def list_profiles(self, *args: Any, **kwargs: Any) -> ProfileListPage:
        page = self.client.list_profiles(*args, **kwargs)
        return dataclasses.replace(
            page, profiles=tuple(traits(t, self.policy) for t in page.profiles)
        )

    def iter_profiles(self, *args: Any, **kwargs: Any) -> Iterator[tuple[Traits, str | None]]:
        for profile, scroll_id in self.client.iter_profiles(*args, **kwargs):
            yield traits(profile, self.policy), scroll_id
