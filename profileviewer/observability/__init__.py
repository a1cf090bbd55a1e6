"""Health probes, Prometheus metrics and structured logs (README: "Health, metrics and logs").

``context`` holds what one request knows about itself (its id, the upstream calls it made);
it imports nothing from Django, so the client can use it.
"""
