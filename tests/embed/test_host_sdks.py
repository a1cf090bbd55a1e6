"""The vendored host SDKs are exactly what hostsdk/build.mjs makes from the pinned packages.

Each check is a function of a checkout's root, so that it also runs against a tampered copy in
tmp_path: a check that cannot fail would guard nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = "static/vendor/host-sdks.json"
EXACT_VERSION = re.compile(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?")


def _json(root: Path, path: str) -> Any:
    return json.loads((root / path).read_text())


def inexact_pins(root: Path) -> list[str]:
    package = _json(root, "hostsdk/package.json")
    pins = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    return [f"{name}@{spec}" for name, spec in pins.items() if not EXACT_VERSION.fullmatch(spec)]


def manifest_disagreements(root: Path) -> list[str]:
    package = _json(root, "hostsdk/package.json")
    pins = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    locked = _json(root, "hostsdk/package-lock.json")["packages"]
    listed = _json(root, MANIFEST)["packages"]
    problems = [f"{name} is pinned but not in the manifest" for name in pins.keys() - listed.keys()]
    for name, entry in listed.items():
        lock = locked.get(f"node_modules/{name}", {})
        if pins.get(name) != lock.get("version"):
            problems.append(
                f"{name}: package.json pins {pins.get(name)}, lock has {lock.get('version')}"
            )
        for key in ("version", "integrity"):
            if entry.get(key) != lock.get(key):
                problems.append(f"{name}: manifest {key} {entry.get(key)} != lock {lock.get(key)}")
    return problems


def files_unlike_the_manifest(root: Path) -> list[str]:
    problems = []
    for path, entry in _json(root, MANIFEST)["files"].items():
        digest = hashlib.sha256((root / path).read_bytes()).hexdigest()
        if digest != entry["sha256"]:
            problems.append(f"{path}: sha256 {digest}, manifest says {entry['sha256']}")
    return problems


@pytest.fixture
def copy_of_checkout(tmp_path: Path) -> Path:
    inputs = ["hostsdk/package.json", "hostsdk/package-lock.json", MANIFEST]
    for path in [*inputs, *_json(ROOT, MANIFEST)["files"]]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / path, tmp_path / path)
    return tmp_path


def _edit_json(path: Path, edit: Any) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def test_package_json_pins_exact_versions() -> None:
    assert inexact_pins(ROOT) == []


def test_the_manifest_names_the_versions_and_integrity_of_the_lock() -> None:
    assert manifest_disagreements(ROOT) == []


def test_every_vendored_file_is_the_one_the_manifest_names() -> None:
    assert files_unlike_the_manifest(ROOT) == []


def test_the_manifest_lists_every_output_of_the_build() -> None:
    assert set(_json(ROOT, MANIFEST)["files"]) == {
        "static/vendor/zaf_sdk.min.js",
        "static/vendor/app-extensions-sdk.umd.js",
        "static/vendor/index.umd.js.map",
        "tests/browser/vendor/axe.min.js",
    }


@pytest.mark.parametrize("spec", ["^2.0.11", "~2.0.11", "2.0.x", ">=2", "latest", "*"])
def test_a_range_in_package_json_is_caught(copy_of_checkout: Path, spec: str) -> None:
    _edit_json(
        copy_of_checkout / "hostsdk/package.json",
        lambda package: package["dependencies"].update(zendesk_app_framework_sdk=spec),
    )
    assert inexact_pins(copy_of_checkout) == [f"zendesk_app_framework_sdk@{spec}"]


@pytest.mark.parametrize("key", ["version", "integrity"])
def test_a_lock_that_moved_without_a_rebuild_is_caught(copy_of_checkout: Path, key: str) -> None:
    _edit_json(
        copy_of_checkout / "hostsdk/package-lock.json",
        lambda lock: lock["packages"]["node_modules/axe-core"].update({key: "changed"}),
    )
    assert manifest_disagreements(copy_of_checkout) != []


def test_a_pin_missing_from_the_manifest_is_caught(copy_of_checkout: Path) -> None:
    _edit_json(copy_of_checkout / MANIFEST, lambda manifest: manifest["packages"].pop("esbuild"))
    assert manifest_disagreements(copy_of_checkout) == ["esbuild is pinned but not in the manifest"]


@pytest.mark.parametrize("path", sorted(_json(ROOT, MANIFEST)["files"]))
def test_a_hand_edited_vendored_file_is_caught(copy_of_checkout: Path, path: str) -> None:
    with (copy_of_checkout / path).open("a") as vendored:
        vendored.write("\n")
    assert [problem.split(":")[0] for problem in files_unlike_the_manifest(copy_of_checkout)] == [
        path
    ]
