from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "profileviewer.audit"
    label = "audit"
    verbose_name = "Audit trail"
