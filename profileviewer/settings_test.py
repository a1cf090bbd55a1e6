"""Settings for the test suite: the production settings in sandbox mode, made fast.

DATABASE_URL and REDIS_URL still come from the environment, so `make test` can run the
contract tests a second time on the running PostgreSQL.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SANDBOX", "true")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-0123456789")
from profileviewer.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The live server tries every path as a media file first when MEDIA_URL is empty (Django's
# _MediaFilesHandler), so a 10 KB path crashed it with "File name too long" before any view.
MEDIA_URL = "/media/"
MEDIA_ROOT = str(Path(tempfile.gettempdir()) / "pv-test-media")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "profileviewer-tests",
    },
    "process": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "profileviewer-tests-process",
    },
}
# Tests that exercise the shared cache, limiter or lock ask for Redis explicitly
# (override_settings(REDIS_URL=TEST_REDIS_URL)); everything else runs on local memory.
REDIS_URL = None
# The URL the test redis fixtures use; a database of its own so tests never touch app data.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# A file, not ":memory:", so the live server's threads and the sandbox they call each get a
# connection of their own (in-memory SQLite shares one connection across threads). One file per
# test process, so parallel runs never meet.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"pv-test-{os.getpid()}.sqlite3")
    }
# The host simulators' development keys, made once per machine outside the project.
EMBED_DEV_KEYS_FILE = Path(tempfile.gettempdir()) / "pv-test-embed-keys.json"
# Access records wait in the queue until a test flushes them (profileviewer/audit/writer.py): a
# background thread would write them outside the test's transaction.
AUDIT_BACKGROUND_WRITES = False
