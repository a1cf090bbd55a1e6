"""What is recorded: one access record per view of personal data, API call and exported profile.

Each recording point calls one function here; none of them may fail the request it records,
so every one logs a warning instead of raising.

A record's ``upstream_request_id`` names the upstream calls that served it: the ids of every
call the request made (its worker threads' too), first one first, comma-joined, as many whole
ids as fit in the column; an error's own id leads. An answer served from the cache made no call,
so its record has none.
"""

from __future__ import annotations

import csv
import functools
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from django.http import HttpRequest, HttpResponse

from profileviewer.audit import writer
from profileviewer.audit.models import AccessRecord
from profileviewer.client import ProfileRef, ProfileRefError
from profileviewer.embed.tokens import EmbedAgent
from profileviewer.observability import context

if TYPE_CHECKING:
    from profileviewer.api.models import ServiceKey

logger = logging.getLogger("profileviewer.audit")

CSV_COLUMNS = [
    "at",
    "who_kind",
    "who",
    "where",
    "customer_ref",
    "what",
    "outcome",
    "upstream_request_id",
    "request_id",
]
# A ref as typed may be any length; the column holds the longest valid one and then some.
MAX_REF = 600
WHO = AccessRecord.WhoKind
WHERE = AccessRecord.Where


def _never_raises[**P](record: Callable[P, None]) -> Callable[P, None]:
    @functools.wraps(record)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            record(*args, **kwargs)
        except Exception:
            logger.warning("Could not record an access (%s)", record.__name__, exc_info=True)

    return wrapper


def customer_ref(text: str, *, lookup: bool = False) -> str:
    """The reference in its canonical form (so one customer is one key), else as written."""
    try:
        ref = ProfileRef.from_lookup(text) if lookup else ProfileRef.parse(text)
    except ProfileRefError:
        return text.strip()[:MAX_REF]
    if ref.id_type == "email":
        # Joe@X and joe@x are one person to a data subject's request, so one key here.
        return f"email:{ref.value.lower()}"[:MAX_REF]
    return str(ref)[:MAX_REF]


def note_error(request: HttpRequest, kind: str, upstream_request_id: str | None) -> None:
    """Let a view say its answer was an error box, so the record's outcome says which."""
    request.audit_outcome = kind  # type: ignore[attr-defined]
    request.audit_upstream_request_id = upstream_request_id  # type: ignore[attr-defined]


def upstream_ids(first: str | None = None) -> str:
    """The upstream's ids of this request's calls (``first`` leading), comma-joined, as many
    whole ids as fit in the column."""
    limit = AccessRecord._meta.get_field("upstream_request_id").max_length or 0
    ids = ([first] if first else []) + [i for i in context.upstream_request_ids() if i != first]
    joined = ""
    for upstream_id in ids:
        longer = f"{joined},{upstream_id}" if joined else upstream_id
        if len(longer) > limit:
            break
        joined = longer
    return joined


def _outcome(request: HttpRequest, response: HttpResponse) -> str:
    noted: str | None = getattr(request, "audit_outcome", None)
    if noted:
        return noted
    return "ok" if response.status_code < 400 else str(response.status_code)


@_never_raises
def record_view(request: HttpRequest, response: HttpResponse) -> None:
    """A viewer page or panel, standalone or in a host's sidebar, that names a customer."""
    if request.GET.get("ref"):
        ref = customer_ref(request.GET["ref"])
    elif request.GET.get("q"):
        ref = customer_ref(request.GET["q"], lookup=True)
    else:
        return  # the search page, an entry: no customer's data shown
    agent = request.agent  # type: ignore[attr-defined]
    if isinstance(agent, EmbedAgent):
        who_kind, who = WHO.HOST_USER, f"{agent.host}:{agent.account}:{agent.user}"
        where = WHERE(agent.host)
    else:
        who_kind, who, where = WHO.AGENT, agent.get_username(), WHERE.STANDALONE
    match = request.resolver_match
    writer.enqueue(
        AccessRecord(
            who_kind=who_kind,
            who=who,
            where=where,
            customer_ref=ref,
            what=(match.url_name or "") if match else request.path[:100],
            outcome=_outcome(request, response),
            upstream_request_id=upstream_ids(getattr(request, "audit_upstream_request_id", None)),
            request_id=context.request_id() or "",
        )
    )


API_SUB_RESOURCES = ("summary", "recommendations/viewed-not-purchased")


@_never_raises
def record_api_call(
    request: HttpRequest, response: HttpResponse, key: ServiceKey, ref_text: str, request_id: str
) -> None:
    what = next((sub for sub in API_SUB_RESOURCES if request.path.endswith("/" + sub)), "profile")
    writer.enqueue(
        AccessRecord(
            who_kind=WHO.SERVICE_KEY,
            who=str(key),
            where=WHERE.API,
            customer_ref=customer_ref(ref_text),
            what=what,
            outcome=_outcome(request, response),
            upstream_request_id=upstream_ids(response.get("X-Upstream-Request-Id")),
            request_id=request_id,
        )
    )


@_never_raises
def record_export(ref: ProfileRef, *, who: str = "export_profiles") -> None:
    writer.enqueue(
        AccessRecord(
            who_kind=WHO.OPERATOR,
            who=who,
            where=WHERE.EXPORT,
            customer_ref=str(ref)[:MAX_REF],
            what="export",
            outcome="ok",
        )
    )


def viewers_of(ref: str) -> list[AccessRecord]:
    """Every recorded access to one customer, oldest first: one indexed query."""
    return list(AccessRecord.objects.filter(customer_ref=customer_ref(ref)).order_by("at", "id"))


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class _Echo:
    """A file-like whose write hands the line back, for streaming CSV."""

    def write(self, text: str) -> str:
        return text


def _cell(value: str | None) -> str:
    # A typed-in ref such as "=HYPERLINK(…)" must stay text when the CSV opens in a spreadsheet.
    value = value or ""
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def csv_lines(records: Iterable[AccessRecord]) -> Iterator[str]:
    out = csv.writer(_Echo())
    yield out.writerow(CSV_COLUMNS)
    for record in records:
        yield out.writerow(
            [record.at.isoformat()] + [_cell(getattr(record, column)) for column in CSV_COLUMNS[1:]]
        )


def write_csv(records: Iterable[AccessRecord], out: _Writable) -> None:
    for line in csv_lines(records):
        out.write(line)
