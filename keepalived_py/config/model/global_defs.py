"""Typed model of global_defs and the top-level flags (net_namespace, child_wait_time, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class GlobalDefs:
    """(placeholder: filled in with every keyword of the area)"""


def freeze(draft: dict[str, Any]) -> GlobalDefs:
    """The frozen model from the handlers' draft."""
    return GlobalDefs()
