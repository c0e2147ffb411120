"""Wiring of vrrp_sync_groups into the VRRP daemon.

The rules are in ``vrrp/sync_group.py`` (pure).  Here: one ``SyncGroup`` per configured group
over its members' cores; after every input a member's driver was given (advert, timer, fault,
priority), the driver reports the state it was in and the group's orders are carried out in
keepalived's order: the other members' drivers run what their cores now hold (their own
notifies included), then the group's notifies (``Notifier.group``).

Start: a member whose weight-0 scripts have not reported keeps the whole group waiting
(keepalived's num_member_init), so a group's members start together once none waits; the
group's first notify comes before or after theirs as in keepalived (``members_first``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from keepalived_py.config.model import Config
from keepalived_py.config.model.vrrp import VrrpSyncGroup
from keepalived_py.runtime.vrrp_notify import Notifier
from keepalived_py.vrrp.state import State
from keepalived_py.vrrp.sync_group import GroupChanged, GroupLog, MemberMoved, Step, SyncGroup

if TYPE_CHECKING:
    from keepalived_py.runtime.vrrp_driver import VrrpDriver

log = logging.getLogger(__name__)


class SyncGroups:
    """Every vrrp_sync_group of the daemon and the drivers of their members."""

    def __init__(self, config: Config, notifier: Notifier) -> None:
        self.config = config
        self.notifier = notifier
        self.groups: dict[str, SyncGroup] = {}
        self._configs: dict[str, VrrpSyncGroup] = {}
        self._members: dict[str, list[VrrpDriver]] = {}
        self._group_of: dict[str, str] = {}
        self._drivers: dict[str, VrrpDriver] = {}
        self._begun: set[str] = set()
        # groups held at start until their members' weight-0 scripts reported
        self._waited: set[str] = set()

    def build(self, drivers: Sequence[VrrpDriver]) -> None:
        """After the drivers exist, before any starts (the group may change wantstates)."""
        by_name = {d.name: d for d in drivers}
        for cfg in self.config.vrrp.sync_groups:
            members = [by_name[m] for m in cfg.members or () if m in by_name]
            if not members:
                continue
            self.groups[cfg.name] = SyncGroup(cfg.name, [d.core for d in members])
            self._configs[cfg.name] = cfg
            self._members[cfg.name] = members
            for driver in members:
                self._group_of[driver.name] = cfg.name
                self._drivers[driver.name] = driver
                driver.on_input = self.after_input

    def group_of(self, name: str) -> str | None:
        return self._group_of.get(name)

    def start(self, driver: VrrpDriver, waiting: Collection[str]) -> None:
        """Start an instance that no longer waits; a group member starts with its whole group."""
        name = self._group_of.get(driver.name)
        if name is None:
            driver.start()
            return
        if name in self._begun:
            return
        members = self._members[name]
        if any(m.name in waiting for m in members):
            self._waited.add(name)
            return
        self._begun.add(name)
        group = self.groups[name]
        waited = name in self._waited
        steps = group.begin(waited=waited)
        if not steps:
            self.notifier.set_group_state(name, group.state.value)
        members_first = group.members_first(waited=waited)
        if not members_first:
            self._run(name, steps)
        if waited:
            # try_up_instance: the member whose scripts reported last comes up first and
            # brings the others up in the group's order
            members = [driver, *(m for m in members if m is not driver)]
        for member in members:
            member.start()
        if members_first:
            self._run(name, steps)

    def after_input(self, driver: VrrpDriver, prev: State) -> None:
        name = self._group_of.get(driver.name)
        if name is None or name not in self._begun:
            return
        self._run(name, self.groups[name].after_input(driver.core, prev, driver.loop.time()))

    def _run(self, name: str, steps: list[Step]) -> None:
        for step in steps:
            if isinstance(step, GroupLog):
                log.info("%s", step.message)
            elif isinstance(step, MemberMoved):
                self._drivers[step.member].flush()
            elif isinstance(step, GroupChanged) and step.new is not State.STOP:
                self.notifier.group(self._configs[name], step.new.value)
