"""Wiring of accept mode's drop rules: which instances get them, one VipFilter per process.

keepalived 2.2.7 decides when an instance is completed: an instance that is neither in accept
mode nor the address owner gets drop rules for its VIPs and eVIPs while it is MASTER; without
``nftables`` in global_defs such an instance makes keepalived take the default table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from keepalived_py.adapters.vip_filter import InstanceFilter, VipFilter
from keepalived_py.config.model.global_defs import GlobalDefs
from keepalived_py.config.model.vrrp import VrrpInstance
from keepalived_py.runtime.vrrp_driver import VrrpDriver
from keepalived_py.vrrp.vip_filter_rules import (
    VmacLink,
    instance_entries,
    needs_filter,
    plan_options,
    vmac_families,
)

log = logging.getLogger(__name__)


def attach_firewall(
    drivers: Iterable[VrrpDriver],
    instances: dict[str, VrrpInstance],
    gd: GlobalDefs,
    *,
    detail: bool,
    ifindex: Callable[[str], int | None],
) -> VipFilter | None:
    """Give each driver that needs drop rules its InstanceFilter; None if none is needed."""
    drivers = tuple(drivers)
    vmacs = {
        d.name: VmacLink(d.vip_ifname, inst.interface, ifindex(d.vip_ifname) or 0)
        for d in drivers
        if (inst := instances.get(d.name)) is not None
        and inst.use_vmac
        and inst.interface
        and d.vip_ifname != inst.interface
    }
    # keepalived wants a firewall for an instance without accept mode, or with a VMAC
    options, logs = plan_options(gd, (d.core.params.accept and d.name not in vmacs for d in drivers))
    for line in logs:
        log.info("%s", line)
    if options is None:
        return None
    vip_filter = VipFilter(options)
    filtered = [
        d for d in drivers if needs_filter(accept=d.core.params.accept, priority=d.core.params.priority)
    ]
    if vmacs or filtered:
        vip_filter.prepare()
    for driver in drivers:
        inst = instances.get(driver.name)
        vmac = vmacs.get(driver.name)
        if inst is not None and vmac is not None:
            evips = (entry.family for entry in inst.virtual_ipaddresses_excluded)
            families = vmac_families(
                driver.core.params.family, evips, disable_local_igmp=gd.disable_local_igmp
            )
            vip_filter.add_vmac(vmac, families)
    for driver in filtered:
        inst = instances.get(driver.name)
        if inst is None:
            continue
        entries = instance_entries(
            inst, options, ifindex=lambda name: ifindex(name) or 0, own_ifname=driver.vip_ifname
        )
        driver.firewall = InstanceFilter(vip_filter, driver.name, entries, detail=detail)
    return vip_filter


async def close_firewall(vip_filter: VipFilter | None) -> None:
    """At exit, also after an error: the tables go (keepalived's nft_end)."""
    if vip_filter is not None:
        vip_filter.close()
