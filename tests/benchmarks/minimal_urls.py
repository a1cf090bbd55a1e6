"""The throughput references of `bench_throughput.py` (bench only, never shipped): a minimal
view, and the same view for a signed-in agent, which loads the session and the user as
every panel must."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


def signed_in(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return HttpResponse(b"signed out", content_type="text/plain", status=403)
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("minimal", minimal), path("signed-in", signed_in)]
