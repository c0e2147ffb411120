"""Keyword tables of everything the VRRP process reads: instances, sync groups, scripts, trackers, static addresses/routes/rules."""

from __future__ import annotations

from keepalived_py.config.dispatch import Keyword


def root_keywords() -> list[Keyword]:
    """The top-level keywords this area owns."""
    return []
