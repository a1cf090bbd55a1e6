"""``manage.py export_profiles --out FILE``: every profile (and events) for model training.

Exit codes: 0 done; 1 the Profiles API failed (checkpoint kept, ``--resume`` continues);
2 bad usage, an unwritable path or an existing FILE without ``--force``; 130 interrupted by
Ctrl-C or SIGTERM (checkpoint kept).
"""

from __future__ import annotations

import dataclasses
import signal
import threading
from pathlib import Path
from typing import Any, TextIO, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from profileviewer.api.management.options import parse_moment
from profileviewer.client.client import ProfilesClient
from profileviewer.client.config import ClientConfig
from profileviewer.export import ExportError, ExportOptions, UpstreamFailure, run_export
from profileviewer.export.progress import ProgressBar
from profileviewer.export.roles import masked_client

# A batch job's call budget: the client counts the wait for a token against it, so an agent's
# 3 s budget would leave a request that waited long for its token almost no time to be
# answered, and the export would report our own queue as an upstream failure. Each request's
# read timeout and the retry policy's attempt count still bound a truly failing upstream.
EXPORT_CALL_BUDGET = 60.0


def export_client() -> ProfilesClient:
    """A client that takes only ``EXPORT_RATE_SHARE`` of the shared rate budget."""
    # No response cache: an export reads each page once, and caching would only push the
    # agents' entries out (or fill Redis).
    base = ClientConfig.from_settings()
    config = dataclasses.replace(
        base,
        rate_share=float(settings.EXPORT_RATE_SHARE),
        cache_ttl=0,
        call_budget=max(base.call_budget, EXPORT_CALL_BUDGET),
    )
    return ProfilesClient(config)


def shown_url(url: str) -> str:
    """The URL without any user or password it may hold, to name in an error."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


class Command(BaseCommand):
    help = "Export every profile (optionally with events) to JSON Lines or CSV, resumably."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="the file to write")
        parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
        parser.add_argument(
            "--with-events", action="store_true", help="include each profile's events"
        )
        parser.add_argument(
            "--since", help="with --with-events: only events after this date or datetime"
        )
        parser.add_argument(
            "--resume", action="store_true", help="continue an interrupted export of FILE"
        )
        parser.add_argument("--total", type=int, help="expected profile count, for the ETA")
        parser.add_argument(
            "--role", help="the group whose masking applies; without it, everything is masked"
        )
        parser.add_argument("--force", action="store_true", help="replace FILE if it exists")

    def handle(self, *args: Any, **options: Any) -> None:
        since = parse_moment("--since", options["since"]) if options["since"] else None
        if since is not None and not options["with_events"]:
            raise CommandError("--since filters events: add --with-events.", returncode=2)
        export = ExportOptions(
            out=options["out"].expanduser().absolute(),
            format=options["format"],
            with_events=options["with_events"],
            since=since,
            role=options["role"],
        )
        if export.out.exists() and not (options["force"] or options["resume"]):
            raise CommandError(
                f"{export.out} exists: add --force to replace it (when the new export completes).",
                returncode=2,
            )
        stop = threading.Event()
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        bar_stream = cast(TextIO, self.stderr._out)

        def request_stop(signum: int, frame: Any) -> None:
            stop.set()
            bar_stream.write("\nstopping… (the checkpoint is kept for --resume)\n")
            # A second Ctrl-C is impatient: let it interrupt at once.
            signal.signal(signal.SIGINT, signal.default_int_handler)

        for sig in previous:
            signal.signal(sig, request_stop)
        # The raw stream under Django's OutputWrapper: the bar redraws one line with "\r".
        bar = ProgressBar(bar_stream, total=options["total"])
        client = export_client()
        try:
            result = run_export(
                masked_client(client, export),
                export,
                resume=options["resume"],
                progress=bar,
                stop=stop,
                workers=int(settings.EXPORT_CONCURRENCY),
            )
        except ExportError as error:
            bar.finish()
            message = str(error)
            if isinstance(error, UpstreamFailure) and error.unanswered:
                tried = shown_url(client.config.base_url)
                message += f" It called {tried} (INTILERY_API_URL; in sandbox mode, PORT)."
            raise CommandError(message, returncode=error.exit_code) from None
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        bar.finish(result.profiles, result.events)
        rate = (result.profiles - result.resumed_from) / max(result.seconds, 1e-6)
        resumed = f", resumed at {result.resumed_from:,}" if result.resumed_from else ""
        self.stdout.write(
            f"Exported {result.profiles:,} profiles and {result.events:,} events to "
            f"{result.path} in {result.seconds:.1f} s ({rate:,.1f} profiles/s{resumed})."
        )
