from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "profileviewer.agents"
    label = "agents"
