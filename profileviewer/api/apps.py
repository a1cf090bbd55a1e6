from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "profileviewer.api"
    label = "api"
