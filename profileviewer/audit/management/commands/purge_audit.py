from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from profileviewer.audit.models import AccessRecord


class Command(BaseCommand):
    help = "Delete access records older than AUDIT_RETENTION_DAYS."

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
        deleted, _ = AccessRecord.objects.filter(at__lt=cutoff).delete()
        self.stdout.write(f"Deleted {deleted} access records older than {cutoff:%Y-%m-%d}.")
