from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse

from profileviewer.audit.models import AccessRecord
from profileviewer.audit.trail import csv_lines


@admin.register(AccessRecord)
class AccessRecordAdmin(admin.ModelAdmin):
    list_display = ["at", "who_kind", "who", "where", "customer_ref", "what", "outcome"]
    list_filter = ["where", "who_kind", "outcome"]
    date_hierarchy = "at"
    search_fields = ["customer_ref", "who"]
    actions = ["export_csv"]
    show_full_result_count = False  # a COUNT(*) over a large trail on every page is not free

    # The trail is read-only here; only purge_audit deletes, by age.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AccessRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AccessRecord | None = None) -> bool:
        return False

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[AccessRecord]
    ) -> StreamingHttpResponse:
        rows = queryset.order_by("at", "id").iterator(chunk_size=2000)
        response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="access-records.csv"'
        return response
