"""Keyword tables of the checker blocks of a real_server (TCP_CHECK, HTTP_GET, SSL_GET, ...)."""

from __future__ import annotations

from keepalived_py.config.dispatch import Keyword


def checker_keywords() -> list[Keyword]:
    """The checker block keywords that the real_server table includes."""
    return []
