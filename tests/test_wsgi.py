"""The served application's start-up (profileviewer/wsgi.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings


def test_the_served_application_freezes_what_it_loaded_out_of_the_collectors_reach() -> None:
    # In a fresh interpreter: importing wsgi.py here would freeze the test process.
    script = (
        "import gc, profileviewer.wsgi; "
        "print(gc.get_freeze_count(), len(gc.get_objects()), gc.get_threshold()[0])"
    )
    env = {**os.environ, "SANDBOX": "true", "DJANGO_SETTINGS_MODULE": "profileviewer.settings"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    frozen, tracked, young = (int(n) for n in out.stdout.split())
    assert frozen > 10_000  # Django and the apps
    assert tracked < frozen / 10  # what a full collection still walks
    assert young >= 10_000  # a panel's short-lived objects start few young collections
