"""vrrp/garp_pacing.py: keepalived 2.2.7's gratuitous ARP / NA spacing, on a virtual clock.

The expected sequences are the ones captured on the wire from keepalived 2.2.7
(tests/netns/test_vrrp_garp.py compares both daemons frame by frame).
"""

from __future__ import annotations

import ipaddress

from keepalived_py.vrrp.garp_pacing import Due, GarpPacer, Pacing, Step, pacing_table

V1 = ipaddress.IPv4Address("192.0.2.100")
V2 = ipaddress.IPv4Address("192.0.2.101")
E1 = ipaddress.IPv4Address("192.0.2.102")
N1 = ipaddress.IPv6Address("2001:db8::100")
N2 = ipaddress.IPv6Address("2001:db8::101")
ITEMS = [(V1, "eth0"), (V2, "eth0"), (E1, "eth0"), (N1, "eth0"), (N2, "eth0")]


def always(_owner: str) -> bool:
    return True


def run(pacer: GarpPacer, start: float, limit: float = 60.0) -> list[tuple[float, str]]:
    """Fire the pacer's timer until it stops; (time, address) of everything sent."""
    out: list[tuple[float, str]] = []
    while (when := pacer.get_timer()) is not None and when < start + limit:
        out += [(round(when - start, 6), str(d.address)) for d in pacer.handle_timer(when, always)]
    return out


def test_no_pacing_is_a_burst_in_rounds() -> None:
    pacer = GarpPacer()
    steps = pacer.link_update("VI_1", ITEMS, 2, 10.0)
    assert [str(s.address) for s in steps] == [str(a) for a, _ in ITEMS] * 2
    assert all(s.send for s in steps)
    assert [s.announce for s in steps] == [True] * 5 + [False] * 5
    assert pacer.get_timer() is None


def test_intervals_send_each_pending_address_once_more() -> None:
    """keepalived's pending mark is a flag: repeat 3 at 0.2 s / 0.3 s gives 7 frames, not 15."""
    pacer = GarpPacer({"eth0": Pacing(200_000, 300_000)})
    steps = pacer.link_update("VI_1", ITEMS, 3, 10.0)
    assert [(str(s.address), s.send) for s in steps if s.send] == [(str(V1), True), (str(N1), True)]
    assert len(steps) == 15
    assert run(pacer, 10.0) == [
        (0.2, str(V1)),
        (0.3, str(N1)),
        (0.4, str(V2)),
        (0.6, str(E1)),
        (0.6, str(N2)),
    ]
    # the interface's clock was left at 0.8 (ARP) and 0.9 (NA): a new update at 2 s starts at once
    steps = pacer.link_update("VI_1", ITEMS, 3, 12.0)
    assert [str(s.address) for s in steps if s.send] == [str(V1), str(N1)]


def test_queue_timer_is_interval_after_queueing() -> None:
    pacer = GarpPacer({"eth0": Pacing(500_000, None)})
    pacer.link_update("VI_1", [(V1, "eth0")], 1, 1.0)
    # 0.1 s later: V2 is queued; the timer is 0.5 s after the queueing, not the interface's time
    pacer.link_update("VI_2", [(V2, "eth0")], 1, 1.1)
    assert pacer.get_timer() == 1.6
    # IPv6 on this interface is not paced: all at once
    steps = pacer.link_update("VI_3", [(N1, "eth0")], 3, 1.2)
    assert [s.send for s in steps] == [True, True, True]


def test_walk_order_is_registration_order_then_vips_then_evips() -> None:
    pacer = GarpPacer({"eth0": Pacing(100_000, None)})
    pacer.register("A")
    pacer.register("B")
    pacer.link_update("B", [(V2, "eth0")], 1, 0.0)  # sent, clock to 0.1
    pacer.link_update("A", [(V1, "eth0"), (E1, "eth0")], 1, 0.0)  # both queued
    assert pacer.handle_timer(0.1, always) == [Due("A", V1, "eth0")]
    assert pacer.handle_timer(0.2, always) == [Due("A", E1, "eth0")]
    assert pacer.get_timer() is None


def test_interfaces_have_their_own_clocks() -> None:
    pacer = GarpPacer({"eth0": Pacing(1_000_000, None), "eth1": Pacing(1_000_000, None)})
    steps = pacer.link_update("VI_1", [(V1, "eth0"), (V2, "eth1")], 2, 0.0)
    assert [(str(s.address), s.send) for s in steps] == [
        (str(V1), True),
        (str(V2), True),
        (str(V1), False),
        (str(V2), False),
    ]
    assert run(pacer, 0.0) == [(1.0, str(V1)), (1.0, str(V2))]


def test_inactive_and_cancelled_instances_send_nothing_more() -> None:
    pacer = GarpPacer({"eth0": Pacing(100_000, None)})
    pacer.link_update("VI_1", [(V1, "eth0"), (V2, "eth0")], 1, 0.0)
    assert pacer.handle_timer(0.1, lambda _o: False) == []
    assert pacer.get_timer() is None
    pacer.link_update("VI_1", [(V1, "eth0"), (V2, "eth0")], 1, 5.0)
    pacer.cancel("VI_1")
    assert pacer.handle_timer(5.1, always) == []
    # early or spurious calls do nothing
    assert pacer.handle_timer(0.0, always) == []


def test_immediate_send_restarts_the_clock() -> None:
    pacer = GarpPacer({"eth0": Pacing(1_000_000, None)})
    pacer.sent_immediately(V1, "eth0", 3.0)
    assert pacer.link_update("VI_1", [(V2, "eth0")], 1, 3.5) == [Step(V2, "eth0", True, False)]
    assert run(pacer, 3.5) == [(1.0, str(V2))]
    GarpPacer().sent_immediately(V1, "eth0", 0.0)  # not paced: nothing to remember


def test_pacing_table() -> None:
    table = pacing_table(
        [(200_000, None, ("eth1",)), (None, 300_000, ("eth2", "eth1"))],
        global_garp_us=0,
        global_gna_us=0,
        interfaces=("eth0", "eth1"),
    )
    assert table == {"eth1": Pacing(200_000, None), "eth2": Pacing(None, 300_000)}
    table = pacing_table(
        [(200_000, None, ("eth1",))], global_garp_us=0, global_gna_us=50_000, interfaces=("eth0", "eth1")
    )
    assert table == {"eth1": Pacing(200_000, None), "eth0": Pacing(None, 50_000)}


def test_vmac_frames_are_paced_with_their_base_interface() -> None:
    pacer = GarpPacer({"eth0": Pacing(500_000, None)})
    pacer.set_base("vrrp.51", "eth0")
    assert pacer.base("vrrp.51") == "eth0"
    steps = pacer.link_update("VI_1", [(V1, "vrrp.51"), (V2, "eth0")], 1, 0.0)
    assert [(s.ifname, s.send) for s in steps] == [("vrrp.51", True), ("eth0", False)]
    assert pacer.handle_timer(0.5, always) == [Due("VI_1", V2, "eth0")]
    pacer.set_base("vrrp.51", "vrrp.51")
    assert pacer.base("vrrp.51") == "vrrp.51"
