"""Create the sandbox's agent login `demo` / `demo`, and only in sandbox mode.

The demo agent has the `support` role, so the demo shows the masking (a phone's last 4 digits)
as well as the raw events that role may read.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - a documented sandbox-only login, refused outside it
DEMO_ROLE = "support"


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
        role = Group.objects.filter(name=DEMO_ROLE).first()
        if role is None:  # removed in the admin: the agent then sees everything masked
            raise CommandError(
                f"There is no {DEMO_ROLE!r} role (Admin, Groups) for the demo agent."
            )
        user.groups.add(role)
        self.stdout.write(f"Agent login ready: {DEMO_USERNAME} / {DEMO_PASSWORD}, role {DEMO_ROLE}")
