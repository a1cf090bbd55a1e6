"""The Zendesk Support app package: the zip an admin uploads as a private app.

The app holds no code. Its manifest points the ticket sidebar at our ``/embed/zendesk/`` page
with ``signedUrls`` on, so Zendesk loads that page by POSTing a token it signs for the
installation; the server checks it with the app's public key. The package therefore carries
no setting and no secret, and building it reads none.

Zendesk's rules followed here (its app validator, zendesk_apps_support): ``author`` and
``defaultLocale`` are required and ``translations/<defaultLocale>.json`` must exist with at
least ``app.name`` for a private app (a public one also needs the descriptions and
installation instructions, which we give anyway); an absolute location URL must be https;
``frameworkVersion`` "2.0"; ``assets/logo.png`` is 320x320 and ``assets/logo-small.png``
128x128. The ticket sidebar needs no location icon (only top bar, nav bar and ticket editor
do).
"""

from __future__ import annotations

import json
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

APP_NAME = "Profile Viewer"
ASSETS_DIR = Path(__file__).resolve().parent / "zendesk_app_assets"
ASSET_FILES = ("logo.png", "logo-small.png")
SIDEBAR_PATH = "/embed/zendesk/"
FRAMEWORK_VERSION = "2.0"
# A fixed timestamp for every entry, so the same inputs always give the same zip bytes.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class AppPackageError(ValueError):
    """The package cannot be built as asked; the message says what to change."""


def base_url(url: str) -> str:
    """The app's root URL, checked: absolute https, a host, no credentials, query or fragment."""
    text = url.strip()
    parts = urlsplit(text)
    # First, so that no message below repeats a password back.
    if parts.username is not None or parts.password is not None:
        raise AppPackageError("--url must not contain a user name or password.")
    if parts.scheme != "https":
        raise AppPackageError(
            f"--url must start with https:// (got {url!r}): Zendesk loads the sidebar only "
            "from an https URL."
        )
    try:
        parts.port  # noqa: B018 - parsing it is the check: a bad port raises here
    except ValueError:
        raise AppPackageError(f"--url has a bad port (got {url!r}).") from None
    if not parts.hostname or any(char.isspace() for char in text):
        raise AppPackageError(
            f"--url must be a URL such as https://profiles.example.com (got {url!r})."
        )
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise AppPackageError(f"--url must have no query or fragment (got {url!r}).")
    return text.rstrip("/")


def _version() -> str:
    try:
        return metadata.version("profileviewer")
    except metadata.PackageNotFoundError:
        return "1.0.0"


def manifest(
    url: str, *, author_name: str = APP_NAME, author_email: str | None = None
) -> dict[str, Any]:
    """The manifest; the author's email defaults to support@ the URL's host."""
    root = base_url(url)
    email = author_email or f"support@{urlsplit(root).hostname}"
    return {
        "name": APP_NAME,
        "author": {"name": author_name, "email": email, "url": root},
        "defaultLocale": "en",
        "private": True,
        "location": {
            "support": {"ticket_sidebar": {"url": root + SIDEBAR_PATH, "flexible": True}},
        },
        "version": _version(),
        "frameworkVersion": FRAMEWORK_VERSION,
        "signedUrls": True,
        # None: the signed URL carries who is asking (account, installation, agent), and the
        # server's own settings hold the keys, so nothing secret is ever typed into Zendesk.
        "parameters": [],
    }


def translations() -> dict[str, Any]:
    # Plain words only: Zendesk warns about text that looks like a credential.
    return {
        "app": {
            "name": APP_NAME,
            "short_description": "The requester's profile, activity and interests by the ticket.",
            "long_description": (
                "Shows the requester's Intilery profile in the ticket sidebar: who they are, "
                "what they did recently and what they are likely to want."
            ),
            "installation_instructions": (
                "After installing, give the Profile Viewer's administrator this app's "
                "installation id and its public key for signed URLs, so the Profile Viewer "
                "accepts requests from this installation only."
            ),
        }
    }


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _json_bytes(value: dict[str, Any]) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


def build(
    url: str, out: Path, *, author_name: str = APP_NAME, author_email: str | None = None
) -> Path:
    """Write the app's zip to ``out`` (its folder created if need be); returns the path."""
    app_manifest = manifest(url, author_name=author_name, author_email=author_email)
    if out.is_dir():
        raise AppPackageError(f"--out {out} is a folder; give a file name such as {out}/app.zip.")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as package:
        package.writestr(_entry("manifest.json"), _json_bytes(app_manifest))
        package.writestr(_entry("translations/en.json"), _json_bytes(translations()))
        for name in ASSET_FILES:
            package.writestr(_entry(f"assets/{name}"), (ASSETS_DIR / name).read_bytes())
    return out
