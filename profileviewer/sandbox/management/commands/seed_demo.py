"""`python manage.py seed_demo`: fill the sandbox with the demo data set (docs/demo-data.md)."""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from profileviewer.sandbox.demo import seed
from profileviewer.sandbox.demo.people import LARGE_HERO_IDS
from profileviewer.sandbox.demo.progress import ProgressBar
from profileviewer.sandbox.models import Event, Identity, Profile

# A sanity bound: beyond this a typo (an extra zero or two) would run for hours.
MAX_PROFILES = 1_000_000


def _bounded_int(low: int, high: int | None) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high:,}" if high is not None else f"{low} or more"
            raise argparse.ArgumentTypeError(f"{value} is out of range ({bounds})")
        return value

    return parse


def _any_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


class Command(BaseCommand):
    help = (
        "Seed the sandbox with the deterministic demo data set (docs/demo-data.md). "
        "Refuses a sandbox that already has profiles unless --flush or --if-empty."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--profiles",
            type=_bounded_int(0, MAX_PROFILES),
            default=settings.SANDBOX_DEMO_PROFILES,
            help="profiles in all, the documented heroes included "
            "(default: SANDBOX_DEMO_PROFILES, %(default)s)",
        )
        parser.add_argument(
            "--seed",
            type=_any_int,
            default=settings.SANDBOX_DEMO_SEED,
            help="the same seed gives the same data (default: SANDBOX_DEMO_SEED, %(default)s)",
        )
        parser.add_argument(
            "--large-profiles",
            type=_bounded_int(0, len(LARGE_HERO_IDS)),
            default=len(LARGE_HERO_IDS),
            help="how many of the two large hero profiles (15,000 and 12,000 events) to create",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (successfully) when the sandbox already has profiles",
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="delete every sandbox profile, identity and event first",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and options["flush"]:
            raise CommandError("--if-empty and --flush contradict each other; choose one.")
        existing = Profile.objects.count()
        if existing and options["if_empty"]:
            self.stdout.write(
                f"The sandbox already has {existing:,} profiles; nothing to do (--if-empty)."
            )
            return
        if existing and not options["flush"]:
            raise CommandError(
                f"The sandbox already has {existing:,} profiles. Use --flush to replace them "
                "with the demo data, or --if-empty to keep them."
            )
        if existing:
            self._flush()
            self.stdout.write(f"Deleted {existing:,} sandbox profiles and their events.")

        profiles, large = options["profiles"], options["large_profiles"]
        progress = ProgressBar(self.stderr)
        result = seed(profiles, options["seed"], large_profiles=large, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.profiles:,} profiles with {result.events:,} events "
                f"in {result.seconds:.1f} s (seed {options['seed']})."
            )
        )

    @staticmethod
    def _flush() -> None:
        # Children first, so each delete is one plain DELETE rather than Django collecting
        # a million related rows in memory to cascade.
        with transaction.atomic():
            Event.objects.all().delete()
            Identity.objects.all().delete()
            Profile.objects.all().delete()
