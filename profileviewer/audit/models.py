"""Who saw which customer's personal data, where, when and with what outcome."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AccessRecord(models.Model):
    class WhoKind(models.TextChoices):
        AGENT = "agent"
        HOST_USER = "host_user", "host user"
        SERVICE_KEY = "service_key", "service key"
        OPERATOR = "operator"

    class Where(models.TextChoices):
        STANDALONE = "standalone"
        ZENDESK = "zendesk", "Zendesk"
        PIPEDRIVE = "pipedrive", "Pipedrive"
        API = "api", "API"
        EXPORT = "export"

    at = models.DateTimeField(default=timezone.now)
    who_kind = models.CharField(max_length=16, choices=WhoKind.choices)
    # A username, "zendesk:<account>:<user>", or a service key's name and prefix.
    who = models.CharField(max_length=300)
    where = models.CharField(max_length=16, choices=Where.choices)
    customer_ref = models.CharField(max_length=600, db_index=True)
    what = models.CharField(max_length=100, help_text="The panel, page or endpoint.")
    outcome = models.CharField(max_length=100, help_text="'ok', or the error kind or status.")
    # The upstream calls that served the request (audit/trail.py: upstream_ids); empty when
    # none did (an answer from the cache).
    upstream_request_id = models.CharField(max_length=200, blank=True, default="")
    request_id = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        # "Who viewed this customer" (a data subject's access request) is one range scan.
        indexes = [models.Index(fields=["customer_ref", "at"], name="audit_customer_at")]

    def __str__(self) -> str:
        return f"{self.who} viewed {self.customer_ref} ({self.what}) at {self.at:%Y-%m-%d %H:%M}"
