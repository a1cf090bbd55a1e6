"""The retention period comes from the environment and a bad one stops the app."""

from __future__ import annotations

from tests.test_settings import PRODUCTION, run_django


def test_the_retention_period_is_read_from_the_environment():
    code = "from django.conf import settings; print(settings.AUDIT_RETENTION_DAYS)"
    result = run_django({**PRODUCTION, "AUDIT_RETENTION_DAYS": "90"}, code)
    assert result.stdout.strip() == "90", result.stderr


def test_a_retention_period_that_is_not_a_positive_number_stops_the_app():
    for bad in ("0", "a year"):
        result = run_django({**PRODUCTION, "AUDIT_RETENTION_DAYS": bad}, "")
        assert result.returncode != 0
        assert "AUDIT_RETENTION_DAYS" in result.stderr
