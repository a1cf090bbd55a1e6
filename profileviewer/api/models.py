"""Service keys: how internal services authenticate to the personalization API.

A key is shown once when it is created; only its SHA-256 is stored (the secret carries 256
bits of randomness, so a slow password hash would add nothing). The short ``prefix`` is
stored in clear so staff can tell keys apart in the admin and logs, and so a request's key
is found by one indexed look-up. Rotating a key keeps its row and prefix (so the audit trail
names one key throughout) and lets the previous secret work until a grace period ends.

A key with CORS origins is used from web pages, where anyone can copy it, so it must be a
browser key: limited to the non-identifying endpoints, or to the one customer a signed
token from the customer's own back end names (``customer_tokens.py``).
"""

from __future__ import annotations

import math
from datetime import datetime

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


def validate_positive_rate(value: float) -> None:
    """A rate must be a finite number above 0: 0 or less would let the key make no requests."""
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValidationError("Enter a number of requests per second above 0.", code="min_value")


class Access(models.TextChoices):
    SERVER = "server", "Server: every endpoint, any customer (no CORS origins)"
    NON_IDENTIFYING = (
        "non_identifying",
        "Browser: summary and recommendations only, no full profiles",
    )
    CUSTOMER_TOKEN = "customer_token", "Browser: only the customer a signed token names"


class ServiceKey(models.Model):
    name = models.CharField(max_length=100, help_text="Who uses this key, e.g. 'web shop'.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    rate_limit = models.FloatField(
        default=10.0,
        validators=[validate_positive_rate],
        help_text="Requests per second this key may make, on average (above 0).",
    )
    rate_burst = models.PositiveIntegerField(
        default=20,
        validators=[MinValueValidator(1)],
        help_text="Requests this key may make at once before the rate applies (at least 1).",
    )
    allowed_origins = models.TextField(
        blank=True,
        default="",
        help_text=(
            "Browser origins (one per line, e.g. https://shop.example.com) that may call the "
            "API with this key. Empty: no CORS headers at all. A key with origins must be a "
            "browser key (see Access)."
        ),
    )
    role = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=(
            "The role whose masking the key's answers get (README, 'Roles and masking'). "
            "None: everything masked."
        ),
    )
    access = models.CharField(
        max_length=16,
        choices=Access.choices,
        default=Access.SERVER,
        help_text=(
            "What the key may read. A key in a web page can be copied by anyone, so a key with "
            "CORS origins must be one of the browser kinds."
        ),
    )
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="After this time the key is refused. Empty: never."
    )
    # HS256 needs the secret itself to check a customer token, so it is stored in clear.
    customer_token_secret = models.CharField(max_length=64, blank=True, editable=False)
    # Rotation: the previous secrets keep working until previous_valid_until.
    previous_key_hash = models.CharField(max_length=64, blank=True, editable=False)
    previous_customer_token_secret = models.CharField(max_length=64, blank=True, editable=False)
    previous_valid_until = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        verbose_name="previous secret valid until",
        help_text="After a rotation, the old secret works until then.",
    )
    notes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(allowed_origins="") | ~Q(access=Access.SERVER),
                name="api_servicekey_browser_key_restricted",
                violation_error_message=(
                    "A key with CORS origins is used from web pages, where anyone can copy it: "
                    "choose a browser access (summary and recommendations only, or one customer "
                    "by signed token)."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def in_grace(self, now: datetime | None = None) -> bool:
        """Whether the secrets from before the last rotation still work."""
        until = self.previous_valid_until
        return until is not None and (now or timezone.now()) < until

    def origins(self) -> set[str]:
        return {
            line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()
        }
