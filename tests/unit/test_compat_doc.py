"""docs/compatibility.md is generated from the keyword tables and must be kept in step."""

from __future__ import annotations

from pathlib import Path

from keepalived_py.compat_matrix import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "compatibility.md"


def test_compatibility_page_is_current() -> None:
    assert DOC.read_text() == render(), (
        "docs/compatibility.md is stale: run `python -m keepalived_py.compat_matrix > docs/compatibility.md`"
    )
