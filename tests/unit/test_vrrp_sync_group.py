"""vrrp_sync_group: members move together, as keepalived 2.2.7's vrrp_sync.c.

v2 at 1 s, priority 100: Master_Down = 3.609375 s (exact: the core counts microseconds).
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

import pytest

from keepalived_py.vrrp.instance import (
    Action,
    Log,
    Notify,
    RemoveAddresses,
    SendAdvert,
    SendGratuitous,
    StateChanged,
    VrrpCore,
)
from keepalived_py.vrrp.packet import Advertisement
from keepalived_py.vrrp.params import InstanceParams
from keepalived_py.vrrp.state import Reason, State
from keepalived_py.vrrp.sync_group import GroupChanged, GroupLog, MemberMoved, SyncGroup

ME = IPv4Address("192.0.2.2")
PEER = IPv4Address("192.0.2.3")
T0 = 1000.0
DOWN = 3.609375


def params(i: int, **kw: Any) -> InstanceParams:
    base: dict[str, Any] = dict(
        name=f"VI_{i}",
        vrid=50 + i,
        priority=100,
        vips=(IPv4Address(f"192.0.2.{100 + i}"),),
        source_address=ME,
        garp_master_delay_us=0,
    )
    base.update(kw)
    return InstanceParams(**base)


def cores(n: int = 2, **kw: Any) -> list[VrrpCore]:
    return [VrrpCore(params(i + 1, **kw)) for i in range(n)]


def running(n: int = 2, **kw: Any) -> tuple[SyncGroup, list[VrrpCore]]:
    members = cores(n, **kw)
    group = SyncGroup("G1", members)
    group.begin()
    for m in members:
        m.start(T0)
        m.drain()
    return group, members


def adv(core: VrrpCore, prio: int) -> Advertisement:
    return Advertisement(
        version=2, vrid=core.params.vrid, priority=prio, adver_int=1, addresses=core.params.vips
    )


def notifies(actions: list[Action]) -> list[str]:
    return [a.kind for a in actions if isinstance(a, Notify)]


def changes(actions: list[Action]) -> list[tuple[State, State, Reason]]:
    return [(a.old, a.new, a.reason) for a in actions if isinstance(a, StateChanged)]


def prios_sent(actions: list[Action]) -> list[int]:
    return [a.adv.priority for a in actions if isinstance(a, SendAdvert)]


def quiet(actions: list[Action]) -> bool:
    """Nothing but log lines."""
    return all(isinstance(a, Log) for a in actions)


def timer(group: SyncGroup, core: VrrpCore, now: float) -> list[Any]:
    prev = core.state
    core.handle_timer(now)
    return group.after_input(core, prev, now)


def fault(group: SyncGroup, core: VrrpCore, on: bool, now: float) -> list[Any]:
    prev = core.state
    core.set_fault(on, now)
    return group.after_input(core, prev, now)


def both_master(group: SyncGroup, members: list[VrrpCore]) -> None:
    """Both timers fire: the first is held, the second takes the group to MASTER."""
    assert timer(group, members[0], T0 + DOWN) == []
    timer(group, members[1], T0 + DOWN)
    for m in members:
        m.drain()
    assert group.state is State.MASTER


# --- construction and start --------------------------------------------------------------------


def test_members_point_at_their_group() -> None:
    members = cores()
    group = SyncGroup("G1", members)
    assert group.state is State.BACKUP
    assert all(m.sync_group is group for m in members)
    assert group.members == tuple(members)


def test_empty_group_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        SyncGroup("G1", [])


def test_all_owners_wanting_master_make_a_master_group() -> None:
    members = cores(priority=255, initial_state="MASTER")
    group = SyncGroup("G1", members)
    assert group.state is State.MASTER
    assert group.begin() == []  # keepalived notifies no group starting as MASTER
    for m in members:
        m.start(T0)
        m.drain()
    # the owners' 1 us shortcut, and the group is already MASTER: no sync, no group notify
    for m in members:
        prev = m.state
        m.handle_timer(T0 + 0.000001)
        assert group.after_input(m, prev, T0 + 0.000001) == []
        assert m.state is State.MASTER and notifies(m.drain()) == ["MASTER"]


def test_a_master_wish_next_to_a_non_owner_becomes_backup() -> None:
    members = [
        VrrpCore(params(1, priority=255, initial_state="MASTER")),
        VrrpCore(params(2, initial_state="MASTER")),
    ]
    group = SyncGroup("G1", members)
    assert group.state is State.BACKUP
    assert [m.wantstate for m in members] == [State.BACKUP, State.BACKUP]
    group.begin()
    members[0].start(T0)
    # no owner shortcut any more: a normal backup start
    assert members[0].state is State.BACKUP and notifies(members[0].drain()) == ["BACKUP"]
    assert members[0].get_timer() == T0 + 3.003906


def test_begin_notifies_backup() -> None:
    group = SyncGroup("G1", cores())
    assert group.begin() == [GroupChanged("G1", State.INIT, State.BACKUP)]


def test_a_group_that_waited_for_its_scripts_logs_its_sync_to_backup() -> None:
    group = SyncGroup("G1", cores())
    assert group.begin(waited=True) == [
        GroupLog("VRRP_Group(G1) Syncing instances to BACKUP state"),
        GroupChanged("G1", State.INIT, State.BACKUP),
    ]
    assert group.members_first(waited=True) and not group.members_first()


def test_a_faulty_member_starts_the_whole_group_in_fault() -> None:
    members = cores()
    group = SyncGroup("G1", members)
    members[0].set_fault(True, T0)
    assert group.begin() == [GroupChanged("G1", State.INIT, State.FAULT)]
    assert group.members_first()
    for m in members:
        m.start(T0)
        acts = m.drain()
        assert m.state is State.FAULT and notifies(acts) == ["FAULT"]
        assert Log(f"({m.name}) Entering FAULT STATE (init)") in acts
        assert m.get_timer() is None
    # the healthy member has no fault of its own, it waits for the group
    assert not members[1].fault and members[1].wantstate is State.FAULT
    steps = fault(group, members[0], False, T0 + 1)
    assert steps == [
        GroupLog("VRRP_Group(G1) Syncing instances to BACKUP state"),
        MemberMoved("VI_2"),
        GroupChanged("G1", State.FAULT, State.BACKUP),
    ]
    assert [m.state for m in members] == [State.BACKUP, State.BACKUP]
    assert notifies(members[1].drain()) == ["BACKUP"]


def test_owner_group_in_fault_at_start_sends_fault_notify() -> None:
    members = cores(priority=255, initial_state="MASTER")
    group = SyncGroup("G1", members)
    members[1].set_fault(True, T0)
    assert group.begin() == [GroupChanged("G1", State.INIT, State.FAULT)]


# --- MASTER only all together ------------------------------------------------------------------


def test_first_timer_is_held_until_the_other_member_wants_master() -> None:
    group, (a, b) = running()
    assert timer(group, a, T0 + DOWN) == []
    assert a.state is State.BACKUP and a.wantstate is State.MASTER
    assert a.get_timer() == T0 + 2 * DOWN  # another full master-down interval
    # keepalived logs the timeout (-D) even when the group holds the member in BACKUP
    assert a.drain() == [Log("(VI_1) Receive advertisement timeout", detail=True)]
    steps = timer(group, b, T0 + DOWN + 0.1)
    assert steps == [
        GroupLog("VRRP_Group(G1) Syncing instances to MASTER state"),
        MemberMoved("VI_1"),
        GroupChanged("G1", State.BACKUP, State.MASTER),
    ]
    assert b.state is State.MASTER and notifies(b.drain()) == ["MASTER"]
    acts = a.drain()
    assert changes(acts) == [(State.BACKUP, State.MASTER, Reason.SYNC_GROUP)]
    assert notifies(acts) == ["MASTER"] and prios_sent(acts) == [100]
    assert a.get_timer() == T0 + DOWN + 1.1  # a master's advert timer


def test_held_member_that_hears_a_master_wants_backup_again() -> None:
    group, (a, b) = running()
    timer(group, a, T0 + DOWN)
    a.receive(adv(a, 100), src=PEER, ttl=255, now=T0 + 4)
    assert a.wantstate is State.BACKUP
    # now b's timer cannot take the group to MASTER
    assert timer(group, b, T0 + DOWN + 0.5) == []
    assert b.state is State.BACKUP and b.wantstate is State.MASTER
    assert group.state is State.BACKUP


def test_one_member_preempting_alone_does_not_move_the_group() -> None:
    """A lower-priority master on one VRID only: that member's timer fires, the other member
    still hears its master at an equal priority, so nothing moves (keepalived prefers backup)."""
    group, (a, b) = running()
    for k in range(1, 12):
        now = T0 + k
        a.receive(adv(a, 50), src=PEER, ttl=255, now=now)
        b.receive(adv(b, 100), src=PEER, ttl=255, now=now)
        for m in (a, b):
            prev = m.state
            m.handle_timer(now)
            assert group.after_input(m, prev, now) == []
    assert a.state is b.state is State.BACKUP and a.wantstate is State.MASTER


def test_group_of_three_goes_master_when_the_last_timer_fires() -> None:
    group, (a, b, c) = running(3)
    assert timer(group, b, T0 + DOWN) == []  # held: a and c do not want MASTER
    assert timer(group, c, T0 + DOWN) == []  # held: a does not want MASTER
    assert b.state is c.state is State.BACKUP
    steps = timer(group, a, T0 + DOWN)  # a: b and c want MASTER -> a goes, takes b and c
    assert steps == [
        GroupLog("VRRP_Group(G1) Syncing instances to MASTER state"),
        MemberMoved("VI_2"),
        MemberMoved("VI_3"),
        GroupChanged("G1", State.BACKUP, State.MASTER),
    ]
    assert [m.state for m in (a, b, c)] == [State.MASTER] * 3
    for m in (a, b, c):
        assert notifies(m.drain()) == ["MASTER"]


def test_a_member_left_behind_joins_on_its_own_timer_without_a_group_event() -> None:
    """The group is MASTER already when a member that was left behind becomes MASTER on its own
    timer: no sync, no group notify.  (Its instance notify is the one keepalived suppresses with
    notifies_sent; the Notifier applies that rule, the core still reports the transition.)"""
    group, members = running(2)
    b = members[1]
    both_master(group, members)
    b.wantstate = State.BACKUP
    b.sync_to_backup(T0 + 5)  # b alone back to BACKUP (as if told by a reload)
    b.drain()
    prev = b.state
    b.handle_timer(T0 + 5 + DOWN)
    assert group.after_input(b, prev, T0 + 5 + DOWN) == []
    acts = b.drain()
    assert b.state is State.MASTER and notifies(acts) == ["MASTER"]
    assert changes(acts) == [(State.BACKUP, State.MASTER, Reason.MASTER_DOWN)]


# --- MASTER -> BACKUP ----------------------------------------------------------------------------


def test_a_master_that_steps_down_takes_the_group_to_backup() -> None:
    group, members = running()
    a, b = members
    both_master(group, members)
    prev = a.state
    a.receive(adv(a, 200), src=PEER, ttl=255, now=T0 + 5)
    steps = group.after_input(a, prev, T0 + 5)
    assert steps == [
        GroupLog("VRRP_Group(G1) Syncing instances to BACKUP state"),
        MemberMoved("VI_2"),
        GroupChanged("G1", State.MASTER, State.BACKUP),
    ]
    assert notifies(a.drain()) == ["BACKUP"]
    acts = b.drain()
    assert changes(acts) == [(State.MASTER, State.BACKUP, Reason.SYNC_GROUP)]
    assert Log("(VI_2) Entering BACKUP STATE") in acts
    assert notifies(acts) == ["BACKUP"] and prios_sent(acts) == []  # no priority 0 from b
    assert RemoveAddresses(b.params.vips, ()) in acts
    assert b.get_timer() == T0 + 5 + DOWN


def test_backup_to_backup_moves_nothing() -> None:
    group, (a, _) = running()
    prev = a.state
    a.receive(adv(a, 100), src=PEER, ttl=255, now=T0 + 1)
    assert group.after_input(a, prev, T0 + 1) == []


# --- FAULT ---------------------------------------------------------------------------------------


def test_one_member_fault_faults_the_group() -> None:
    group, (a, b) = running()
    steps = fault(group, a, True, T0 + 1)
    assert steps == [
        GroupLog("VRRP_Group(G1) Syncing instances to FAULT state"),
        MemberMoved("VI_2"),
        GroupChanged("G1", State.BACKUP, State.FAULT),
    ]
    assert notifies(a.drain()) == ["FAULT"]
    acts = b.drain()
    assert changes(acts) == [(State.BACKUP, State.FAULT, Reason.SYNC_GROUP)]
    assert notifies(acts) == ["FAULT"]
    assert not any(isinstance(x, Log) and "Entering" in x.message for x in acts)  # keepalived's bodge
    assert b.get_timer() is None and not b.fault


def test_fault_of_a_master_member_releases_both() -> None:
    group, members = running()
    a, b = members
    both_master(group, members)
    fault(group, b, True, T0 + 5)
    acts_b = b.drain()
    assert prios_sent(acts_b) == [0, 0]  # leave_master(advF): FAULT advert + stop advert
    acts = a.drain()
    assert changes(acts) == [(State.MASTER, State.FAULT, Reason.SYNC_GROUP)]
    assert prios_sent(acts) == [0]  # keepalived sends priority 0 when a master enters FAULT
    assert RemoveAddresses(a.params.vips, ()) in acts and notifies(acts) == ["FAULT"]
    assert group.state is State.FAULT


def test_the_group_comes_up_when_the_last_fault_clears() -> None:
    group, (a, b) = running()
    fault(group, a, True, T0 + 1)
    b.drain()
    # b faults on its own too: it is already in FAULT, nothing moves, nothing is said
    assert fault(group, b, True, T0 + 2) == []
    assert notifies(b.drain()) == []
    a.drain()
    # a recovers first: b is still down, so a stays in FAULT
    assert fault(group, a, False, T0 + 3) == []
    assert a.state is State.FAULT and not a.fault and quiet(a.drain())
    steps = fault(group, b, False, T0 + 4)
    assert steps == [
        GroupLog("VRRP_Group(G1) Syncing instances to BACKUP state"),
        MemberMoved("VI_1"),
        GroupChanged("G1", State.FAULT, State.BACKUP),
    ]
    acts = a.drain()
    assert changes(acts) == [(State.FAULT, State.BACKUP, Reason.SYNC_GROUP)]
    assert notifies(acts) == ["BACKUP"] and Log("(VI_1) Entering BACKUP STATE") in acts
    assert notifies(b.drain()) == ["BACKUP"]
    assert a.get_timer() == b.get_timer() == T0 + 4 + DOWN


def test_a_synced_member_faulting_while_the_group_is_down_changes_nothing() -> None:
    group, (a, b) = running()
    fault(group, a, True, T0 + 1)
    assert fault(group, b, True, T0 + 2) == []
    # the group is already FAULT: b's own fault neither notifies nor syncs
    assert group.state is State.FAULT


def test_owner_group_comes_back_to_master() -> None:
    members = cores(priority=255, initial_state="MASTER")
    group = SyncGroup("G1", members)
    group.begin()
    a, b = members
    for m in members:
        m.start(T0)
        timer(group, m, T0 + 0.000001)
        m.drain()
    assert group.state is State.MASTER
    fault(group, a, True, T0 + 1)
    assert b.state is State.FAULT
    # a recovers: b does not want MASTER (it was told FAULT), so a comes back as BACKUP and the
    # group follows; then the owners' timers take the group to MASTER together
    steps = fault(group, a, False, T0 + 2)
    assert GroupChanged("G1", State.FAULT, State.BACKUP) in steps
    assert [a.state, b.state] == [State.BACKUP, State.BACKUP]
    t = T0 + 2
    for _ in range(4):
        for m in sorted(members, key=lambda m: m.get_timer() or 0):
            deadline = m.get_timer()
            assert deadline is not None
            t = max(t, deadline)
            timer(group, m, t)
        if group.state is State.MASTER:
            break
    assert [a.state, b.state] == [State.MASTER, State.MASTER]


def test_leaving_fault_straight_to_master_syncs_the_group() -> None:
    """try_up_instance: an owner leaving FAULT as MASTER takes the others to MASTER."""
    members = cores(priority=255, initial_state="MASTER")
    group = SyncGroup("G1", members)
    a, b = members
    a.set_fault(True, T0)
    group.begin()
    for m in members:
        m.start(T0)
        m.drain()
    # not reachable from a config (down_instance leaves wantstate FAULT): the code path only
    a.wantstate = b.wantstate = State.MASTER
    steps = fault(group, a, False, T0 + 1)
    assert a.state is State.MASTER
    assert steps == [
        GroupLog("VRRP_Group(G1) Syncing instances to MASTER state"),
        MemberMoved("VI_2"),
        GroupChanged("G1", State.FAULT, State.MASTER),
    ]
    assert changes(b.drain()) == [(State.FAULT, State.MASTER, Reason.SYNC_GROUP)]


def test_fault_to_fault_or_init_is_not_a_group_event() -> None:
    group, (a, _) = running()
    assert group.after_input(a, State.INIT, T0) == []
    fault(group, a, True, T0 + 1)
    assert group.after_input(a, State.FAULT, T0 + 2) == []


def test_stop_sends_the_group_stop() -> None:
    group, members = running()
    for m in members:
        m.shutdown(T0 + 1)
        assert notifies(m.drain()) == ["STOP"]
    assert group.stop() == [GroupChanged("G1", State.BACKUP, State.STOP)]
    assert group.state is State.STOP


def test_after_input_of_a_stranger_is_a_programming_error() -> None:
    group, _ = running()
    with pytest.raises(ValueError):
        group.after_input(VrrpCore(params(9)), State.BACKUP, T0)


# --- garp_lower_prio_repeat --------------------------------------------------------------------


def test_a_master_hearing_a_lower_priority_refreshes_the_other_members_addresses() -> None:
    """vrrp_state_master_rx: the other members with garp_lower_prio_repeat send theirs too."""
    group, members = running(3, garp_lower_prio_repeat=2, garp_lower_prio_delay_us=5_000_000)
    a, b, c = members
    timer(group, b, T0 + DOWN)
    timer(group, c, T0 + DOWN)
    timer(group, a, T0 + DOWN)
    for m in members:
        m.drain()
    prev = a.state
    a.receive(adv(a, 50), src=PEER, ttl=255, now=T0 + 5)
    assert group.after_input(a, prev, T0 + 5) == [MemberMoved("VI_2"), MemberMoved("VI_3")]
    assert SendGratuitous(a.params.vips, 2, "lower-prio") in a.drain()
    for m in (b, c):
        assert [x for x in m.drain() if isinstance(x, SendGratuitous)] == [
            SendGratuitous(m.params.vips, 2, "lower-prio")
        ]
    # and again after garp_lower_prio_delay
    b.handle_timer(T0 + 10)
    assert SendGratuitous(b.params.vips, 2, "lower-prio-delayed") in b.drain()
    # the next input reports no member twice
    prev = a.state
    a.handle_timer(T0 + 5.5)
    assert group.after_input(a, prev, T0 + 5.5) == []


def test_members_without_lower_prio_garps_are_left_alone() -> None:
    group, members = running(2, garp_lower_prio_repeat=0)
    both_master(group, members)
    a = members[0]
    prev = a.state
    a.receive(adv(a, 50), src=PEER, ttl=255, now=T0 + 5)
    assert group.after_input(a, prev, T0 + 5) == []
