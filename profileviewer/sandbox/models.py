"""Storage of the sandbox Profiles API: profiles, their identities and their events.

The shapes follow the contract (PAPI-15..18). Indexes are chosen for the sandbox's queries:
- look-up by identity: ``Identity(id_type, value)``;
- the listing, most recently active first, keyset-paged: ``Profile(-last_activity_time, id)``;
- an events page of one or several profiles, by time, optionally for one action:
  ``Event(profile, event_time, id)`` and ``Event(profile, event_action, event_time, id)``.
"""

from __future__ import annotations

import uuid

from django.db import models


class IdType(models.TextChoices):
    USER_ID = "userId", "External id"
    EMAIL = "email", "Email"
    ID = "id", "Intilery id"


class Profile(models.Model):
    # The Intilery-generated id (PAPI-2 `id:`).
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The customer's External Id (PAPI-2 `userId:`); blank for profiles known only by email.
    external_id = models.CharField(max_length=255, blank=True, default="")
    email = models.CharField(max_length=320, blank=True, default="")
    # Known and custom traits exactly as the traits endpoint returns them, minus `id`,
    # `externalId` and `email`, which are the columns above (PAPI-15).
    traits = models.JSONField(default=dict)
    subscription_id = models.CharField(max_length=200, blank=True, default="")
    # {"filename": ..., "createdTime": ..., "type": ...} (PAPI-18).
    created_by = models.JSONField(default=dict)
    audiences_static = models.JSONField(default=list)
    # Per event action, the raw data of the first and last such event (PAPI-18); kept
    # current by whoever writes events, so `meta` never scans a large profile's events.
    first_event = models.JSONField(default=dict)
    last_event = models.JSONField(default=dict)
    created_time = models.DateTimeField()
    last_activity_time = models.DateTimeField(null=True, blank=True)
    event_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["-last_activity_time", "id"], name="sandbox_profile_activity_idx"),
        ]

    def __str__(self) -> str:
        return self.external_id or self.email or str(self.id)


class Identity(models.Model):
    """One way of naming a profile: its external id, an email, its Intilery id, a phone."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="identities")
    # userId, email and id are the look-up types (PAPI-2); others (anonymousId, phone) are
    # listed by the external_ids endpoint only.
    id_type = models.CharField(max_length=32)
    value = models.CharField(max_length=512)
    created_time = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["id_type", "value"], name="sandbox_identity_lookup_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "id_type", "value"], name="sandbox_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.id_type}:{self.value}"


class Event(models.Model):
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="events")
    event_id = models.UUIDField(default=uuid.uuid4, unique=True)
    event_action = models.CharField(max_length=100)
    event_time = models.DateTimeField()
    received_time = models.DateTimeField()
    source = models.CharField(max_length=64, default="SEGMENT_API")
    # PAPI-17 `rawData`: userId, action, event, context, properties, timestamp, sendType.
    raw_data = models.JSONField(default=dict)

    class Meta:
        indexes = [
            # `id` last: pages are ordered by (event_time, id), so the index alone gives the
            # order and the page's ids, with no sort of the skipped rows (deep `from`).
            models.Index(fields=["profile", "event_time", "id"], name="sandbox_event_time_id_idx"),
            models.Index(
                fields=["profile", "event_action", "event_time", "id"],
                name="sandbox_event_action_id_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_action} at {self.event_time:%Y-%m-%d %H:%M}"
