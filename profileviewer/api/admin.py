"""Service keys in the admin: created here, the secret shown once in a message, never again."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from profileviewer.api.keys import create_service_key
from profileviewer.api.models import ServiceKey


@admin.register(ServiceKey)
class ServiceKeyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "prefix",
        "role",
        "created_at",
        "last_used_at",
        "revoked_at",
        "rate_limit",
    )
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    fields = (
        "name",
        "prefix",
        "rate_limit",
        "rate_burst",
        "allowed_origins",
        "role",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    actions = ("revoke",)

    def save_model(self, request: HttpRequest, obj: ServiceKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        fields = {
            name: getattr(obj, name)
            for name in ("rate_limit", "rate_burst", "allowed_origins", "role", "revoked_at")
        }
        key, token = create_service_key(obj.name, **fields)
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = (
            key.pk,
            key.prefix,
            key.key_hash,
            key.created_at,
        )
        obj._state.adding = False
        messages.warning(
            request,
            f"The key for “{key.name}” is {token} — copy it now: it is stored hashed and "
            "cannot be shown again.",
        )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ServiceKey]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, f"Revoked {count} key(s).")
