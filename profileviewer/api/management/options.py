"""Command-line values the service key commands share: durations and moments."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from django.core.management.base import CommandError
from django.utils.dateparse import parse_date, parse_datetime

_DURATION = re.compile(r"(\d{1,6})([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(option: str, text: str) -> timedelta:
    """``90d``, ``24h`` or ``30m``."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise CommandError(
            f"{option} must be a whole number and d, h or m (90d, 24h), not {text!r}."
        )
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def parse_moment(option: str, text: str) -> datetime:
    """An ISO 8601 date (midnight UTC) or datetime (UTC when it has no zone)."""
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            moment = datetime.combine(day, time(0)) if day else None
    except ValueError:
        moment = None
    if moment is None:
        # Exit 2, as argparse's own usage errors do.
        raise CommandError(
            f"{option} must be an ISO 8601 date or datetime, not {text!r}.", returncode=2
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
