"""Typed model of bfd_instance blocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class BfdSection:
    """(placeholder: filled in with every keyword of the area)"""


def freeze(draft: dict[str, Any]) -> BfdSection:
    """The frozen model from the handlers' draft."""
    return BfdSection()
