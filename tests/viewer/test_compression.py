"""Compressed answers: brotli for HTML a browser accepts it for, gzip for the rest."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest
from django.test import Client

from profileviewer.compression import accepts_brotli, compress_brotli
from tests.viewer.conftest import HTMX, JOE

BROWSER = "gzip, deflate, br, zstd"  # what Chromium sends


@pytest.mark.parametrize(
    "header", ["br", "gzip, deflate, br, zstd", "BR;q=0.5", "gzip;q=1.0, br;q=0.1", "br; q = 1"]
)
def test_brotli_is_used_when_accepted(header):
    assert accepts_brotli(header)


@pytest.mark.parametrize("header", ["", "gzip, deflate", "br;q=0", "br;q=0.0", "brotli", "br;q=x"])
def test_brotli_is_not_used_otherwise(header):
    assert not accepts_brotli(header)


def test_a_page_and_its_panels_come_brotli_compressed_to_a_browser(agent: Client, upstream):
    page = agent.get("/profile", {"ref": JOE}, HTTP_ACCEPT_ENCODING=BROWSER)
    panel = agent.get("/profile/timeline", {"ref": JOE}, HTTP_ACCEPT_ENCODING=BROWSER, **HTMX)
    for response in (page, panel):
        assert response["Content-Encoding"] == "br"
        assert "Accept-Encoding" in response["Vary"]
        assert int(response["Content-Length"]) == len(response.content)
    # The same panel without compression: the very same HTML (the padding is not content).
    plain = agent.get("/profile/timeline", {"ref": JOE}, HTTP_ACCEPT_ENCODING="identity", **HTMX)
    assert "Content-Encoding" not in plain
    assert brotli.decompress(panel.content) == plain.content
    assert b"timeline-results" in plain.content


@pytest.mark.parametrize("size", [1, 3, 4, 100, 5000, 1_020, 70_000, 5_000_000])
def test_the_padding_is_skipped_by_a_brotli_decoder(size):
    content = ("<li>" + "x" * size + "</li>").encode()
    assert brotli.decompress(compress_brotli(content)) == content


def test_the_compressed_length_varies_so_it_reveals_no_secret(agent: Client, upstream):
    # BREACH: a page reflecting input beside a secret must not leak it through its length.
    # (A panel: the same HTML each time, unlike a page with its fresh CSP nonce.)
    sizes = {
        len(agent.get("/profile/traits", {"ref": JOE}, HTTP_ACCEPT_ENCODING="br", **HTMX).content)
        for _ in range(12)
    }
    assert len(sizes) > 1


def test_clients_without_brotli_still_get_gzip(agent: Client, upstream):
    response = agent.get("/profile", {"ref": JOE}, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert response["Content-Encoding"] == "gzip"
    assert "<!doctype html>" in gzip.decompress(response.content).decode()


def test_json_answers_keep_gzip(client: Client, db):
    response = client.get("/api/v1/openapi.json", HTTP_ACCEPT_ENCODING=BROWSER)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content))["openapi"]
