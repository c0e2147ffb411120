"""Keyword tables of everything the checker process reads: virtual servers, groups, real servers, checkers, SSL."""

from __future__ import annotations

from keepalived_py.config.dispatch import Keyword


def root_keywords() -> list[Keyword]:
    """The top-level keywords this area owns."""
    return []
