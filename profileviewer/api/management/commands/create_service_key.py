"""``manage.py create_service_key NAME``: create a service key and print it, once."""

from __future__ import annotations

import math
from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser

from profileviewer.api.keys import create_service_key


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
            help="a browser origin allowed by CORS (repeatable); none by default",
        )
        parser.add_argument(
            "--role", help="the group whose masking its answers get; none: everything masked"
        )

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
        key, token = create_service_key(
            name,
            role=role,
            rate_limit=options["rate_limit"],
            rate_burst=options["burst"],
            allowed_origins="\n".join(options["origin"]),
        )
        self.stderr.write(f"Created key {key.prefix} for {key.name}. It is shown only once:")
        self.stdout.write(token)
