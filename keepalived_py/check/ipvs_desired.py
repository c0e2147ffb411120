"""The IPVS table keepalived would have programmed, from the config and the servers' health.

keepalived reaches its table through a sequence of commands (add the service, add alive real
servers, swap in the sorry server when the quorum is lost ...).  The end state of those commands
is a function of the configuration and of a few facts per virtual server: which real servers are
alive, their effective weights, and whether the quorum is up (which has hysteresis, hence is state
carried between calls, see ``next_quorum_up``).  This module is that function.

The rules, as keepalived 2.2.7 applies them (check/ipwrapper.c, ipvswrapper.c):

* every virtual server has its service(s): one for an address, one for a fwmark, one per address
  of each range and one per fwmark of a ``virtual_server_group``;
* a real server is in the pool with its effective weight (clamped to 0..2^31-1) when it is alive
  and the pool is in use (the quorum is up, or there is no sorry server);
* otherwise it is absent, unless ``inhibit_on_failure``: then it stays with weight 0;
* the sorry server is in the pool, weight 1, while the quorum is down; while it is up it is absent,
  or present with weight 0 under ``sorry_server inhibit``;
* destination ports: a NAT destination keeps its own port; DR and TUN destinations take the
  service's port (0 for fwmark services);
* the service's netmask is the host mask unless persistence has a granularity; the persistence
  flag, timeout and persistence engine are set only with ``persistence_timeout``.

fwmark services are keyed by (family, fwmark) with protocol 0 and the unspecified address, and
the kernel's HASHED flag is not part of a desired table: the adapter reading the kernel's table
normalises both the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address
from types import MappingProxyType

from keepalived_py.check.ipvs_model import (
    AF_INET,
    AF_INET6,
    IPPROTO_SCTP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    NETMASK_V4_HOST,
    NETMASK_V6_HOST,
    DestAttrs,
    DestKey,
    Forwarding,
    IpvsTable,
    Service,
    ServiceAttrs,
    ServiceKey,
    TunnelFlag,
    TunnelType,
    real_weight,
)
from keepalived_py.config.model.lvs import (
    ForwardingMethod,
    LvsSection,
    Protocol,
    RealServer,
    ServiceFlag,
    SockAddr,
    SorryServer,
    Tunnel,
    VirtualServer,
    VirtualServerGroup,
)
from keepalived_py.config.model.lvs import TunnelChecksum as CfgChecksum
from keepalived_py.config.model.lvs import TunnelType as CfgTunnel

# A group range wider than this is refused by keepalived's parser anyway (it is a /16 at most
# for IPv6 and one octet for IPv4); the cap keeps a corrupt model from exploding.
MAX_RANGE = 65536

_PROTOCOLS = {Protocol.TCP: IPPROTO_TCP, Protocol.UDP: IPPROTO_UDP, Protocol.SCTP: IPPROTO_SCTP}
_FORWARDING = {
    ForwardingMethod.NAT: Forwarding.MASQ,
    ForwardingMethod.DR: Forwarding.DROUTE,
    ForwardingMethod.TUN: Forwarding.TUNNEL,
}
_TUNNEL_TYPES = {
    CfgTunnel.IPIP: TunnelType.IPIP,
    CfgTunnel.GUE: TunnelType.GUE,
    CfgTunnel.GRE: TunnelType.GRE,
}
_TUNNEL_FLAGS = {
    CfgChecksum.NOCSUM: TunnelFlag.NOCSUM,
    CfgChecksum.CSUM: TunnelFlag.CSUM,
    CfgChecksum.REMCSUM: TunnelFlag.REMCSUM,
}


@dataclass(frozen=True, slots=True)
class RealServerHealth:
    """What the checkers say of one real server."""

    alive: bool
    # The configured weight as changed by trackers / MISC_CHECK's dynamic weight (may be < 0).
    effective_weight: int


@dataclass(frozen=True, slots=True)
class VirtualServerHealth:
    """The health of one virtual server's pool; real servers keyed by address and port."""

    quorum_up: bool
    real_servers: Mapping[SockAddr, RealServerHealth] = field(default_factory=lambda: MappingProxyType({}))


def initial_health(vs: VirtualServer) -> VirtualServerHealth:
    """The state at start: a real server is alive unless ``alpha`` and it has checkers."""
    servers = {
        rs.address: RealServerHealth(
            alive=not (rs.checkers and (vs.alpha if rs.alpha is None else rs.alpha)),
            effective_weight=vs.weight if rs.weight is None else rs.weight,
        )
        for rs in vs.real_servers
    }
    total = sum(real_weight(h.effective_weight) for h in servers.values() if h.alive)
    return VirtualServerHealth(quorum_up=total >= vs.quorum + vs.hysteresis, real_servers=servers)


def live_weight(health: VirtualServerHealth) -> int:
    """The sum of the alive real servers' weights, which the quorum is measured against."""
    return sum(real_weight(h.effective_weight) for h in health.real_servers.values() if h.alive)


def next_quorum_up(up: bool, weight_sum: int, quorum: int, hysteresis: int) -> bool:
    """The quorum state after a health change: it is gained at ``quorum + hysteresis`` and lost
    below ``quorum - hysteresis`` (or at a zero weight sum), so small swings do not flap it."""
    if not up:
        return weight_sum >= quorum + hysteresis
    return not (weight_sum == 0 or weight_sum < quorum - hysteresis)


def desired_table(lvs: LvsSection, health: Mapping[int, VirtualServerHealth] | None = None) -> IpvsTable:
    """The table for the whole LVS section; ``health`` by index of ``lvs.virtual_servers``
    (a missing entry means the state at start, ``initial_health``)."""
    health = health or {}
    groups = {g.name: g for g in lvs.virtual_server_groups}
    services: dict[ServiceKey, Service] = {}
    for index, vs in enumerate(lvs.virtual_servers):
        state = health.get(index) or initial_health(vs)
        for key in _service_keys(vs, groups):
            services[key] = Service(_service_attrs(vs, key.af), _dests(vs, state, key))
    return IpvsTable(services)


def _service_attrs(vs: VirtualServer, af: int) -> ServiceAttrs:
    flags = int(vs.flags)
    netmask = NETMASK_V6_HOST if af == AF_INET6 else NETMASK_V4_HOST
    timeout = 0
    pe_name = ""
    if vs.persistence_timeout:
        flags |= int(ServiceFlag.PERSISTENT)
        timeout = vs.persistence_timeout
        pe_name = vs.persistence_engine
        granularity = vs.persistence_granularity
        if isinstance(granularity, IPv4Address) and af == AF_INET:
            netmask = int(granularity)
        elif isinstance(granularity, int) and af == AF_INET6:
            netmask = granularity
    return ServiceAttrs(
        scheduler=vs.scheduler or "wlc", flags=flags, timeout=timeout, netmask=netmask, pe_name=pe_name
    )


def _family(vs: VirtualServer, group: VirtualServerGroup | None = None) -> int:
    if vs.family == 6:
        return AF_INET6
    if vs.family == 4:
        return AF_INET
    if group is not None and not group.have_ipv4 and group.have_ipv6:
        return AF_INET6
    return AF_INET


def _unspecified(af: int) -> IPv4Address | IPv6Address:
    return IPv6Address(0) if af == AF_INET6 else IPv4Address(0)


def _service_keys(vs: VirtualServer, groups: Mapping[str, VirtualServerGroup]) -> Iterator[ServiceKey]:
    # validation sets UDP when no protocol is given, as keepalived does (the kernel's default)
    protocol = _PROTOCOLS[vs.protocol or Protocol.UDP]
    if vs.group is not None:
        group = groups.get(vs.group)
        if group is None:
            return
        for entry in group.ranges:
            af = AF_INET6 if entry.family == 6 else AF_INET
            first, last = int(entry.start), int(entry.end)
            for value in range(first, min(last, first + MAX_RANGE - 1) + 1):
                address = ip_address(value) if af == AF_INET else IPv6Address(value)
                yield ServiceKey(af, protocol, address, entry.port)
        for mark in group.fwmarks:
            af = {4: AF_INET, 6: AF_INET6}.get(mark.family) or _family(vs, group)
            yield ServiceKey(af, 0, _unspecified(af), 0, mark.mark)
    elif vs.fwmark:
        af = _family(vs)
        yield ServiceKey(af, 0, _unspecified(af), 0, vs.fwmark)
    elif vs.address is not None:
        af = AF_INET6 if vs.address.ip.version == 6 else AF_INET
        yield ServiceKey(af, protocol, vs.address.ip, vs.address.port)


def _forwarding(method: ForwardingMethod | None, vs: VirtualServer) -> Forwarding:
    return _FORWARDING[method or vs.forwarding or ForwardingMethod.NAT]


def _dest(
    address: SockAddr,
    forwarding: Forwarding,
    tunnel: Tunnel,
    service: ServiceKey,
    weight: int,
    u: int,
    lo: int,
) -> tuple[DestKey, DestAttrs]:
    port = address.port if forwarding is Forwarding.MASQ else service.port
    attrs = DestAttrs(
        forwarding=forwarding,
        weight=weight,
        u_threshold=u,
        l_threshold=lo,
        tun_type=_TUNNEL_TYPES[tunnel.type],
        tun_port=tunnel.port,
        tun_flags=_TUNNEL_FLAGS[tunnel.checksum],
    )
    return DestKey(address.ip, port), attrs


def _dests(vs: VirtualServer, state: VirtualServerHealth, service: ServiceKey) -> dict[DestKey, DestAttrs]:
    sorry = vs.sorry_server
    pool_in_use = state.quorum_up or sorry is None
    dests: dict[DestKey, DestAttrs] = {}
    for rs in vs.real_servers:
        found = _real_server_dest(vs, rs, state, service, pool_in_use)
        if found is not None:
            dests[found[0]] = found[1]
    if sorry is not None:
        found = _sorry_dest(vs, sorry, state, service)
        if found is not None:
            dests[found[0]] = found[1]
    return dests


def _real_server_dest(
    vs: VirtualServer, rs: RealServer, state: VirtualServerHealth, service: ServiceKey, pool_in_use: bool
) -> tuple[DestKey, DestAttrs] | None:
    default = RealServerHealth(alive=True, effective_weight=vs.weight if rs.weight is None else rs.weight)
    health = state.real_servers.get(rs.address, default)
    inhibit = vs.inhibit_on_failure if rs.inhibit_on_failure is None else rs.inhibit_on_failure
    if health.alive and pool_in_use:
        weight = real_weight(health.effective_weight)
    elif inhibit:
        weight = 0
    else:
        return None
    forwarding = _forwarding(rs.forwarding, vs)
    return _dest(rs.address, forwarding, rs.tunnel, service, weight, rs.uthreshold, rs.lthreshold)


def _sorry_dest(
    vs: VirtualServer, sorry: SorryServer, state: VirtualServerHealth, service: ServiceKey
) -> tuple[DestKey, DestAttrs] | None:
    if not state.quorum_up:
        weight = 1
    elif sorry.inhibit and not vs.sorry_server_duplicates_rs:
        weight = 0
    else:
        return None
    return _dest(sorry.address, _forwarding(sorry.forwarding, vs), sorry.tunnel, service, weight, 0, 0)
