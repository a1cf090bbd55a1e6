"""The demo data seeder: `seed()` and `manage.py seed_demo` (docs/demo-data.md)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper

from profileviewer.sandbox import store
from profileviewer.sandbox.demo import plan_people, seed
from profileviewer.sandbox.demo.journeys import build_journey
from profileviewer.sandbox.demo.people import HERO_EVENTS, JOE_ID
from profileviewer.sandbox.demo.progress import ProgressBar
from profileviewer.sandbox.models import Event, Identity, Profile
from profileviewer.sandbox.products import tile

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

NOW = datetime(2026, 3, 14, 15, 9, 26, 535000, tzinfo=UTC)
SMALL = 60
BASE_DIR = Path(__file__).resolve().parents[2]


def _empty_the_sandbox() -> None:
    Event.objects.all().delete()
    Identity.objects.all().delete()
    Profile.objects.all().delete()


def _profile(external_id: str) -> Profile:
    return Profile.objects.get(external_id=external_id)


def _events(profile: Profile) -> list[Event]:
    return list(Event.objects.filter(profile=profile).order_by("event_time", "id"))


def _snapshot() -> tuple[list[Any], list[Any]]:
    profiles = list(
        Profile.objects.order_by("id").values_list(
            "id", "external_id", "email", "traits", "created_by", "audiences_static", "event_count"
        )
    )
    events = list(
        Event.objects.order_by("event_id").values_list(
            "event_id", "profile_id", "event_action", "event_time", "raw_data"
        )
    )
    return profiles, events


# --- determinism -------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_profiles_and_events():
    seed(30, 7, large_profiles=0, now=NOW)
    first = _snapshot()
    Event.objects.all().delete()
    Profile.objects.all().delete()
    seed(30, 7, large_profiles=0, now=NOW)
    assert _snapshot() == first
    assert len(first[1]) > 500


def test_another_seed_gives_other_people():
    seed(20, 1, large_profiles=0, now=NOW)
    emails = set(Profile.objects.values_list("email", flat=True))
    Event.objects.all().delete()
    Profile.objects.all().delete()
    seed(20, 2, large_profiles=0, now=NOW)
    others = set(Profile.objects.values_list("email", flat=True))
    # The heroes are the same whatever the seed; everybody else changes.
    assert (emails & others) - {""} == {
        "joe.bloggs@example.com",
        "sam.taylor@example.com",
        "guest.shopper@example.com",
        "new.signup@example.com",
    }


def test_parallel_workers_write_exactly_what_one_process_writes():
    seed(25, 3, large_profiles=0, now=NOW, workers=1)
    alone = _snapshot()
    Event.objects.all().delete()
    Profile.objects.all().delete()
    seed(25, 3, large_profiles=0, now=NOW, workers=2)
    assert _snapshot() == alone


# --- heroes (docs/demo-data.md) --------------------------------------------------------


def test_large_heroes_exceed_the_event_window():  # PAPI-11
    seed(8, 42, large_profiles=2, now=NOW)
    priya = Profile.objects.get(external_id="acct/00042")
    alex = Profile.objects.get(external_id="power user+1")
    assert (priya.traits["firstName"], priya.traits["lastName"]) == ("Priya", "Shah")
    assert (alex.traits["firstName"], alex.traits["lastName"]) == ("Alex", "Morgan")
    assert Event.objects.filter(profile=priya).count() == priya.event_count == 15_000
    assert Event.objects.filter(profile=alex).count() == alex.event_count == 12_000
    assert Profile.objects.count() == 8


def test_heroes_are_created_even_when_fewer_profiles_are_asked_for():
    result = seed(1, 42, large_profiles=0, now=NOW)
    assert result.profiles == Profile.objects.count() == 5


# --- the data set's shapes ----------------------------------------------------------------


@pytest.fixture(scope="class")
def seeded_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """One seeded set (SMALL profiles, no large heroes) for a whole class: each test runs
    in a transaction that is rolled back, so none sees another's changes."""
    with django_db_blocker.unblock():
        seed(SMALL, 42, large_profiles=0, now=NOW)
        yield
        _empty_the_sandbox()


@pytest.mark.usefixtures("seeded_demo")
class TestTheSeededDemoDataSet:
    def test_joe_bloggs_is_the_vendors_example(self):
        joe = _profile("qrc-117322")
        assert joe.id == JOE_ID
        assert str(JOE_ID) == "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe"
        assert joe.email == "joe.bloggs@example.com"
        assert (joe.traits["firstName"], joe.traits["lastName"]) == ("Joe", "Bloggs")
        assert (joe.traits["organisation"], joe.traits["industry"]) == ("Intilery", "Other")
        assert joe.created_by["type"] == "audience-csv"
        assert joe.created_by["filename"] == "staff listaug20.csv"
        assert (
            joe.event_count
            == HERO_EVENTS["qrc-117322"]
            == Event.objects.filter(profile=joe).count()
        )

    def test_joe_viewed_products_he_did_not_buy_afterwards(self):
        events = _events(_profile("qrc-117322"))
        viewed_not_bought: set[str] = set()
        for event in events:
            props = event.raw_data["properties"]
            if event.event_action == "product_viewed":
                viewed_not_bought.add(props["product_id"])
            elif event.event_action == "order_completed":
                viewed_not_bought -= {item["product_id"] for item in props["items"]}
        # Enough for the vendor's "last 5 products viewed but not purchased".
        last_order = max(e.event_time for e in events if e.event_action == "order_completed")
        viewed_since = {
            e.raw_data["properties"]["product_id"]
            for e in events
            if e.event_action == "product_viewed" and e.event_time > last_order
        }
        assert len(viewed_since & viewed_not_bought) >= 5

    def test_joe_has_orders_email_engagement_and_recent_activity(self):
        joe = _profile("qrc-117322")
        actions = Counter(e.event_action for e in _events(joe))
        assert actions["order_completed"] >= 3
        assert actions["email_sent"] > actions["email_opened"] > actions["email_clicked"] > 0
        assert NOW - joe.last_activity_time < timedelta(hours=3)
        # A 90-day activity chart with shape: events on many days, not one flat line.
        recent = Event.objects.filter(profile=joe, event_time__gte=NOW - timedelta(days=90))
        per_day = Counter(e.event_time.date() for e in recent)
        assert len(per_day) >= 15
        assert max(per_day.values()) >= 3 * min(per_day.values())

    def test_two_profiles_share_sam_taylors_email(self):  # PAPI-14, PAPI-16
        sams = Profile.objects.filter(email="sam.taylor@example.com")
        assert sorted(sams.values_list("external_id", flat=True)) == [
            "sam-taylor-uk",
            "sam-taylor-us",
        ]
        assert Identity.objects.filter(id_type="email", value="sam.taylor@example.com").count() == 2

    def test_the_guest_shopper_has_no_external_id(self):
        guest = Profile.objects.get(email="guest.shopper@example.com")
        assert guest.external_id == ""
        types = set(Identity.objects.filter(profile=guest).values_list("id_type", flat=True))
        assert types == {"id", "email"}
        assert guest.event_count == HERO_EVENTS["guest.shopper@example.com"]
        assert "order_completed" in guest.last_event
        # Without an external id the events carry the Intilery id as their userId (PAPI-17).
        assert guest.last_event["order_completed"]["userId"] == str(guest.id)

    def test_the_new_signup_registered_an_hour_ago_with_two_events(self):
        newcomer = _profile("new-signup-1")
        events = _events(newcomer)
        assert [e.event_action for e in events] == ["registered", "identify"]
        assert newcomer.created_time == NOW - timedelta(hours=1)
        assert events[0].event_time == newcomer.created_time

    def test_large_profiles_zero_leaves_out_the_large_heroes(self):
        assert not Profile.objects.filter(external_id__in=["acct/00042", "power user+1"]).exists()
        assert Profile.objects.count() == SMALL

    def test_some_generated_profiles_share_an_email(self):
        shared = Counter(p.email for p in Profile.objects.exclude(email="") if p.external_id)
        shared.pop("sam.taylor@example.com")
        assert any(count > 1 for count in shared.values())

    def test_some_external_ids_carry_slashes_pluses_or_spaces(self):
        odd = [
            p.external_id
            for p in Profile.objects.exclude(external_id="")
            if any(c in p.external_id for c in "/+ ")
        ]
        assert odd
        for external_id in odd:
            assert Identity.objects.filter(id_type="userId", value=external_id).exists()

    def test_many_profiles_have_few_events_and_none_is_empty(self):
        counts = list(Profile.objects.values_list("event_count", flat=True))
        assert min(counts) >= 2
        assert sum(1 for c in counts if c <= 12) >= len(counts) // 5
        assert max(counts) <= 640

    def test_summaries_agree_with_the_events(self):  # PAPI-18
        events_by_profile: dict[Any, list[Event]] = defaultdict(list)
        for event in Event.objects.order_by("event_time", "id"):
            events_by_profile[event.profile_id].append(event)
        for profile in Profile.objects.all():
            events = events_by_profile[profile.id]
            first: dict[str, Any] = {}
            last: dict[str, Any] = {}
            for event in events:
                first.setdefault(event.event_action, store.summary_entry(event))
                last[event.event_action] = store.summary_entry(event)
            assert profile.first_event == first, profile
            assert profile.last_event == last, profile
            assert profile.event_count == len(events)
            assert profile.last_activity_time == max(e.event_time for e in events)

    def test_rows_are_what_the_store_would_write(self):
        """The bulk writer's rows equal `store.create_profile` + `store.build_events` output."""
        person = next(p for p in plan_people(SMALL, 42, 0) if p.external_id == "sam-taylor-uk")
        written = _profile("sam-taylor-uk")
        journey = build_journey(person, NOW)
        reference = store.create_profile(
            external_id="reference-sam",
            email=person.email,
            first_name=person.first_name,
            last_name=person.last_name,
            phone=person.phone,
            subscribed=person.subscribed,
            custom_traits={
                **person.custom_traits,
                "lifetimeValue": written.traits["lifetimeValue"],
            },
            extra_identities=person.extra_identities,
        )
        assert written.traits == reference.traits
        reference_pairs = set(store.identities_of(reference, person.extra_identities))
        written_pairs = set(
            Identity.objects.filter(profile=written).values_list("id_type", "value")
        )
        assert written_pairs - {("id", str(written.id)), ("userId", "sam-taylor-uk")} == (
            reference_pairs - {("id", str(reference.id)), ("userId", "reference-sam")}
        )
        expected = store.build_events(written, journey.events)
        rows = {e.event_id: e for e in Event.objects.filter(profile=written)}
        assert len(rows) == len(expected)
        for event in expected:
            row = rows[event.event_id]
            assert (row.event_action, row.event_time, row.received_time, row.source) == (
                event.event_action,
                event.event_time,
                event.received_time,
                event.source,
            )
            if event.event_action == "identify":
                # The one extension: an identify call carries the traits it sets.
                assert row.raw_data["context"]["traits"]["firstName"] == "Sam"
                row.raw_data["context"]["traits"] = event.raw_data["context"]["traits"]
            assert row.raw_data == event.raw_data

    def test_order_totals_add_up(self):
        orders = Event.objects.filter(event_action="order_completed")
        assert orders.count() >= 10
        for order in orders:
            props = order.raw_data["properties"]
            lines = sum(round(item["price"] * 100) * item["quantity"] for item in props["items"])
            assert round(props["subtotal"] * 100) == lines
            assert round(props["total"] * 100) == (
                lines - round(props["discount"] * 100) + round(props["shipping"] * 100)
            )
            assert props["item_count"] == sum(item["quantity"] for item in props["items"])
            assert props["currency"] == "GBP"
            assert props["discount_code"] or props["discount"] == 0

    def test_lifetime_value_is_the_sum_of_the_orders(self):
        for profile in Profile.objects.all():
            totals = [
                round(e.raw_data["properties"]["total"] * 100)
                for e in Event.objects.filter(profile=profile, event_action="order_completed")
            ]
            assert round(profile.traits["lifetimeValue"] * 100) == sum(totals)

    def test_product_events_carry_local_image_urls(self):
        for event in Event.objects.filter(event_action__in=["product_viewed", "added_to_cart"])[
            :200
        ]:
            props = event.raw_data["properties"]
            assert props["image_url"] == f"/sandbox/products/{props['product_id']}.svg"
            assert tile(props["product_id"]) is not None  # the sandbox can draw it
            assert isinstance(props["price"], float)
            assert props["currency"] == "GBP"

    def test_abandoned_cart_reminders_follow_an_added_to_cart(self):
        reminders = Event.objects.filter(
            event_action="email_sent", raw_data__properties__campaign_id="CART_REMINDER"
        )
        assert reminders.exists()
        for reminder in reminders:
            assert Event.objects.filter(
                profile_id=reminder.profile_id,
                event_action="added_to_cart",
                event_time__lt=reminder.event_time,
            ).exists()

    def test_email_engagement_rates_are_plausible(self):
        actions = Counter(Event.objects.values_list("event_action", flat=True))
        opened = actions["email_opened"] / actions["email_sent"]
        clicked = actions["email_clicked"] / actions["email_opened"]
        assert 0.15 < opened < 0.7
        assert 0.1 < clicked < 0.6

    def test_every_documented_action_occurs(self):
        actions = set(Event.objects.values_list("event_action", flat=True).distinct())
        assert actions >= {
            "page_viewed",
            "product_viewed",
            "added_to_cart",
            "order_completed",
            "email_sent",
            "email_opened",
            "email_clicked",
            "sms_sent",
            "logged_in",
            "registered",
            "identify",
        }

    def test_events_have_the_documented_raw_data(self):  # PAPI-17
        for event in Event.objects.all()[:500]:
            raw = event.raw_data
            assert raw["event"] == store.event_label(event.event_action)
            assert raw["timestamp"] == store.iso(event.event_time)
            assert raw.get("sendType") == store.SEND_TYPES.get(event.event_action)
            if event.event_action == "email_clicked":
                assert raw["properties"]["link_url"].startswith("https://")
            if event.event_action == "identify":
                assert raw["context"]["traits"]["email"] == raw["context"]["traits"].get("email")
                assert "firstName" in raw["context"]["traits"]

    def test_registration_comes_first_for_people_who_signed_up(self):
        signed_up = [p for p in plan_people(SMALL, 42, 0) if p.origin == "registered"]
        assert len(signed_up) >= 10
        for person in signed_up:
            first = (
                Event.objects.filter(profile_id=person.profile_id).order_by("event_time").first()
            )
            assert first is not None and first.event_action == "registered", person.external_id

    def test_events_span_eighteen_months_up_to_now(self):
        times = Event.objects.order_by("event_time").values_list("event_time", flat=True)
        assert NOW - times.first() > timedelta(days=480)
        assert NOW - times.first() < timedelta(days=549)
        assert times.last() <= NOW

    def test_traits_preferences_creators_and_audiences_vary(self):
        profiles = list(Profile.objects.all())
        creators = Counter(p.created_by["type"] for p in profiles)
        assert set(creators) == {"api", "audience-csv", "segment", "web-form"}
        assert all(
            p.created_by["filename"] for p in profiles if p.created_by["type"] == "audience-csv"
        )
        preferences = {
            tuple(c["subscribed"] for c in p.traits["marketingPreferences"]["channels"])
            for p in profiles
        }
        assert len(preferences) >= 6
        assert {p.traits["plan"] for p in profiles if "plan" in p.traits} == {"free", "plus", "pro"}
        assert any("preferences" in p.traits for p in profiles)
        audiences = Counter(name for p in profiles for name in p.audiences_static)
        assert len(audiences) >= 4

    def test_if_empty_leaves_a_seeded_sandbox_alone(self):
        before = Event.objects.count()
        out = io.StringIO()
        call_command("seed_demo", "--if-empty", stdout=out)
        assert "nothing to do" in out.getvalue()
        assert Profile.objects.count() == SMALL
        assert Event.objects.count() == before

    def test_it_refuses_to_seed_a_non_empty_sandbox_without_flush(self):
        with pytest.raises(CommandError, match="--flush"):
            call_command("seed_demo", "--profiles", "10", stdout=io.StringIO())
        assert Profile.objects.count() == SMALL

    def test_flush_replaces_the_sandbox_data(self):
        store.create_profile(external_id="left-over")
        call_command(
            "seed_demo", "--flush", "--profiles", "6", "--large-profiles", "0", stdout=io.StringIO()
        )
        assert Profile.objects.count() == 6
        assert not Profile.objects.filter(external_id="left-over").exists()
        assert not Identity.objects.filter(value="left-over").exists()


# --- the command --------------------------------------------------------------------------


def test_command_seeds_and_prints_a_one_line_summary():
    out = io.StringIO()
    call_command(
        "seed_demo", "--profiles", "12", "--seed", "5", "--large-profiles", "0", stdout=out
    )
    assert Profile.objects.count() == 12
    events = Event.objects.count()
    assert out.getvalue().strip().startswith(f"Seeded 12 profiles with {events:,} events in ")
    assert out.getvalue().count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--profiles", "-1"],
        ["--profiles", "ten"],
        ["--profiles", "2.5"],
        ["--seed", "x"],
        ["--large-profiles", "3"],
        ["--large-profiles", "-1"],
        ["--if-empty", "--flush"],
    ],
)
def test_bad_arguments_are_a_clear_command_error(args):
    with pytest.raises(CommandError) as caught:
        call_command("seed_demo", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert "Traceback" not in str(caught.value)
    assert Profile.objects.count() == 0


def test_bad_arguments_exit_non_zero_from_the_command_line():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "profileviewer.settings_test"}
    done = subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--profiles", "-5"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "-5 is out of range" in done.stderr
    assert "Traceback" not in done.stderr


# --- the progress bar -------------------------------------------------------------------


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_redraws_one_line_on_a_terminal():
    stream, clock = _Stream(tty=True), _Clock()
    bar = ProgressBar(stream, clock=clock)
    clock.now = 2.0
    bar(100, 1000, 10_000, 100_000)
    clock.now = 4.0
    bar(200, 1000, 20_000, 100_000)
    text = stream.getvalue()
    assert text.count("\r") == 2
    assert "\n" not in text
    assert "20,000/100,000 events" in text
    assert "200/1,000 profiles" in text
    assert "5,000 events/s" in text
    assert "ETA 0:16" in text


def test_progress_writes_occasional_lines_when_not_a_terminal():
    stream, clock = _Stream(tty=False), _Clock()
    bar = ProgressBar(stream, clock=clock, line_every_seconds=5)
    for second in range(2, 12):
        clock.now = float(second)
        bar(second, 100, second * 1000, 100_000)
    clock.now = 12.0
    bar(100, 100, 100_000, 100_000)
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert 2 < len(lines) < 6
    assert lines[-1].startswith("[" + "#" * 30 + "]")


def test_progress_stays_quiet_for_a_quick_seed():
    stream, clock = _Stream(tty=True), _Clock()
    bar = ProgressBar(stream, clock=clock)
    clock.now = 0.4
    bar(300, 300, 50_000, 50_000)
    assert stream.getvalue() == ""


def test_progress_draws_nothing_for_a_run_done_by_its_first_report():
    stream, clock = _Stream(tty=False), _Clock()
    bar = ProgressBar(stream, clock=clock)
    clock.now = 1.3
    bar(40, 40, 3_000, 3_000)
    assert stream.getvalue() == ""


def test_progress_through_a_command_stderr_is_plain_and_stays_on_one_line():
    out = _Stream(tty=True)
    wrapper = OutputWrapper(out)
    wrapper.style_func = lambda text: f"<red>{text}</red>"
    clock = _Clock()
    bar = ProgressBar(wrapper, clock=clock)
    clock.now = 2.0
    bar(10, 100, 1_000, 10_000)
    clock.now = 3.0
    bar(20, 100, 2_000, 10_000)
    assert "<red>" not in out.getvalue()
    assert "\n" not in out.getvalue()
    assert out.getvalue().count("\r") == 2
