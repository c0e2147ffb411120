"""Typed model of addresses, routes and rules as keepalived.conf writes them (ip(8) syntax).

Numbers are kept as the kernel wants them (scope, table, protocol, type ids) after the names in
/etc/iproute2 have been resolved, so that the runtime can build netlink messages directly.
"""

from __future__ import annotations

from dataclasses import dataclass

# Kernel constants keepalived uses as defaults.
RT_TABLE_MAIN = 254
RTN_UNICAST = 1
RT_SCOPE_UNIVERSE = 0
RTPROT_KEEPALIVED = 18
INFINITY_LIFE_TIME = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class IpAddress:
    """One ``virtual_ipaddress`` / ``static_ipaddress`` entry.

    ``dev`` None means "the instance's interface" for a VIP (filled in when the whole vrrp
    configuration is known); for a static address it is the default interface.
    """

    address: str
    prefix_len: int
    family: int  # 4 or 6
    dev: str | None = None
    broadcast: str | None = None  # an explicit IPv4 broadcast address (brd + / - are resolved)
    scope: int = 0
    label: str | None = None
    peer: str | None = None
    home: bool = False
    nodad: bool = False
    mngtmpaddr: bool = False
    noprefixroute: bool = False
    autojoin: bool = False
    no_track: bool = False
    # Seconds; None = the kernel's default (IPv6 gets keepalived's legacy defaults).
    preferred_lft: int | None = None
    track_group: str | None = None
    use_vmac: bool = False


@dataclass(frozen=True, slots=True)
class IpPrefix:
    """A route/rule destination or source; ``address`` None is ``default``/``any``/``all``."""

    address: str | None
    prefix_len: int
    family: int  # 4 or 6


@dataclass(frozen=True, slots=True)
class Encap:
    """Lightweight tunnel encapsulation of a route or next hop (``encap ip|ip6|mpls|ila``)."""

    type: str
    # ip/ip6: dst, src, id, tos/tc, ttl/hoplimit, flags; mpls: labels; ila: locator.
    dst: str | None = None
    src: str | None = None
    id: int | None = None
    tos: int | None = None
    ttl: int | None = None
    flags: int | None = None
    labels: tuple[int, ...] = ()
    locator: int | None = None


@dataclass(frozen=True, slots=True)
class Nexthop:
    via: str | None = None
    dev: str | None = None
    weight: int | None = None  # 1..256 as written
    onlink: bool = False
    realms: int | None = None
    encap: Encap | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """One ``virtual_routes`` / ``static_routes`` entry."""

    dst: IpPrefix
    family: int = 4
    via: str | None = None
    pref_src: str | None = None
    src: IpPrefix | None = None  # ``from`` (IPv6 source routing)
    dev: str | None = None
    table: int = RT_TABLE_MAIN
    type: int = RTN_UNICAST
    scope: int | None = None
    protocol: int | None = None
    metric: int | None = None
    tos: int | None = None
    onlink: bool = False
    realms: int | None = None
    encap: Encap | None = None
    nexthops: tuple[Nexthop, ...] = ()
    # RTAX_* metrics as written (mtu, hoplimit, advmss, rtt, rttvar, reordering, window, cwnd,
    # ssthresh, rto_min, initcwnd, initrwnd, quickack, fastopen_no_cookie), rtt-like ones in
    # kernel units; ``locked`` names the ones written with ``lock``.
    metrics: tuple[tuple[str, int], ...] = ()
    locked: tuple[str, ...] = ()
    features_ecn: bool = False
    congctl: str | None = None
    pref: int | None = None
    ttl_propagate: bool | None = None
    expires: int | None = None
    mode: str = "prepend"  # prepend (keepalived's default), add, append
    no_track: bool = False
    track_group: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``virtual_rules`` / ``static_rules`` entry."""

    family: int = 4
    action: str = "table"  # table, goto, nop, blackhole, unreachable, prohibit
    priority: int = 0
    from_addr: IpPrefix | None = None
    to_addr: IpPrefix | None = None
    invert: bool = False
    table: int | None = None
    goto_target: int | None = None
    l3mdev: bool = False
    tos: int | None = None
    fwmark: int | None = None
    fwmask: int | None = None
    realms: int | None = None
    suppress_prefix_len: int | None = None
    suppress_group: int | None = None
    iif: str | None = None
    oif: str | None = None
    tunnel_id: int | None = None
    uid_range: tuple[int, int] | None = None
    protocol: int | None = None
    ip_proto: int | None = None
    sport: tuple[int, int] | None = None
    dport: tuple[int, int] | None = None
    no_track: bool = False
    track_group: str | None = None
