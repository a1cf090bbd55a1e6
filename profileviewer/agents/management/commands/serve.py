"""``manage.py serve``: the production server, as `make serve` and the container run it.

Refuses to start on a configuration ``check --deploy`` warns about, applies the migrations,
then becomes gunicorn with gunicorn.conf.py.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections


class Command(BaseCommand):
    help = "Check the production settings, migrate, and serve with gunicorn (gunicorn.conf.py)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            help="skip the migrations (when a release step applies them once for all servers)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SANDBOX or settings.DEBUG:
            raise CommandError("serve is the production server: set SANDBOX and DEBUG to false.")
        call_command("check", deploy=True, fail_level="WARNING")
        if not options["no_migrate"]:
            call_command("migrate", interactive=False)
        connections.close_all()
        sys.stdout.flush()
        config = str(settings.BASE_DIR / "gunicorn.conf.py")
        os.chdir(settings.BASE_DIR)
        # Becomes gunicorn, so the container's stop signal reaches it.
        os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--config", config])  # noqa: S606
