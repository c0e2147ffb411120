"""Readers for keepalived's ip(8)-style lines: addresses, routes, rules (placeholder)."""

from __future__ import annotations

import ipaddress

from keepalived_py.config.dispatch import ParseContext
from keepalived_py.config.errors import Severity
from keepalived_py.config.model.ip import IpAddress, Route, Rule


def parse_ip_address(ctx: ParseContext, words: tuple[str, ...], static: bool = False) -> IpAddress | None:
    """One address line; None (after keepalived's message) when it is unusable."""
    try:
        net = ipaddress.ip_interface(words[0])
    except ValueError:
        ctx.report(Severity.GENERAL_ERROR, f"Invalid address '{words[0]}' - ignoring")
        return None
    dev = words[words.index("dev") + 1] if "dev" in words[:-1] else None
    return IpAddress(str(net.ip), net.network.prefixlen, net.version, dev)


def parse_route(ctx: ParseContext, words: tuple[str, ...], static: bool = False) -> Route | None:
    return Route(words)


def parse_rule(ctx: ParseContext, words: tuple[str, ...], static: bool = False) -> Rule | None:
    return Rule(words)
