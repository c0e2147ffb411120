"""Typed model of everything the checker process reads: virtual servers, groups, real servers, checkers, SSL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class LvsSection:
    """(placeholder: filled in with every keyword of the area)"""


def freeze(draft: dict[str, Any]) -> LvsSection:
    """The frozen model from the handlers' draft."""
    return LvsSection()
