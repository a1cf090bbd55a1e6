"""Response headers every answer gets: who may keep it, and which headers a fragment drops.

Our answers carry customer data unless they say otherwise, so one without a Cache-Control of
its own is ``private, no-store``: no browser keeps a profile for the back button after sign-out,
no proxy keeps it at all. Whatever means to be kept says so itself (whitenoise's static files,
the sandbox's product tiles).

Content-Security-Policy, X-Frame-Options, Cross-Origin-Opener-Policy and Referrer-Policy
govern the document a response becomes; an htmx response is read by ``XMLHttpRequest`` and
swapped into a page that already has its own, so on a fragment they are ~330 bytes of noise,
repeated for each of the profile page's six panels. Only htmx sends ``HX-Request`` (a
navigation, a form post or a frame load cannot). Every answer without them varies on
``HX-Request`` and is never stored, so a browser never reuses it for a document.
``nosniff`` stays: it applies to every response.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers

DOCUMENT_ONLY_HEADERS = (
    "Content-Security-Policy",
    "Content-Security-Policy-Report-Only",
    "X-Frame-Options",
    "Cross-Origin-Opener-Policy",
    "Referrer-Policy",
)
PRIVATE_NO_STORE = "private, no-store"


class ResponseHeadersMiddleware:
    """Outermost, so it sees the response after every middleware that adds headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.headers.get("HX-Request") == "true":
            for header in DOCUMENT_ONLY_HEADERS:
                del response[header]
            # Not every answer to htmx is a fragment that varies on HX-Request (an XHR that
            # follows a redirect gets a whole page): vary on it here, and (below) keep it out of
            # the browser's cache, so no navigation is ever served this copy without the headers.
            patch_vary_headers(response, ("HX-Request",))
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = PRIVATE_NO_STORE
        return response
