"""Writing the demo data set: people and journeys to rows, in bulk, chunk by chunk.

The rows are the ones `store.create_profile` and `store.add_events` would write (same
traits layout, identities, rawData and summary, through the same helpers); only the
inserts are batched, one transaction per chunk, so memory stays bounded however many
profiles are asked for.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing.pool import AsyncResult
from typing import Any

import django
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from profileviewer.sandbox import store
from profileviewer.sandbox.demo.bulk import EventTuple, event_params, insert_event_params
from profileviewer.sandbox.demo.journeys import Journey, build_journey
from profileviewer.sandbox.demo.people import (
    LARGE_HERO_IDS,
    Person,
    heroes,
    ordinary_person,
)
from profileviewer.sandbox.models import Identity, Profile
from profileviewer.sandbox.store import NewEvent

# (profiles written, profiles in total, events written, events in total)
ProgressCallback = Callable[[int, int, int, int], None]

# A chunk is written in one transaction once it holds this many events (or profiles).
CHUNK_EVENTS = 40_000
CHUNK_PROFILES = 1_000
# Multi-row INSERT sizes: large enough to amortise round trips, small enough for SQLite's
# and PostgreSQL's parameter limits.
EVENT_BATCH = 5_000
ROW_BATCH = 1_000
# Worker processes build rows in parallel for data sets of at least this many events.
PARALLEL_FROM_EVENTS = 200_000
# Emails that later profiles may share (households, re-registrations).
_SHARED_EMAIL_POOL = 2_000


@dataclass(frozen=True, slots=True)
class SeedResult:
    profiles: int
    events: int
    seconds: float


def hero_count(large_profiles: int) -> int:
    return len(heroes(random.Random(0), large_profiles))


def total_profiles(profiles: int, large_profiles: int) -> int:
    """The heroes are always there, whatever `profiles`; the rest make up the number."""
    return max(profiles, hero_count(large_profiles))


def plan_people(profiles: int, seed: int, large_profiles: int = 2) -> Iterator[Person]:
    """Every person of the data set, heroes first, drawn from one RNG in a fixed order."""
    rng = random.Random(seed)
    documented = heroes(rng, large_profiles)
    yield from documented
    emails: list[str] = []
    for index in range(max(0, profiles - len(documented))):
        person = ordinary_person(index + 1, rng, emails)
        if person.email and len(emails) < _SHARED_EMAIL_POOL:
            emails.append(person.email)
        yield person


def _to_millisecond(moment: datetime) -> datetime:
    # The API shows milliseconds (PAPI-17): stored times say exactly what the API says.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _audiences(person: Person, journey: Journey) -> list[str]:
    names = list(person.audiences)
    if journey.lifetime_value_pence >= 50_000:
        names.append("vip_customers")
    if journey.abandoned_carts and person.subscribed.get("email"):
        names.append("cart_abandoners")
    if "Camping" in journey.categories_bought:
        names.append("campers")
    if person.lapsed_age_ms:
        names.append("lapsed_customers")
    return list(dict.fromkeys(names))


def build_profile(person: Person, journey: Journey, now: datetime) -> Profile:
    """An unsaved Profile laid out as `store.create_profile` lays it out."""
    created = now - timedelta(milliseconds=person.created_age_ms)
    custom: dict[str, Any] = dict(person.custom_traits)
    custom["lifetimeValue"] = journey.lifetime_value_pence / 100
    traits: dict[str, Any] = {
        "firstName": person.first_name,
        "lastName": person.last_name,
        "phone": person.phone,
        "website": person.website,
        "organisation": person.organisation,
        "industry": person.industry,
        "marketingPreferences": store.marketing_preferences(person.subscribed),
        **custom,
    }
    return Profile(
        id=person.profile_id,
        external_id=person.external_id,
        email=person.email,
        traits=traits,
        subscription_id=store.subscription_id(
            settings.SANDBOX_CLIENT_ID, settings.SANDBOX_ACCOUNT_ID, person.profile_id
        ),
        created_by={
            "filename": person.filename,
            "createdTime": store.iso(created),
            "type": person.created_by_type,
        },
        audiences_static=_audiences(person, journey),
        created_time=created,
    )


def _identify_traits(profile: Profile) -> dict[str, Any]:
    traits = profile.traits
    sent = {"email": profile.email, "firstName": traits["firstName"]}
    sent["lastName"] = traits["lastName"]
    if "city" in traits:
        sent["city"] = traits["city"]
    return sent


def build_rows(person: Person, journey: Journey, now: datetime) -> tuple[Profile, list[EventTuple]]:
    """The profile (summary included) and its event rows, as the store would write them."""
    profile = build_profile(person, journey, now)
    sent = _identify_traits(profile)
    rows: list[EventTuple] = []
    pid = profile.id
    for new in journey.events:
        if new.event_id is None:
            # Kept on the event, so the summary below names the same id.
            new.event_id = uuid.uuid4()
        event_id = new.event_id
        raw = store.build_raw_data(profile, new, event_id)
        if new.action == "identify":
            # An identify call carries the traits it sets (docs/demo-data.md).
            raw["context"]["traits"] = dict(sent)
        received = new.event_time + new.received_delay
        rows.append((pid, event_id, new.action, new.event_time, received, new.source, raw))
    # Only the events that decide the summary become model instances (cheap for a
    # 15,000-event profile); apply_summary picks from them exactly what it would pick
    # from all of them.
    summary_events = store.build_events(profile, _summary_candidates(journey.events))
    for event in summary_events:
        if event.event_action == "identify":
            event.raw_data["context"]["traits"] = dict(sent)
    store.apply_summary(profile, summary_events)
    profile.event_count = len(rows)
    return profile, rows


def _summary_candidates(events: list[NewEvent]) -> list[NewEvent]:
    """Per action, the first event at the earliest time and the last one at the latest,
    in the given order: the events `apply_summary` would keep (ties included)."""
    first: dict[str, NewEvent] = {}
    last: dict[str, NewEvent] = {}
    for event in events:
        action = event.action
        current = first.get(action)
        if current is None or event.event_time < current.event_time:
            first[action] = event
        current = last.get(action)
        if current is None or event.event_time >= current.event_time:
            last[action] = event
    chosen = {id(e) for e in (*first.values(), *last.values())}
    return [e for e in events if id(e) in chosen]


@dataclass
class BuiltChunk:
    """A chunk of profiles ready to insert: built in a worker, written by the parent."""

    profiles: list[Profile]
    # (profile id, id type, value, created time)
    identities: list[tuple[uuid.UUID, str, str, datetime]]
    event_params: list[tuple[Any, ...]]


def build_chunk(people: list[Person], now: datetime, vendor: str) -> BuiltChunk:
    """Journeys, profiles and row parameters for a chunk; touches no database."""
    built = BuiltChunk(profiles=[], identities=[], event_params=[])
    for person in people:
        profile, rows = build_rows(person, build_journey(person, now), now)
        built.profiles.append(profile)
        built.identities.extend(
            (profile.id, id_type, value, profile.created_time)
            for id_type, value in store.identities_of(profile, person.extra_identities)
        )
        built.event_params.extend(event_params(vendor, rows))
    return built


def write_chunk(built: BuiltChunk) -> int:
    """Insert a chunk's profiles, identities and events in one transaction."""
    identities = [
        Identity(profile_id=pid, id_type=id_type, value=value, created_time=created)
        for pid, id_type, value, created in built.identities
    ]
    events = built.event_params
    with transaction.atomic():
        Profile.objects.bulk_create(built.profiles, batch_size=ROW_BATCH)
        Identity.objects.bulk_create(identities, batch_size=ROW_BATCH)
        for start in range(0, len(events), EVENT_BATCH):
            insert_event_params(connection, events[start : start + EVENT_BATCH])
    return len(events)


def _chunks(people: Iterable[Person]) -> Iterator[list[Person]]:
    chunk: list[Person] = []
    events = 0
    for person in people:
        chunk.append(person)
        events += person.events
        if events >= CHUNK_EVENTS or len(chunk) >= CHUNK_PROFILES:
            yield chunk
            chunk, events = [], 0
    if chunk:
        yield chunk


def _build_chunk_task(args: tuple[list[Person], datetime, str]) -> BuiltChunk:
    return build_chunk(*args)


def _built_chunks(
    chunks: Iterator[list[Person]], now: datetime, vendor: str, workers: int
) -> Iterator[BuiltChunk]:
    """Built chunks in order; with workers, built in parallel while the parent writes.

    At most two chunks per worker are in flight, so memory stays bounded when the
    database is the slower side.
    """
    if workers <= 1:
        for people in chunks:
            yield build_chunk(people, now, vendor)
        return
    # spawn, not fork: the caller may have threads (a test server) or an open database
    # connection, which a forked child would inherit. The workers set Django up from the
    # same DJANGO_SETTINGS_MODULE and never touch the database.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=django.setup) as pool:
        pending: deque[AsyncResult[BuiltChunk]] = deque()
        for people in chunks:
            pending.append(pool.apply_async(_build_chunk_task, ((people, now, vendor),)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def default_workers(events: int) -> int:
    """Worker processes for a data set: only large sets repay starting them."""
    if events < PARALLEL_FROM_EVENTS:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def seed(
    profiles: int,
    seed: int,
    *,
    large_profiles: int = 2,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> SeedResult:
    """Write the demo data set: the same `profiles` and `seed` give the same data.

    `workers` processes build the rows while this one writes them (default: one per CPU
    for large sets, none for small ones); the data is the same either way.
    """
    if profiles < 0:
        raise ValueError("profiles must be 0 or more")
    if not 0 <= large_profiles <= len(LARGE_HERO_IDS):
        raise ValueError(f"large_profiles must be between 0 and {len(LARGE_HERO_IDS)}")
    started = time.perf_counter()
    moment = _to_millisecond(now or timezone.now())
    # Planning is cheap next to building: a first pass gives the totals for the progress bar.
    total_events = sum(person.events for person in plan_people(profiles, seed, large_profiles))
    total = total_profiles(profiles, large_profiles)
    if workers is None:
        workers = default_workers(total_events)
    chunks = _chunks(plan_people(profiles, seed, large_profiles))
    done = written = 0
    with _bulk_load_settings():
        for built in _built_chunks(chunks, moment, connection.vendor, workers):
            written += write_chunk(built)
            done += len(built.profiles)
            if progress is not None:
                progress(done, total, written, total_events)
        if connection.vendor == "postgresql":
            # Fresh statistics, so the first requests get the planner's good plans; and, out
            # of a transaction, a fresh visibility map, so event pages are index-only scans.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cursor:
                cursor.execute(f"{command} sandbox_profile, sandbox_identity, sandbox_event")
    return SeedResult(profiles=done, events=written, seconds=time.perf_counter() - started)


@contextmanager
def _bulk_load_settings() -> Iterator[None]:
    """A larger SQLite page cache while loading: the event indexes (one on random UUIDs)
    outgrow the default 2 MB and every insert would go to disk."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")
