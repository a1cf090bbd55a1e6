"""The default cache for what is only kept to save work: an outage is a miss, never a failure.

Redis down must cost speed, not pages: a read that fails answers None (a miss), a write or
a delete that fails is skipped; each failure is logged with whose entries they are. The
upstream client has its own (``profileviewer.client.cache``), which also picks its backend.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)


class TolerantCache:
    """The default cache for one owner ("Viewer", "Agent"), named in the failure logs."""

    def __init__(self, owner: str) -> None:
        self.owner = owner

    def _failed(self, action: str, exc: Exception) -> None:
        logger.warning("%s cache %s failed (%s)", self.owner, action, type(exc).__name__)

    def read(self, key: str) -> Any:
        try:
            return cache.get(key)
        except Exception as exc:
            self._failed("read", exc)
            return None

    def write(self, key: str, value: Any, seconds: int) -> None:
        if seconds <= 0:
            return
        try:
            cache.set(key, value, seconds)
        except Exception as exc:
            self._failed("write", exc)

    def add(self, key: str, value: Any, seconds: int) -> bool:
        """True if the key was not there and now is; False if it was, or on an outage."""
        try:
            return bool(cache.add(key, value, seconds))
        except Exception as exc:
            self._failed("write", exc)
            return False

    def drop(self, key: str) -> bool:
        """False on an outage: the entry then lives out its time."""
        try:
            cache.delete(key)
        except Exception as exc:
            self._failed("delete", exc)
            return False
        return True
