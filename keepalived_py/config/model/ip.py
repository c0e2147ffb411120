"""Typed model of addresses, routes and rules as keepalived.conf writes them (ip(8) syntax)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IpAddress:
    """One ``virtual_ipaddress`` / ``static_ipaddress`` entry (placeholder: more fields to come)."""

    address: str
    prefix_len: int
    family: int  # 4 or 6
    dev: str | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """One ``virtual_routes`` / ``static_routes`` entry (placeholder)."""

    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``virtual_rules`` / ``static_rules`` entry (placeholder)."""

    words: tuple[str, ...]
