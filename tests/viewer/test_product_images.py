"""Product images come from tracked events: the agent's browser loads one only from our own
origin or a PRODUCT_IMAGE_HOSTS origin, in the panel and in the CSP alike; any other shows
the placeholder, so an event can never make the browser call a host of its choosing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client, override_settings

from profileviewer.viewer.templatetags.viewer import product_image
from tests.test_settings import run_django
from tests.viewer.conftest import HTMX, JOE, answering_events, event_json, product

CDN = "https://cdn.shop.example"
TRACKER = "https://tracker.evil.example"


def viewed(pid: str, image_url: str, minutes_ago: int) -> dict[str, Any]:
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return event_json(
        "product_viewed", when, event_id=pid, **{**product(pid, pid, 10), "image_url": image_url}
    )


def panel_images(agent: Client, stub_client: Any, *images: str) -> list[str | None]:
    """Each product's image source in the panel, newest first; None for the placeholder."""
    events = [viewed(f"SKU-{i}", url, minutes_ago=i + 1) for i, url in enumerate(images)]
    stub_client(events=answering_events(*events))
    html = agent.get("/profile/viewed-not-bought", {"ref": JOE}, **HTMX).content.decode()
    items = re.findall(r'<li class="product">(.*?)</li>', html, re.S)
    assert len(items) == len(images)
    sources = []
    for item in items:
        image = re.search(r'<img src="([^"]*)"', item)
        assert image or 'class="product-placeholder"' in item
        sources.append(image.group(1) if image else None)
    return sources


def test_a_product_image_on_another_host_shows_the_placeholder(agent, stub_client) -> None:
    sources = panel_images(agent, stub_client, f"{TRACKER}/pixel.gif", "/sandbox/products/A.svg")
    assert sources == [None, "/sandbox/products/A.svg"]


@override_settings(PRODUCT_IMAGE_HOSTS=[CDN])
def test_a_product_image_on_an_allowed_host_is_shown_and_others_are_not(agent, stub_client) -> None:
    sources = panel_images(
        agent,
        stub_client,
        f"{CDN}/img/jacket.png",
        f"{TRACKER}/pixel.gif",
        f"{CDN}.evil.example/img.png",
        f"//{TRACKER.removeprefix('https://')}/pixel.gif",
    )
    assert sources == [f"{CDN}/img/jacket.png", None, None, None]


@pytest.mark.parametrize(
    "url",
    [
        "/sandbox/products/NW-BAG-0128.svg",
        f"{CDN}/img/a.png",
        "HTTPS://CDN.shop.example/img/a.png",
        f"{CDN}:443/img/a.png",
    ],
)
def test_images_on_our_origin_or_an_allowed_one_are_kept(url: str) -> None:
    with override_settings(PRODUCT_IMAGE_HOSTS=[CDN]):
        assert product_image(url) == url


@pytest.mark.parametrize(
    "url",
    [
        f"{TRACKER}/pixel.gif",
        "http://cdn.shop.example/img/a.png",  # another scheme
        f"{CDN}:8443/img/a.png",  # another port
        f"{CDN}.evil.example/a.png",
        f"{CDN}@tracker.evil.example/a.png",
        "https://tracker.evil.example\\@cdn.shop.example/a.png",
        "//tracker.evil.example/a.png",
        "/\\tracker.evil.example/a.png",
        "/\t/tracker.evil.example/a.png",  # browsers drop the tab: //tracker...
        "data:image/svg+xml,<svg/>",
        "javascript:alert(1)",
        "https://[",
        "",
        None,
    ],
)
def test_images_anywhere_else_get_the_placeholder(url: Any) -> None:
    with override_settings(PRODUCT_IMAGE_HOSTS=[CDN]):
        assert product_image(url) == ""


def img_src(csp: str) -> list[str]:
    directive = next(d.strip() for d in csp.split(";") if d.strip().startswith("img-src "))
    return directive.split()[1:]


def test_the_csp_lets_images_come_only_from_us_by_default(agent, stub_client) -> None:
    stub_client()
    response = agent.get("/profile", {"ref": JOE})
    assert img_src(response["Content-Security-Policy"]) == ["'self'", "data:"]


def test_the_csp_adds_exactly_the_configured_image_hosts() -> None:
    code = (
        "from django.test import Client; from django.test.utils import setup_test_environment\n"
        "setup_test_environment()\n"
        "print(Client().get('/accounts/login/')['Content-Security-Policy'])"
    )
    # DEBUG: plain static storage, so the page renders without collectstatic's manifest.
    hosts = {
        "SANDBOX": "true",
        "DEBUG": "true",
        "PRODUCT_IMAGE_HOSTS": f"{CDN}/, https://img.shop.example:8443",
    }
    result = run_django(hosts, code)
    assert result.returncode == 0, result.stderr
    sources = img_src(result.stdout)
    assert sources == ["'self'", "data:", CDN, "https://img.shop.example:8443"]
    assert "https:" not in sources
