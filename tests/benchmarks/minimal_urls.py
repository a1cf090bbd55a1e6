"""A one-view URLconf: the throughput reference of `bench_throughput.py`, never shipped."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("minimal", minimal)]
