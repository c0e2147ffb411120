"""Typed model of vrrp_script, track_file (vrrp_track_file), vrrp_track_process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TrackerSection:
    """(placeholder: filled in with every keyword of the area)"""


def freeze(draft: dict[str, Any]) -> TrackerSection:
    """The frozen model from the handlers' draft."""
    return TrackerSection()
