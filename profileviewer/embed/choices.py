"""The customer an agent chose for a ticket or record, when its email matches several.

Kept on the server (Django's cache) for `EMBED_TOKEN_MAX_AGE`, the longest an embed session
lasts: a cross-site frame gets no storage of its own (browsers that block third-party cookies
refuse it `sessionStorage` too), and Pipedrive opens a new panel, with a new token, for each
record. The key holds the host, account and user, so no other agent or tenant sees it.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

from profileviewer.embed.tokens import EmbedAgent

MAX_RECORD = 100  # "ticket:123", "person:42": far shorter


def _key(agent: EmbedAgent, record: str) -> str:
    who = f"{agent.host}\0{agent.account}\0{agent.user}\0{record[:MAX_RECORD]}"
    return "pv:embed:choice:" + hashlib.sha256(who.encode()).hexdigest()


def remember(agent: EmbedAgent, record: str, ref: str) -> None:
    if record:
        cache.set(_key(agent, record), ref, settings.EMBED_TOKEN_MAX_AGE)


def recall(agent: EmbedAgent, record: str) -> str | None:
    value = cache.get(_key(agent, record)) if record else None
    return value if isinstance(value, str) else None
