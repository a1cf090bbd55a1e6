"""The app's settings with the one-view URLconf (bench only): the same middleware, database,
cache and gunicorn shape as the app, with nothing of the app's views."""

from profileviewer.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.minimal_urls"
