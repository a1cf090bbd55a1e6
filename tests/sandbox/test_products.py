"""Generated product images, so demo product pictures show without internet."""

import uuid
import xml.etree.ElementTree as ET

import pytest

from tests.sandbox.factories import api_fixture, assert_error  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_a_product_image_is_a_cacheable_svg_without_auth(api):
    response = api.call(f"{api.root}/products/SKU-1234.svg", replace_headers=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert "max-age=86400" in response.headers["Cache-Control"]
    uuid.UUID(response.headers["x-amzn-RequestId"])
    root = ET.fromstring(response.text)  # noqa: S314 (our own server's output)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "SKU-1234" in response.text
    assert "<script" not in response.text and "href" not in response.text
    # Opened on its own, the image may load nothing (not the app's page policy).
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    assert "X-Frame-Options" not in response.headers


def test_each_product_gets_its_own_colour_and_the_same_one_every_time(api):
    def background(product_id):
        svg = api.call(f"{api.root}/products/{product_id}.svg").text
        return ET.fromstring(svg).find("{http://www.w3.org/2000/svg}rect").get("fill")  # noqa: S314

    assert background("SKU-1") == background("SKU-1")
    assert len({background(f"SKU-{n}") for n in range(1, 6)}) >= 4


@pytest.mark.parametrize("product_id", ["SKU%201", "a.b", "x" * 65, "%3Cscript%3E", "SKU-1%27"])
def test_an_invalid_product_id_is_not_found(api, product_id):
    response = api.call(f"{api.root}/products/{product_id}.svg", replace_headers=True)
    assert_error(response, 404, "not_found")
