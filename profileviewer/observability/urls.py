from django.urls import URLPattern, path

from profileviewer.observability import views

# The probes' paths, for the middleware that leaves them alone (agents/sessions.py).
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

urlpatterns: list[URLPattern] = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_view, name="metrics"),
]
