"""Sessions (Django's ``cached_db``) read together with their agent's kept record.

Every viewer request reads its session, then its agent's record (``backends.py``), from the
cache: with Redis, two round trips one after the other. The agent of a session never changes
(signing in starts a new session key), so once this process has seen which agent a session
belongs to, it reads both at once (one MGET). ``CachedModelBackend.get_user`` then takes the
record read beside this request's session instead of reading it again.

Nothing is kept in this process but which agent a session key belongs to: the session and
the record are read from the cache on every request, as before, so a sign-out, a
deactivation or a changed password takes effect exactly as it did.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import cached_db

from profileviewer.agents.backends import agent_key, offer_record

# Session key -> the agent id its data holds (only ids; the most recently used sessions).
MAX_SESSIONS_REMEMBERED = 10_000
_agents: OrderedDict[str, str] = OrderedDict()
_agents_lock = threading.Lock()


def _agent_of(session_key: str) -> str | None:
    with _agents_lock:
        agent = _agents.get(session_key)
        if agent is not None:
            _agents.move_to_end(session_key)
        return agent


def _remember(session_key: str, agent: str) -> None:
    with _agents_lock:
        _agents[session_key] = agent
        _agents.move_to_end(session_key)
        while len(_agents) > MAX_SESSIONS_REMEMBERED:
            _agents.popitem(last=False)


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        offer_record(None)
        session_key = self.session_key
        agent = _agent_of(session_key) if session_key else None
        data = self._load_with_agent(agent) if agent else None
        if data is None:
            data = super().load()
            if session_key and data.get(SESSION_KEY) is not None:
                _remember(session_key, str(data[SESSION_KEY]))
        return data

    def _load_with_agent(self, agent: str) -> dict[str, Any] | None:
        """The session's data from the cache, with the agent's record read in the same round
        trip; None when the cache does not hold it (the database is then read as usual)."""
        record = agent_key(agent)
        try:
            found = self._cache.get_many([self.cache_key, record])  # type: ignore[attr-defined]
        except Exception:  # as cached_db: a cache that fails reads the database
            return None
        data = found.get(self.cache_key)
        if not isinstance(data, dict) or str(data.get(SESSION_KEY)) != agent:
            return None
        offer_record(agent, found.get(record))
        return data
