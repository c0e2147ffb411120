"""Keyword tables of static_* blocks, track_group, garp_group, linkbeat/up-down delays."""

from __future__ import annotations

from keepalived_py.config.dispatch import Keyword


def root_keywords() -> list[Keyword]:
    """The top-level keywords this area owns."""
    return []
