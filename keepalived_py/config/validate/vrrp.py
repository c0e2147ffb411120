"""Checks keepalived makes on vrrp_instance and vrrp_sync_group once the file is read.

The order is keepalived's (start_vrrp -> vrrp_complete_init): non-existent interfaces stop
the VRRP process; then the minimal configuration of every instance, the sync groups, the
completion of each instance (defaults derived, incompatible options cleared), VRID conflicts
and the sync groups' tracking.  Where keepalived gives up (returns false) we stop too, so the
messages and the -t exit status are the same.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any, TypeVar

from keepalived_py.config.errors import Severity
from keepalived_py.config.model.vrrp import (
    ADVERT_DEFAULT_US,
    PRIO_DEFAULT,
    PRIO_OWNER,
    TrackedInterface,
    TrackedRef,
    VrrpInstance,
    VrrpSection,
    VrrpSyncGroup,
)
from keepalived_py.config.validate.context import ValidationContext
from keepalived_py.config.validate.global_defs import check_vrrp_scripts

TIMER_HZ = 1_000_000
TIMER_CENTI_HZ = 10_000
DOWN_TIMER_ADVERTS = 3
DEFAULT_MTU = 1500  # keepalived's assumption when it cannot ask the interface
MAX_ADDR = 255

# Tracker kinds: instance field -> (area attribute, candidate attribute names, default weight)
_TRACKERS: dict[str, tuple[str, tuple[str, ...], int, str]] = {
    "track_scripts": ("trackers", ("scripts", "vrrp_scripts"), 0, "script"),
    "track_files": ("trackers", ("track_files", "files"), 1, "file"),
    "track_processes": ("trackers", ("processes", "track_processes"), 0, "process"),
    "track_bfds": ("bfd", ("vrrp_tracked",), 0, "bfd"),
}


def _g(obj: Any, name: str, default: Any) -> Any:
    value = getattr(obj, name, default)
    return default if value is None else value


def _tracker_objects(vctx: ValidationContext, field: str) -> dict[str, Any] | None:
    area_name, attrs, _, _ = _TRACKERS[field]
    section = getattr(vctx.config, area_name, None)
    for attr in attrs:
        items = getattr(section, attr, None)
        if isinstance(items, tuple | list):
            return {str(getattr(i, "name", "")): i for i in items}
    return None


def _resolve_refs(
    vctx: ValidationContext, owner: str, refs: tuple[TrackedRef, ...], field: str
) -> tuple[TrackedRef, ...]:
    """Drop references to trackers that do not exist, give the others their effective weight."""
    objects = _tracker_objects(vctx, field)
    _, _, default_weight, what = _TRACKERS[field]
    out: list[TrackedRef] = []
    for ref in refs:
        obj = objects.get(ref.name) if objects is not None else None
        if objects is not None and obj is None and ref.known_before is None:
            vctx.report(
                Severity.GENERAL_ERROR,
                f"({owner}) track {what} {ref.name} not found, ignoring...",
                ref.location,
            )
            continue
        weight = ref.weight
        if weight is None:
            weight = int(_g(obj, "weight", default_weight)) if obj is not None else default_weight
        reverse = ref.reverse
        if reverse is None:
            reverse = bool(_g(obj, "weight_reverse", False)) if obj is not None else False
        out.append(replace(ref, weight=weight, reverse=reverse))
    return tuple(out)


def _resolve_trackers(vctx: ValidationContext, section: VrrpSection) -> VrrpSection:
    instances = []
    for inst in section.instances:
        changes: dict[str, Any] = {f: _resolve_refs(vctx, inst.name, getattr(inst, f), f) for f in _TRACKERS}
        instances.append(replace(inst, **changes))
    groups = []
    for grp in section.sync_groups:
        gchanges: dict[str, Any] = {f: _resolve_refs(vctx, grp.name, getattr(grp, f), f) for f in _TRACKERS}
        groups.append(replace(grp, **gchanges))
    return replace(section, instances=tuple(instances), sync_groups=tuple(groups))


def _is_link_local6(address: str) -> bool:
    try:
        return ipaddress.IPv6Address(address).is_link_local
    except ValueError:
        return False


class _Stop(Exception):
    """keepalived's vrrp_complete_init() returned false: no further VRRP checks."""


def _complete_instance(
    vctx: ValidationContext, inst: VrrpInstance, sync: VrrpSyncGroup | None
) -> VrrpInstance:
    gd = vctx.config.global_defs
    rep = vctx.report
    n = inst.name
    c: dict[str, Any] = {}

    strict = inst.strict_mode if inst.strict_mode is not None else bool(_g(gd, "vrrp_strict", False))
    c["strict_mode"] = strict
    family = inst.family
    version = inst.version
    if family == 6:
        if version == 2 and strict:
            rep(Severity.GENERAL_ERROR, f"({n}) cannot use IPv6 with VRRP version 2; setting version 3")
            version = 3
        elif not version:
            version = 3
    if family is None:
        family = 4
    if not version:
        version = 3 if family == 6 else int(_g(gd, "vrrp_version", 2))
    c["family"], c["version"] = family, version

    vips = inst.virtual_ipaddresses
    if not vips:
        if version == 3 or strict:
            rep(Severity.GENERAL_ERROR, f"({n}) No VIP specified; at least one is required")
            raise _Stop
        rep(Severity.GENERAL_ERROR, f"({n}) No VIP specified; at least one is sensible")

    state = inst.state
    priority = inst.priority
    if priority is None:
        priority = PRIO_OWNER if state == "MASTER" else PRIO_DEFAULT
    if state is None:
        state = "MASTER" if priority == PRIO_OWNER else "BACKUP"
    elif strict and ((state == "MASTER") != (priority == PRIO_OWNER)):
        rep(Severity.GENERAL_ERROR, f"({n}) State MASTER must match being address owner")
        state = "MASTER" if priority == PRIO_OWNER else "BACKUP"

    auth = inst.auth_type
    if auth is not None:
        if strict:
            rep(Severity.GENERAL_ERROR, f"({n}) Strict mode does not support authentication. Ignoring.")
            auth = None
        elif version == 3:
            rep(Severity.GENERAL_ERROR, f"({n}) VRRP version 3 does not support authentication. Ignoring.")
            auth = None
        elif not inst.auth_pass:
            rep(Severity.GENERAL_ERROR, f"({n}) Authentication specified but no password given. Ignoring")
            auth = None
        elif family == 6 and auth == "AH":
            rep(Severity.GENERAL_ERROR, f"({n}) Cannot use AH authentication with IPv6. ignoring")
            auth = None
        elif auth == "AH" and state == "MASTER" and priority != PRIO_OWNER:
            rep(
                Severity.GENERAL_ERROR,
                f"({n}) Initial state master is incompatible with AH authentication - clearing",
            )
            state = "BACKUP"
    c["auth_type"] = auth

    unicast = False
    faults = inst.config_faults
    if inst.unicast_configured:
        if inst.unicast_peers:
            unicast = True
        elif inst.unicast_fault_no_peer:
            faults += 1
        else:
            rep(
                Severity.DEPRECATED,
                f"({n}) A unicast keyword has been specified without any unicast peers. Defaulting to "
                "multicast. This usage is deprecated - please update your configuration.",
            )
    c["unicast_configured"] = unicast or inst.unicast_configured

    if strict and inst.vmac_mac:
        rep(Severity.GENERAL_ERROR, f"({n}): cannot specify MAC address with strict mode - clearing")
        c["vmac_mac"] = None

    if family == 6 and not unicast and vips and strict and not _is_link_local6(vips[0].address):
        rep(Severity.GENERAL_ERROR, f"({n}) the first IPv6 VIP address must be link local")

    if inst.vrf is not None and (inst.interface is not None or not unicast):
        which = "out interface" if inst.interface is not None else " unicast"
        rep(Severity.GENERAL_ERROR, f"({n}) vrf can only be specified with{which} - clearing")
        c["vrf"] = None

    if family == 4:
        hdr = 14 + 20 + 8 + (8 if version == 2 else 0) + (24 if version == 2 and auth == "AH" else 0)
        max_addr = (DEFAULT_MTU - hdr) // 4
    else:
        max_addr = (DEFAULT_MTU - (14 + 40 + 8)) // 16
    max_addr = min(max_addr, MAX_ADDR)
    evips = inst.virtual_ipaddresses_excluded
    if len(vips) > max_addr:
        rep(
            Severity.GENERAL_ERROR,
            f"({n}) Number of VIPs ({len(vips)}) exceeds maximum/space available in packet "
            f"(max {max_addr} addresses) - excess moved to eVIPs",
        )
        evips = evips + vips[max_addr:]
        vips = vips[:max_addr]
    c["virtual_ipaddresses"], c["virtual_ipaddresses_excluded"] = vips, evips

    nopreempt = inst.nopreempt
    preempt_delay = inst.preempt_delay
    if priority == PRIO_OWNER and nopreempt:
        rep(
            Severity.GENERAL_ERROR,
            f"({n}) nopreempt is incompatible with priority {PRIO_OWNER}. resetting nopreempt",
        )
        nopreempt = False
    if state == "MASTER":
        if nopreempt:
            rep(
                Severity.GENERAL_ERROR,
                f"({n}) Warning - nopreempt will not work with initial state MASTER - clearing",
            )
            nopreempt = False
        if preempt_delay:
            rep(
                Severity.GENERAL_ERROR,
                f"({n}) Warning - preempt delay will not work with initial state MASTER - clearing",
            )
            preempt_delay = 0
    if preempt_delay:
        if strict:
            rep(Severity.GENERAL_ERROR, f"({n}) preempt_delay is incompatible with strict mode - resetting")
            preempt_delay = 0
        if nopreempt:
            rep(
                Severity.GENERAL_ERROR, f"({n}) preempt_delay is incompatible with nopreempt mode - resetting"
            )
            preempt_delay = 0
    c["nopreempt"], c["preempt_delay"] = nopreempt, preempt_delay

    down = inst.down_timer_adverts
    if down is None:
        down = int(_g(gd, "vrrp_down_timer_adverts", DOWN_TIMER_ADVERTS))
    if down != DOWN_TIMER_ADVERTS and strict:
        rep(Severity.GENERAL_ERROR, f"({n}) down_timer_adverts is incompatible with strict mode - resetting")
        down = DOWN_TIMER_ADVERTS
    c["down_timer_adverts"] = down

    accept = inst.accept
    if accept is None:
        accept = True if priority == PRIO_OWNER else not strict
    if accept and priority != PRIO_OWNER and strict and version == 2:
        rep(
            Severity.GENERAL_ERROR,
            f"({n}) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting",
        )
        accept = False
    c["accept"] = accept

    if unicast and inst.mcast_dst_ip is not None:
        rep(Severity.GENERAL_ERROR, f"({n}) multicast destination specified with unicast - ignoring")
        c["mcast_dst_ip"] = None

    if strict:
        if inst.garp_lower_prio_repeat:
            rep(Severity.GENERAL_ERROR, f"({n}) Strict mode requires no repeat garps. resetting")
            c["garp_lower_prio_repeat"] = 0
        if inst.garp_lower_prio_delay:
            rep(Severity.GENERAL_ERROR, f"({n}) Strict mode requires no repeat garp delay. resetting")
            c["garp_lower_prio_delay"] = 0
        if inst.lower_prio_no_advert is False:
            rep(Severity.GENERAL_ERROR, f"({n}) Strict mode requires no lower priority advert. resetting")
            c["lower_prio_no_advert"] = True
        if inst.higher_prio_send_advert:
            rep(
                Severity.GENERAL_ERROR,
                f"({n}) strict mode requires higher_prio_send_advert to be clear. resetting",
            )
            c["higher_prio_send_advert"] = False

    if inst.notify_priority_changes is None and sync is not None and sync.notify_priority_changes is not None:
        c["notify_priority_changes"] = sync.notify_priority_changes

    adv = inst.advert_int or ADVERT_DEFAULT_US
    if version == 2:
        if adv >= 256 * TIMER_HZ:
            rep(
                Severity.GENERAL_ERROR,
                f"({n}) VRRPv2 advertisement interval {adv / TIMER_HZ:.2f}s is out of range. "
                "Must be less than 256s. Setting to 255s",
            )
            adv = 255 * TIMER_HZ
        elif adv % TIMER_HZ:
            rep(
                Severity.GENERAL_ERROR,
                f"({n}) VRRPv2 advertisement interval {adv / TIMER_HZ:f}s must be an integer. rounding",
            )
            adv += TIMER_HZ // 2
            adv -= adv % TIMER_HZ
            adv = adv or TIMER_HZ
    else:
        if adv >= 4096 * TIMER_CENTI_HZ:
            rep(
                Severity.GENERAL_ERROR,
                f"({n}) VRRPv3 advertisement interval {adv / TIMER_HZ:.2f}s is out of range. "
                "Must be less than 40.96s. Setting to 40.95s",
            )
            adv = 4095 * TIMER_CENTI_HZ
        elif adv % TIMER_CENTI_HZ:
            rep(
                Severity.GENERAL_ERROR,
                f"({n}) VRRPv3 advertisement interval {adv / TIMER_HZ:f}s"
                " must be in units of 10ms - rounding",
            )
            adv += TIMER_CENTI_HZ // 2
            adv -= adv % TIMER_CENTI_HZ
            adv = adv or TIMER_CENTI_HZ
    c["advert_int"] = adv

    if not inst.src_ip:
        c["track_src_ip"] = False

    vmac_like = inst.use_vmac or inst.use_ipvlan
    if vmac_like:
        if inst.use_vmac and strict and inst.vmac_xmit_base:
            rep(Severity.GENERAL_ERROR, f"({n}) xmit_base is incompatible with strict mode - resetting")
            c["vmac_xmit_base"] = False
        if inst.promote_secondaries:
            rep(
                Severity.GENERAL_ERROR, f"({n}) promote_secondaries is automatically set for vmacs - ignoring"
            )
            c["promote_secondaries"] = False
    if inst.use_ipvlan and family == 4 and not inst.ipvlan_addr:
        rep(
            Severity.GENERAL_ERROR,
            f"({n}) IPv4 ipvlan requires a source ip address to be configured."
            " setting instance to fault state",
        )
        faults += 1
    tifs: list[TrackedInterface] = []
    for tif in inst.track_interfaces:
        if tif.name == inst.interface:
            rep(Severity.GENERAL_ERROR, f"({n}) Ignoring track_interface {tif.name} since own interface")
            continue
        tifs.append(tif)
    if c.get("vmac_xmit_base", inst.vmac_xmit_base) and not inst.use_vmac:
        rep(Severity.GENERAL_ERROR, f"({n}) vmac_xmit_base is only valid with a vmac")
        c["vmac_xmit_base"] = False

    if not vips:
        if version == 3 or family == 6 or strict:
            rep(Severity.GENERAL_ERROR, f"({n}) No VIP specified; at least one is required")
            raise _Stop
        rep(Severity.WARNING, f"({n}) No VIP specified; at least one is sensible")

    scripts = list(inst.track_scripts)
    files = list(inst.track_files)
    bfds = list(inst.track_bfds)
    sync_no_weight = sync is not None and not sync.sync_group_tracking_weight
    if sync_no_weight or priority == PRIO_OWNER:
        why = "SYNC group" if sync_no_weight else "address owner"
        why2 = "SYNC group" if sync_no_weight else "address_owner"
        kept: list[TrackedInterface] = []
        for tif in tifs:
            if tif.weight:
                rep(
                    Severity.GENERAL_ERROR,
                    f"({n}) ignoring {tif.name} tracked interface "
                    f"{'weight ' if sync_no_weight else ''}due to {why}",
                )
                if sync_no_weight:
                    kept.append(replace(tif, weight=0))
                continue
            kept.append(tif)
        tifs = kept
        new_scripts = []
        for sc in scripts:
            if sc.weight:
                rep(
                    Severity.GENERAL_ERROR,
                    f"({n}) ignoring tracked script {sc.name} with weights due to {why2}",
                )
                continue
            new_scripts.append(sc)
        scripts = new_scripts
        new_files = []
        for tf in files:
            if tf.weight == 1:
                rep(
                    Severity.GENERAL_ERROR,
                    f"({n}) ignoring weight from tracked file {tf.name} due to {why2}. specify weight 0",
                )
                new_files.append(replace(tf, weight=0))
            elif tf.weight:
                rep(
                    Severity.GENERAL_ERROR,
                    f"({n}) ignoring tracked file {tf.name} with weight {tf.weight} due to {why2}",
                )
            else:
                new_files.append(tf)
        files = new_files
        new_bfds = []
        for tb in bfds:
            if tb.weight:
                rep(
                    Severity.GENERAL_ERROR,
                    f"({n}) ignoring tracked bfd {tb.name} with weight {tb.weight} due to {why2}",
                )
                continue
            new_bfds.append(tb)
        bfds = new_bfds

    c.update(
        state=state,
        priority=priority,
        config_faults=faults,
        track_interfaces=tuple(tifs),
        track_scripts=tuple(scripts),
        track_files=tuple(files),
        track_bfds=tuple(bfds),
    )
    return replace(inst, **c)


def _is_unicast(inst: VrrpInstance) -> bool:
    return bool(inst.unicast_configured and inst.unicast_peers)


def _check_vrid_conflicts(vctx: ValidationContext, instances: tuple[VrrpInstance, ...]) -> bool:
    gd = vctx.config.global_defs
    had_error = False
    for i, a in enumerate(instances):
        for b in instances[i + 1 :]:
            if a.family != b.family or a.vrid != b.vrid:
                continue
            if _is_unicast(a) != _is_unicast(b):
                continue
            if _is_unicast(a):
                if a.interface and b.interface and a.interface != b.interface:
                    continue
                # Only configured source addresses are known without the kernel.
                if not a.src_ip or not b.src_ip or a.src_ip != b.src_ip:
                    continue
                if not {p.address for p in a.unicast_peers} & {p.address for p in b.unicast_peers}:
                    continue
                vctx.report(
                    Severity.GENERAL_ERROR, f"({a.name}) duplicate VRID conflict with {b.name} VRID {a.vrid}"
                )
                had_error = True
                continue
            if a.interface != b.interface:
                continue
            default = _g(gd, "vrrp_mcast_group4" if a.family == 4 else "vrrp_mcast_group6", None)
            if (a.mcast_dst_ip or default) != (b.mcast_dst_ip or default):
                continue
            vctx.report(
                Severity.GENERAL_ERROR,
                f"{a.name} and {b.name} both use VRID {a.vrid} with IPv{a.family} on interface {a.interface}",
            )
            had_error = True
    return had_error


def _sync_groups(
    vctx: ValidationContext, section: VrrpSection
) -> tuple[tuple[VrrpSyncGroup, ...], dict[str, VrrpSyncGroup]]:
    by_name = {i.name: i for i in section.instances}
    member_of: dict[str, VrrpSyncGroup] = {}
    groups: list[VrrpSyncGroup] = []
    for grp in section.sync_groups:
        if grp.members is None:
            vctx.report(Severity.GENERAL_ERROR, f"Sync group {grp.name} has no virtual router(s). removing")
            continue
        members: list[str] = []
        gstate = "INIT"
        for name in grp.members:
            inst = by_name.get(name)
            if inst is None:
                vctx.report(
                    Severity.GENERAL_ERROR,
                    f"Virtual router {name} specified in sync group {grp.name} doesn't exist - ignoring",
                )
                continue
            if name in member_of:
                vctx.report(
                    Severity.GENERAL_ERROR,
                    f"Virtual router {name} cannot exist in more than one sync group; ignoring {grp.name}",
                )
                continue
            members.append(name)
            if gstate == "MASTER" and inst.state == "BACKUP":
                vctx.report(
                    Severity.GENERAL_ERROR,
                    f"Sync group {grp.name} has some member(s) as address owner and some not as address "
                    "owner. This won't work.",
                )
            if gstate != "BACKUP":
                gstate = "MASTER" if inst.state == "MASTER" and inst.priority == PRIO_OWNER else "BACKUP"
            member_of[name] = grp
        if not members:
            vctx.report(
                Severity.GENERAL_ERROR,
                f"Sync group {grp.name}, no matching virtual router found in group declaration - removing",
            )
            for name in [k for k, v in member_of.items() if v is grp]:
                del member_of[name]
            continue
        if len(members) == 1:
            vctx.report(
                Severity.GENERAL_ERROR,
                f"Sync group {grp.name} has only 1 virtual router(s) - this probably isn't what you want",
            )
        new = replace(grp, members=tuple(members))
        for name in members:
            member_of[name] = new
        groups.append(new)
    return tuple(groups), member_of


def _sync_group_tracking(
    vctx: ValidationContext, groups: tuple[VrrpSyncGroup, ...], by_name: dict[str, VrrpInstance]
) -> tuple[VrrpSyncGroup, ...]:
    out = []
    for grp in groups:
        members = [by_name[m] for m in grp.members or () if m in by_name]
        owner = any(m.priority == PRIO_OWNER for m in members)
        if not owner:
            out.append(grp)
            continue
        g = grp.name
        out.append(
            replace(
                grp,
                track_scripts=_unweighted(vctx, g, grp.track_scripts, "script", "clearing weight"),
                track_files=_unweighted(vctx, g, grp.track_files, "file", "setting weight 0"),
                track_processes=_unweighted(vctx, g, grp.track_processes, "process", "setting weight 0"),
                track_bfds=_unweighted(vctx, g, grp.track_bfds, "bfd", "setting weight 0"),
                track_interfaces=_unweighted(vctx, g, grp.track_interfaces, "interface", "clearing weight"),
            )
        )
    return tuple(out)


_Ref = TypeVar("_Ref")


def _unweighted(
    vctx: ValidationContext, group: str, refs: tuple[_Ref, ...], kind: str, action: str
) -> tuple[_Ref, ...]:
    """A sync group with an address owner cannot have weighted trackers: clear each weight."""
    out: list[_Ref] = []
    for ref in refs:
        if getattr(ref, "weight", 0):
            vctx.report(
                Severity.GENERAL_ERROR,
                f"({group}) Cannot have weighted track {kind} '{getattr(ref, 'name', '')}' with member "
                f"having priority {PRIO_OWNER} - {action}",
            )
            ref = replace(ref, weight=0)  # type: ignore[type-var]
        out.append(ref)
    return tuple(out)


def _complete_failed(vctx: ValidationContext) -> None:
    """keepalived's vrrp_complete_init returned false: the VRRP process will not run."""
    vctx.config = replace(vctx.config, vrrp=replace(vctx.config.vrrp, complete_failed=True))


def validate(vctx: ValidationContext) -> None:
    """Report problems and apply keepalived's corrections to ``vctx.config``."""
    section = vctx.config.vrrp
    missing = (*vctx.config.static.nonexistent_interfaces, *section.missing_interfaces)
    if not section.instances and not section.sync_groups and not missing:
        check_vrrp_scripts(vctx)
        return
    # Tracker names are resolved at parse time in keepalived, so their messages come first.
    section = _resolve_trackers(vctx, section)
    vctx.config = replace(vctx.config, vrrp=section)
    if missing:
        # keepalived's VRRP process stops after parsing if any interface it was given is missing.
        names = ", ".join(dict.fromkeys(missing))
        vctx.report(
            Severity.BAD_IF,
            "Non-existent interface specified in configuration",
            hint=f"not found: {names}; add `dynamic_interfaces` to global_defs if they appear later",
        )
        _complete_failed(vctx)
        return
    check_vrrp_scripts(vctx)

    for inst in section.instances:
        if inst.vrid is None:
            vctx.report(Severity.GENERAL_ERROR, f"({inst.name}) the virtual router id must be set")
            _complete_failed(vctx)
            return
        if inst.interface is None:
            vctx.report(Severity.GENERAL_ERROR, f"({inst.name}) Unknown interface!")
            _complete_failed(vctx)
            return

    groups, member_of = _sync_groups(vctx, section)
    section = replace(section, sync_groups=groups)
    vctx.config = replace(vctx.config, vrrp=section)

    done: list[VrrpInstance] = []
    try:
        for inst in section.instances:
            done.append(_complete_instance(vctx, inst, member_of.get(inst.name)))
    except _Stop:
        _complete_failed(vctx)
        return
    instances = tuple(done)
    section = replace(section, instances=instances)
    vctx.config = replace(vctx.config, vrrp=section)

    if _check_vrid_conflicts(vctx, instances):
        _complete_failed(vctx)
        return

    by_name = {i.name: i for i in instances}
    section = replace(section, sync_groups=_sync_group_tracking(vctx, section.sync_groups, by_name))
    vctx.config = replace(vctx.config, vrrp=section)
