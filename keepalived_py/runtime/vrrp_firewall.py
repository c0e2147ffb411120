"""Wiring of accept mode's drop rules: which instances get them, one VipFilter per process.

keepalived 2.2.7 decides when an instance is completed: an instance that is neither in accept
mode nor the address owner gets drop rules for its VIPs and eVIPs while it is MASTER; without
``nftables`` in global_defs such an instance makes keepalived take the default table.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from keepalived_py.adapters.vip_filter import InstanceFilter, VipFilter
from keepalived_py.config.model.global_defs import GlobalDefs
from keepalived_py.config.model.vrrp import VrrpInstance
from keepalived_py.runtime.vrrp_driver import VrrpDriver
from keepalived_py.vrrp.vip_filter_rules import instance_entries, needs_filter, plan_options

log = logging.getLogger(__name__)


def attach_firewall(
    drivers: Iterable[VrrpDriver],
    instances: dict[str, VrrpInstance],
    gd: GlobalDefs,
    loop: asyncio.AbstractEventLoop,
    *,
    detail: bool,
    ifindex: Callable[[str], int | None],
) -> VipFilter | None:
    """Give each driver that needs drop rules its InstanceFilter; None if none is needed."""
    drivers = tuple(drivers)
    options, logs = plan_options(gd, (d.core.params.accept for d in drivers))
    for line in logs:
        log.info("%s", line)
    if options is None:
        return None
    vip_filter = VipFilter(options)
    for driver in drivers:
        params = driver.core.params
        inst = instances.get(driver.name)
        if inst is None or not needs_filter(accept=params.accept, priority=params.priority):
            continue
        entries = instance_entries(
            inst, options, ifindex=lambda name: ifindex(name) or 0, own_ifname=driver.vip_ifname
        )
        driver.firewall = InstanceFilter(vip_filter, driver.name, entries, detail=detail)
    if any(driver.firewall is not None for driver in drivers):
        vip_filter.prepare()
    return vip_filter


async def close_firewall(vip_filter: VipFilter | None) -> None:
    """At exit, also after an error: the tables go (keepalived's nft_end)."""
    if vip_filter is not None:
        vip_filter.close()
