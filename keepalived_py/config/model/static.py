"""Typed model of static_* blocks, track_group, garp_group, linkbeat/up-down delays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class StaticSection:
    """(placeholder: filled in with every keyword of the area)"""


def freeze(draft: dict[str, Any]) -> StaticSection:
    """The frozen model from the handlers' draft."""
    return StaticSection()
