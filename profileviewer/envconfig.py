"""Strict readers for settings that come from the environment.

django-environ's own casts are lenient (``bool("yes please")`` is False, a float where an
int is wanted is truncated), so every variable goes through one of these: a bad value stops
the process at start with the variable's name, never later with a puzzling error.
"""

from __future__ import annotations

import builtins
import math
import os
import re
import sys
from collections.abc import Mapping
from typing import NoReturn
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# Browsers drop tabs and line feeds from a URL and read a backslash as a slash; urllib does
# neither, so a URL holding one may not name the host urllib finds in it.
_URL_AMBIGUOUS = re.compile(r"[\x00-\x1f\x7f\\]")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\]")


def web_origin(url: builtins.str) -> builtins.str | None:
    """The ``scheme://host[:port]`` of an absolute http(s) URL, lower-cased and without its
    default port, so two spellings of one origin compare equal; None for anything else."""
    if _URL_AMBIGUOUS.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # "https://[", a port out of range
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:  # IPv6, whose brackets urlsplit removed
        host = f"[{host}]"
    # Only what a host name may hold: a space or ";" would end the CSP source it becomes.
    if scheme not in _DEFAULT_PORTS or not _HOST.fullmatch(host) or "@" in parts.netloc:
        return None
    default_port = port is None or port == _DEFAULT_PORTS[scheme]
    return f"{scheme}://{host}" if default_port else f"{scheme}://{host}:{port}"


class Env:
    """Reads typed values from a mapping (``os.environ`` by default).

    With ``collect=True`` a missing or bad value is noted and its default returned, so that
    ``check()`` can name every problem at once, one line each; after ``check()``, or without
    ``collect``, a problem raises at once.
    """

    def __init__(
        self, environ: Mapping[str, str] | None = None, *, collect: builtins.bool = False
    ) -> None:
        self.environ = os.environ if environ is None else environ
        self._problems: builtins.list[builtins.str] | None = [] if collect else None

    def problem(self, message: builtins.str) -> None:
        """A setting is missing or bad: raise, or note it for ``check()``."""
        if self._problems is None:
            raise ImproperlyConfigured(message)
        self._problems.append(message)

    def check(self) -> None:
        """Raise one ImproperlyConfigured naming every problem noted, one per line."""
        problems, self._problems = self._problems or [], None
        if problems:
            raise ImproperlyConfigured("\n".join(problems))

    def _raw(self, name: builtins.str) -> builtins.str | None:
        value = self.environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def str(
        self,
        name: builtins.str,
        default: builtins.str | None = None,
        *,
        required: builtins.bool = False,
    ) -> builtins.str:
        value = self._raw(name)
        if value is None:
            if required or default is None:
                self.problem(f"{name} must be set")
                return ""
            return default
        return value

    def optional_str(self, name: builtins.str) -> builtins.str | None:
        return self._raw(name)

    def bool(self, name: builtins.str, default: builtins.bool) -> builtins.bool:
        value = self._raw(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        self.problem(f"{name} must be true or false, got {value!r}")
        return default

    def int(
        self,
        name: builtins.str,
        default: builtins.int,
        *,
        min: builtins.int | None = None,
        max: builtins.int | None = None,
    ) -> builtins.int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.problem(f"{name} must be a whole number, got {value!r}")
            return default
        return number if self._in_range(name, number, min, max) else default

    def float(
        self,
        name: builtins.str,
        default: builtins.float,
        *,
        min: builtins.float | None = None,
        max: builtins.float | None = None,
    ) -> builtins.float:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isnan(number):
            self.problem(f"{name} must be a number, got {value!r}")
            return default
        return number if self._in_range(name, number, min, max) else default

    def list(
        self, name: builtins.str, default: builtins.list[builtins.str]
    ) -> builtins.list[builtins.str]:
        value = self._raw(name)
        if value is None:
            return default
        return [item.strip() for item in value.split(",") if item.strip()]

    def origins(
        self, name: builtins.str, default: builtins.list[builtins.str]
    ) -> builtins.list[builtins.str]:
        """Comma-separated origins (``https://cdn.example.com``), each exactly one: no path,
        no wildcard, since they are compared as they are and not as patterns."""
        origins = []
        for item in self.list(name, default):
            origin = web_origin(item)
            after_host = item.partition("://")[2].rstrip("/")
            if origin is None or any(char in after_host for char in "/?#*"):
                self.problem(
                    f"{name} must be origins such as https://cdn.example.com, got {item!r}"
                )
            else:
                origins.append(origin)
        return origins

    def choice(
        self, name: builtins.str, default: builtins.str, choices: tuple[builtins.str, ...]
    ) -> builtins.str:
        value = self._raw(name)
        if value is None:
            return default
        if value not in choices:
            self.problem(f"{name} must be one of {', '.join(choices)}, got {value!r}")
            return default
        return value

    def url(
        self,
        name: builtins.str,
        default: builtins.str | None,
        *,
        schemes: tuple[builtins.str, ...],
        required: builtins.bool = False,
    ) -> builtins.str | None:
        starts = " or ".join(s + "://" for s in schemes)
        value = self._raw(name)
        if value is None:
            if required:
                self.problem(f"{name} must be set: a URL starting with {starts}")
            return default
        scheme, sep, rest = value.partition("://")
        if not sep or scheme not in schemes or not rest:
            self.problem(f"{name} must be a URL starting with {starts}")
            return default
        return value.rstrip("/")

    def _in_range(
        self,
        name: builtins.str,
        number: builtins.float,
        low: builtins.float | None,
        high: builtins.float | None,
    ) -> builtins.bool:
        if low is not None and number < low:
            self.problem(f"{name} must be at least {low}, got {number}")
            return False
        if high is not None and number > high:
            self.problem(f"{name} must be at most {high}, got {number}")
            return False
        return True


def load_settings_or_exit() -> None:
    """Load Django's settings, or name each missing or bad one on stderr and exit 1."""
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 (loads the settings module)
    except ImproperlyConfigured as error:
        exit_naming_problems(error)


def exit_naming_problems(error: ImproperlyConfigured) -> NoReturn:
    """Exit 1 with one line per problem: at the command line and the server's start a
    traceback would bury them."""
    lines = "\n".join(f"  {line}" for line in str(error).splitlines())
    sys.exit(
        "Profile Viewer's settings are not ready (README.md, Configuration; "
        f"SANDBOX=true runs the local sandbox):\n{lines}"
    )
