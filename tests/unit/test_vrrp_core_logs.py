"""The core's log lines on the receive path, in keepalived 2.2.7's words, and which are -D only.

Also the two protocol points checked against keepalived: a backup receiving priority 0 waits
Skew_Time of its current Master_Adver_Interval (not the advert's), and MASTER_RX_LOWER_PRI is
notified where keepalived's vrrp_state_master_rx does (after the advert and the GARPs, only for a
lower priority / lower address, never for priority 0).
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

from keepalived_py.vrrp.instance import Log, Notify, SendAdvert, SendGratuitous, VrrpCore
from keepalived_py.vrrp.packet import Advertisement
from keepalived_py.vrrp.params import InstanceParams
from keepalived_py.vrrp.state import State
from keepalived_py.vrrp.timers import skew_time_us

VIP = IPv4Address("192.0.2.100")
ME = IPv4Address("192.0.2.2")
LOW = IPv4Address("192.0.2.1")
T0 = 1000.0


def core_of(**kw: Any) -> VrrpCore:
    base: dict[str, Any] = dict(
        name="VI_1", vrid=51, priority=100, vips=(VIP,), source_address=ME, garp_master_delay_us=0
    )
    base.update(kw)
    core = VrrpCore(InstanceParams(**base))
    core.start(T0)
    core.drain()
    return core


def adv(prio: int, *, version: int = 2, adver_int: int = 1) -> Advertisement:
    return Advertisement(version=version, vrid=51, priority=prio, adver_int=adver_int, addresses=(VIP,))


def logs(actions: list[Any]) -> list[tuple[str, bool]]:
    return [(a.message, a.detail) for a in actions if isinstance(a, Log)]


def to_master(core: VrrpCore) -> None:
    t = core.get_timer()
    assert t is not None
    core.handle_timer(t)
    core.drain()
    assert core.state is State.MASTER


def test_receive_timeout_is_a_detail_line_before_entering_master() -> None:
    core = core_of()
    t = core.get_timer()
    assert t is not None
    core.handle_timer(t)
    assert logs(core.drain()) == [
        ("(VI_1) Receive advertisement timeout", True),
        ("(VI_1) Entering MASTER STATE", False),
    ]


def test_backup_priority_zero_skew_of_current_interval() -> None:
    # v3: the master announced 2 s; its priority-0 goodbye says 0.5 s, which is not adopted
    core = core_of(version=3, advert_int_us=1_000_000)
    core.receive(adv(200, version=3, adver_int=200), src=LOW, ttl=255, now=T0 + 1)
    assert ("(VI_1) advertisement interval updated from 1000ms to 2000ms by master", True) in logs(
        core.drain()
    )
    core.receive(adv(0, version=3, adver_int=50), src=LOW, ttl=255, now=T0 + 2)
    assert logs(core.drain()) == [("(VI_1) Backup received priority 0 advertisement", True)]
    assert core.get_timer() == T0 + 2 + skew_time_us(3, 100, 2_000_000) / 1e6
    assert core.master_adver_int_us == 2_000_000
    assert core.counters.pri_zero_rcvd == 1


def test_backup_priority_zero_v2() -> None:
    core = core_of()
    core.receive(adv(0), src=LOW, ttl=255, now=T0 + 1)
    core.drain()
    assert core.get_timer() == T0 + 1 + 156 / 256


def test_master_priority_zero_message() -> None:
    core = core_of()
    to_master(core)
    core.receive(adv(0), src=LOW, ttl=255, now=T0 + 4)
    acts = core.drain()
    assert [type(a).__name__ for a in acts] == ["SendAdvert", "Log"]
    assert logs(acts) == [("(VI_1) Master received priority 0 message", True)]
    assert not any(isinstance(a, Notify) for a in acts)


def test_master_rx_lower_pri_notify_after_advert_and_garps() -> None:
    core = core_of(garp_lower_prio_repeat=2, garp_lower_prio_delay_us=0)
    to_master(core)
    core.receive(adv(50), src=LOW, ttl=255, now=T0 + 4)
    acts = core.drain()
    assert [type(a).__name__ for a in acts] == ["Log", "SendAdvert", "SendGratuitous", "Notify"]
    assert logs(acts) == [
        (
            "(VI_1) Received advert from 192.0.2.1 with lower priority 50, ours 100, forcing new election",
            False,
        )
    ]
    assert acts[1] == SendAdvert(adv(100))
    assert acts[2] == SendGratuitous((VIP,), 2, "lower-prio")
    assert acts[3] == Notify("MASTER_RX_LOWER_PRI", 100)
    # equal priority from a lower address is "lower" too; higher priority is not
    core.receive(adv(100), src=LOW, ttl=255, now=T0 + 4.5)
    assert Notify("MASTER_RX_LOWER_PRI", 100) in core.drain()
    core.receive(adv(150), src=LOW, ttl=255, now=T0 + 4.6)
    acts = core.drain()
    assert not any(isinstance(a, Notify) and a.kind == "MASTER_RX_LOWER_PRI" for a in acts)
    assert ("(VI_1) Master received advert from 192.0.2.1 with higher priority 150, ours 100", False) in logs(
        acts
    )


def test_preempt_delay_lines() -> None:
    core = core_of(preempt_delay_us=2_500_000, priority=150)
    core.receive(adv(100), src=LOW, ttl=255, now=T0 + 1)
    assert logs(core.drain()) == [("(VI_1) start preempt delay (2.500000)", True)]
    core.receive(adv(200), src=LOW, ttl=255, now=T0 + 2)
    assert logs(core.drain()) == [("(VI_1) stop preempt delay", True)]
    core.receive(adv(200), src=LOW, ttl=255, now=T0 + 3)
    assert logs(core.drain()) == []


def test_v3_interval_back_to_ours_on_becoming_master() -> None:
    core = core_of(version=3, advert_int_us=1_000_000)
    core.receive(adv(200, version=3, adver_int=50), src=LOW, ttl=255, now=T0 + 1)
    core.drain()
    t = core.get_timer()
    assert t is not None
    core.handle_timer(t)
    assert ("(VI_1) changing advert interval from 500ms to locally configured 1000ms", True) in logs(
        core.drain()
    )
    assert core.master_adver_int_us == 1_000_000


def test_lower_priority_in_backup_is_not_detail() -> None:
    core = core_of(priority=150)
    core.receive(adv(100), src=LOW, ttl=255, now=T0 + 1)
    assert logs(core.drain()) == [
        ("(VI_1) received lower priority (100) advert from 192.0.2.1 - discarding", False)
    ]
