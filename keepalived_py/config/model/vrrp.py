"""Typed model of vrrp_instance and vrrp_sync_group.

Fields left ``None`` mean "not configured": keepalived then derives the value after parsing
(from the global_defs defaults, the strict mode, the address family...).  The validation
step (validate/vrrp.py) fills in what keepalived derives at configuration time, so a
validated config holds the values the daemon would run with.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from keepalived_py.config.errors import Location
from keepalived_py.config.model.ip import IpAddress, Route, Rule
from keepalived_py.config.scripts import Script

# keepalived's VRRP_PRIO_OWNER and VRRP_PRIO_DFL
PRIO_OWNER = 255
PRIO_DEFAULT = 100
ADVERT_DEFAULT_US = 1_000_000


@dataclass(frozen=True, slots=True)
class UnicastPeer:
    address: str
    family: int
    min_ttl: int = 0
    max_ttl: int = 255


@dataclass(frozen=True, slots=True)
class TrackedInterface:
    """A ``track_interface`` line; the interface is resolved when the line is read."""

    name: str
    weight: int = 0
    reverse: bool = False


@dataclass(frozen=True, slots=True)
class TrackedRef:
    """A ``track_script`` / ``track_file`` / ``track_process`` / ``track_bfd`` line.

    ``weight``/``reverse`` None take the tracked object's own weight, as keepalived does;
    ``location`` is kept because keepalived reports unknown names at the line.
    """

    name: str
    weight: int | None = None
    reverse: bool | None = None
    location: Location | None = None
    # Names of that kind of tracker defined before this line (keepalived resolves in one pass);
    # None when the parse could not tell.
    known_before: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class VrrpInstance:
    name: str
    location: Location | None = None
    # "MASTER" / "BACKUP"; None: derived from the priority (255 -> MASTER).
    state: str | None = None
    interface: str | None = None
    # The interface as written when keepalived had to ignore it (loopback, too long, missing).
    interface_written: str | None = None
    vrf: str | None = None
    dont_track_primary: bool = False
    vrid: int | None = None
    # None: derived from the state (MASTER -> 255, else 100).
    priority: int | None = None
    advert_int: int = ADVERT_DEFAULT_US
    # None: global vrrp_version (or 3 for IPv6).
    version: int | None = None
    # 4 or 6; None until an address decides it (IPv4 by default).
    family: int | None = None
    native_ipv6: bool = False
    nopreempt: bool = False
    preempt_delay: int = 0
    auth_type: str | None = None
    auth_pass: str | None = None
    # Source address (mcast_src_ip / unicast_src_ip share it in keepalived).
    src_ip: str | None = None
    track_src_ip: bool = False
    mcast_dst_ip: str | None = None
    unicast_configured: bool = False
    unicast_peers: tuple[UnicastPeer, ...] = ()
    unicast_fault_no_peer: bool = False
    check_unicast_src: bool = False
    # "config" (old_unicast_checksum) or "never"; None: automatic.
    old_unicast_checksum: str | None = None
    unicast_ttl: int | None = None
    notify_master: Script | None = None
    notify_backup: Script | None = None
    notify_fault: Script | None = None
    notify_stop: Script | None = None
    notify_deleted: bool = False
    notify_deleted_script: Script | None = None
    notify: Script | None = None
    notify_master_rx_lower_pri: Script | None = None
    smtp_alert: bool | None = None
    notify_priority_changes: bool | None = None
    track_interfaces: tuple[TrackedInterface, ...] = ()
    track_scripts: tuple[TrackedRef, ...] = ()
    track_files: tuple[TrackedRef, ...] = ()
    track_processes: tuple[TrackedRef, ...] = ()
    track_bfds: tuple[TrackedRef, ...] = ()
    virtual_ipaddresses: tuple[IpAddress, ...] = ()
    virtual_ipaddresses_excluded: tuple[IpAddress, ...] = ()
    virtual_routes: tuple[Route, ...] = ()
    virtual_rules: tuple[Rule, ...] = ()
    use_vmac: bool = False
    vmac_ifname: str | None = None
    vmac_mac: str | None = None
    use_vmac_addr: bool = False
    vmac_xmit_base: bool = False
    use_ipvlan: bool = False
    ipvlan_addr: str | None = None
    # "bridge" / "private" / "vepa"; None: bridge.
    ipvlan_type: str | None = None
    promote_secondaries: bool = False
    linkbeat_use_polling: bool = False
    # None: derived (strict mode -> no accept unless address owner).
    accept: bool | None = None
    skip_check_adv_addr: bool | None = None
    strict_mode: bool | None = None
    debug: int = 0
    garp_master_delay: int | None = None
    garp_master_refresh: int | None = None
    garp_master_repeat: int | None = None
    garp_master_refresh_repeat: int | None = None
    garp_lower_prio_delay: int | None = None
    garp_lower_prio_repeat: int | None = None
    down_timer_adverts: int | None = None
    garp_extra_if: int | None = None
    garp_extra_if_all: bool = False
    lower_prio_no_advert: bool | None = None
    higher_prio_send_advert: bool | None = None
    kernel_rx_buf_size: int | None = None
    lvs_sync_daemon_interface: str | None = None
    # keepalived puts an instance whose configuration cannot work in FAULT state at start.
    config_faults: int = 0


@dataclass(frozen=True, slots=True)
class VrrpSyncGroup:
    name: str
    location: Location | None = None
    # None: no ``group`` block was given (keepalived removes such a group).
    members: tuple[str, ...] | None = None
    track_interfaces: tuple[TrackedInterface, ...] = ()
    track_scripts: tuple[TrackedRef, ...] = ()
    track_files: tuple[TrackedRef, ...] = ()
    track_processes: tuple[TrackedRef, ...] = ()
    track_bfds: tuple[TrackedRef, ...] = ()
    notify_master: Script | None = None
    notify_backup: Script | None = None
    notify_fault: Script | None = None
    notify_stop: Script | None = None
    notify: Script | None = None
    smtp_alert: bool | None = None
    sync_group_tracking_weight: bool = False
    notify_priority_changes: bool | None = None


@dataclass(frozen=True, slots=True)
class VrrpSection:
    instances: tuple[VrrpInstance, ...] = ()
    sync_groups: tuple[VrrpSyncGroup, ...] = ()
    # Interfaces named in the VRRP configuration that do not exist (keepalived then refuses
    # to start the VRRP process).
    missing_interfaces: tuple[str, ...] = ()
    # keepalived's vrrp_complete_init failed (an instance without VRID or interface, a VRID
    # conflict ...): its VRRP process stops with KEEPALIVED_EXIT_CONFIG instead of running.
    complete_failed: bool = False


def _build(cls: Any, d: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in names}
    return cls(**kwargs)


def build_instance(d: dict[str, Any]) -> VrrpInstance:
    inst: VrrpInstance = _build(VrrpInstance, d)
    return inst


def build_sync_group(d: dict[str, Any]) -> VrrpSyncGroup:
    group: VrrpSyncGroup = _build(VrrpSyncGroup, d)
    return group


def freeze(draft: dict[str, Any]) -> VrrpSection:
    """The frozen model from the handlers' draft."""
    return VrrpSection(
        instances=tuple(draft.get("instances", ())),
        sync_groups=tuple(draft.get("sync_groups", ())),
        missing_interfaces=tuple(draft.get("missing_interfaces", ())),
    )
