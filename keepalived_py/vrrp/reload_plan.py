"""What a reload (SIGHUP) does to the running instances, decided from the two configurations.

keepalived matches each running instance with one of the new configuration by what makes it the
same VRRP router on the wire, not by its name (vrrp.c vrrp_exist): the same VRID, address family
and interface, both unicast or both multicast; two unicast instances must use the same source
address; two multicast ones the same group (a different group, or a VMAC added or removed, means
"not the same", and the search stops there).  A matched instance keeps its state (a master stays
master and keeps its addresses, adding new VIPs and removing the ones no longer configured); an
old instance without a match is stopped as if deleted; a new one without a match starts as at
start-up.  This module is that decision, pure, with the address differences for each match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from keepalived_py.config.model.vrrp import VrrpInstance

_DEFAULT_GROUP = {4: "224.0.0.18", 6: "ff02::12"}


@dataclass(frozen=True, slots=True)
class Match:
    old: VrrpInstance
    new: VrrpInstance
    # configured entries (addresses, routes, rules) of the old instance that the new one lacks
    removed_vips: tuple[object, ...]
    removed_routes: tuple[object, ...]
    removed_rules: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class ReloadPlan:
    matches: tuple[Match, ...]
    removed: tuple[VrrpInstance, ...]  # running instances that go away
    added: tuple[VrrpInstance, ...]  # new instances that start


def _family(inst: VrrpInstance) -> int:
    return inst.family or 4


def _group(inst: VrrpInstance, default4: str, default6: str) -> str:
    return inst.mcast_dst_ip or (default6 if _family(inst) == 6 else default4)


def find_match(
    old: VrrpInstance,
    candidates: Iterable[VrrpInstance],
    *,
    groups: tuple[str, str] = (_DEFAULT_GROUP[4], _DEFAULT_GROUP[6]),
    new_groups: tuple[str, str] | None = None,
) -> VrrpInstance | None:
    """keepalived's vrrp_exist(old, new list)."""
    new_groups = new_groups or groups
    for new in candidates:
        if new.vrid != old.vrid or _family(new) != _family(old) or new.interface != old.interface:
            continue
        if bool(new.unicast_peers) != bool(old.unicast_peers):
            continue
        if new.unicast_peers:
            if (new.src_ip or None) != (old.src_ip or None):
                continue
            return new
        if new.use_vmac != old.use_vmac or new.use_vmac_addr != old.use_vmac_addr:
            return None
        if _group(new, *new_groups) != _group(old, *groups):
            return None
        return new
    return None


def _missing(old: Sequence[object], new: Sequence[object]) -> tuple[object, ...]:
    return tuple(entry for entry in old if entry not in new)


def plan(
    old: Sequence[VrrpInstance],
    new: Sequence[VrrpInstance],
    *,
    old_groups: tuple[str, str] = (_DEFAULT_GROUP[4], _DEFAULT_GROUP[6]),
    new_groups: tuple[str, str] = (_DEFAULT_GROUP[4], _DEFAULT_GROUP[6]),
) -> ReloadPlan:
    """Match every running instance (``old``) against the new configuration's (``new``).

    ``*_groups`` are the global multicast groups (vrrp_mcast_group4/6) of each configuration.
    A new instance is matched at most once (the first old instance that finds it wins).
    """
    matches: list[Match] = []
    removed: list[VrrpInstance] = []
    taken: set[int] = set()
    for inst in old:
        free = [n for n in new if id(n) not in taken]
        found = find_match(inst, free, groups=old_groups, new_groups=new_groups)
        if found is None:
            removed.append(inst)
            continue
        taken.add(id(found))
        matches.append(
            Match(
                old=inst,
                new=found,
                removed_vips=_missing(
                    (*inst.virtual_ipaddresses, *inst.virtual_ipaddresses_excluded),
                    (*found.virtual_ipaddresses, *found.virtual_ipaddresses_excluded),
                ),
                removed_routes=_missing(inst.virtual_routes, found.virtual_routes),
                removed_rules=_missing(inst.virtual_rules, found.virtual_rules),
            )
        )
    added = tuple(n for n in new if id(n) not in taken)
    return ReloadPlan(matches=tuple(matches), removed=tuple(removed), added=added)
