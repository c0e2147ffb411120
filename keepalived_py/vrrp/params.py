"""The settings one VRRP instance core runs with, derived from the validated configuration.

A validated ``VrrpInstance`` still leaves a few values to the daemon (``None`` = "take the
global default", strict-mode overrides applied when the instance is completed), and the VRRP
core must not reach into the configuration model while it runs.  ``build_params`` makes those
decisions once, as keepalived 2.2.7's ``vrrp_complete_instance`` does, and freezes the result:
two equal configurations give equal params, which is what a reload compares.

Times are integer microseconds (keepalived's TIMER_HZ), so interval arithmetic is exact.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from keepalived_py.config.model.global_defs import GlobalDefs
from keepalived_py.config.model.vrrp import ADVERT_DEFAULT_US, PRIO_DEFAULT, PRIO_OWNER, VrrpInstance

IpAddr = ipaddress.IPv4Address | ipaddress.IPv6Address

TIMER_HZ = 1_000_000
TIMER_CENTI_HZ = 10_000

AUTH_NONE = 0
AUTH_PASS = 1
AUTH_AH = 2
AUTH_DATA_LEN = 8

_AUTH_TYPES = {None: AUTH_NONE, "PASS": AUTH_PASS, "AH": AUTH_AH}


@dataclass(frozen=True, slots=True)
class PeerParams:
    """A unicast peer: adverts go to it, and with check_unicast_src only it may send."""

    address: IpAddr
    min_ttl: int = 0
    max_ttl: int = 255


@dataclass(frozen=True, slots=True)
class InstanceParams:
    name: str
    vrid: int
    version: int = 2
    family: int = 4
    # The configured priority; 255 makes the instance the address owner.
    priority: int = PRIO_DEFAULT
    # The state the instance wants at start ("MASTER" / "BACKUP"), after keepalived's checks.
    initial_state: str = "BACKUP"
    advert_int_us: int = ADVERT_DEFAULT_US
    nopreempt: bool = False
    preempt_delay_us: int = 0
    down_timer_adverts: int = 3
    lower_prio_no_advert: bool = False
    higher_prio_send_advert: bool = False
    garp_master_delay_us: int = 5 * TIMER_HZ
    garp_master_repeat: int = 5
    garp_master_refresh_us: int = 0
    garp_master_refresh_repeat: int = 1
    garp_lower_prio_delay_us: int = 5 * TIMER_HZ
    garp_lower_prio_repeat: int = 5
    # Global vrrp_startup_delay: no backup times out before start + delay + its down timer.
    startup_delay_us: int = 0
    strict: bool = False
    accept: bool = False
    auth_type: int = AUTH_NONE
    # The 8-byte auth data field as sent (PASS: the password zero-padded; otherwise zeros).
    auth_data: bytes = bytes(AUTH_DATA_LEN)
    # Our address for the equal-priority tie-break (configured source or interface primary
    # address); None: not known yet, every equal-priority advert then counts as "our address".
    source_address: IpAddr | None = None
    # Addresses sent in adverts (VIPs) and the excluded ones (eVIPs), in configuration order.
    vips: tuple[IpAddr, ...] = ()
    evips: tuple[IpAddr, ...] = ()
    unicast: bool = False
    unicast_peers: tuple[PeerParams, ...] = ()
    check_unicast_src: bool = False
    skip_check_adv_addr: bool = False
    notify_priority_changes: bool = False

    def __post_init__(self) -> None:
        if self.version not in (2, 3):
            raise ValueError(f"VRRP version {self.version} is not 2 or 3")
        if self.family not in (4, 6):
            raise ValueError(f"address family {self.family} is not 4 or 6")
        if not 1 <= self.vrid <= 255:
            raise ValueError(f"VRID {self.vrid} out of range 1..255")
        if not 1 <= self.priority <= PRIO_OWNER:
            raise ValueError(f"priority {self.priority} out of range 1..255")
        if self.initial_state not in ("MASTER", "BACKUP"):
            raise ValueError(f"initial state {self.initial_state!r} is not MASTER or BACKUP")
        unit = TIMER_HZ if self.version == 2 else TIMER_CENTI_HZ
        top = 255 * TIMER_HZ if self.version == 2 else 4095 * TIMER_CENTI_HZ
        if self.advert_int_us % unit or not unit <= self.advert_int_us <= top:
            raise ValueError(f"advert interval {self.advert_int_us}us not valid for VRRPv{self.version}")
        if self.down_timer_adverts < 1:
            raise ValueError("down_timer_adverts must be at least 1")
        if len(self.auth_data) != AUTH_DATA_LEN:
            raise ValueError("auth data is 8 bytes")
        if self.auth_type not in (AUTH_NONE, AUTH_PASS, AUTH_AH):
            raise ValueError(f"auth type {self.auth_type} unknown")

    @property
    def owner(self) -> bool:
        return self.priority == PRIO_OWNER

    @property
    def advert_int_field(self) -> int:
        """The interval as the advert carries it: v2 seconds, v3 centiseconds."""
        return self.advert_int_us // (TIMER_HZ if self.version == 2 else TIMER_CENTI_HZ)


def _addr(text: str) -> IpAddr:
    return ipaddress.ip_address(text.split("%", 1)[0])


def build_params(
    inst: VrrpInstance, gd: GlobalDefs, *, source_address: str | IpAddr | None = None
) -> InstanceParams:
    """InstanceParams for a validated instance.

    ``source_address`` is the interface's primary address when no ``mcast_src_ip`` /
    ``unicast_src_ip`` is configured (the runtime knows it, the configuration does not).
    """
    strict = bool(inst.strict_mode if inst.strict_mode is not None else gd.vrrp_strict)
    family = inst.family or 4
    version = inst.version or (3 if family == 6 else gd.vrrp_version)
    priority = inst.priority if inst.priority is not None else PRIO_DEFAULT
    state = inst.state or ("MASTER" if priority == PRIO_OWNER else "BACKUP")

    def pick(value: int | None, default: int) -> int:
        return default if value is None else value

    lower_delay_default = (
        gd.vrrp_garp_lower_prio_delay
        if gd.vrrp_garp_lower_prio_delay is not None
        else gd.vrrp_garp_master_delay
    )
    lower_rep_default = (
        gd.vrrp_garp_lower_prio_repeat
        if gd.vrrp_garp_lower_prio_repeat is not None
        else gd.vrrp_garp_master_repeat
    )
    if strict:
        lower_delay_default = lower_rep_default = 0

    auth_type = _AUTH_TYPES.get(inst.auth_type, AUTH_NONE)
    auth_data = bytes(AUTH_DATA_LEN)
    if auth_type == AUTH_PASS and inst.auth_pass:
        auth_data = inst.auth_pass.encode()[:AUTH_DATA_LEN].ljust(AUTH_DATA_LEN, b"\0")

    src: IpAddr | None
    if inst.src_ip:
        src = _addr(inst.src_ip)
    elif isinstance(source_address, str):
        src = _addr(source_address)
    else:
        src = source_address

    unicast = bool(inst.unicast_peers)
    return InstanceParams(
        name=inst.name,
        vrid=inst.vrid or 0,
        version=version,
        family=family,
        priority=priority,
        initial_state=state,
        advert_int_us=inst.advert_int,
        nopreempt=inst.nopreempt,
        preempt_delay_us=inst.preempt_delay,
        down_timer_adverts=pick(inst.down_timer_adverts, gd.vrrp_down_timer_adverts),
        lower_prio_no_advert=bool(
            inst.lower_prio_no_advert
            if inst.lower_prio_no_advert is not None
            else (strict or gd.vrrp_lower_prio_no_advert)
        ),
        higher_prio_send_advert=bool(
            inst.higher_prio_send_advert
            if inst.higher_prio_send_advert is not None
            else (not strict and gd.vrrp_higher_prio_send_advert)
        ),
        garp_master_delay_us=pick(inst.garp_master_delay, gd.vrrp_garp_master_delay),
        garp_master_repeat=pick(inst.garp_master_repeat, gd.vrrp_garp_master_repeat),
        garp_master_refresh_us=pick(inst.garp_master_refresh, gd.vrrp_garp_master_refresh),
        garp_master_refresh_repeat=pick(inst.garp_master_refresh_repeat, gd.vrrp_garp_master_refresh_repeat),
        garp_lower_prio_delay_us=pick(inst.garp_lower_prio_delay, lower_delay_default),
        garp_lower_prio_repeat=pick(inst.garp_lower_prio_repeat, lower_rep_default),
        startup_delay_us=gd.vrrp_startup_delay,
        strict=strict,
        accept=bool(inst.accept if inst.accept is not None else (priority == PRIO_OWNER or not strict)),
        auth_type=auth_type,
        auth_data=auth_data,
        source_address=src,
        vips=tuple(_addr(v.address) for v in inst.virtual_ipaddresses),
        evips=tuple(_addr(v.address) for v in inst.virtual_ipaddresses_excluded),
        unicast=unicast,
        unicast_peers=tuple(PeerParams(_addr(p.address), p.min_ttl, p.max_ttl) for p in inst.unicast_peers),
        check_unicast_src=inst.check_unicast_src or gd.vrrp_check_unicast_src,
        skip_check_adv_addr=bool(
            inst.skip_check_adv_addr if inst.skip_check_adv_addr is not None else gd.vrrp_skip_check_adv_addr
        ),
        notify_priority_changes=bool(
            inst.notify_priority_changes
            if inst.notify_priority_changes is not None
            else gd.vrrp_notify_priority_changes
        ),
    )
