"""VRRP election on a simulated LAN: RFC 5798 section 6.4 behaviour as keepalived 2.2.7 runs it.

All times are integer microseconds and asserted exactly.  Reference figures (v2, 1 s adverts):
Master_Down = 3 s + (256 - P)/256 s, truncated to microseconds:
P=100 -> 3_609_375, P=150 -> 3_414_062, P=200 -> 3_218_750.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from keepalived_py.vrrp.params import InstanceParams
from keepalived_py.vrrp.state import State
from keepalived_py.vrrp.timers import master_down_us
from tests.sim.lan import Lan

VIP = IPv4Address("192.0.2.100")
S = 1_000_000
DOWN = {100: 3_609_375, 150: 3_414_062, 200: 3_218_750}
SKEW = {100: 609_375, 150: 414_062, 200: 218_750}


def p(name: str, prio: int, host: int, **kw: Any) -> InstanceParams:
    base: dict[str, Any] = dict(
        name=name,
        vrid=51,
        priority=prio,
        vips=(VIP,),
        source_address=IPv4Address(f"192.0.2.{host}"),
        garp_master_delay_us=0,
    )
    base.update(kw)
    return InstanceParams(**base)


def lan3(**kw: Any) -> Lan:
    lan = Lan(**kw)
    lan.add("A", p("A", 100, 1))
    lan.add("B", p("B", 150, 2))
    lan.add("C", p("C", 200, 3))
    for n in "ABC":
        lan.start(n)
    return lan


def after(lan: Lan, t: int) -> list[tuple[int, str, str, str]]:
    return [x for x in lan.transitions() if x[0] > t]


def test_reference_figures() -> None:
    for prio, down in DOWN.items():
        assert master_down_us(2, prio, S) == down


def test_election_three_nodes() -> None:
    lan = lan3()
    lan.run_until(20 * S)
    assert lan.transitions() == [
        (0, "A", "INIT", "BACKUP"),
        (0, "B", "INIT", "BACKUP"),
        (0, "C", "INIT", "BACKUP"),
        (DOWN[200], "C", "BACKUP", "MASTER"),
    ]
    assert lan.masters() == ["C"]
    # the master advertises every second from the moment it took over
    c_adverts = [t for t, who, _ in lan.sent if who == "C"]
    assert c_adverts == [DOWN[200] + k * S for k in range(17)]


def test_master_loss_down_interval_to_the_tick() -> None:
    lan = lan3()
    lan.run_until(10_500_000)
    lan.crash("C")
    last = DOWN[200] + 7 * S  # 10_218_750, C's last advert
    lan.run_until(30 * S)
    assert after(lan, 10_500_000) == [(last + DOWN[150], "B", "BACKUP", "MASTER")]
    assert lan.masters() == ["B"]


def test_master_loss_not_one_tick_early() -> None:
    lan = lan3()
    lan.run_until(10_500_000)
    lan.crash("C")
    lan.run_until(DOWN[200] + 7 * S + DOWN[150] - 1)
    assert lan.masters() == []
    lan.run_for(1)
    assert lan.masters() == ["B"]


def test_priority_zero_handover_after_skew() -> None:
    lan = lan3()
    lan.run_until(10_500_000)
    lan.stop("C")
    assert lan.sent[-1] == (10_500_000, "C", 0)
    lan.run_until(30 * S)
    assert after(lan, 10_400_000) == [
        (10_500_000, "C", "MASTER", "STOP"),
        (10_500_000 + SKEW[150], "B", "BACKUP", "MASTER"),
    ]


def test_preempt_higher_priority_joins() -> None:
    lan = Lan()
    lan.add("A", p("A", 100, 1))
    lan.add("C", p("C", 200, 3))
    lan.start("A")
    lan.run_until(10 * S)
    assert lan.masters() == ["A"]
    lan.start("C")
    lan.run_until(30 * S)
    # C discards A's lower adverts, so its first down timer runs out: preemption
    assert after(lan, 10 * S) == [
        (10 * S + DOWN[200], "C", "BACKUP", "MASTER"),
        (10 * S + DOWN[200], "A", "MASTER", "BACKUP"),
    ]


def test_nopreempt() -> None:
    lan = Lan()
    lan.add("A", p("A", 100, 1))
    lan.add("C", p("C", 200, 3, nopreempt=True))
    lan.start("A")
    lan.run_until(10 * S)
    lan.start("C")
    lan.run_until(100 * S)
    assert after(lan, 10 * S) == []
    assert lan.masters() == ["A"]
    # nopreempt does not stop a takeover when the master goes away
    lan.stop("A")
    lan.run_for(5 * S)
    assert lan.masters() == ["C"]


def test_preempt_delay() -> None:
    lan = Lan()
    lan.add("A", p("A", 100, 1))
    lan.add("C", p("C", 200, 3, preempt_delay_us=5 * S))
    lan.start("A")
    lan.run_until(10 * S)
    lan.start("C")
    lan.run_until(40 * S)
    # A advertises at 3.609375 + k.  The first one C hears (10.609375) starts the 5 s delay;
    # adverts before 15.609375 are accepted, that one is not: C takes over one down interval
    # after the last accepted advert (14.609375).
    assert after(lan, 10 * S) == [
        (14_609_375 + DOWN[200], "C", "BACKUP", "MASTER"),
        (14_609_375 + DOWN[200], "A", "MASTER", "BACKUP"),
    ]


def test_equal_priority_simultaneous_higher_ip_wins() -> None:
    lan = Lan(latency_us=100)
    lan.add("A", p("A", 100, 1))
    lan.add("B", p("B", 100, 2))
    lan.start("A")
    lan.start("B")
    lan.run_until(20 * S)
    d = DOWN[100]
    assert after(lan, 0) == [
        (d, "A", "BACKUP", "MASTER"),
        (d, "B", "BACKUP", "MASTER"),
        (d + 100, "A", "MASTER", "BACKUP"),
    ]
    assert lan.masters() == ["B"]


def test_equal_priority_no_tie_break_in_backup() -> None:
    # keepalived (like RFC 5798 6.4.2) accepts an equal-priority advert in BACKUP whatever
    # the address: a later starter with a higher IP does not take over.
    lan = Lan()
    lan.add("A", p("A", 100, 1))
    lan.add("B", p("B", 100, 2))
    lan.start("A")
    lan.run_until(1 * S)
    lan.start("B")
    lan.run_until(60 * S)
    assert lan.masters() == ["A"]


def test_split_brain_heals_within_one_advert_interval() -> None:
    lan = Lan()
    lan.add("A", p("A", 200, 1))
    lan.add("B", p("B", 100, 2))
    lan.start("A")
    lan.start("B")
    lan.run_until(10 * S)
    assert lan.masters() == ["A"]
    lan.partition(("A",), ("B",))
    lan.run_until(20 * S)
    # B heard A last at 9.21875
    assert after(lan, 10 * S) == [(9_218_750 + DOWN[100], "B", "BACKUP", "MASTER")]
    assert lan.masters() == ["A", "B"]
    lan.heal()
    lan.run_until(30 * S)
    # A's next advert (20.21875) reaches B, which yields at once
    assert after(lan, 20 * S) == [(20_218_750, "B", "MASTER", "BACKUP")]
    healed_after = 20_218_750 - 20 * S
    assert healed_after <= S + SKEW[100]


def test_split_brain_lower_master_speaks_first() -> None:
    lan = Lan()
    lan.add("A", p("A", 200, 1))
    lan.add("B", p("B", 100, 2))
    lan.start("A")
    lan.start("B")
    lan.run_until(10 * S)
    lan.partition(("A",), ("B",))
    lan.run_until(20_300_000)
    lan.heal()
    lan.run_until(30 * S)
    # B (master since 12.828125) advertises at 20.828125 first; A answers at once ("forcing
    # new election") and B yields in the same instant, before A's own advert at 21.21875.
    assert after(lan, 20_300_000) == [(20_828_125, "B", "MASTER", "BACKUP")]
    assert (20_828_125, "A", 200) in lan.sent
    assert lan.masters() == ["A"]


def test_v3_fast_backup_adopts_slow_master_interval() -> None:
    lan = Lan()
    lan.add("A", p("A", 200, 1, version=3, advert_int_us=S))
    lan.add("B", p("B", 100, 2, version=3, advert_int_us=100_000))
    lan.start("A")
    lan.run_until(5 * S)
    lan.start("B")
    lan.run_until(10_500_000)
    assert lan.masters() == ["A"]
    # B's own down interval is 0.360937 s; A's advert at 5.21875 comes first and B adopts 1 s.
    b = lan.nodes["B"].core
    assert b is not None and b.master_adver_int_us == S
    lan.crash("A")
    lan.run_until(20 * S)
    assert after(lan, 5 * S) == [(10_218_750 + DOWN[100], "B", "BACKUP", "MASTER")]
    # as master B advertises at its own 0.1 s
    b_adverts = [t for t, who, _ in lan.sent if who == "B"]
    assert b_adverts[:3] == [13_828_125, 13_928_125, 14_028_125]


def test_v3_without_a_master_uses_own_interval() -> None:
    lan = Lan()
    lan.add("B", p("B", 100, 2, version=3, advert_int_us=100_000))
    lan.start("B")
    lan.run_until(S)
    assert lan.transitions("B")[-1] == (360_937, "B", "BACKUP", "MASTER")


def _drop_window(lo: int, hi: int) -> Any:
    def loss(sender: str, receiver: str, now: int) -> bool:
        return sender == "A" and lo <= now <= hi

    return loss


def test_two_lost_adverts_no_transition() -> None:
    lan = Lan(loss=_drop_window(10 * S, 11_500_000))  # loses 10.21875 and 11.21875
    lan.add("A", p("A", 200, 1))
    lan.add("B", p("B", 100, 2))
    lan.start("A")
    lan.start("B")
    lan.run_until(30 * S)
    assert after(lan, DOWN[200]) == []


def test_three_lost_adverts_take_over_then_yield() -> None:
    lan = Lan(loss=_drop_window(10 * S, 12_500_000))  # loses 10.21875, 11.21875, 12.21875
    lan.add("A", p("A", 200, 1))
    lan.add("B", p("B", 100, 2))
    lan.start("A")
    lan.start("B")
    lan.run_until(30 * S)
    # B takes over when its down timer runs out; A hears B's lower advert and answers at once,
    # so B yields in the same instant.
    t = 9_218_750 + DOWN[100]
    assert after(lan, DOWN[200]) == [(t, "B", "BACKUP", "MASTER"), (t, "B", "MASTER", "BACKUP")]
    assert (t, "A", 200) in lan.sent


def test_random_loss_at_most_two_in_a_row() -> None:
    rng = random.Random(5798)
    run: dict[tuple[str, str], int] = {}
    dropped: list[int] = []

    def loss(sender: str, receiver: str, now: int) -> bool:
        k = (sender, receiver)
        if now >= 5 * S and run.get(k, 0) < 2 and rng.random() < 0.4:
            run[k] = run.get(k, 0) + 1
            dropped.append(now)
            return True
        run[k] = 0
        return False

    lan = Lan(loss=loss)
    lan.add("A", p("A", 200, 1))
    lan.add("B", p("B", 150, 2))
    lan.add("C", p("C", 100, 3))
    for n in "ABC":
        lan.start(n)
    lan.run_until(600 * S)
    assert lan.transitions()[3:] == [(DOWN[200], "A", "BACKUP", "MASTER")]
    assert len(lan.sent) == 597 and len(dropped) > 300


def test_owner_takes_over_at_once() -> None:
    lan = Lan()
    lan.add("A", p("A", 255, 1, initial_state="MASTER"))
    lan.add("B", p("B", 100, 2))
    lan.start("B")
    lan.run_until(10 * S)
    assert lan.masters() == ["B"]
    lan.start("A")
    lan.run_until(20 * S)
    assert after(lan, 10 * S) == [
        (10 * S + 1, "A", "BACKUP", "MASTER"),
        (10 * S + 1, "B", "MASTER", "BACKUP"),
    ]


def test_owner_and_backup_started_together() -> None:
    lan = Lan()
    lan.add("A", p("A", 255, 1, initial_state="MASTER"))
    lan.add("B", p("B", 100, 2))
    lan.start("A")
    lan.start("B")
    lan.run_until(20 * S)
    assert after(lan, 0) == [(1, "A", "BACKUP", "MASTER")]


# --- property ------------------------------------------------------------------------------

PRIOS = (100, 150, 200, 100)
SETTLE = master_down_us(2, 1, S)  # the longest down interval any priority can have


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5 * S), st.integers(0, len(PRIOS) - 1), st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_at_most_one_master_after_settling(events: list[tuple[int, int, bool]]) -> None:
    lan = Lan()
    names = [f"N{i}" for i in range(len(PRIOS))]
    for i, (name, prio) in enumerate(zip(names, PRIOS, strict=True)):
        lan.add(name, p(name, prio, i + 1))
    for gap, idx, up in events:
        lan.run_for(gap)
        name = names[idx]
        if up and not lan.nodes[name].running:
            lan.start(name)
        elif not up and lan.nodes[name].running:
            lan.stop(name)
    last = lan.now
    lan.run_until(last + SETTLE)
    running = [n for n in lan.nodes.values() if n.running]
    for _ in range(50):
        masters = lan.masters()
        assert len(masters) <= 1
        if running:
            assert len(masters) == 1
        lan.run_for(200_000)
    assert all(n.state in (State.BACKUP, State.MASTER) for n in running)
