"""VRRP instance core: keepalived 2.2.7's state machine driven with a virtual clock.

Times are exact: the core works in integer microseconds, so every deadline is asserted with ==.
v2 at 1 s, priority 100: Skew_Time = 156/256 s = 0.609375 s, Master_Down = 3.609375 s.
"""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

import pytest

from keepalived_py.vrrp.instance import (
    AddAddresses,
    CoreMisuse,
    Log,
    Notify,
    RemoveAddresses,
    RxResult,
    SendAdvert,
    SendGratuitous,
    StateChanged,
    VrrpCore,
)
from keepalived_py.vrrp.packet import Advertisement
from keepalived_py.vrrp.params import AUTH_PASS, InstanceParams, PeerParams
from keepalived_py.vrrp.state import IllegalTransition, Reason, State, check_transition, to_dot
from keepalived_py.vrrp.timers import master_down_us, skew_min_us, skew_time_us

VIP = IPv4Address("192.0.2.100")
ME = IPv4Address("192.0.2.2")
LOW = IPv4Address("192.0.2.1")
HIGH = IPv4Address("192.0.2.3")
T0 = 1000.0


def params(**kw: Any) -> InstanceParams:
    base: dict[str, Any] = dict(
        name="VI_1", vrid=51, priority=100, vips=(VIP,), source_address=ME, garp_master_delay_us=0
    )
    base.update(kw)
    return InstanceParams(**base)


def adv(prio: int = 100, **kw: Any) -> Advertisement:
    base: dict[str, Any] = dict(version=2, vrid=51, priority=prio, adver_int=1, addresses=(VIP,))
    base.update(kw)
    return Advertisement(**base)


def started(**kw: Any) -> VrrpCore:
    core = VrrpCore(params(**kw))
    core.start(T0)
    core.drain()
    return core


def master(**kw: Any) -> VrrpCore:
    core = started(**kw)
    t = core.get_timer()
    assert t is not None
    core.handle_timer(t)
    core.drain()
    assert core.state is State.MASTER
    return core


def state_of(core: VrrpCore) -> State:
    """The state, read through a call so that mypy does not narrow it across inputs."""
    return core.state


def kinds(actions: list[Any]) -> list[str]:
    return [type(a).__name__ for a in actions]


def sent(actions: list[Any]) -> list[int]:
    return [a.adv.priority for a in actions if isinstance(a, SendAdvert)]


# --- timers --------------------------------------------------------------------------------


def test_skew_and_down_interval_v2() -> None:
    assert skew_time_us(2, 100, 1_000_000) == 609_375
    assert skew_time_us(2, 254, 5_000_000) == 7_812  # v2 skew ignores the interval
    assert skew_time_us(2, 1, 1_000_000) == 996_093
    assert master_down_us(2, 100, 1_000_000) == 3_609_375
    assert master_down_us(2, 100, 2_000_000, 5) == 10_609_375
    assert skew_min_us(2, 1_000_000) == 3_906


def test_skew_and_down_interval_v3() -> None:
    # ((256 - P) * Master_Adver_Interval) / 256 with the interval in centiseconds
    assert skew_time_us(3, 100, 1_000_000) == 609_375
    assert skew_time_us(3, 100, 100_000) == 60_937  # 0.1 s: 60937.5 truncated
    assert skew_time_us(3, 200, 50_000) == 10_937
    assert master_down_us(3, 100, 100_000) == 360_937
    assert skew_min_us(3, 100_000) == 390


# --- state table -----------------------------------------------------------------------------


def test_transition_table_refuses_unknown() -> None:
    check_transition(State.BACKUP, State.MASTER, Reason.MASTER_DOWN)
    with pytest.raises(IllegalTransition):
        check_transition(State.INIT, State.MASTER, Reason.MASTER_DOWN)
    with pytest.raises(IllegalTransition):
        check_transition(State.STOP, State.BACKUP, Reason.START)
    with pytest.raises(IllegalTransition):
        check_transition(State.BACKUP, State.MASTER, Reason.HIGHER_PRIORITY)
    dot = to_dot()
    assert 'BACKUP -> MASTER [label="master down timer expired\\nsync group"]' in dot
    assert "STOP ->" not in dot


def test_core_refuses_illegal_transition() -> None:
    core = started()
    with pytest.raises(IllegalTransition):
        core._set_state(State.INIT, Reason.START)


def test_params_validate_themselves() -> None:
    for bad in (
        dict(version=4),
        dict(family=5),
        dict(vrid=0),
        dict(priority=0),
        dict(initial_state="FAULT"),
        dict(advert_int_us=1_500_000),
        dict(version=3, advert_int_us=41_000_000),
        dict(down_timer_adverts=0),
        dict(auth_data=b"x"),
        dict(auth_type=7),
    ):
        with pytest.raises(ValueError):
            params(**bad)
    assert params(version=3, advert_int_us=100_000).advert_int_field == 10
    assert params(priority=255).owner


# --- start -----------------------------------------------------------------------------------


def test_start_backup() -> None:
    core = VrrpCore(params())
    assert core.get_timer() is None
    core.start(T0)
    assert core.drain() == [
        Log("(VI_1) Entering BACKUP STATE (init)"),
        StateChanged(State.INIT, State.BACKUP, Reason.START),
        Notify("BACKUP", 100),
    ]
    assert core.get_timer() == T0 + 3.609375
    with pytest.raises(CoreMisuse):
        core.start(T0)


def test_master_down_timer_to_master() -> None:
    core = started(garp_master_delay_us=5_000_000)
    core.handle_timer(T0 + 3.609374)
    assert core.drain() == [] and core.state is State.BACKUP
    core.handle_timer(T0 + 3.609375)
    acts = core.drain()
    assert acts == [
        Log("(VI_1) Receive advertisement timeout", detail=True),
        StateChanged(State.BACKUP, State.MASTER, Reason.MASTER_DOWN),
        SendAdvert(adv(100)),
        Log("(VI_1) Entering MASTER STATE"),
        AddAddresses((VIP,), ()),
        SendGratuitous((VIP,), 5, "master"),
        Notify("MASTER", 100),
    ]
    assert core.counters.become_master == 1 and core.counters.advert_sent == 1
    # adverts every advert_int, the delayed GARP burst garp_master_delay later
    assert core.get_timer() == T0 + 4.609375
    core.handle_timer(T0 + 4.609375)
    assert sent(core.drain()) == [100]
    for k in (5, 6, 7):
        core.handle_timer(T0 + k + 0.609375)
        assert sent(core.drain()) == [100]
    assert core.get_timer() == T0 + 8.609375
    core.handle_timer(T0 + 8.609375)
    assert kinds(core.drain()) == ["SendAdvert", "SendGratuitous"]


def test_owner_goes_master_after_one_microsecond() -> None:
    core = VrrpCore(params(priority=255, initial_state="MASTER"))
    core.start(T0)
    assert core.drain() == [StateChanged(State.INIT, State.BACKUP, Reason.START)]
    assert core.get_timer() == T0 + 0.000001
    core.handle_timer(T0 + 0.000001)
    assert core.state is State.MASTER
    assert sent(core.drain()) == [255]


def test_non_owner_configured_master_waits_down_interval() -> None:
    core = VrrpCore(params(initial_state="MASTER"))
    core.start(T0)
    assert core.state is State.BACKUP and core.get_timer() == T0 + 3.609375


def test_startup_delay() -> None:
    core = VrrpCore(params(startup_delay_us=10_000_000))
    core.start(T0)
    assert core.get_timer() == T0 + 13.609375
    core.drain()
    # an advert during the delay restarts the timer from the end of the delay
    core.receive(adv(120), src=HIGH, ttl=255, now=T0 + 5)
    assert core.get_timer() == T0 + 13.609375
    core.receive(adv(120), src=HIGH, ttl=255, now=T0 + 12)
    assert core.get_timer() == T0 + 15.609375
    owner = VrrpCore(params(priority=255, initial_state="MASTER", startup_delay_us=2_000_000))
    owner.start(T0)
    assert owner.get_timer() == T0 + 2.000001


def test_fault_before_start() -> None:
    core = VrrpCore(params())
    core.set_fault(True, T0)
    core.start(T0)
    assert core.drain() == [
        Log("(VI_1) Entering FAULT STATE (init)"),
        StateChanged(State.INIT, State.FAULT, Reason.START),
        Notify("FAULT", 100),
    ]
    assert core.get_timer() is None
    core.set_fault(False, T0 + 1)
    assert core.state is State.BACKUP and core.get_timer() == T0 + 4.609375


def test_receive_before_start_ignored() -> None:
    core = VrrpCore(params())
    assert core.receive(adv(), src=HIGH, ttl=255, now=T0) is None
    assert core.counters.advert_rcvd == 0


# --- backup --------------------------------------------------------------------------------


def test_backup_accepts_higher_and_restarts_timer() -> None:
    core = started()
    assert core.receive(adv(150), src=HIGH, ttl=255, now=T0 + 2) is RxResult.OK
    assert core.get_timer() == T0 + 5.609375
    assert (core.master_address, core.master_priority) == (HIGH, 150)
    assert core.counters.advert_rcvd == 1
    # equal priority is accepted too (no IP tie-break in backup)
    core.receive(adv(100), src=LOW, ttl=255, now=T0 + 3)
    assert core.get_timer() == T0 + 6.609375


def test_backup_priority_zero_takeover_after_skew() -> None:
    core = started()
    core.receive(adv(150), src=HIGH, ttl=255, now=T0 + 2)
    core.receive(adv(0), src=HIGH, ttl=255, now=T0 + 2.5)
    assert core.counters.pri_zero_rcvd == 1
    assert core.get_timer() == T0 + 2.5 + 0.609375
    core.handle_timer(T0 + 3.109375)
    assert core.state is State.MASTER


def test_backup_discards_lower_priority() -> None:
    core = started()
    core.receive(adv(150), src=HIGH, ttl=255, now=T0 + 1)
    core.drain()
    core.receive(adv(50), src=LOW, ttl=255, now=T0 + 2)
    assert core.drain() == [Log("(VI_1) received lower priority (50) advert from 192.0.2.1 - discarding")]
    assert core.get_timer() == T0 + 4.609375  # unchanged
    assert core.master_address == LOW  # recorded, as keepalived does for SNMP
    core.handle_timer(T0 + 4.609375)
    assert core.state is State.MASTER


def test_nopreempt_accepts_lower_priority() -> None:
    core = started(nopreempt=True)
    core.receive(adv(50), src=LOW, ttl=255, now=T0 + 2)
    assert core.get_timer() == T0 + 5.609375


def test_preempt_delay() -> None:
    core = started(preempt_delay_us=5_000_000)
    # first lower advert starts the delay and is accepted
    core.receive(adv(50), src=LOW, ttl=255, now=T0 + 1)
    assert core.get_timer() == T0 + 4.609375
    core.receive(adv(50), src=LOW, ttl=255, now=T0 + 5.5)  # within the delay: accepted
    assert core.get_timer() == T0 + 9.109375
    core.drain()
    core.receive(adv(50), src=LOW, ttl=255, now=T0 + 6.5)  # delay over: discarded, timer runs
    assert kinds(core.drain()) == ["Log"]
    assert core.get_timer() == T0 + 9.109375
    core.handle_timer(T0 + 9.109375)
    assert core.state is State.MASTER


def test_preempt_delay_cancelled_by_higher() -> None:
    core = started(preempt_delay_us=5_000_000)
    core.receive(adv(50), src=LOW, ttl=255, now=T0 + 1)
    core.receive(adv(150), src=HIGH, ttl=255, now=T0 + 2)  # stops the delay
    core.receive(adv(50), src=LOW, ttl=255, now=T0 + 3)  # restarts it: accepted
    assert core.get_timer() == T0 + 6.609375
    core.receive(adv(50), src=LOW, ttl=255, now=T0 + 7.5)  # still within 3 + 5
    assert core.get_timer() == T0 + 11.109375


def test_v3_backup_adopts_master_interval() -> None:
    core = started(version=3, advert_int_us=100_000)
    assert core.get_timer() == T0 + 0.360937
    core.receive(adv(150, version=3, adver_int=100), src=HIGH, ttl=255, now=T0 + 0.2)
    assert core.master_adver_int_us == 1_000_000
    assert core.get_timer() == T0 + 0.2 + 3.609375
    # v3 interval mismatch is not an error
    assert core.counters.advert_interval_err == 0


def test_effective_priority_moves_backup_timer() -> None:
    core = started()
    core.set_effective_priority(150, T0 + 1)
    # skew shrinks from 156/256 s to 106/256 s (truncated to 414062 us)
    assert core.get_timer() == T0 + 3.414062
    assert core.drain() == [Log("(VI_1) Changing effective priority from 100 to 150")]
    core.set_effective_priority(150, T0 + 1)
    assert core.drain() == []
    core.set_effective_priority(400, T0 + 1)
    assert core.effective_priority == 254
    core.set_effective_priority(-5, T0 + 1)
    assert core.effective_priority == 1
    owner = started(priority=255, initial_state="MASTER")
    owner.set_effective_priority(10, T0)
    assert owner.effective_priority == 255


def test_priority_change_notify() -> None:
    core = started(notify_priority_changes=True)
    core.set_effective_priority(120, T0)
    assert core.drain()[-1] == Notify("BACKUP_PRIORITY", 120)


# --- master --------------------------------------------------------------------------------


def test_master_higher_priority_goes_backup() -> None:
    core = master()
    t = T0 + 4
    assert core.receive(adv(150), src=LOW, ttl=255, now=t) is RxResult.OK
    assert core.drain() == [
        Log("(VI_1) Master received advert from 192.0.2.1 with higher priority 150, ours 100"),
        Log("(VI_1) Entering BACKUP STATE"),
        RemoveAddresses((VIP,), ()),
        StateChanged(State.MASTER, State.BACKUP, Reason.HIGHER_PRIORITY),
        Notify("BACKUP", 100),
    ]
    assert core.counters.release_master == 1
    assert core.get_timer() == t + 3.609375


def test_master_equal_priority_tie_break() -> None:
    core = master()
    core.receive(adv(100), src=LOW, ttl=255, now=T0 + 4)
    acts = core.drain()
    assert acts == [
        Log("(VI_1) Received advert from 192.0.2.1 with lower priority 100, ours 100, forcing new election"),
        SendAdvert(adv(100)),
        SendGratuitous((VIP,), 5, "lower-prio"),
        Notify("MASTER_RX_LOWER_PRI", 100),
    ]
    assert core.state is State.MASTER
    # the advert just sent restarts the advert timer; the delayed GARP comes 5 s later
    assert core.get_timer() == T0 + 5
    core.receive(adv(100), src=HIGH, ttl=255, now=T0 + 4.5)
    assert state_of(core) is State.BACKUP
    assert core.drain()[0] == Log(
        "(VI_1) Master received advert from 192.0.2.3 with same priority 100 but higher IP address than ours"
    )
    # no delayed GARP once the addresses are gone
    core.receive(adv(100), src=HIGH, ttl=255, now=T0 + 8)
    core.drain()
    core.handle_timer(T0 + 9)
    assert not [a for a in core.drain() if isinstance(a, SendGratuitous)]


def test_master_lower_priority_delayed_garp() -> None:
    core = master(garp_lower_prio_delay_us=2_000_000, garp_lower_prio_repeat=2)
    core.receive(adv(50), src=LOW, ttl=255, now=T0 + 4)
    assert [a for a in core.drain() if isinstance(a, SendGratuitous)] == [
        SendGratuitous((VIP,), 2, "lower-prio")
    ]
    core.handle_timer(T0 + 5)
    core.drain()
    core.handle_timer(T0 + 6)
    assert SendGratuitous((VIP,), 2, "lower-prio-delayed") in core.drain()


def test_master_lower_prio_no_advert() -> None:
    core = master(lower_prio_no_advert=True, garp_lower_prio_repeat=0)
    before = core.get_timer()
    core.receive(adv(50), src=LOW, ttl=255, now=T0 + 4)
    assert core.drain() == [
        Log("(VI_1) Received advert from 192.0.2.1 with lower priority 50, ours 100"),
        Notify("MASTER_RX_LOWER_PRI", 100),
    ]
    assert core.get_timer() == before  # no advert sent, so the timer is not restarted


def test_master_priority_zero_sends_advert() -> None:
    core = master()
    core.receive(adv(0), src=LOW, ttl=255, now=T0 + 4)
    assert core.drain() == [
        SendAdvert(adv(100)),
        Log("(VI_1) Master received priority 0 message", detail=True),
    ]
    assert core.get_timer() == T0 + 5 and core.state is State.MASTER


def test_master_refused_packet_leaves_advert_timer() -> None:
    # keepalived re-arms the master's timer after every packet read, even a refused one, so a
    # flood of invalid adverts silences it; ours re-arms only for a valid advert
    core = master()
    before = core.get_timer()
    core.receive(adv(50, adver_int=2), src=LOW, ttl=255, now=T0 + 4)
    assert core.get_timer() == before
    core.receive(adv(50), src=LOW, ttl=254, now=T0 + 4.2)
    assert core.get_timer() == before
    core.receive(adv(50), src=LOW, ttl=255, now=T0 + 4.5)  # valid, lower priority: advert sent
    assert core.get_timer() == T0 + 5.5


def test_backup_refused_packet_leaves_down_timer() -> None:
    # a flood of refused adverts cannot hold a backup once its master is gone
    core = started()
    before = core.get_timer()
    for k in range(10):
        core.receive(adv(150, type=2), src=HIGH, ttl=255, now=T0 + 1 + k / 10)
    assert core.get_timer() == before


def test_higher_prio_send_advert() -> None:
    core = master(higher_prio_send_advert=True)
    core.receive(adv(150, version=2), src=LOW, ttl=255, now=T0 + 4)
    acts = core.drain()
    assert kinds(acts)[:2] == ["SendAdvert", "Log"] and core.state is State.BACKUP


def test_two_address_owners() -> None:
    core = master(priority=255, initial_state="MASTER")
    # whatever the addresses, the owner drops to 254 and then yields to the other 255
    core.receive(adv(255), src=LOW, ttl=255, now=T0 + 4)
    acts = core.drain()
    assert (
        Log(
            "(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address "
            "owner, please fix - reducing local priority"
        )
        in acts
    )
    assert core.state is State.BACKUP and core.base_priority == 254


def test_equal_priority_from_our_address() -> None:
    core = master()
    core.receive(adv(100), src=ME, ttl=255, now=T0 + 4)
    assert core.drain() == [
        Log("(VI_1) WARNING - equal priority advert received from remote host with our IP address.")
    ]
    assert core.state is State.MASTER


def test_unknown_source_address_compares_equal() -> None:
    core = master(source_address=None)
    core.receive(adv(100), src=HIGH, ttl=255, now=T0 + 4)
    assert core.state is State.MASTER


def test_garp_refresh_on_advert_ticks() -> None:
    core = master(garp_master_refresh_us=3_000_000, garp_master_refresh_repeat=2)
    m = T0 + 3.609375
    for k in (1, 2, 3):
        core.handle_timer(m + k)
        assert kinds(core.drain()) == ["SendAdvert"]
    core.handle_timer(m + 4)  # strictly after the refresh time (checked at advert ticks)
    assert core.drain()[1] == SendGratuitous((VIP,), 2, "refresh")
    core.handle_timer(m + 5)
    assert kinds(core.drain()) == ["SendAdvert"]


# --- fault / shutdown --------------------------------------------------------------------------


def test_master_fault_sends_priority_zero_twice() -> None:
    core = master()
    core.set_fault(True, T0 + 4)
    assert core.drain() == [
        Log("(VI_1) Entering FAULT STATE"),
        SendAdvert(adv(0)),
        SendAdvert(adv(0)),
        Log("(VI_1) sent 0 priority", detail=True),
        RemoveAddresses((VIP,), ()),
        StateChanged(State.MASTER, State.FAULT, Reason.FAULT),
        Notify("FAULT", 100),
    ]
    assert core.counters.pri_zero_sent == 1 and core.counters.release_master == 1
    assert core.get_timer() is None
    assert core.receive(adv(150), src=HIGH, ttl=255, now=T0 + 5) is None
    core.set_fault(True, T0 + 5)
    assert core.drain() == []
    core.set_fault(False, T0 + 6)
    assert core.drain() == [
        Log("(VI_1) Entering BACKUP STATE"),
        StateChanged(State.FAULT, State.BACKUP, Reason.FAULT_CLEARED),
        Notify("BACKUP", 100),
    ]
    assert core.get_timer() == T0 + 9.609375


def test_backup_fault() -> None:
    core = started(unicast=True, unicast_peers=(PeerParams(HIGH),))
    core.set_fault(True, T0 + 1)
    assert core.drain() == [
        Log("(VI_1) Entering FAULT STATE"),
        StateChanged(State.BACKUP, State.FAULT, Reason.FAULT),
        Notify("FAULT", 100),
    ]
    core.set_fault(False, T0 + 2)
    assert core.drain()[-1] == SendGratuitous((ME,), 1, "unicast-source")


def test_owner_after_fault_waits_as_backup() -> None:
    # 2.2.7: down_instance sets wantstate FAULT, so try_up_instance never takes the owner path.
    core = master(priority=255, initial_state="MASTER")
    core.set_fault(True, T0 + 1)
    core.set_fault(False, T0 + 2)
    assert core.state is State.BACKUP
    assert core.get_timer() == T0 + 2 + 3.003906


def test_shutdown() -> None:
    core = master()
    core.shutdown(T0 + 4)
    assert core.drain() == [
        SendAdvert(adv(0)),
        Log("(VI_1) sent 0 priority", detail=True),
        RemoveAddresses((VIP,), ()),
        StateChanged(State.MASTER, State.STOP, Reason.SHUTDOWN),
        Notify("STOP", 100),
    ]
    assert core.counters.pri_zero_sent == 1 and core.get_timer() is None
    core.shutdown(T0 + 5)
    core.set_fault(True, T0 + 5)
    assert core.drain() == []
    backup = started()
    backup.shutdown(T0)
    assert kinds(backup.drain()) == ["StateChanged", "Notify"]


# --- receive validation ------------------------------------------------------------------------


PASS: dict[str, Any] = {"auth_type": AUTH_PASS, "auth_data": b"secret\0\0"}


def _rx(core: VrrpCore, a: Advertisement, **kw: Any) -> RxResult | None:
    args: dict[str, Any] = dict(src=HIGH, ttl=255, now=T0 + 1)
    args.update(kw)
    return core.receive(a, **args)


@pytest.mark.parametrize(
    ("kw", "advert", "counter", "result"),
    [
        ({}, adv(150), "advert_rcvd", RxResult.OK),
        ({}, adv(150, vrid=52), "vrid_err", None),
        ({}, adv(150, version=3, adver_int=100), "vers_err", RxResult.KO),
        ({}, adv(150, auth_type=3), "invalid_authtype", RxResult.KO),
        ({}, adv(150, auth_type=1, auth_data=b"secret"), "authtype_mismatch", RxResult.KO),
        (PASS, adv(150, auth_type=1), "auth_failure", RxResult.KO),
        ({}, adv(150, adver_int=2), "advert_interval_err", RxResult.DROP),
        ({}, adv(150, type=2), "invalid_type_rcvd", RxResult.KO),
        ({}, adv(150, addresses=()), "addr_list_err", RxResult.KO),
        ({}, adv(150, addresses=(IPv4Address("192.0.2.9"),)), "addr_list_err", RxResult.KO),
        ({}, adv(0), "pri_zero_rcvd", RxResult.OK),
    ],
)
def test_receive_validation(kw: dict[str, Any], advert: Advertisement, counter: str, result: Any) -> None:
    core = started(**kw)
    timer = core.get_timer()
    assert _rx(core, advert) is result
    counts = core.counters.as_dict()
    assert counts.pop(counter) == 1
    if counter in ("pri_zero_rcvd",):
        counts.pop("advert_rcvd")
    if counter == "addr_list_err" and advert.addresses:
        counts.pop("advert_rcvd")  # counted before the address comparison
    assert set(counts.values()) == {0}
    if result is not RxResult.OK:
        assert core.get_timer() == timer


def test_pass_auth_accepted() -> None:
    core = started(auth_type=AUTH_PASS, auth_data=b"secret\0\0")
    assert _rx(core, adv(150, auth_type=1, auth_data=b"secret")) is RxResult.OK
    assert core.drain() == []
    sent_adv = master(auth_type=AUTH_PASS, auth_data=b"secret\0\0")
    sent_adv.handle_timer(T0 + 4.609375)
    (a,) = sent_adv.drain()
    assert isinstance(a, SendAdvert) and a.adv.auth_type == 1 and a.adv.auth_data == b"secret\0\0"


def test_ttl_checks() -> None:
    core = started()
    assert _rx(core, adv(150), ttl=254) is RxResult.KO and core.counters.ip_ttl_err == 1
    assert _rx(core, adv(150), ttl=None) is RxResult.OK  # not known: not checked
    uni = started(unicast=True, unicast_peers=(PeerParams(HIGH, 250, 255),))
    assert _rx(uni, adv(150), ttl=64) is RxResult.OK  # unicast: no TTL 255 rule
    chk = started(unicast=True, check_unicast_src=True, unicast_peers=(PeerParams(HIGH, 250, 255),))
    assert _rx(chk, adv(150), ttl=64) is RxResult.KO and chk.counters.ip_ttl_err == 1
    assert _rx(chk, adv(150), ttl=251) is RxResult.OK
    assert _rx(chk, adv(150), src=LOW) is RxResult.KO
    assert chk.drain()[-1] == Log("(VI_1) unicast source address 192.0.2.1 not a unicast peer")


def test_multicast_unicast_mismatch() -> None:
    core = started()
    assert _rx(core, adv(150), multicast=False) is RxResult.KO
    assert core.counters.addr_list_err == 1
    assert core.drain()[-1] == Log("(VI_1) Expected multicast packet but received unicast packet")
    assert _rx(core, adv(150), multicast=True) is RxResult.OK


def test_skip_check_adv_addr_for_same_master() -> None:
    core = started(skip_check_adv_addr=True)
    other = adv(150, addresses=(IPv4Address("192.0.2.9"),))
    assert _rx(core, other) is RxResult.KO  # first advert from this master: checked
    assert _rx(core, adv(150)) is RxResult.OK
    assert _rx(core, other) is RxResult.OK  # same master: addresses not compared


def test_note_rx_error() -> None:
    core = started()
    core.note_rx_error("packet_len_err")
    assert core.counters.packet_len_err == 1
    with pytest.raises(CoreMisuse):
        core.note_rx_error("nonsense")


def test_ipv6_v3_instance() -> None:
    vip6 = IPv6Address("fe80::100")
    core = master(
        version=3, family=6, advert_int_us=100_000, vips=(vip6,), source_address=ip_address("fe80::2")
    )
    core.handle_timer(T0 + 0.460937)
    (a,) = core.drain()
    assert isinstance(a, SendAdvert)
    assert a.adv == Advertisement(version=3, vrid=51, priority=100, adver_int=10, addresses=(vip6,))
    core.receive(
        Advertisement(version=3, vrid=51, priority=100, adver_int=10, addresses=(vip6,)),
        src=ip_address("fe80::3"),
        ttl=255,
        now=T0 + 0.5,
    )
    assert core.state is State.BACKUP


def test_params_are_frozen() -> None:
    p = params()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.priority = 5  # type: ignore[misc]


# --- hooks for sync groups (the aggregator itself is not written yet) --------------------------


def test_sync_gate_holds_backup() -> None:
    core = started()
    core.sync_gate = lambda c: False
    core.handle_timer(T0 + 3.609375)
    assert core.state is State.BACKUP and core.wantstate is State.MASTER
    assert core.get_timer() == T0 + 3.609375 * 2
    core.hold_backup(T0 + 4)
    assert core.get_timer() == T0 + 7.609375
    core.sync_gate = lambda c: True
    core.handle_timer(T0 + 7.609375)
    assert state_of(core) is State.MASTER


def test_sync_forced_transitions() -> None:
    core = started()
    core.sync_to_master(T0 + 1)
    assert core.drain()[0] == StateChanged(State.BACKUP, State.MASTER, Reason.SYNC_GROUP)
    core.sync_to_backup(T0 + 2)
    assert StateChanged(State.MASTER, State.BACKUP, Reason.SYNC_GROUP) in core.drain()
    core.sync_to_fault(T0 + 3)
    acts = core.drain()
    assert acts[0] == StateChanged(State.BACKUP, State.FAULT, Reason.SYNC_GROUP)
    assert Notify("FAULT", 100) in acts and state_of(core) is State.FAULT
    core.sync_to_backup(T0 + 4)
    assert state_of(core) is State.BACKUP and core.get_timer() == T0 + 7.609375
    core.sync_to_master(T0 + 5)
    core.drain()
    core.sync_to_fault(T0 + 6)
    acts = core.drain()
    assert sent(acts) == [0] and state_of(core) is State.FAULT
    core.sync_to_master(T0 + 7)
    assert state_of(core) is State.MASTER
