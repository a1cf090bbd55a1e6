"""Who the demo customers are: the documented hero profiles and everybody else.

A `Person` is a plan for one profile: its identity, traits and behaviour. The journey
generator turns the behaviour into events; the writer turns both into rows.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from profileviewer.sandbox.demo import catalogue as cat

# How a profile came to exist, which decides its first events: a web sign-up starts with
# `registered` then `identify`; an import or a back-office API call starts with the
# `identify` that created it; a guest checkout has no account at all.
Origin = Literal["registered", "imported", "guest"]


@dataclass
class Person:
    profile_id: uuid.UUID
    external_id: str
    email: str
    first_name: str
    last_name: str
    origin: Origin
    created_by_type: str
    created_age_ms: int
    # Exactly this many events are generated.
    events: int
    phone: str = ""
    website: str = ""
    organisation: str = ""
    industry: str = ""
    filename: str = ""
    subscribed: dict[str, bool] = field(default_factory=dict)
    custom_traits: dict[str, Any] = field(default_factory=dict)
    audiences: list[str] = field(default_factory=list)
    extra_identities: list[tuple[str, str]] = field(default_factory=list)
    # Behaviour: chances that an email is opened, an opened one clicked, a session buys.
    open_rate: float = 0.3
    click_rate: float = 0.2
    buy_rate: float = 0.15
    # The customer stopped visiting this long ago (0: still active); emails keep coming.
    lapsed_age_ms: int = 0
    ip: str = ""
    user_agent: str = cat.USER_AGENTS[0]
    # Events every hero must have, whatever the random journey (see journeys.scripted_*).
    script: str = ""
    # The journey's own RNG, drawn from the seed's RNG in a fixed order.
    journey_seed: int = 0


def rng_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _ip(rng: random.Random) -> str:
    # Documentation address ranges (RFC 5737): realistic-looking, never anyone's.
    prefix = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
    return f"{prefix}.{rng.randrange(1, 255)}"


def _phone(rng: random.Random) -> str:
    # Ofcom's drama range: UK mobile numbers reserved for fiction.
    return f"+447700900{rng.randrange(1000):03d}"


JOE_ID = uuid.UUID("4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe")
# Event counts of the heroes (docs/demo-data.md).
HERO_EVENTS = {
    "qrc-117322": 640,
    "sam-taylor-uk": 84,
    "sam-taylor-us": 37,
    "guest.shopper@example.com": 14,
    "acct/00042": 15_000,
    "power user+1": 12_000,
    "new-signup-1": 2,
}
LARGE_HERO_IDS = ("acct/00042", "power user+1")


def heroes(rng: random.Random, large_profiles: int) -> list[Person]:
    """The documented profiles, in a fixed order; the RNG is drawn from for all of them
    whatever `large_profiles`, so the other profiles do not depend on it."""
    people = [
        Person(
            profile_id=JOE_ID,
            external_id="qrc-117322",
            email="joe.bloggs@example.com",
            first_name="Joe",
            last_name="Bloggs",
            phone="+44111222333444",
            organisation="Intilery",
            industry="Other",
            origin="imported",
            created_by_type="audience-csv",
            filename="staff listaug20.csv",
            created_age_ms=cat.HISTORY_MS - 3 * cat.MS_PER_DAY,
            events=HERO_EVENTS["qrc-117322"],
            subscribed={"email": True, "sms": True},
            custom_traits={
                "plan": "pro",
                "city": "Manchester",
                "country": "GB",
                "signupSource": "in_store",
                "preferences": {"sizes": ["L"], "favouriteCategories": ["Jackets", "Footwear"]},
                # Restricted by default (MASKING_RESTRICTED_TRAITS): hidden from sales.
                "dateOfBirth": "1984-03-14",
            },
            audiences=["audience_board", "newsletter"],
            open_rate=0.55,
            click_rate=0.35,
            buy_rate=0.2,
            script="joe",
        ),
        Person(
            profile_id=rng_uuid(rng),
            external_id="sam-taylor-uk",
            email="sam.taylor@example.com",
            first_name="Sam",
            last_name="Taylor",
            phone="+447700900117",
            origin="registered",
            created_by_type="web-form",
            created_age_ms=400 * cat.MS_PER_DAY,
            events=HERO_EVENTS["sam-taylor-uk"],
            subscribed={"email": True, "sms": False, "push": True},
            custom_traits={
                "plan": "plus",
                "city": "Bristol",
                "country": "GB",
                "signupSource": "organic",
            },
            audiences=["newsletter"],
        ),
        Person(
            profile_id=rng_uuid(rng),
            external_id="sam-taylor-us",
            email="sam.taylor@example.com",
            first_name="Sam",
            last_name="Taylor",
            origin="registered",
            created_by_type="api",
            created_age_ms=120 * cat.MS_PER_DAY,
            events=HERO_EVENTS["sam-taylor-us"],
            subscribed={"email": False},
            custom_traits={
                "plan": "free",
                "city": "Boston",
                "country": "US",
                "signupSource": "referral",
            },
        ),
        Person(
            profile_id=rng_uuid(rng),
            external_id="",
            email="guest.shopper@example.com",
            first_name="",
            last_name="",
            origin="guest",
            created_by_type="segment",
            created_age_ms=45 * cat.MS_PER_DAY,
            events=HERO_EVENTS["guest.shopper@example.com"],
            subscribed={"email": True},
            custom_traits={"city": "Leeds", "country": "GB", "signupSource": "google_ads"},
            buy_rate=0.9,
            script="guest",
        ),
        Person(
            profile_id=rng_uuid(rng),
            external_id="acct/00042",
            email="priya.shah@example.com",
            first_name="Priya",
            last_name="Shah",
            phone="+447700900042",
            website="https://priya.example.org",
            origin="registered",
            created_by_type="api",
            created_age_ms=cat.HISTORY_MS - cat.MS_PER_DAY,
            events=HERO_EVENTS["acct/00042"],
            subscribed={"email": True, "sms": True, "whatsapp": True, "push": True},
            custom_traits={
                "plan": "pro",
                "city": "London",
                "country": "GB",
                "signupSource": "organic",
                "preferences": {"sizes": ["S", "M"], "favouriteCategories": ["Camping"]},
            },
            audiences=["vip_customers", "campers"],
            open_rate=0.6,
            click_rate=0.3,
            buy_rate=0.08,
        ),
        Person(
            profile_id=rng_uuid(rng),
            external_id="power user+1",
            email="alex.morgan@example.com",
            first_name="Alex",
            last_name="Morgan",
            origin="registered",
            created_by_type="segment",
            created_age_ms=cat.HISTORY_MS - 20 * cat.MS_PER_DAY,
            events=HERO_EVENTS["power user+1"],
            subscribed={"email": True, "push": True},
            custom_traits={
                "plan": "plus",
                "city": "Glasgow",
                "country": "GB",
                "signupSource": "instagram",
            },
            open_rate=0.4,
            click_rate=0.25,
            buy_rate=0.06,
        ),
        Person(
            profile_id=rng_uuid(rng),
            external_id="new-signup-1",
            email="new.signup@example.com",
            first_name="Robin",
            last_name="Fairweather",
            origin="registered",
            created_by_type="web-form",
            created_age_ms=cat.MS_PER_HOUR,
            events=HERO_EVENTS["new-signup-1"],
            subscribed={"email": True},
            custom_traits={
                "plan": "free",
                "city": "York",
                "country": "GB",
                "signupSource": "newsletter",
            },
        ),
    ]
    for person in people:
        person.journey_seed = rng.getrandbits(64)
        person.ip = _ip(rng)
        person.user_agent = rng.choice(cat.USER_AGENTS)
        if person.phone:
            person.extra_identities.append(("phone", person.phone))
    people[0].extra_identities.append(("anonymousId", str(rng_uuid(rng))))
    skipped = LARGE_HERO_IDS[max(0, min(large_profiles, len(LARGE_HERO_IDS))) :]
    return [p for p in people if p.external_id not in skipped]


# A few external ids from older systems, with the characters that break naive URL building.
_ODD_ID_FORMATS = ("legacy/{n}", "crm {n}", "partner+{n}", "EU/crm {n}+b")


def _event_budget(rng: random.Random) -> tuple[int, str]:
    """How many events a profile gets: many have few, the mean is about 100."""
    roll = rng.random()
    if roll < 0.35:
        return rng.randint(2, 12), "light"
    if roll < 0.75:
        return rng.randint(20, 150), "medium"
    return rng.randint(150, 320), "heavy"


def ordinary_person(index: int, rng: random.Random, earlier_emails: list[str]) -> Person:
    """The `index`-th generated (non-hero) profile (from 1).

    Every 40th shares an earlier profile's email and every 50th has an external id with
    `/`, `+` or a space, so even a small data set exercises those paths."""
    first = rng.choice(cat.FIRST_NAMES)
    last = rng.choice(cat.LAST_NAMES)
    profile_id = rng_uuid(rng)
    events, kind = _event_budget(rng)
    if kind == "light" and rng.random() < 0.6:
        created_age = rng.randrange(cat.MS_PER_HOUR, 60 * cat.MS_PER_DAY)
    else:
        created_age = rng.randrange(30 * cat.MS_PER_DAY, cat.HISTORY_MS - cat.MS_PER_DAY)

    local = f"{first}.{last}".lower().replace("'", "")
    email = f"{local}{index}@{rng.choice(cat.EMAIL_DOMAINS)}"
    # A household or a re-registration: the same email on another profile (PAPI-14, 16).
    if earlier_emails and (index % 40 == 20 or rng.random() < 0.02):
        email = rng.choice(earlier_emails)
    elif rng.random() < 0.02:
        email = ""

    roll = rng.random()
    if roll < 0.55:
        origin: Origin = "registered"
        created_by_type = rng.choice(("web-form", "web-form", "api", "segment"))
    elif roll < 0.9:
        origin = "imported"
        created_by_type = rng.choice(("audience-csv", "audience-csv", "api"))
    else:
        origin = "guest"
        created_by_type = "segment"
    filename = rng.choice(cat.CSV_FILENAMES) if created_by_type == "audience-csv" else ""

    if index % 50 == 7:
        external_id = _ODD_ID_FORMATS[index // 50 % len(_ODD_ID_FORMATS)].format(n=10_000 + index)
    elif origin == "guest" and email:
        external_id = ""
    else:
        external_id = f"nw-{100_000 + index}"

    city, country = rng.choice(cat.CITIES)
    custom: dict[str, Any] = {
        "plan": rng.choices(cat.PLANS, weights=(70, 22, 8))[0],
        "city": city,
        "country": country,
        "signupSource": rng.choice(cat.SIGNUP_SOURCES),
    }
    if rng.random() < 0.3:
        custom["preferences"] = {
            "sizes": sorted(rng.sample(cat.SIZES, rng.randint(1, 2))),
            "favouriteCategories": rng.sample(cat.CATEGORIES, rng.randint(1, 3)),
        }
    subscribed = {
        "email": rng.random() < 0.72,
        "sms": rng.random() < 0.3,
        "whatsapp": rng.random() < 0.08,
        "facebook": rng.random() < 0.12,
        "push": rng.random() < 0.25,
    }
    audiences = []
    if subscribed["email"] and rng.random() < 0.7:
        audiences.append("newsletter")
    if created_by_type == "audience-csv":
        audiences.append("trade_show_2025" if "trade show" in filename else "audience_board")
    b2b = rng.random() < 0.06
    phone = _phone(rng) if rng.random() < 0.45 else ""
    extra: list[tuple[str, str]] = []
    if phone:
        extra.append(("phone", phone))
    if rng.random() < 0.25:
        extra.append(("anonymousId", str(rng_uuid(rng))))
    open_rate = rng.uniform(0.08, 0.6)
    return Person(
        profile_id=profile_id,
        external_id=external_id,
        email=email,
        first_name=first if origin != "guest" or rng.random() < 0.5 else "",
        last_name=last if origin != "guest" or rng.random() < 0.5 else "",
        phone=phone,
        website=f"https://{local}.example.org" if rng.random() < 0.05 else "",
        organisation=rng.choice(cat.ORGANISATIONS) if b2b else "",
        industry=rng.choice(cat.INDUSTRIES) if b2b else "",
        origin=origin,
        created_by_type=created_by_type,
        filename=filename,
        created_age_ms=created_age,
        events=events,
        subscribed=subscribed,
        custom_traits=custom,
        audiences=audiences,
        extra_identities=extra,
        open_rate=open_rate,
        click_rate=rng.uniform(0.1, 0.45),
        buy_rate=rng.uniform(0.03, 0.3),
        lapsed_age_ms=(
            rng.randrange(45 * cat.MS_PER_DAY, min(created_age, 300 * cat.MS_PER_DAY) + 1)
            if kind != "light" and created_age > 90 * cat.MS_PER_DAY and rng.random() < 0.25
            else 0
        ),
        ip=_ip(rng),
        user_agent=rng.choice(cat.USER_AGENTS),
        journey_seed=rng.getrandbits(64),
    )
