"""Profile references: which customer a call is about (PAPI-2).

A reference is an id type and a value. Agents type values into a search box, links and the
personalization API carry ``type:value`` strings; both are checked here, before any call, so a
typo never costs an upstream request and the agent gets a message they can act on.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from profileviewer.client.errors import ProfileRefError

IdType = Literal["userId", "email", "id"]
ID_TYPES: tuple[IdType, ...] = ("userId", "email", "id")
MAX_VALUE_LENGTH = 512

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LOOKUP_HINT = "Enter an email, an external id or an Intilery id."


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    # uuid.UUID also accepts braces, "urn:uuid:" and missing hyphens; Intilery ids are the
    # canonical 36-character form only.
    return len(value) == 36 and value.count("-") == 4


def _check_value(id_type: IdType, value: str) -> str:
    if not value:
        raise ProfileRefError(_LOOKUP_HINT, code="empty_reference")
    if len(value) > MAX_VALUE_LENGTH:
        raise ProfileRefError(
            f"That id is too long (more than {MAX_VALUE_LENGTH} characters).",
            code="reference_too_long",
        )
    if _CONTROL.search(value):
        raise ProfileRefError(
            "That id contains invisible control characters; paste it again as plain text.",
            code="control_characters",
        )
    if id_type == "email" and "@" not in value:
        raise ProfileRefError("An email needs an @, for example jo@example.com.", code="bad_email")
    if id_type == "id" and not _is_uuid(value):
        raise ProfileRefError(
            "An Intilery id looks like 4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe.", code="bad_id"
        )
    if id_type == "id":
        return value.lower()
    return value


@dataclass(frozen=True, slots=True)
class ProfileRef:
    id_type: IdType
    value: str

    def __post_init__(self) -> None:
        if self.id_type not in ID_TYPES:
            raise ProfileRefError("The id type must be userId, email or id.", code="bad_id_type")
        object.__setattr__(self, "value", _check_value(self.id_type, self.value))

    @classmethod
    def parse(cls, text: str) -> ProfileRef:
        """A strict ``type:value`` reference, as in links and API calls (PAPI-2)."""
        if not isinstance(text, str):
            raise ProfileRefError("A profile reference must be text.", code="bad_reference")
        id_type, sep, value = text.strip().partition(":")
        if not sep or id_type not in ID_TYPES:
            raise ProfileRefError(
                "A profile reference looks like userId:…, email:… or id:….",
                code="bad_reference",
            )
        return cls(id_type, value.strip())

    @classmethod
    def from_lookup(cls, text: str) -> ProfileRef:
        """What an agent typed into a search box.

        An explicit known prefix wins; otherwise an ``@`` means an email, a UUID an Intilery
        id, anything else an external id (which may itself contain ``:`` or ``@``-less text).
        """
        if not isinstance(text, str):
            raise ProfileRefError(_LOOKUP_HINT, code="empty_reference")
        text = text.strip()
        prefix, sep, rest = text.partition(":")
        if sep and prefix in ID_TYPES:
            return cls(prefix, rest.strip())
        if "@" in text:
            return cls("email", text)
        if _is_uuid(text):
            return cls("id", text)
        return cls("userId", text)

    def path_segment(self) -> str:
        """The ``{idType}:{id}`` path segment, the value percent-encoded (``/`` -> ``%2F``)."""
        return f"{self.id_type}:{quote(self.value, safe='')}"

    def __str__(self) -> str:
        return f"{self.id_type}:{self.value}"
