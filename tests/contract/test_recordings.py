"""The recordings themselves: each one is JSON, names its source, and is listed in SOURCES.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RECORDED = Path(__file__).parent / "recorded"
FILES = sorted(p for p in RECORDED.rglob("*.json"))
SOURCES = (Path(__file__).parent / "SOURCES.md").read_text(encoding="utf-8")


def test_there_are_recordings_of_both_apis() -> None:
    assert {p.parent.name for p in FILES} == {"okta", "zoom"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_recording_names_its_source_and_is_listed(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))

    source = data["_source"]
    assert source.get("kind")
    assert source.get("url") or (source.get("repo") and source.get("path"))
    assert ("body" in data) != ("body_raw" in data)
    if "body_raw" in data:
        json.loads(data["body_raw"])
    if "status" in data:  # a response (a System Log event file has only a body)
        assert 200 <= int(data["status"]) < 600
    assert f"{path.parent.name}/{path.name}" in SOURCES
