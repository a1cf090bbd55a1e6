"""/metrics: Prometheus exposition behind a token, and the figures moving with real traffic."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.test import override_settings
from prometheus_client.multiprocess import mark_process_dead

from profileviewer.export.progress import ProgressBar
from tests.observability.conftest import METRICS_TOKEN, sample
from tests.viewer.conftest import HTMX, JOE

pytestmark = pytest.mark.django_db


def test_there_is_no_metrics_page_without_a_token_setting(client):
    with override_settings(METRICS_TOKEN=None):
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 404
    assert b"pv_" not in response.content


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong-token", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x"]
)
def test_metrics_refuse_a_missing_or_wrong_token_without_saying_the_right_one(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    with override_settings(METRICS_TOKEN=METRICS_TOKEN):
        response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert METRICS_TOKEN.encode() not in response.content
    assert b"pv_" not in response.content


def test_a_panel_moves_the_upstream_cache_and_panel_figures(agent, upstream, scrape):
    before = scrape()
    assert agent.get("/profile/traits", {"ref": JOE}, **HTMX).status_code == 200
    # The same meta answer, from the client's cache.
    assert agent.get("/profile/meta", {"ref": JOE}, **HTMX).status_code == 200
    after = scrape()

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    # The traits panel reads the profile's meta (PAPI-18), which carries its traits.
    assert moved("pv_upstream_requests_total", endpoint="meta", status="200") >= 1
    assert moved("pv_upstream_request_duration_seconds_count", endpoint="meta") >= 1
    assert moved("pv_client_cache_lookups_total", result="miss") >= 1
    assert moved("pv_client_cache_lookups_total", result="hit") >= 1
    assert moved("pv_request_duration_seconds_count", route="viewer:traits", status="200") == 1
    # Asked again, the traits panel is served as kept.
    assert agent.get("/profile/traits", {"ref": JOE}, **HTMX).status_code == 200
    again = scrape()
    assert (
        sample(again, "pv_panel_cache_lookups_total", result="miss")
        - sample(before, "pv_panel_cache_lookups_total", result="miss")
        == 2
    )
    assert (
        sample(again, "pv_panel_cache_lookups_total", result="hit")
        - sample(before, "pv_panel_cache_lookups_total", result="hit")
        == 1
    )
    assert sample(after, "pv_client_bucket_tokens") > 0


def test_a_static_file_is_counted_as_static_not_unmatched(client, scrape):
    route = {"route": "static", "method": "GET", "status": "200"}
    before = sample(scrape(), "pv_request_duration_seconds_count", **route)
    assert client.get("/static/css/app.css").status_code == 200
    assert sample(scrape(), "pv_request_duration_seconds_count", **route) == before + 1


def test_an_api_call_moves_the_api_route_figures(api, scrape):
    before = scrape()
    response = api.get("/api/v1/profiles/userId:qrc-117322", api.shop_token)
    assert response.status_code == 200
    after = scrape()
    route = {"route": "api:profile", "method": "GET", "status": "200"}
    assert sample(after, "pv_request_duration_seconds_count", **route) == (
        sample(before, "pv_request_duration_seconds_count", **route) + 1
    )
    assert sample(after, "pv_upstream_requests_total") > sample(
        before, "pv_upstream_requests_total"
    )


def test_no_label_holds_a_customer_reference(agent, upstream, api, scrape):
    agent.get("/profile/traits", {"ref": JOE}, **HTMX)
    agent.get("/profile/summary", {"ref": "email:joe.bloggs@example.com"}, **HTMX)
    api.get("/api/v1/profiles/email:joe.bloggs@example.com", api.shop_token)
    text = scrape()
    for name in ("qrc-117322", "joe.bloggs", "example.com"):
        assert name not in text


def test_retries_and_rate_limit_refusals_are_counted(agent, upstream, scrape):
    before = scrape()
    with override_settings(SANDBOX_FAULT_ERROR_RATE=1.0):
        agent.get("/profile/meta", {"ref": JOE}, **HTMX)
    with override_settings(INTILERY_RATE_LIMIT=0.1, INTILERY_RATE_BURST=1):
        agent.get("/profile/meta", {"ref": JOE, "fresh": "1"}, **HTMX)
        agent.get("/profile/meta", {"ref": JOE, "fresh": "1"}, **HTMX)
    after = scrape()
    assert sample(after, "pv_upstream_retries_total", endpoint="meta") > sample(
        before, "pv_upstream_retries_total", endpoint="meta"
    )
    assert sample(after, "pv_client_rate_limited_total", source="bucket") > sample(
        before, "pv_client_rate_limited_total", source="bucket"
    )


def test_export_progress_is_exposed(scrape):
    with open(os.devnull, "w") as devnull:
        bar = ProgressBar(devnull, total=40)
        for count in range(1, 13):
            bar(count, count * 3)
    text = scrape()
    assert sample(text, "pv_export_profiles_done") == 12
    assert sample(text, "pv_export_events_done") == 36
    assert sample(text, "pv_export_profiles_expected") == 40


WORKER = textwrap.dedent(
    """
    import sys
    from profileviewer.client import metrics

    metrics.UPSTREAM_REQUESTS.labels("traits", "200").inc(int(sys.argv[1]))
    metrics.BUCKET_TOKENS.set(float(sys.argv[2]))
    """
)


def test_several_workers_are_summed_through_the_multiprocess_directory(tmp_path: Path, scrape):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for calls, tokens in ((3, 120.0), (4, 80.0)):  # the second worker saw the bucket last
        subprocess.run([sys.executable, "-c", WORKER, str(calls), str(tokens)], env=env, check=True)
    with override_settings(PROMETHEUS_MULTIPROC_DIR=str(tmp_path)):
        text = scrape()
        assert sample(text, "pv_upstream_requests_total", endpoint="traits", status="200") == 7
        assert sample(text, "pv_client_bucket_tokens") == 80.0
        files = sorted(p.name for p in tmp_path.iterdir())
        assert any(name.startswith("gauge_livemostrecent_") for name in files)
        for name in files:
            if name.startswith("gauge_livemostrecent_"):
                mark_process_dead(int(name.rsplit("_", 1)[1].removesuffix(".db")), str(tmp_path))
        text = scrape()
    # A dead worker's counts stay (they happened); its view of the bucket goes with it.
    assert sample(text, "pv_upstream_requests_total", endpoint="traits", status="200") == 7
    assert "pv_client_bucket_tokens " not in text
