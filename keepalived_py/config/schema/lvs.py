"""Keyword tables of virtual_server, virtual_server_group, real_server and SSL."""

from __future__ import annotations

from keepalived_py.config.dispatch import Keyword


def root_keywords() -> list[Keyword]:
    """The top-level keywords this area owns."""
    return []
