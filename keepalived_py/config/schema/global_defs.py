"""Keyword tables of global_defs and the top-level flags (net_namespace, child_wait_time, ...)."""

from __future__ import annotations

from keepalived_py.config.dispatch import Keyword


def root_keywords() -> list[Keyword]:
    """The top-level keywords this area owns."""
    return []
