"""`python manage.py build_zendesk_app --url https://our.host`: the Zendesk app's zip.

The package logic is in profileviewer/zendeskapp.py; this only reads the options, turns a
bad one into a clear CommandError and says where the zip went.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from profileviewer import zendeskapp

DEFAULT_OUT = Path("dist") / "zendesk-app.zip"


class Command(BaseCommand):
    help = (
        "Build the Zendesk Support app (a private app for the ticket sidebar) as a zip to "
        "upload in Zendesk. It holds no secret: Zendesk signs each sidebar request instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            required=True,
            help="the Profile Viewer's public https URL, e.g. https://profiles.example.com; "
            "the sidebar loads <url>/embed/zendesk/",
        )
        parser.add_argument(
            "--out",
            type=Path,
            default=DEFAULT_OUT,
            help="where to write the zip (default: %(default)s); its folder is created",
        )
        parser.add_argument(
            "--author-name",
            default=zendeskapp.APP_NAME,
            help="the app's author as Zendesk shows it (default: %(default)s)",
        )
        parser.add_argument(
            "--author-email",
            help="where the app's users send support requests (default: support@<url's host>)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            written = zendeskapp.build(
                options["url"],
                options["out"],
                author_name=options["author_name"],
                author_email=options["author_email"],
            )
        except zendeskapp.AppPackageError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"Could not write {options['out']}: {error.strerror}.") from None
        self.stdout.write(f"Wrote {written.resolve()}")
