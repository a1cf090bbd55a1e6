"""Hostile input for every parameter a person or a host can put in a URL, and the checks every
answer must pass: no 5xx, and anything reflected into HTML escaped.

Values are percent-encoded here, byte by byte, so a test sends exactly what a browser or a
host could (text in any script, control characters, bytes that are not UTF-8, broken
percent-escapes); surrogates are left out: they cannot be encoded, so no request holds one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import timezone as fixed_zone
from typing import Any
from urllib.parse import quote, quote_from_bytes

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

# Reflected raw, each of these would be markup or an attribute broken out of: a page may show
# them only escaped (`&lt;pvx`, `&quot;pvx`, `&#x27;pvx`). `pvx` never occurs in our pages.
MARKERS = (
    "<script>pvx()</script>",
    '"><img src=x onerror=pvx()>',
    '" onmouseover="pvx()',
    "' onfocus='pvx()",
    "</textarea></q><pvx>",
)
RAW_MARKERS = ("<script>pvx", "<img src=x onerror=pvx", '"pvx', "'pvx", "<pvx")

# Invisible, line-breaking or direction-changing: what a paste from a ticket or a host can hold.
WEIRD_CHARACTERS = (
    "\x00\t\n\r\x0b\x0c\x1b\x7f\x85\xa0\u00ad\u200b\u200e\u202e\u2028\u2029\ufeff\ufffd"
)


def fuzz_settings(examples: int) -> settings:
    # database=None: no example database in the project (Hypothesis's own caches in
    # .hypothesis/ are git-ignored by the .gitignore it writes there).
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


def mostly[T](likely: st.SearchStrategy[T], other: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """`likely` three times in four. (`a | a | b` is no weighting: one_of drops repeats.)"""
    return st.sampled_from([likely, likely, likely, other]).flatmap(lambda chosen: chosen)


unicode_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
control_text = st.text(
    st.characters(max_codepoint=0x9F, exclude_categories=["Cs"])
    | st.sampled_from(WEIRD_CHARACTERS),
    max_size=12,
)


def _odd_offset() -> st.SearchStrategy[fixed_zone]:
    # Any offset Python allows (under a day, to the microsecond), and the calendar's edges.
    return st.builds(
        fixed_zone,
        st.timedeltas(
            min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
        ),
    ) | st.sampled_from([UTC, fixed_zone(timedelta(hours=14)), fixed_zone(timedelta(hours=-12))])


def _iso(moment: datetime, style: str) -> str:
    text = moment.isoformat()
    if style == "Z" and moment.utcoffset() == timedelta(0):
        return text.replace("+00:00", "Z")
    if style == "date":
        return moment.date().isoformat()
    if style == "minutes":
        return moment.isoformat(timespec="minutes")
    return text


edge_moments = st.sampled_from(
    [datetime.min, datetime.max, datetime(1970, 1, 1), datetime(2038, 1, 19)]
)
iso_moments = st.builds(
    lambda moment, zone, style: _iso(moment.replace(tzinfo=zone) if zone else moment, style),
    st.datetimes(min_value=datetime.min, max_value=datetime.max) | edge_moments,
    st.none() | _odd_offset(),
    st.sampled_from(["full", "Z", "date", "minutes"]),
)
odd_dates = st.sampled_from(
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01",
        "9999-12-31",
        "2026-02-30",
        "2026-13-01",
        "2026-1-1",
        "20260101",
        "2026-W01-1",
        "2026-001",
        "2026-06-01T25:00",
        "2026-06-01T12:00:00+24:00",
        "2026-06-01T12:00:00+23:59:59.999999",
        "2026-06-01T12:00:00.123456789Z",
        "2026-06-01 12:00",
        "2026-06-01T12:00Z+01:00",
        "\uff12\uff10\uff12\uff16-\uff10\uff16-\uff10\uff11",  # full-width digits
        "+002026-06-01",
        "2026-06-01T12:00:00ZZ",
    ]
)
dates = iso_moments | odd_dates

numbers = (
    st.integers(min_value=-(10**30), max_value=10**30).map(str)
    | st.floats().map(str)
    | st.sampled_from(
        [
            "-0",
            "+1",
            " 1",
            "1 ",
            "1e309",
            "1e-309",
            "0x10",
            "1_000",
            "٣",
            "\uff11\uff12",
            "Ⅻ",
            "²",
            "9" * 5000,
        ]
    )
)

odd_refs = st.builds(
    lambda prefix, value: prefix + value,
    st.sampled_from(
        ["userId:", "email:", "id:", "UserID:", "userid:", " userId: ", ":", "", "shoe:"]
    ),
    unicode_text | control_text | st.sampled_from(["qrc-117322", "a@b", "acct/00042"]),
) | st.sampled_from(
    [
        "userId:qrc-117322",
        "email:sam.taylor@example.com",
        "id:9d1c0c53-0000-4000-8000-000000000001",
        "id:{9d1c0c53-0000-4000-8000-000000000001}",
        "9D1C0C53-0000-4000-8000-000000000001",
        "joe.bloggs@example.com",
    ]
)

# References the app accepts, markers inside some: these reach the deepest pages.
printable = st.characters(exclude_categories=["Cs", "Cc"])
valid_refs = (
    st.uuids().map(lambda u: f"id:{u}")
    | st.emails().map(lambda e: f"email:{e}")
    | st.text(printable, min_size=1, max_size=40).map(lambda v: f"userId:{v}")
    | st.sampled_from(MARKERS).map(lambda m: f"userId:{m}")
    | st.sampled_from(MARKERS).map(lambda m: f"email:{m}@example.com")
)
refs = valid_refs | odd_refs

short_text = unicode_text | control_text | numbers | dates | refs | st.sampled_from(MARKERS)
# Strings past every cut-off (200 shown, 600 kept, 512 a ref, 8192 a token), cheaply.
long_text = st.builds(
    lambda piece, times: (piece or "x") * times, short_text, st.integers(20, 3000)
)
# Pieces joined, so a marker may sit in the middle of other text, a ref or a date.
text_values = st.lists(short_text, min_size=0, max_size=4).map("".join) | long_text


def _encoded(value: str | bytes) -> str:
    if isinstance(value, bytes):
        return quote_from_bytes(value, safe="")
    return quote(value, safe="")


# What a query string can carry for one value, ready to send: text (as UTF-8), bytes that are
# not UTF-8 at all, and escapes that are broken or stand for separators.
encoded_values = (
    text_values.map(_encoded)
    | st.binary(max_size=40).map(_encoded)
    | st.sampled_from(
        ["%", "%2", "%zz", "%e2%80", "%ff%fe", "%00", "%C0%AF", "+", "%26x%3D1", "&", "="]
    )
)


def query_strings(
    keys: list[str],
    plausible: dict[str, st.SearchStrategy[str]],
    *,
    always: tuple[str, ...] = (),
    max_pairs: int = 12,
) -> st.SearchStrategy[str]:
    """Three times in four a link as the app writes it: each key at most once with a
    plausible value (`always` ones in every link) and perhaps one stray pair, so the code
    behind valid parameters is reached. Otherwise any keys in any order, repeated, empty or
    bare (no `=`), keys nobody reads, hostile values as often as plausible ones."""

    def value_for(key: str) -> st.SearchStrategy[str]:
        if key in plausible:
            return plausible[key].map(_encoded) | encoded_values
        return encoded_values

    def pair(key: str) -> st.SearchStrategy[str]:
        return plausible[key].map(lambda value: f"{key}={_encoded(value)}")

    known = st.sampled_from(keys).flatmap(lambda key: value_for(key).map(lambda v: f"{key}={v}"))
    unknown = st.tuples(unicode_text.map(_encoded), encoded_values).map("=".join)
    bare = st.sampled_from(keys)
    stray = known | unknown | bare
    hostile = st.lists(mostly(known, unknown | bare), max_size=max_pairs)
    given = st.tuples(
        *(pair(k) if k in always else st.none() | pair(k) for k in plausible if k in keys)
    )
    written = st.builds(
        lambda pairs, extra: [p for p in pairs if p] + extra, given, st.lists(stray, max_size=1)
    )
    return mostly(written, hostile).map("&".join)


def assert_clear_answer(response: Any, what: str, *, upstream_failing: bool = False) -> None:
    """2xx, 3xx or 4xx; with the upstream failing, also the 502/503/504 that says so (never
    a 500, which would be a bug of ours)."""
    status = response.status_code
    allowed = status < 500 or (upstream_failing and status in (502, 503, 504))
    assert status >= 200 and allowed, f"{what} answered {status}"
    event(f"status {status}")


def assert_escaped(response: Any, what: str) -> None:
    """No marker reflected raw, in the body or in any header."""
    body = response.content.decode("utf-8", errors="replace")
    for marker in RAW_MARKERS:
        assert marker not in body, f"{what} reflects {marker!r} unescaped"
    for name, value in response.items():
        assert not any(marker in value for marker in RAW_MARKERS), f"{what}: header {name}"
    if "pvx" in body:
        event("a marker reflected (escaped or URL-encoded)")
