import pytest

from profileviewer.viewer.templatetags.viewer import safe_href


@pytest.mark.parametrize(
    "url",
    [
        "https://northwind.example/p/1",
        "http://northwind.example",
        "/sandbox/products/NW-BAG-0128.svg",
        "mailto:joe.bloggs@example.com",
        "tel:+44111222333444",
    ],
)
def test_safe_links_are_kept(url):
    assert safe_href(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/x",
        "/\\evil.example/x",
        "vbscript:msgbox(1)",
        None,
        42,
    ],
)
def test_links_that_could_run_script_or_leave_the_site_are_dropped(url):
    assert safe_href(url) == ""
