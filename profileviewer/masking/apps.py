from django.apps import AppConfig


class MaskingConfig(AppConfig):
    name = "profileviewer.masking"
    label = "masking"
    verbose_name = "Roles and masking"
