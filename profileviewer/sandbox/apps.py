from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "profileviewer.sandbox"
    label = "sandbox"
