"""The agents' viewer: search, look-up, the profile page and its panels.

Each panel is its own URL returning its partial (`viewer/panels.html#<panel>`); a full
request to a panel URL renders it inside the layout so a shared link works.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling, push_url

from profileviewer import masking
from profileviewer.agents import limits
from profileviewer.agents.auth import agent_required, is_embedded
from profileviewer.audit import trail
from profileviewer.client import IntileryError, NotFoundError, ProfileRef, ProfileRefError
from profileviewer.viewer import forms, fragments, presenters, services
from profileviewer.viewer.errors import (
    AgentError,
    agent_error,
    input_error,
    live_slowed_error,
    not_allowed_error,
)
from profileviewer.viewer.forms import (
    TimelineFilters,
    filters_as_written,
    parse_filters,
    profile_ref,
)

PANELS = {
    "traits": "Traits",
    "meta": "Metadata",
    "summary": "Summary",
    "timeline": "Timeline",
    "activity": "Activity",
    "viewed-not-bought": "Viewed, not bought",
}
MAX_QUERY_SHOWN = 200
# What is kept of a ref or a query: more than any valid ref (a type and 512 characters).
MAX_REF_KEPT = 600
# The demo data's hero profiles (docs/demo-data.md), offered on the search page in sandbox mode.
SANDBOX_EXAMPLES = (
    ("userId:qrc-117322", "Joe Bloggs"),
    ("sam.taylor@example.com", "Sam Taylor (2 profiles)"),
    ("guest.shopper@example.com", "Guest shopper"),
    ("userId:acct/00042", "Priya Shah (15,000 events)"),
    ("userId:new-signup-1", "New sign-up"),
)


def _fresh(request: HttpRequest) -> bool:
    # Past the agent's allowance (agents/limits.py) a refresh is answered from the cache.
    return request.GET.get("fresh") == "1" and not limits.fresh_limited(request)


def _ref_query(ref: ProfileRef, **extra: str) -> str:
    return urlencode({"ref": str(ref), **{k: v for k, v in extra.items() if v}})


def _profile_url(ref: ProfileRef, filters: TimelineFilters | None = None) -> str:
    params = [("ref", str(ref)), *(filters.params() if filters else [])]
    return f"{reverse('viewer:profile')}?{urlencode(params)}"


def _ref(request: HttpRequest) -> ProfileRef:
    return profile_ref(request.GET)


def _render_panel(
    request: HttpRequest, panel: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    context = {"panel": panel, "panel_title": PANELS[panel], **context}
    context["fresh_limited"] = limits.fresh_limited(request)
    if request.htmx:  # type: ignore[attr-defined]
        # htmx swaps only 2xx answers; the error state is in the body either way.
        return render(request, f"viewer/panels.html#{panel}", context)
    context["panel_template"] = f"viewer/panels.html#{panel}"
    return render(request, "viewer/panel_page.html", context, status=status)


def _panel_error(request: HttpRequest, panel: str, error: AgentError) -> HttpResponse:
    trail.note_error(request, error.kind, error.request_id)
    context = {"error": error, "retry_url": request.get_full_path()}
    context |= {"panel": panel, "panel_title": PANELS[panel]}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "viewer/panels.html#panel-error", context)
    context["panel_template"] = "viewer/panels.html#panel-error"
    return render(request, "viewer/panel_page.html", context, status=error.status)


def _panel(
    request: HttpRequest, panel: str, load: Callable[[ProfileRef, bool], dict[str, Any]]
) -> HttpResponse:
    if kept := fragments.kept(request):
        return kept
    try:
        ref = _ref(request)
        with services.meta_read_once():
            services.require_customer(ref)
            context = load(ref, _fresh(request))
    except IntileryError as error:
        return _panel_error(request, panel, agent_error(error, where=f"the {panel} panel"))
    context |= {"ref": ref, "ref_query": _ref_query(ref)}
    response = _render_panel(request, panel, context)
    fragments.keep(request, response)
    return response


# --- Pages --------------------------------------------------------------------------------


@require_GET
@agent_required
def search(request: HttpRequest) -> HttpResponse:
    examples = SANDBOX_EXAMPLES if settings.SANDBOX else ()
    return render(request, "viewer/search.html", {"query": "", "examples": examples})


@require_GET
@agent_required
def lookup(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    shown = query if len(query) <= MAX_QUERY_SHOWN else query[:MAX_QUERY_SHOWN] + "…"
    context: dict[str, Any] = {"query": query[:MAX_REF_KEPT], "shown_query": shown.strip()}
    try:
        ref = ProfileRef.from_lookup(query)
        matches = services.lookup(ref)
    except NotFoundError:
        matches = []
    except IntileryError as error:
        context["error"] = agent_error(error, where="the look-up")
        return render(request, "viewer/search.html", context, status=context["error"].status)
    if len(matches) == 1:
        return HttpResponseRedirect(_profile_url(ref))
    context |= {"ref": ref, "matches": matches}
    return render(request, "viewer/lookup.html", context, status=200 if matches else 404)


@require_GET
@agent_required
@vary_on_headers("HX-Request")
def profile(request: HttpRequest) -> HttpResponse:
    """The header and six panel slots, each loaded by its own request: the page does not wait
    for the upstream, whose reads it starts (``warm_panels``) for those requests to join."""
    raw_ref = request.GET.get("ref", "")
    try:
        ref = _ref(request)
    except ProfileRefError as error:
        return _bad_ref_page(request, raw_ref, error)
    # As asked, whatever the agent's allowance: the page reads nothing itself, and each panel
    # takes from the allowance and says when it ran out.
    fresh = request.GET.get("fresh") == "1"
    result = parse_filters(request.GET)
    # Filters that do not parse go to the timeline as written, for it to say what is wrong.
    filters = filters_as_written(request.GET) if result.errors else result.filters.querystring()
    if not fresh:  # the refresh button's panels bypass anything warmed
        services.warm_panels(ref, None if result.errors else result.filters)
    ref_query = _ref_query(ref, fresh="1" if fresh else "")
    context = {
        "ref": ref,
        "ref_query": ref_query,
        "timeline_query": ref_query + ("&" + filters if filters else ""),
        "panels": PANELS,
    }
    template = "viewer/profile.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#profile-body"
    return render(request, template, context)


def _bad_ref_page(request: HttpRequest, raw_ref: str, error: ProfileRefError) -> HttpResponse:
    context = {"query": raw_ref[:MAX_REF_KEPT], "error": agent_error(error)}
    return render(request, "viewer/search.html", context, status=400)


def _matches_url(ref: ProfileRef) -> str:
    """The look-up's list, for an email that several profiles share."""
    return f"{reverse('viewer:lookup')}?{urlencode({'q': str(ref)})}"


@require_GET
@agent_required
@vary_on_headers("HX-Request")
def profile_header(request: HttpRequest) -> HttpResponse:
    """The header of a profile page that did not wait for it; for htmx only."""
    raw_ref = request.GET.get("ref", "")
    if not request.htmx:  # type: ignore[attr-defined]
        try:
            ref_text = forms.ref_text(request.GET)
            ProfileRef.parse(ref_text)
        except ProfileRefError as error:
            # Answered here: a redirect carrying 10 KB of bad ref is refused past 16 KB (a
            # bare 400), and a cut one could name someone else.
            return _bad_ref_page(request, raw_ref, error)
        return HttpResponseRedirect(f"{reverse('viewer:profile')}?{urlencode({'ref': ref_text})}")
    context: dict[str, Any] = {"header": None, "header_error": None}
    try:
        ref = _ref(request)
        context |= {"ref": ref, "ref_query": _ref_query(ref)}
        headers = services.profile_header(ref, fresh=_fresh(request))
    except ProfileRefError as error:
        context |= {"ref": raw_ref[:MAX_QUERY_SHOWN], "header_error": agent_error(error)}
        return render(request, "viewer/profile.html#header-answer", context)
    except NotFoundError:
        # Not a customer: the whole profile (its panels too) becomes "no customer found".
        shown = str(ref)[:MAX_QUERY_SHOWN]
        context |= {"query": str(ref), "shown_query": shown}
        response = render(request, "viewer/profile.html#no-customer", context)
        response["HX-Retarget"] = "#profile-body"
        response["HX-Reswap"] = "outerHTML"
        return response
    except IntileryError as error:
        context["header_error"] = failure = agent_error(error, where="the profile header")
        trail.note_error(request, failure.kind, failure.request_id)
        return render(request, "viewer/profile.html#header-answer", context)
    if len(headers) > 1:
        return HttpResponseClientRedirect(_matches_url(ref))
    context["header"] = headers[0]
    return render(request, "viewer/profile.html#header-answer", context)


# --- Panels -------------------------------------------------------------------------------


@require_GET
@agent_required
@vary_on_headers("HX-Request")
def traits_panel(request: HttpRequest) -> HttpResponse:
    return _panel(
        request, "traits", lambda ref, fresh: {"profiles": services.traits_panel(ref, fresh=fresh)}
    )


@require_GET
@agent_required
@vary_on_headers("HX-Request")
def meta_panel(request: HttpRequest) -> HttpResponse:
    return _panel(
        request, "meta", lambda ref, fresh: {"metas": services.meta_panel(ref, fresh=fresh)}
    )


@require_GET
@agent_required
@vary_on_headers("HX-Request")
def activity_panel(request: HttpRequest) -> HttpResponse:
    return _panel(
        request, "activity", lambda ref, fresh: {"chart": services.activity_panel(ref, fresh=fresh)}
    )


@require_GET
@agent_required
@vary_on_headers("HX-Request")
def viewed_not_bought_panel(request: HttpRequest) -> HttpResponse:
    return _panel(
        request,
        "viewed-not-bought",
        lambda ref, fresh: {"products": services.viewed_not_bought_panel(ref, fresh=fresh)},
    )


@require_GET
@agent_required
@vary_on_headers("HX-Request")
def summary_panel(request: HttpRequest) -> HttpResponse:
    return _panel(
        request, "summary", lambda ref, fresh: {"summary": services.summary_panel(ref, fresh=fresh)}
    )


def _event_url(ref: ProfileRef, filters: TimelineFilters, **overrides: object) -> str:
    """Where a row's raw JSON is loaded from when expanded: the page the row was read from,
    to which the row appends its event id. None ("") for a role that may not see it."""
    if not masking.current().raw_events:
        return ""
    query = _ref_query(ref) + "&" + filters.querystring(**overrides)
    return f"{reverse('viewer:event')}?{query.rstrip('&')}&event_id="


def _timeline_context(request: HttpRequest, ref: ProfileRef) -> dict[str, Any]:
    result = parse_filters(request.GET)
    ticket_at = forms.ticket_time(request.GET)
    context: dict[str, Any] = {
        "ref": ref,
        # Carried to the next pages, so the ticket's marker shows on the page it falls on.
        "ref_query": _ref_query(ref, ticket_at=ticket_at.isoformat() if ticket_at else ""),
        "filters": result.filters,
        "actions": presenters.actions_with((result.filters.include, *result.filters.exclude)),
        "prev_day": request.GET.get("day", "")[:10],
    }
    if result.errors:
        context["filter_errors"] = result.errors
        return context
    services.require_customer(ref)
    page = services.timeline_page(ref, result.filters, fresh=_fresh(request), ticket_at=ticket_at)
    context["page"] = page
    context["event_url"] = _event_url(ref, result.filters)
    poll = settings.VIEWER_LIVE_POLL_SECONDS
    live = poll and result.filters.sort == "desc" and not result.filters.offset
    live = live and (result.filters.end is None or result.filters.end > timezone.now())
    if live:
        context["live_poll"] = poll
        context["live_since"] = (page.newest or timezone.now()).isoformat()
    return context


@require_GET
@agent_required
@vary_on_headers("HX-Request", "HX-Target")
def timeline_panel(request: HttpRequest) -> HttpResponse:
    htmx = request.htmx  # type: ignore[attr-defined]
    if "since" in request.GET and htmx:  # opened as a page, it is the whole panel
        return _timeline_live(request)
    if kept := fragments.kept(request):
        return kept
    # The next page, asked for by the timeline's scroll sentinel (`more=1`); a panel that
    # starts further down (a shared "Load more" link) is still a whole panel.
    more = bool(htmx) and request.GET.get("more") == "1"
    try:
        ref = _ref(request)
        context = _timeline_context(request, ref)
    except IntileryError as error:
        if more:
            return _more_error(request, agent_error(error, where="the timeline"))
        return _panel_error(request, "timeline", agent_error(error, where="the timeline"))
    if "filter_errors" in context:
        if more:
            return _more_error(request, input_error(context["filter_errors"][0]))
        if htmx and htmx.target == "timeline-results":
            return render(request, "viewer/panels.html#timeline-results", context)
        return _render_panel(request, "timeline", context, status=400)
    if more:
        response = render(request, "viewer/panels.html#timeline-more", context)
    elif htmx and htmx.target == "timeline-results":
        response = render(request, "viewer/panels.html#timeline-results", context)
        # Embedded, the frame's address is the host's entry: filters must not replace it.
        if not is_embedded(request):
            push_url(response, _profile_url(ref, context["filters"]))
    else:
        response = _render_panel(request, "timeline", context)
    fragments.keep(request, response)
    return response


@require_GET
@agent_required
@vary_on_headers("HX-Request")
def event_json(request: HttpRequest) -> HttpResponse:
    """One timeline event's raw JSON, indented: loaded when the agent expands its row, so a
    timeline page does not carry 50 events' JSON that is rarely read."""
    event_id = request.GET.get("event_id", "")[:200]
    try:
        ref = _ref(request)
        result = parse_filters(request.GET)
        if not masking.current().raw_events:
            error = not_allowed_error("raw event JSON")
        elif result.errors:
            error = input_error(result.errors[0])
        else:
            raw = services.timeline_event(ref, result.filters, event_id)
            if raw is not None:
                context: dict[str, Any] = {"raw_json": presenters.pretty_json(raw)}
                if request.htmx:  # type: ignore[attr-defined]
                    return render(request, "viewer/panels.html#event-json", context)
                context |= {"ref": ref, "panel": "timeline", "panel_title": "Raw event"}
                context["panel_template"] = "viewer/panels.html#event-json-page"
                return render(request, "viewer/panel_page.html", context)
            detail = "That event is no longer on this timeline page: reload it."
            error = input_error(detail, title="Reload the timeline")
    except IntileryError as exc:
        error = agent_error(exc, where="the raw event")
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "viewer/panels.html#event-json-error", {"error": error})
    return _panel_error(request, "timeline", error)


def _more_error(request: HttpRequest, error: AgentError) -> HttpResponse:
    context = {"error": error, "retry_url": request.get_full_path()}
    return render(request, "viewer/panels.html#timeline-more-error", context)


def _live_paused(request: HttpRequest, error: AgentError) -> HttpResponse:
    content = render(request, "viewer/panels.html#live-paused", {"error": error}).content
    return HttpResponseStopPolling(content)


def _timeline_live(request: HttpRequest) -> HttpResponse:
    """Events newer than `since`, inserted above the timeline; polling stops after an error."""
    if limits.fresh_limited(request):  # each poll reads afresh: past the allowance, stop
        return _live_paused(request, live_slowed_error())
    since_text = request.GET.get("since", "")[:40]
    try:
        ref = _ref(request)
        result = parse_filters(request.GET)
        if result.errors:
            return _live_paused(request, input_error(result.errors[0]))
        since = datetime.fromisoformat(since_text)
        if timezone.is_naive(since):
            raise ValueError(since_text)
        since = since.astimezone(UTC)  # OverflowError at the ends of the calendar
        groups, newest = services.new_events(ref, result.filters, since)
    except (ValueError, OverflowError):
        detail = "The time to look for new events from is not readable: reload the page."
        return _live_paused(request, input_error(detail, title="Reload the page"))
    except IntileryError as error:
        return _live_paused(request, agent_error(error, where="live updates"))
    context: dict[str, Any] = {
        "ref": ref,
        "filters": result.filters,
        "live_groups": groups,
        "live_poll": settings.VIEWER_LIVE_POLL_SECONDS,
        "live_since": newest.isoformat(),
        "ref_query": _ref_query(ref),
        # The poll's own page (services.new_events), so a new row's event is read from its
        # answer rather than from a timeline page that predates it.
        "event_url": _event_url(ref, result.filters, start=since.isoformat(), sort="", offset=""),
    }
    return render(request, "viewer/panels.html#live-poller", context)
