"""vrrp_sync_group on a simulated LAN: two hosts, each with a group of two instances
(VI_1 = VRID 51, VI_2 = VRID 52), every advert through the real codec, a virtual clock.

Times are integer microseconds (v2, 1 s adverts): Master_Down = 3 s + Skew_Time,
Skew_Time = (256 - P)/256 s truncated to microseconds.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

from keepalived_py.vrrp.instance import VrrpCore
from keepalived_py.vrrp.params import InstanceParams
from keepalived_py.vrrp.state import State
from keepalived_py.vrrp.sync_group import GroupChanged, GroupLog, MemberMoved, Step, SyncGroup
from tests.sim.lan import Lan, LossFn, Node

S = 1_000_000
DOWN = {100: 3_609_375, 150: 3_414_062, 200: 3_218_750}
SKEW = {100: 609_375, 150: 414_062, 200: 218_750}


def p(name: str, index: int, prio: int, host: int, **kw: Any) -> InstanceParams:
    base: dict[str, Any] = dict(
        name=name,
        vrid=50 + index,
        priority=prio,
        vips=(IPv4Address(f"192.0.2.{100 + index}"),),
        source_address=IPv4Address(f"192.0.2.{host}"),
        garp_master_delay_us=0,
    )
    base.update(kw)
    return InstanceParams(**base)


class Host:
    """One keepalived process: a sync group G1 over VI_1 and VI_2 (nodes ``<name>1``, ``<name>2``)."""

    def __init__(self, lan: Lan, name: str, host: int, prios: tuple[int, int], **kw: Any) -> None:
        self.lan = lan
        self.name = name
        self.nodes = {f"VI_{i}": f"{name}{i}" for i in (1, 2)}
        for i, prio in enumerate(prios, 1):
            lan.add(f"{name}{i}", p(f"VI_{i}", i, prio, host, **kw))
        self.group: SyncGroup | None = None
        self.group_history: list[tuple[int, str, str]] = []
        self.log: list[str] = []

    def start(self) -> None:
        cores = [VrrpCore(self.lan.nodes[n].params) for n in self.nodes.values()]
        self.group = SyncGroup("G1", cores)
        self.run(self.group.begin())
        for node, core in zip(self.nodes.values(), cores, strict=True):
            self.lan.start_core(node, core)

    def crash(self) -> None:
        for node in self.nodes.values():
            self.lan.crash(node)
        self.group = None

    def stop(self) -> None:
        assert self.group is not None
        for node in self.nodes.values():
            self.lan.stop(node)
        self.run(self.group.stop())

    def run(self, steps: list[Step]) -> None:
        for step in steps:
            if isinstance(step, MemberMoved):
                self.lan.flush(self.nodes[step.member])
            elif isinstance(step, GroupChanged):
                self.group_history.append((self.lan.now, step.old.value, step.new.value))
            elif isinstance(step, GroupLog):
                self.log.append(step.message)

    @property
    def state(self) -> State | None:
        return self.group.state if self.group is not None else None

    def states(self) -> list[State | None]:
        return [self.lan.nodes[n].state for n in self.nodes.values()]


def two_hosts(
    prios_a: tuple[int, int] = (100, 100),
    prios_b: tuple[int, int] = (200, 200),
    *,
    start: str = "AB",
    loss: LossFn | None = None,
    **kw: Any,
) -> tuple[Lan, Host, Host]:
    lan = Lan(loss=loss)
    a = Host(lan, "A", 1, prios_a, **kw)
    b = Host(lan, "B", 2, prios_b, **kw)
    by_node = {n: h for h in (a, b) for n in h.nodes.values()}

    def after_input(node: Node, prev: State) -> None:
        host = by_node[node.name]
        if host.group is not None and node.core is not None:
            host.run(host.group.after_input(node.core, prev, lan.now / 1e6))

    lan.after_input = after_input
    for h in (a, b):
        if h.name in start:
            h.start()
    return lan, a, b


def after(lan: Lan, t: int) -> list[tuple[int, str, str, str]]:
    return [x for x in lan.transitions() if x[0] > t]


def test_election_moves_both_instances_together() -> None:
    lan, a, b = two_hosts()
    lan.run_until(20 * S)
    assert lan.transitions() == [
        (0, "A1", "INIT", "BACKUP"),
        (0, "A2", "INIT", "BACKUP"),
        (0, "B1", "INIT", "BACKUP"),
        (0, "B2", "INIT", "BACKUP"),
        # B1's timer fires first but B2 does not want MASTER yet: B1 is held; B2's fires in
        # the same microsecond and takes B1 with it
        (DOWN[200], "B2", "BACKUP", "MASTER"),
        (DOWN[200], "B1", "BACKUP", "MASTER"),
    ]
    assert lan.masters() == ["B1", "B2"]
    assert b.group_history == [(0, "INIT", "BACKUP"), (DOWN[200], "BACKUP", "MASTER")]
    assert a.group_history == [(0, "INIT", "BACKUP")]
    assert b.log == ["VRRP_Group(G1) Syncing instances to MASTER state"]
    # both instances advertise every second from the takeover
    for node in ("B1", "B2"):
        assert [t for t, who, _ in lan.sent if who == node] == [DOWN[200] + k * S for k in range(17)]


def test_master_host_loss_moves_the_whole_group() -> None:
    lan, a, b = two_hosts()
    lan.run_until(10_500_000)
    b.crash()
    last = DOWN[200] + 7 * S  # B's last adverts
    lan.run_until(30 * S)
    assert after(lan, 10_500_000) == [
        (last + DOWN[100], "A2", "BACKUP", "MASTER"),
        (last + DOWN[100], "A1", "BACKUP", "MASTER"),
    ]
    assert a.group_history[-1] == (last + DOWN[100], "BACKUP", "MASTER")


def test_fault_of_one_master_instance_moves_the_whole_group() -> None:
    lan, a, b = two_hosts()
    lan.run_until(10_500_000)
    lan.set_fault("B1", True)  # e.g. B1's tracked interface went down
    t = 10_500_000
    # B1 leaves with priority 0 twice (FAULT + stop advert), B2 follows into FAULT with one
    assert [(who, prio) for when, who, prio in lan.sent if when == t] == [("B1", 0), ("B1", 0), ("B2", 0)]
    assert b.states() == [State.FAULT, State.FAULT]
    assert b.group_history[-1] == (t, "MASTER", "FAULT")
    lan.run_until(20 * S)
    # A hears priority 0 on both VRIDs and takes both over after Skew_Time
    assert after(lan, t) == [
        (t + SKEW[100], "A2", "BACKUP", "MASTER"),
        (t + SKEW[100], "A1", "BACKUP", "MASTER"),
    ]
    assert [x[1:] for x in lan.transitions() if x[0] == t] == [
        ("B1", "MASTER", "FAULT"),
        ("B2", "MASTER", "FAULT"),
    ]
    # the fault clears: B's group comes back as BACKUP, then preempts A as a unit
    lan.set_fault("B1", False)
    assert b.states() == [State.BACKUP, State.BACKUP]
    assert b.group_history[-1] == (20 * S, "FAULT", "BACKUP")
    lan.run_until(40 * S)
    assert lan.masters() == ["B1", "B2"]
    back = 20 * S + DOWN[200]
    assert after(lan, 20 * S) == [
        (back, "B2", "BACKUP", "MASTER"),
        (back, "B1", "BACKUP", "MASTER"),
        (back, "A2", "MASTER", "BACKUP"),
        (back, "A1", "MASTER", "BACKUP"),
    ]
    assert a.group_history[-1] == (back, "MASTER", "BACKUP")
    assert b.group_history[-1] == (back, "BACKUP", "MASTER")


def test_fault_on_the_backup_host_faults_its_group_until_the_last_member_recovers() -> None:
    lan, a, b = two_hosts()
    lan.run_until(10 * S)
    lan.set_fault("A2", True)
    assert a.states() == [State.FAULT, State.FAULT] and a.state is State.FAULT
    lan.set_fault("A1", True)
    lan.run_until(11 * S)
    b.crash()  # nobody takes over: A's group is down
    lan.run_until(25 * S)
    assert lan.masters() == []
    lan.set_fault("A2", False)  # A1 still down: the group stays in FAULT
    assert a.states() == [State.FAULT, State.FAULT]
    lan.set_fault("A1", False)
    assert a.states() == [State.BACKUP, State.BACKUP]
    lan.run_until(40 * S)
    assert after(lan, 25 * S - 1) == [
        (25 * S, "A1", "FAULT", "BACKUP"),
        (25 * S, "A2", "FAULT", "BACKUP"),
        (25 * S + DOWN[100], "A2", "BACKUP", "MASTER"),
        (25 * S + DOWN[100], "A1", "BACKUP", "MASTER"),
    ]
    assert a.group_history == [
        (0, "INIT", "BACKUP"),
        (10 * S, "BACKUP", "FAULT"),
        (25 * S, "FAULT", "BACKUP"),
        (25 * S + DOWN[100], "BACKUP", "MASTER"),
    ]


def test_preemption_of_a_group() -> None:
    lan, a, b = two_hosts(start="A")
    lan.run_until(10 * S)
    assert lan.masters() == ["A1", "A2"]
    b.start()
    lan.run_until(30 * S)
    take = 10 * S + DOWN[200]
    assert lan.masters() == ["B1", "B2"]
    assert sorted(after(lan, 10 * S)) == sorted(
        [
            (take, "B2", "BACKUP", "MASTER"),
            (take, "B1", "BACKUP", "MASTER"),
            (take, "A2", "MASTER", "BACKUP"),
            (take, "A1", "MASTER", "BACKUP"),
        ]
    )
    assert a.group_history[-1] == (take, "MASTER", "BACKUP")
    # only one of A's instances heard the higher priority first; the other was synced and
    # left without a priority-0 advert
    assert not [x for x in lan.sent if x[0] >= take and x[2] == 0]


def test_one_higher_member_does_not_preempt_the_group() -> None:
    """keepalived prefers BACKUP "to avoid thrashing": B1 outranks A1 but B2 does not outrank A2,
    so B1's expiring timer is held again and again and A keeps both VIPs."""
    lan, _a, b = two_hosts((150, 150), (200, 100), start="A")
    lan.run_until(10 * S)
    b.start()
    lan.run_until(60 * S)
    assert lan.masters() == ["A1", "A2"]
    assert b.group_history == [(10 * S, "INIT", "BACKUP")]
    assert lan.nodes["B1"].core is not None and lan.nodes["B1"].core.wantstate is State.MASTER


def test_one_silent_master_instance_is_not_taken_over_alone() -> None:
    """B1's adverts stop reaching A while B2's still arrive: A1 wants MASTER but A2 does not,
    so A's group stays BACKUP (keepalived's sync rule, not RFC 5798's per-VRID election)."""

    def loss(sender: str, receiver: str, now: int) -> bool:
        return sender == "B1" and receiver == "A1" and now > 10 * S

    lan, a, _b = two_hosts(loss=loss)
    lan.run_until(60 * S)
    assert lan.masters() == ["B1", "B2"]
    assert a.group_history == [(0, "INIT", "BACKUP")]


def test_orderly_stop_hands_the_group_over_after_skew() -> None:
    lan, _a, b = two_hosts()
    lan.run_until(10_500_000)
    b.stop()
    assert b.group_history[-1] == (10_500_000, "MASTER", "STOP")
    lan.run_until(20 * S)
    assert after(lan, 10_500_000 - 1) == [
        (10_500_000, "B1", "MASTER", "STOP"),
        (10_500_000, "B2", "MASTER", "STOP"),
        (10_500_000 + SKEW[100], "A2", "BACKUP", "MASTER"),
        (10_500_000 + SKEW[100], "A1", "BACKUP", "MASTER"),
    ]


def test_split_brain_heals_as_a_unit() -> None:
    """Partitioned, both hosts take both instances; once healed, the lower-priority host's
    first member to hear the higher master steps down and takes its other member along."""
    lan, a, b = two_hosts()
    lan.run_until(10 * S)
    lan.partition(("A1", "A2"), ("B1", "B2"))
    lan.run_until(20 * S)
    assert lan.masters() == ["A1", "A2", "B1", "B2"]
    lan.heal()
    lan.run_until(30 * S)
    assert lan.masters() == ["B1", "B2"]
    assert a.group_history[-1][1:] == ("MASTER", "BACKUP")
    steps = [x for x in lan.transitions() if x[1] in ("A1", "A2") and x[0] > 20 * S]
    assert len(steps) == 2 and steps[0][0] == steps[1][0]  # both in the same instant
    assert b.group_history[-1][1:] == ("BACKUP", "MASTER")


def test_three_members_move_together() -> None:
    lan = Lan()
    groups: dict[str, SyncGroup] = {}
    for host, prio in (("A", 100), ("B", 200)):
        for i in (1, 2, 3):
            lan.add(f"{host}{i}", p(f"VI_{i}", i, prio, 1 if host == "A" else 2))
    by_node: dict[str, tuple[str, SyncGroup]] = {}

    def after_input(node: Node, prev: State) -> None:
        host, group = by_node[node.name]
        assert node.core is not None
        for step in group.after_input(node.core, prev, lan.now / 1e6):
            if isinstance(step, MemberMoved):
                lan.flush(f"{host}{step.member[-1]}")

    lan.after_input = after_input
    for host in "AB":
        cores = [VrrpCore(lan.nodes[f"{host}{i}"].params) for i in (1, 2, 3)]
        groups[host] = SyncGroup("G1", cores)
        groups[host].begin()
        for i, core in enumerate(cores, 1):
            by_node[f"{host}{i}"] = (host, groups[host])
            lan.start_core(f"{host}{i}", core)
    lan.run_until(10 * S)
    assert lan.masters() == ["B1", "B2", "B3"]
    for i in (1, 2, 3):
        lan.crash(f"B{i}")
    lan.run_until(30 * S)
    assert lan.masters() == ["A1", "A2", "A3"]
    took = {t for t, who, _, new in lan.transitions() if who.startswith("A") and new == "MASTER"}
    assert took == {DOWN[200] + 6 * S + DOWN[100]}  # B's last adverts at 9.21875 s
