"""Typed model of virtual_server, virtual_server_group, real_server and SSL.

Values keepalived leaves "unset" so that a real server inherits them from its virtual server
(and a checker from its real server) are ``None`` here; validation fills them in the way
keepalived's ``validate_check_config()`` does.  Times are microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntFlag
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from keepalived_py.config.errors import Location
from keepalived_py.config.scripts import Script

IpAddress = IPv4Address | IPv6Address

# keepalived's defaults (check_data.c alloc_vs / libipvs.h / ipvswrapper.h).
DEFAULT_SCHEDULER = "wlc"
DEFAULT_PERSISTENCE_TIMEOUT = 360
DEFAULT_CONNECT_TIMEOUT_US = 5_000_000
DEFAULT_DELAY_LOOP_US = 60_000_000
MAX_PERSISTENCE_TIMEOUT = 86400 * 31
WEIGHT_LIMIT = 2**31 - 1
FWMARK_MAX = 2**32 - 1
SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos")


class Protocol(Enum):
    TCP = "tcp"
    UDP = "udp"
    SCTP = "sctp"


class ForwardingMethod(Enum):
    """IPVS packet forwarding (keepalived's ``lvs_method``/``lb_kind``)."""

    NAT = "NAT"
    DR = "DR"
    TUN = "TUN"


class TunnelType(Enum):
    IPIP = "ipip"
    GUE = "gue"
    GRE = "gre"


class TunnelChecksum(Enum):
    NOCSUM = "nocsum"
    CSUM = "csum"
    REMCSUM = "remcsum"


class ServiceFlag(IntFlag):
    """IPVS service flags with the kernel's bit values (the scheduler flags alias SCHED1-3)."""

    NONE = 0
    PERSISTENT = 0x1
    HASHED = 0x2
    ONEPACKET = 0x4
    SCHED1 = 0x8
    SCHED2 = 0x10
    SCHED3 = 0x20
    SH_FALLBACK = SCHED1
    SH_PORT = SCHED2
    MH_FALLBACK = SCHED1
    MH_PORT = SCHED2


@dataclass(frozen=True, slots=True)
class SockAddr:
    """An address with its port; ``port`` 0 means "no port" as in keepalived."""

    ip: IpAddress
    port: int = 0

    @property
    def family(self) -> int:
        return self.ip.version

    def __str__(self) -> str:
        return str(self.ip)


@dataclass(frozen=True, slots=True)
class Tunnel:
    """Tunnel options of TUN forwarding (kept for every method, as keepalived does)."""

    type: TunnelType = TunnelType.IPIP
    port: int = 0
    checksum: TunnelChecksum = TunnelChecksum.NOCSUM


@dataclass(frozen=True, slots=True)
class SorryServer:
    """The server IPVS is pointed at when the quorum is lost."""

    address: SockAddr
    # Inherited from the virtual server when the sorry_server line was read.
    forwarding: ForwardingMethod | None = None
    tunnel: Tunnel = Tunnel()
    inhibit: bool = False
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class RealServer:
    """One real_server; ``None`` fields inherit from the virtual server at validation."""

    address: SockAddr
    # The virtual server's forwarding when the real_server line was read, unless set here.
    forwarding: ForwardingMethod | None = None
    tunnel: Tunnel = Tunnel()
    weight: int | None = None
    uthreshold: int = 0
    lthreshold: int = 0
    inhibit_on_failure: bool | None = None
    notify_up: Script | None = None
    notify_down: Script | None = None
    alpha: bool | None = None
    retry: int | None = None
    delay_before_retry: int | None = None
    warmup: int | None = None
    connect_timeout: int | None = None
    delay_loop: int | None = None
    smtp_alert: bool | None = None
    virtualhost: str | None = None
    snmp_name: str | None = None
    # Frozen checker objects (keepalived_py.config.model.checkers), in config order.
    checkers: tuple[Any, ...] = ()
    location: Location | None = None
    # The port as written, when validation changed it (keepalived's checkers copied the address
    # of their real server while parsing, so they keep this port).
    parsed_port: int | None = None


@dataclass(frozen=True, slots=True)
class VirtualServer:
    """One virtual_server: by address (``address``), by ``fwmark`` or by ``group`` name."""

    address: SockAddr | None = None
    fwmark: int = 0
    group: str | None = None
    # 0 (not known yet), 4 or 6: keepalived's AF_UNSPEC/AF_INET/AF_INET6.
    family: int = 0
    protocol: Protocol | None = None
    scheduler: str = ""
    flags: ServiceFlag = ServiceFlag.NONE
    forwarding: ForwardingMethod | None = None
    tunnel: Tunnel = Tunnel()
    persistence_engine: str = ""
    persistence_timeout: int = 0  # seconds, 0 = not persistent
    # IPv4 netmask, or IPv6 prefix length; None when not set.
    persistence_granularity: IPv4Address | int | None = None
    ha_suspend: bool = False
    smtp_alert: bool | None = None
    virtualhost: str | None = None
    snmp_name: str | None = None
    alpha: bool = False
    omega: bool = False
    quorum_up: Script | None = None
    quorum_down: Script | None = None
    quorum: int = 1
    hysteresis: int = 0
    weight: int = 1
    inhibit_on_failure: bool = False
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_US
    delay_loop: int = DEFAULT_DELAY_LOOP_US
    warmup: int | None = None
    retry: int | None = None
    delay_before_retry: int | None = None
    sorry_server: SorryServer | None = None
    real_servers: tuple[RealServer, ...] = ()
    # Set by validation: the group member number (keepalived keeps it in the port).
    group_index: int = 0
    # Set by validation when the sorry server is also one of the real servers.
    sorry_server_duplicates_rs: bool = False
    location: Location | None = None

    def describe(self) -> str:
        """keepalived's FMT_VS: ``[addr]:proto:port``, ``FWM n`` or ``[group]:n``."""
        if self.group is not None:
            return f"[{self.group}]:{self.group_index}"
        if self.fwmark:
            return f"FWM {self.fwmark}"
        return trio(self.address, self.protocol)


def trio(addr: SockAddr | None, protocol: Protocol | None) -> str:
    """keepalived's ``inet_sockaddrtotrio``: ``[addr]:proto:port``."""
    proto = protocol.value if protocol is not None else "none"
    if addr is None:
        return f"[]:{proto}:0"
    return f"[{addr.ip}]:{proto}:{addr.port}"


@dataclass(frozen=True, slots=True)
class VsgRange:
    """An address entry of a virtual_server_group: ``start``..``end`` (equal for one address)."""

    start: IpAddress
    end: IpAddress
    port: int = 0

    @property
    def family(self) -> int:
        return self.start.version

    def describe(self) -> str:
        """keepalived's format_vsge."""
        if self.start != self.end:
            return f"{self.start}-{self.end},{self.port}"
        return f"{self.start},{self.port}"


@dataclass(frozen=True, slots=True)
class VsgFwmark:
    """A ``fwmark N [inet|inet6]`` entry of a virtual_server_group (family 0 = none given)."""

    mark: int
    family: int = 0


@dataclass(frozen=True, slots=True)
class VirtualServerGroup:
    name: str
    ranges: tuple[VsgRange, ...] = ()
    fwmarks: tuple[VsgFwmark, ...] = ()
    location: Location | None = None

    @property
    def have_ipv4(self) -> bool:
        return any(r.family == 4 for r in self.ranges) or any(f.family == 4 for f in self.fwmarks)

    @property
    def have_ipv6(self) -> bool:
        return any(r.family == 6 for r in self.ranges) or any(f.family == 6 for f in self.fwmarks)

    @property
    def fwmark_no_family(self) -> bool:
        return any(f.family == 0 for f in self.fwmarks)


@dataclass(frozen=True, slots=True)
class SslContext:
    """The checkers' TLS context (top-level ``SSL`` block); files as written."""

    password: str | None = None
    ca: str | None = None
    certificate: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class LvsSection:
    """What keepalived's checker process reads: IPVS services and the checkers' TLS context."""

    virtual_servers: tuple[VirtualServer, ...] = ()
    virtual_server_groups: tuple[VirtualServerGroup, ...] = ()
    ssl: SslContext | None = None


def freeze(draft: dict[str, Any]) -> LvsSection:
    """The frozen model from the handlers' draft (the handlers freeze each block on close)."""
    return LvsSection(
        virtual_servers=tuple(draft.get("virtual_servers", ())),
        virtual_server_groups=tuple(draft.get("virtual_server_groups", ())),
        ssl=draft.get("ssl"),
    )
