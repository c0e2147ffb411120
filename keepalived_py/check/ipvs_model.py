"""The IPVS table as values: services keyed as the kernel keys them, and their destinations.

The checker process keeps the kernel's table in step with health.  Rather than replay
keepalived's add/delete commands, keepalived-py computes the table it wants
(``ipvs_desired``), compares it with what the kernel has (``ipvs_diff``) and applies the
difference.  Both tables are these immutable values, so the computation and the comparison are
pure and can be checked exhaustively without a kernel.

Numbers are the kernel's (``linux/ip_vs.h``): forwarding methods, tunnel types and flags are
what goes on the wire, so an adapter does not translate them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from types import MappingProxyType

IpAddress = IPv4Address | IPv6Address

AF_INET = 2
AF_INET6 = 10
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_SCTP = 132

# IPv4 services without persistence granularity carry an all-ones netmask, IPv6 ones 128.
NETMASK_V4_HOST = 0xFFFFFFFF
NETMASK_V6_HOST = 128

WEIGHT_MAX = 2**31 - 1


class Forwarding(enum.IntEnum):
    """IP_VS_CONN_F_FWD_MASK values."""

    MASQ = 0
    LOCALNODE = 1
    TUNNEL = 2
    DROUTE = 3


class TunnelType(enum.IntEnum):
    IPIP = 0
    GUE = 1
    GRE = 2


class TunnelFlag(enum.IntFlag):
    NOCSUM = 0
    CSUM = 1
    REMCSUM = 2


@dataclass(frozen=True, slots=True, order=True)
class ServiceKey:
    """What identifies a service to the kernel: an address, protocol and port, or a fwmark.

    ``address`` is the unspecified address of the family for fwmark services (and ``port`` 0,
    ``protocol`` 0), as the kernel reports them.
    """

    af: int
    protocol: int
    address: IpAddress
    port: int
    fwmark: int = 0

    def describe(self) -> str:
        if self.fwmark:
            return f"FWM {self.fwmark}" + (" IPv6" if self.af == AF_INET6 else "")
        proto = {IPPROTO_TCP: "TCP", IPPROTO_UDP: "UDP", IPPROTO_SCTP: "SCTP"}.get(self.protocol, "?")
        host = f"[{self.address}]" if self.af == AF_INET6 else str(self.address)
        return f"{proto} {host}:{self.port}"


@dataclass(frozen=True, slots=True)
class ServiceAttrs:
    """What can change on an existing service (the kernel's EDIT command)."""

    scheduler: str = "wlc"
    flags: int = 0
    timeout: int = 0
    netmask: int = NETMASK_V4_HOST
    pe_name: str = ""


@dataclass(frozen=True, slots=True, order=True)
class DestKey:
    """A destination within one service: address and port (its family is the address's)."""

    address: IpAddress
    port: int

    def describe(self) -> str:
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class DestAttrs:
    """What can change on an existing destination (the kernel's EDITDEST command)."""

    forwarding: Forwarding = Forwarding.MASQ
    weight: int = 1
    u_threshold: int = 0
    l_threshold: int = 0
    tun_type: TunnelType = TunnelType.IPIP
    tun_port: int = 0
    tun_flags: TunnelFlag = TunnelFlag.NOCSUM


def _frozen(d: Mapping[DestKey, DestAttrs]) -> Mapping[DestKey, DestAttrs]:
    return MappingProxyType(copy_dests(d))


def copy_dests(d: Mapping[DestKey, DestAttrs]) -> dict[DestKey, DestAttrs]:
    """A dict of ``d``; from a dict or a proxy of one without hashing every key again (a
    DestKey's hash is Python code: a pool of 1,000 would cost 1,000 calls per verdict)."""
    if isinstance(d, dict):
        return d.copy()
    if isinstance(d, MappingProxyType):
        copied = d.copy()
        if isinstance(copied, dict):
            return copied
    return dict(d)


@dataclass(frozen=True, slots=True)
class Service:
    """One service and its destinations."""

    attrs: ServiceAttrs = ServiceAttrs()
    dests: Mapping[DestKey, DestAttrs] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "dests", _frozen(self.dests))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Service):
            return NotImplemented
        return self.attrs == other.attrs and dict(self.dests) == dict(other.dests)

    def __hash__(self) -> int:
        return hash((self.attrs, frozenset(self.dests.items())))


@dataclass(frozen=True, slots=True)
class IpvsTable:
    """A whole IPVS table: services by key."""

    services: Mapping[ServiceKey, Service] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "services", MappingProxyType(dict(self.services)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IpvsTable):
            return NotImplemented
        return dict(self.services) == dict(other.services)

    def __hash__(self) -> int:
        return hash(frozenset(self.services.items()))

    def render(self) -> list[str]:
        """A stable, ``ipvsadm -Ln``-like listing (for logs, dumps and test failure messages)."""
        lines = []
        for key in sorted(self.services, key=_sort_key):
            svc = self.services[key]
            a = svc.attrs
            extra = f" persistent {a.timeout}" if a.timeout else ""
            lines.append(f"{key.describe()} {a.scheduler}{extra} flags {a.flags:#x} mask {a.netmask}")
            for dkey in sorted(svc.dests, key=_dest_sort_key):
                d = svc.dests[dkey]
                lines.append(
                    f"  -> {dkey.describe()} {d.forwarding.name} weight {d.weight}"
                    f" thresholds {d.l_threshold}/{d.u_threshold}"
                )
        return lines


def _sort_key(key: ServiceKey) -> tuple[int, int, int, int, int]:
    return (key.af, key.fwmark, key.protocol, int(key.address), key.port)


def _dest_sort_key(key: DestKey) -> tuple[int, int, int]:
    return (key.address.version, int(key.address), key.port)


def real_weight(effective: int) -> int:
    """keepalived clamps a real server's effective weight (which trackers may push below 0)."""
    return 0 if effective < 0 else min(effective, WEIGHT_MAX)
