"""`manage.py build_zendesk_app`: the Zendesk app zip, its manifest, assets and no secrets."""

import json
import os
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

URL = "https://profiles.example.com"
EXPECTED_FILES = {
    "manifest.json",
    "translations/en.json",
    "assets/logo.png",
    "assets/logo-small.png",
}
# Distinctive values for every secret the app knows; none may reach the package.
SECRETS = {
    "SECRET_KEY": "secret-key-7d0c1b5e-never-in-a-zip-0123456789abcdef",
    "PIPEDRIVE_JWT_SECRET": "pipedrive-jwt-secret-31f9a",
    "PIPEDRIVE_API_TOKEN": "pipedrive-api-token-c84e2",
    "INTILERY_API_TOKEN": "intilery-auth-token-90b7d",
    "SANDBOX_API_TOKEN": "sandbox-auth-token-5a6e1",
    "ZENDESK_APP_PUBLIC_KEY": (
        "-----BEGIN PUBLIC KEY-----\nzendesk-key-77aa\n-----END PUBLIC KEY-----"
    ),
}
# Two of the patterns Zendesk's package scan warns about (zendesk_apps_support, secrets.rb).
ZENDESK_SECRET_PATTERNS = [
    re.compile(rb"[tT][oO][kK][eE][nN]( [:\"=-]|[:\"=-]).*.[0-9a-zA-Z+_.-]{4,156}"),
    re.compile(rb"[pP][aA][sS][sS][wW][oO][rR][dD].*.[0-9a-zA-Z+_.-]{4,156}"),
]


def build(tmp_path, *args):
    out = tmp_path / "dist" / "zendesk-app.zip"
    call_command("build_zendesk_app", "--url", URL, "--out", str(out), *args)
    return out


def read_zip(path):
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def png_size(data):
    """Width, height, bit depth and colour type from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">IIBB", data[16:26])


def test_the_zip_holds_the_manifest_translations_and_logos(tmp_path, capsys):
    out = build(tmp_path)
    assert set(read_zip(out)) == EXPECTED_FILES
    assert f"Wrote {out.resolve()}" in capsys.readouterr().out


def test_the_manifest_is_a_private_signed_url_ticket_sidebar_app(tmp_path):
    manifest = json.loads(read_zip(build(tmp_path))["manifest.json"])
    assert manifest["name"] == "Profile Viewer"
    assert manifest["frameworkVersion"] == "2.0"
    assert manifest["signedUrls"] is True
    assert manifest["private"] is True
    assert manifest["defaultLocale"] == "en"
    assert manifest["location"] == {
        "support": {
            "ticket_sidebar": {"url": f"{URL}/embed/zendesk/", "flexible": True},
        }
    }
    assert isinstance(manifest["version"], str) and manifest["version"]
    assert manifest["author"] == {
        "name": "Profile Viewer",
        "email": "support@profiles.example.com",
        "url": URL,
    }
    assert manifest["parameters"] == []


def test_the_author_can_be_given(tmp_path):
    out = build(tmp_path, "--author-name", "Acme Support", "--author-email", "help@acme.example")
    author = json.loads(read_zip(out)["manifest.json"])["author"]
    assert (author["name"], author["email"]) == ("Acme Support", "help@acme.example")


def test_a_url_with_a_path_and_trailing_slash_keeps_its_path(tmp_path):
    out = tmp_path / "app.zip"
    call_command("build_zendesk_app", "--url", "https://example.com:8443/pv/", "--out", str(out))
    manifest = json.loads(read_zip(out)["manifest.json"])
    sidebar = manifest["location"]["support"]["ticket_sidebar"]
    assert sidebar["url"] == "https://example.com:8443/pv/embed/zendesk/"


def test_the_logos_are_rgba_pngs_of_the_sizes_zendesk_requires(tmp_path):
    files = read_zip(build(tmp_path))
    # 8-bit, colour type 6 (RGBA): Zendesk asks for PNG-24 with transparency.
    assert png_size(files["assets/logo.png"]) == (320, 320, 8, 6)
    assert png_size(files["assets/logo-small.png"]) == (128, 128, 8, 6)


def test_en_json_has_every_key_zendesk_validates(tmp_path):
    app = json.loads(read_zip(build(tmp_path))["translations/en.json"])["app"]
    for key in ("name", "short_description", "long_description", "installation_instructions"):
        assert isinstance(app[key], str) and app[key].strip(), key
    assert app["name"] == "Profile Viewer"


def test_no_secret_reaches_any_file_in_the_zip(tmp_path):
    with override_settings(**SECRETS):
        files = read_zip(build(tmp_path))
    # A PEM's armour lines are public boilerplate; its body is what must not leak.
    markers = {
        setting: [line for line in value.splitlines() if not line.startswith("-----")]
        for setting, value in SECRETS.items()
    }
    for name, data in files.items():
        for setting, lines in markers.items():
            for line in lines:
                assert line.encode() not in data, (name, setting)


def test_nothing_in_the_zip_trips_zendesks_secret_scan(tmp_path):
    for name, data in read_zip(build(tmp_path)).items():
        if name.endswith(".json"):
            for pattern in ZENDESK_SECRET_PATTERNS:
                assert not pattern.search(data), (name, pattern.pattern)


def test_the_same_url_always_builds_the_same_bytes(tmp_path):
    first = build(tmp_path).read_bytes()
    assert build(tmp_path).read_bytes() == first


def test_the_output_folder_is_created(tmp_path):
    out = tmp_path / "a" / "b" / "c.zip"
    call_command("build_zendesk_app", "--url", URL, "--out", str(out))
    assert zipfile.is_zipfile(out)


def test_an_output_that_is_a_folder_is_refused(tmp_path):
    with pytest.raises(CommandError, match="is a folder"):
        call_command("build_zendesk_app", "--url", URL, "--out", str(tmp_path))


@pytest.mark.parametrize(
    "url,message",
    [
        ("http://profiles.example.com", "https://"),
        ("http://localhost:8000", "https://"),
        ("ftp://profiles.example.com", "https://"),
        ("profiles.example.com", "https://"),
        ("https://", "such as https://"),
        ("https://profiles example.com", "such as https://"),
        ("https://profiles.example.com:99999", "bad port"),
        ("https://admin:hunter2@profiles.example.com", "user name or password"),
        ("https://profiles.example.com/?tenant=1", "no query or fragment"),
        ("https://profiles.example.com/#top", "no query or fragment"),
    ],
)
def test_a_url_that_is_not_plain_https_is_refused(tmp_path, url, message):
    out = tmp_path / "app.zip"
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("build_zendesk_app", "--url", url, "--out", str(out))
    assert not out.exists()


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        call_command("build_zendesk_app", "--help")
    assert exit_.value.code == 0
    help_text = capsys.readouterr().out
    for option in ("--url", "--out", "--author-name", "--author-email"):
        assert option in help_text


def test_from_the_shell_an_http_url_is_one_line_without_a_traceback(tmp_path):
    manage = Path(settings.BASE_DIR) / "manage.py"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "profileviewer.settings_test"}
    result = subprocess.run(
        [sys.executable, str(manage), "build_zendesk_app", "--url", "http://profiles.example.com"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("CommandError: --url must start with https://")
    assert not (tmp_path / "dist").exists()


def test_a_refused_url_never_repeats_its_password():
    with pytest.raises(CommandError) as error:
        call_command(
            "build_zendesk_app", "--url", "http://admin:hunter2@example.com", "--out", "x.zip"
        )
    assert "hunter2" not in str(error.value)
