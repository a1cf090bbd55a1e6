from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from profileviewer.audit.trail import viewers_of, write_csv


class Command(BaseCommand):
    help = "Print, as CSV, every recorded access to one customer (for a data subject's request)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ref", help="The customer's reference, e.g. email:joe@example.com")

    def handle(self, *args: Any, **options: Any) -> None:
        write_csv(viewers_of(options["ref"]), self.stdout)
