"""Service keys in the admin: created and rotated here, each secret shown once in a message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from profileviewer.api.keys import create_service_key, new_signing_secret, rotate_service_key
from profileviewer.api.models import Access, ServiceKey

ADMIN_ROTATION_GRACE = timedelta(hours=24)
CREATED_FIELDS = ("rate_limit", "rate_burst", "allowed_origins", "access", "expires_at", "role")


def _show_once(request: HttpRequest, what: str, token: str, signing_secret: str | None) -> None:
    text = f"{what} {token}"
    if signing_secret:
        text += f" and its customer-token signing secret (for your back end) is {signing_secret}"
    messages.warning(request, f"{text} — copy it now: it cannot be shown again.")


@admin.register(ServiceKey)
class ServiceKeyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "prefix",
        "access",
        "role",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "rate_limit",
    )
    list_filter = ("access", "revoked_at", "expires_at")
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at", "previous_valid_until")
    fields = (
        "name",
        "prefix",
        "access",
        "allowed_origins",
        "rate_limit",
        "rate_burst",
        "role",
        "expires_at",
        "notes",
        "created_at",
        "last_used_at",
        "previous_valid_until",
        "revoked_at",
    )
    actions = ("rotate", "revoke")

    def save_model(self, request: HttpRequest, obj: ServiceKey, form: Any, change: bool) -> None:
        if change:
            new_secret = obj.access == Access.CUSTOMER_TOKEN and not obj.customer_token_secret
            if new_secret:
                obj.customer_token_secret = new_signing_secret()
            super().save_model(request, obj, form, change)
            if new_secret:
                messages.warning(
                    request,
                    f"The customer-token signing secret of “{obj.name}” is "
                    f"{obj.customer_token_secret} — copy it now to your back end: it cannot "
                    "be shown again.",
                )
            return
        fields = {name: getattr(obj, name) for name in (*CREATED_FIELDS, "revoked_at", "notes")}
        key, token = create_service_key(obj.name, **fields)
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = (
            key.pk,
            key.prefix,
            key.key_hash,
            key.created_at,
        )
        obj.customer_token_secret = key.customer_token_secret
        obj._state.adding = False
        _show_once(request, f"The key for “{key.name}” is", token, key.customer_token_secret)

    @admin.action(description="Rotate the selected keys (old secrets work 24 more hours)")
    def rotate(self, request: HttpRequest, queryset: QuerySet[ServiceKey]) -> None:
        for key in queryset.filter(revoked_at__isnull=True):
            issued = rotate_service_key(key, ADMIN_ROTATION_GRACE)
            what = f"The new key for “{key.name}” ({key.prefix}…) is"
            _show_once(request, what, issued.token, issued.signing_secret)

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ServiceKey]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, f"Revoked {count} key(s).")
