"""runtime/vrrp_sync.py: the daemon's side of sync groups, with fake drivers and notifier."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any, cast

from keepalived_py.config.model import Config
from keepalived_py.config.model.vrrp import VrrpSection, VrrpSyncGroup
from keepalived_py.runtime.vrrp_sync import SyncGroups
from keepalived_py.vrrp.instance import Notify, StateChanged, VrrpCore
from keepalived_py.vrrp.params import InstanceParams
from keepalived_py.vrrp.state import State

T0 = 100.0


class FakeLoop:
    def __init__(self) -> None:
        self.now = T0

    def time(self) -> float:
        return self.now


class FakeDriver:
    def __init__(self, name: str, vrid: int, loop: FakeLoop, events: list[str]) -> None:
        self.name = name
        self.loop = loop
        self.events = events
        self.core = VrrpCore(
            InstanceParams(
                name=name,
                vrid=vrid,
                vips=(IPv4Address(f"192.0.2.{vrid}"),),
                source_address=IPv4Address("192.0.2.1"),
            )
        )
        self.on_input: Any = None

    def start(self) -> None:
        self.core.start(self.loop.time())
        self.flush()

    def flush(self) -> None:
        for action in self.core.drain():
            if isinstance(action, Notify):
                self.events.append(f"INSTANCE {self.name} {action.kind}")
            elif isinstance(action, StateChanged):
                self.events.append(f"{self.name} {action.old.value}->{action.new.value}")

    def fault(self, on: bool) -> None:
        prev = self.core.state
        self.core.set_fault(on, self.loop.time())
        self.flush()
        if self.on_input is not None:
            self.on_input(self, prev)

    def timer(self) -> None:
        prev = self.core.state
        deadline = self.core.get_timer()
        assert deadline is not None
        self.loop.now = deadline
        self.core.handle_timer(self.loop.time())
        self.flush()
        if self.on_input is not None:
            self.on_input(self, prev)


class FakeNotifier:
    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.states: dict[str, str] = {}

    def group(self, group: VrrpSyncGroup, state: str) -> None:
        self.states[group.name] = state
        self.events.append(f"GROUP {group.name} {state}")

    def set_group_state(self, name: str, state: str) -> None:
        self.states[name] = state


def setup(*names: str) -> tuple[SyncGroups, list[FakeDriver], list[str]]:
    events: list[str] = []
    loop = FakeLoop()
    drivers = [FakeDriver(n, 51 + i, loop, events) for i, n in enumerate(names)]
    config = Config(vrrp=VrrpSection(sync_groups=(VrrpSyncGroup("G1", members=("VI_1", "VI_2")),)))
    groups = SyncGroups(config, cast(Any, FakeNotifier(events)))
    groups.build(cast(Any, drivers))
    return groups, drivers, events


def test_members_start_together_after_the_group_notify() -> None:
    groups, (a, b, c), events = setup("VI_1", "VI_2", "VI_3")
    assert groups.group_of("VI_1") == "G1" and groups.group_of("VI_3") is None
    assert a.on_input is not None and c.on_input is None
    groups.start(cast(Any, c), ())  # not in a group: started alone
    groups.start(cast(Any, a), {"VI_2"})  # VI_2 waits for its scripts: nobody in G1 starts
    assert a.core.state is State.INIT
    groups.start(cast(Any, b), ())
    # the group waited for VI_2's scripts: VI_2 comes up first and brings VI_1, then the group
    # is announced (keepalived's try_up_instance)
    assert events == [
        "VI_3 INIT->BACKUP",
        "INSTANCE VI_3 BACKUP",
        "VI_2 INIT->BACKUP",
        "INSTANCE VI_2 BACKUP",
        "VI_1 INIT->BACKUP",
        "INSTANCE VI_1 BACKUP",
        "GROUP G1 BACKUP",
    ]
    groups.start(cast(Any, a), ())  # already running: nothing again
    assert len(events) == 7


def test_orders_run_on_the_other_members_before_the_group_notify() -> None:
    groups, (a, b), events = setup("VI_1", "VI_2")
    groups.start(cast(Any, a), ())
    events.clear()
    a.timer()  # held
    b.timer()  # takes the group
    assert events == [
        "VI_2 BACKUP->MASTER",
        "INSTANCE VI_2 MASTER",
        "VI_1 BACKUP->MASTER",
        "INSTANCE VI_1 MASTER",
        "GROUP G1 MASTER",
    ]
    events.clear()
    a.fault(True)
    assert events == [
        "VI_1 MASTER->FAULT",
        "INSTANCE VI_1 FAULT",
        "VI_2 MASTER->FAULT",
        "INSTANCE VI_2 FAULT",
        "GROUP G1 FAULT",
    ]


def test_inputs_before_the_group_started_are_ignored() -> None:
    groups, (a, _), events = setup("VI_1", "VI_2")
    a.fault(True)  # INIT: the core records it, the group has not begun
    assert events == []
    groups.start(cast(Any, a), ())
    # a group starting in FAULT is announced after its members (vrrp_complete_init)
    assert events == [
        "VI_1 INIT->FAULT",
        "INSTANCE VI_1 FAULT",
        "VI_2 INIT->FAULT",
        "INSTANCE VI_2 FAULT",
        "GROUP G1 FAULT",
    ]


def test_a_backup_group_is_announced_before_its_members() -> None:
    groups, (a, _), events = setup("VI_1", "VI_2")
    groups.start(cast(Any, a), ())
    assert events == [
        "GROUP G1 BACKUP",
        "VI_1 INIT->BACKUP",
        "INSTANCE VI_1 BACKUP",
        "VI_2 INIT->BACKUP",
        "INSTANCE VI_2 BACKUP",
    ]


def test_an_all_owner_group_starts_master_silently() -> None:
    events: list[str] = []
    loop = FakeLoop()
    drivers = [FakeDriver(n, 51 + i, loop, events) for i, n in enumerate(("VI_1", "VI_2"))]
    for d in drivers:
        d.core = VrrpCore(
            InstanceParams(name=d.name, vrid=d.core.params.vrid, priority=255, initial_state="MASTER")
        )
    notifier = FakeNotifier(events)
    config = Config(vrrp=VrrpSection(sync_groups=(VrrpSyncGroup("G1", members=("VI_1", "VI_2")),)))
    groups = SyncGroups(config, cast(Any, notifier))
    groups.build(cast(Any, drivers))
    groups.start(cast(Any, drivers[0]), ())
    assert notifier.states == {"G1": "MASTER"} and not any(e.startswith("GROUP") for e in events)
