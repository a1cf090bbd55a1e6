"""``manage.py runserver`` on the port `make run` last served on (PORT, kept in .env).

In sandbox mode the app calls its own sandbox at that port, so a development server on any
other port would find no customer database.
"""

from __future__ import annotations

from django.conf import settings
from whitenoise.runserver_nostatic.management.commands.runserver import (
    Command as NoStaticRunserverCommand,
)


class Command(NoStaticRunserverCommand):
    default_port = str(settings.PORT)
