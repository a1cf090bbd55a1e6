"""Create the sandbox's agent login `demo` / `demo`, and only in sandbox mode."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - a documented sandbox-only login, refused outside it


class Command(BaseCommand):
    help = "Create the demo agent login (demo / demo). Refused unless SANDBOX=true."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SANDBOX:
            raise CommandError("The demo login exists only in sandbox mode (SANDBOX=true).")
        user, created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME, defaults={"first_name": "Demo", "last_name": "Agent"}
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.is_active = True
            user.save()
        self.stdout.write(f"Agent login ready: {DEMO_USERNAME} / {DEMO_PASSWORD}")
