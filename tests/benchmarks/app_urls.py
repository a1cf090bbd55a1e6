"""The app's URLs and the signed-in no-op view (bench only, never shipped): what any page
for a signed-in agent costs at least, the reference of `bench_viewer.py`'s cached panels."""

from django.urls import path

from profileviewer.urls import urlpatterns as app_urlpatterns
from tests.benchmarks.minimal_urls import signed_in

urlpatterns = [path("__bench__/signed-in", signed_in), *app_urlpatterns]
