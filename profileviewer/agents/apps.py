from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "profileviewer.agents"
    label = "agents"

    def ready(self) -> None:
        # Connects the sign-in signal receivers.
        from profileviewer.agents import sessions, throttle  # noqa: F401
