from django.apps import AppConfig


class ViewerConfig(AppConfig):
    name = "profileviewer.viewer"
    label = "viewer"
