"""``manage.py create_service_key NAME``: create a service key and print it, once."""

from __future__ import annotations

import math
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from profileviewer.api.keys import create_service_key
from profileviewer.api.management.options import parse_duration, parse_moment
from profileviewer.api.models import Access

BROWSER_KINDS = {
    "non-identifying": Access.NON_IDENTIFYING,
    "customer-token": Access.CUSTOMER_TOKEN,
}


class Command(BaseCommand):
    help = "Create a service key for the personalization API and print it (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who uses the key, e.g. 'web shop'.")
        parser.add_argument("--rate-limit", type=float, default=10.0, help="requests per second")
        parser.add_argument("--burst", type=int, default=20, help="requests at once")
        parser.add_argument(
            "--origin",
            action="append",
            default=[],
            help="a browser origin allowed by CORS (repeatable; needs --browser); none by default",
        )
        parser.add_argument(
            "--role", help="the group whose masking its answers get; none: everything masked"
        )
        parser.add_argument(
            "--browser",
            choices=sorted(BROWSER_KINDS),
            help=(
                "a key for web pages: non-identifying (summary and recommendations only) or "
                "customer-token (one customer, named by a token your back end signs)"
            ),
        )
        expiry = parser.add_mutually_exclusive_group()
        expiry.add_argument("--expires-in", help="e.g. 90d, 24h or 30m; default: never")
        expiry.add_argument("--expires-at", help="an ISO 8601 date or datetime (UTC by default)")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name or len(name) > 100:
            raise CommandError("NAME must be 1 to 100 characters.")
        rate, burst = options["rate_limit"], options["burst"]
        if not (math.isfinite(rate) and rate > 0):
            raise CommandError(f"--rate-limit must be a number above 0 (got {rate:g}).")
        if burst < 1:
            raise CommandError(f"--burst must be at least 1 (got {burst}).")
        role = None
        if options["role"]:
            role = Group.objects.filter(name=options["role"]).first()
            if role is None:
                raise CommandError(f"--role: there is no group named {options['role']!r}.")
        if options["origin"] and not options["browser"]:
            raise CommandError(
                "A key with --origin is used from web pages, where anyone can copy it: add "
                "--browser non-identifying or --browser customer-token."
            )
        expires_at = None
        if options["expires_in"]:
            expires_at = timezone.now() + parse_duration("--expires-in", options["expires_in"])
        elif options["expires_at"]:
            expires_at = parse_moment("--expires-at", options["expires_at"])
            if expires_at <= timezone.now():
                raise CommandError("--expires-at is in the past.")
        try:
            key, token = create_service_key(
                name,
                role=role,
                rate_limit=rate,
                rate_burst=burst,
                allowed_origins="\n".join(options["origin"]),
                access=BROWSER_KINDS.get(options["browser"], Access.SERVER),
                expires_at=expires_at,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        expiry = f", expires {key.expires_at:%Y-%m-%d %H:%M} UTC" if key.expires_at else ""
        self.stderr.write(
            f"Created key {key.prefix} for {key.name}{expiry}. It is shown only once:"
        )
        self.stdout.write(token)
        if key.customer_token_secret:
            self.stderr.write("Its customer-token signing secret, for your back end only:")
            self.stdout.write(key.customer_token_secret)
