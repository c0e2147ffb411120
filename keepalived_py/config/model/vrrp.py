"""Typed model of vrrp_instance and vrrp_sync_group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class VrrpSection:
    """(placeholder: filled in with every keyword of the area)"""


def freeze(draft: dict[str, Any]) -> VrrpSection:
    """The frozen model from the handlers' draft."""
    return VrrpSection()
