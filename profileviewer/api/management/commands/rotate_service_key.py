"""``manage.py rotate_service_key NAME [--grace 24h]``: new secrets for the same key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from profileviewer.api.keys import rotate_service_key
from profileviewer.api.management.options import parse_duration
from profileviewer.api.models import ServiceKey


def find_key(name_or_prefix: str) -> ServiceKey:
    """The one active key with this prefix, or else this name."""
    active = ServiceKey.objects.filter(revoked_at__isnull=True)
    key = active.filter(prefix=name_or_prefix).first()
    if key is not None:
        return key
    named = list(active.filter(name=name_or_prefix))
    if not named:
        raise CommandError(f"No active key has the name or prefix {name_or_prefix!r}.")
    if len(named) > 1:
        prefixes = ", ".join(key.prefix for key in named)
        raise CommandError(
            f"Several active keys are named {name_or_prefix!r}: give a prefix ({prefixes})."
        )
    return named[0]


class Command(BaseCommand):
    help = (
        "Issue a new secret for a service key and print it (shown only once); the old secret "
        "keeps working for the grace period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the key's name or prefix")
        parser.add_argument(
            "--grace", default="24h", help="how long the old secret still works: 24h, 7d, 0m"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        grace = parse_duration("--grace", options["grace"])
        key = find_key(options["name"])
        issued = rotate_service_key(key, grace)
        key.refresh_from_db()
        until = key.previous_valid_until
        old = f"until {until:%Y-%m-%d %H:%M} UTC" if until else "no longer"
        self.stderr.write(
            f"Rotated key {key.prefix} for {key.name}: the old secret works {old}. "
            "The new one is shown only once:"
        )
        self.stdout.write(issued.token)
        if issued.signing_secret:
            self.stderr.write("Its new customer-token signing secret, for your back end only:")
            self.stdout.write(issued.signing_secret)
