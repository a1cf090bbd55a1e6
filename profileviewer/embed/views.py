"""The embedded viewer's entries (one per host) and its sidebar.

An entry checks the host's token and answers a page that carries our embed token; every
request after it goes through `@agent_required` with that token, never a cookie.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from profileviewer.agents.auth import agent_required, embed_host_required
from profileviewer.audit import trail
from profileviewer.client import IntileryError, NotFoundError, ProfileRef, ProfileRefError
from profileviewer.embed import choices, hosts, pipedrive, summary_text, tokens
from profileviewer.embed.hosts import HostTokenError, HostUser
from profileviewer.embed.tokens import EmbedAgent
from profileviewer.viewer import forms as viewer_forms
from profileviewer.viewer import services
from profileviewer.viewer.errors import agent_error
from profileviewer.viewer.forms import TimelineFilters

MAX_SHOWN = 200
# Collapsed under the sidebar's first panels, and loaded only when opened.
MORE_PANELS = (
    ("traits", "Traits", "viewer:traits"),
    ("meta", "Metadata", "viewer:meta"),
    ("activity", "Activity, last 90 days", "viewer:activity"),
)


def _framed(
    request: HttpRequest,
    ancestors: Iterable[str],
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """A document the host may frame, and only the host: its own frame-ancestors."""
    config: dict[str, Any] = {**settings.SECURE_CSP, "frame-ancestors": list(ancestors)}
    if settings.ZENDESK_SDK_URL and context.get("host") == "zendesk":
        config["script-src"] = [*config["script-src"], settings.ZENDESK_SDK_URL]
    context = {
        "zendesk_sdk_url": settings.ZENDESK_SDK_URL,
        "token_ttl": settings.EMBED_TOKEN_TTL,
        **context,
    }

    @csp_override(config)
    def page(request: HttpRequest) -> HttpResponse:
        response = render(request, template, context, status=status)
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
        # An entry carries an embed token and a customer's name: for one host user, kept nowhere.
        response["Cache-Control"] = "private, no-store"
        return response

    return page(request)


def _refused(
    request: HttpRequest, ancestors: Iterable[str], message: str, *, status: int = 401, host: str
) -> HttpResponse:
    return _framed(
        request,
        ancestors,
        "embed/entry_refused.html",
        {"message": message, "host": host},
        status=status,
    )


# --- Entries ------------------------------------------------------------------------------


@csrf_exempt  # Zendesk posts its signed token cross-site; the token is the proof, not a cookie
@require_http_methods(["GET", "POST"])
def zendesk_entry(request: HttpRequest) -> HttpResponse:
    config = hosts.zendesk_config()
    if config is None:
        raise Http404("Zendesk is not configured.")
    if request.method != "POST":
        return _refused(
            request,
            config.frame_ancestors,
            "Open Profile Viewer from a Zendesk ticket.",
            host="zendesk",
        )
    # The ZAF SDK trusts the `origin` in our address to talk to: only the host's own.
    if not hosts.origin_allowed(request.GET.get("origin", ""), config.frame_ancestors):
        message = "Zendesk opened this app from an address it does not serve."
        return _refused(request, config.frame_ancestors, message, status=400, host="zendesk")
    try:
        user = hosts.verify_zendesk(config, request.POST.get("token", ""))
    except HostTokenError as error:
        return _refused(request, config.frame_ancestors, str(error), host="zendesk")
    context = {"host": "zendesk", "embed_token": tokens.issue(user)}
    return _framed(request, config.frame_ancestors, "embed/zendesk.html", context)


class PipedriveEntryForm(forms.Form):
    id = forms.CharField(max_length=200, required=False)
    userId = forms.CharField(max_length=40)  # Pipedrive's parameter names
    companyId = forms.CharField(max_length=40)
    selectedIds = forms.IntegerField(min_value=1, max_value=2**53)
    resource = forms.ChoiceField(choices=[("person", "person"), ("deal", "deal")])
    view = forms.CharField(max_length=40, required=False)
    token = forms.CharField(max_length=hosts.MAX_TOKEN_LENGTH, required=False)


@require_GET
def pipedrive_entry(request: HttpRequest) -> HttpResponse:
    config = hosts.pipedrive_config()
    if config is None:
        raise Http404("Pipedrive is not configured.")
    form = PipedriveEntryForm(request.GET)
    if not form.is_valid():
        response = _refused(
            request,
            config.frame_ancestors,
            "Pipedrive opened this panel with a link it should not have: reload it.",
            status=400,
            host="pipedrive",
        )
    else:
        data = form.cleaned_data
        try:
            user = hosts.verify_pipedrive(
                config, data["token"], user_id=data["userId"], company_id=data["companyId"]
            )
        except HostTokenError as error:
            response = _refused(request, config.frame_ancestors, str(error), host="pipedrive")
        else:
            response = _pipedrive_page(request, config, user, data["resource"], data["selectedIds"])
    response["Referrer-Policy"] = "no-referrer"  # the host's token is in this page's URL
    return response


def _pipedrive_page(
    request: HttpRequest,
    config: hosts.PipedriveConfig,
    user: HostUser,
    resource: pipedrive.Resource,
    record_id: int,
) -> HttpResponse:
    context: dict[str, Any] = {
        "host": "pipedrive",
        "embed_token": tokens.issue(user),
        "record_key": f"{resource}:{record_id}",
    }
    try:
        person = pipedrive.customer(resource, record_id)
    except pipedrive.PipedriveError as error:
        context["pipedrive_error"] = str(error)
    else:
        context["person"] = person
        if person.emails:
            ref = ProfileRef("email", person.emails[0])
            services.warm_sidebar(ref)
            context["sidebar_url"] = _sidebar_url("pipedrive", ref=str(ref))
        elif person.unusable_emails:
            context["pipedrive_error"] = (
                f"{person.name or 'This person'}'s email address in Pipedrive is not one we "
                "can look up: correct it there, or look the customer up below."
            )
    return _framed(request, config.frame_ancestors, "embed/pipedrive.html", context)


# --- The sidebar --------------------------------------------------------------------------


def _sidebar_url(host: str, **params: str) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{reverse('embed:sidebar', args=[host])}?{query}"


@require_GET
@agent_required
@embed_host_required
@vary_on_headers("HX-Request")
def sidebar(request: HttpRequest, host: str) -> HttpResponse:
    """The customer a host names, laid out for a sidebar: a reference (`ref`) from the host,
    or what the agent typed in the sidebar's look-up box (`q`)."""
    query = request.GET.get("q", request.GET.get("ref", ""))[:600]
    moment = viewer_forms.ticket_time(request.GET)
    ticket_at = moment.isoformat() if moment else ""
    record = request.GET.get("record", "")[: choices.MAX_RECORD]  # the ticket or record shown
    agent: EmbedAgent = request.agent  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "query": query,
        "shown_query": query[:MAX_SHOWN].strip(),
        "ticket_at": ticket_at,
        "host": host,
        "record": record,
    }
    try:
        ref = ProfileRef.from_lookup(query) if "q" in request.GET else ProfileRef.parse(query)
        if ref.id_type == "userId":
            # An external id is the reference the panels will use (services.canonical_ref):
            # their reads can start beside the look-up's. See docs/performance.md.
            services.warm_panels(ref, TimelineFilters(), activity=False)
        matches = services.lookup(ref)
    except NotFoundError:
        matches = []
    except ProfileRefError as error:
        context["error"] = agent_error(error)
        return render(request, "embed/sidebar.html#no-match", context)
    except IntileryError as error:
        context["error"] = shown = agent_error(error, where="the look-up")
        trail.note_error(request, shown.kind, shown.request_id)
        return render(request, "embed/sidebar.html#no-match", context)
    if not matches:
        return render(request, "embed/sidebar.html#no-match", context)
    if request.GET.get("chosen") == "1" and len(matches) == 1:
        choices.remember(agent, record, str(matches[0].ref))
    if len(matches) > 1:
        chosen = choices.recall(agent, record)
        matches = [m for m in matches if str(m.ref) == chosen] or matches
    if len(matches) > 1:
        context["matches"] = matches
        return render(request, "embed/sidebar.html#matches", context)
    match = matches[0]
    if match.ref != ref:
        services.warm_panels(match.ref, TimelineFilters(), activity=False)
    ref_query = urlencode({"ref": str(match.ref)})
    context |= {
        "match": match,
        "ref": match.ref,
        "ref_query": ref_query,
        "timeline_query": urlencode({"ref": str(match.ref), "ticket_at": ticket_at})
        if ticket_at
        else ref_query,
        "matched_by": services.MATCHED_BY[ref.id_type],
        "more_panels": MORE_PANELS,
    }
    return render(request, "embed/sidebar.html#customer", context)


@require_GET
@agent_required
@embed_host_required
def reply_text(request: HttpRequest, host: str) -> HttpResponse:
    """A short plain-text summary of the customer, for the ticket's reply box."""
    try:
        ref = ProfileRef.parse(request.GET.get("ref", "")[:600])
        text = summary_text.for_reply(ref)
    except IntileryError as error:
        shown = agent_error(error, where="the summary")
        return HttpResponse(
            f"{shown.title}. {shown.detail}",
            status=shown.status,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@require_GET
@agent_required
@embed_host_required
def renew_token(request: HttpRequest, host: str) -> HttpResponse:
    """A fresh embed token while the page is open but idle (until the maximum age)."""
    # agent_required adds a fresh token once this one is past half its life.
    return HttpResponse(status=204)
