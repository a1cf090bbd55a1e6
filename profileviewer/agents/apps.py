from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "profileviewer.agents"
    label = "agents"

    def ready(self) -> None:
        from profileviewer.agents.backends import connect_signals

        connect_signals()
