"""Keyword tables of vrrp_script, track_file (vrrp_track_file), vrrp_track_process."""

from __future__ import annotations

from keepalived_py.config.dispatch import Keyword


def root_keywords() -> list[Keyword]:
    """The top-level keywords this area owns."""
    return []
