"""Typed model of virtual_server, virtual_server_group, real_server and SSL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class LvsSection:
    """(placeholder: filled in with every keyword of the area)"""


def freeze(draft: dict[str, Any]) -> LvsSection:
    """The frozen model from the handlers' draft."""
    return LvsSection()
