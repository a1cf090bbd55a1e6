"""Service keys: how internal services authenticate to the personalization API.

A key is shown once when it is created; only its SHA-256 is stored (the secret carries 256
bits of randomness, so a slow password hash would add nothing). The short ``prefix`` is
stored in clear so staff can tell keys apart in the admin and logs, and so a request's key
is found by one indexed look-up.
"""

from __future__ import annotations

import math

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models


def validate_positive_rate(value: float) -> None:
    """A rate must be a finite number above 0: 0 or less would let the key make no requests."""
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValidationError("Enter a number of requests per second above 0.", code="min_value")


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
            "API with this key. Empty: no CORS headers at all."
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

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def origins(self) -> set[str]:
        return {
            line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()
        }
