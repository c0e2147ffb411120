"""VrrpCore's shortcut for an advert it accepted last time (_repeat_rx) changes nothing observable.

Two cores of the same configuration get the same inputs; in one the shortcut is switched off.
States, counters, deadlines, master knowledge and every drained action must stay equal under
random traffic: the master's same advert object again and again, equal adverts as new objects,
other sources, other priorities (lower, higher, 0), wrong TTL, v3 interval changes, priority
changes of our own, faults and timers, for several configurations (nopreempt, preempt_delay,
skip_check_adv_addr, vrrp_startup_delay, v3).
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import asdict
from typing import Any

import pytest

from keepalived_py.vrrp.instance import VrrpCore
from keepalived_py.vrrp.packet import Advertisement
from keepalived_py.vrrp.params import InstanceParams

ME = ipaddress.IPv4Address("192.0.2.2")
MASTER = ipaddress.IPv4Address("192.0.2.1")
OTHER = ipaddress.IPv4Address("192.0.2.3")
VIP = ipaddress.IPv4Address("198.51.100.1")

CONFIGS: list[dict[str, Any]] = [
    {},
    {"nopreempt": True},
    {"preempt_delay_us": 2_000_000},
    {"skip_check_adv_addr": True},
    {"startup_delay_us": 3_000_000},
    {"version": 3, "advert_int_us": 100_000},
    {"lower_prio_no_advert": True, "priority": 150},
]


def _observe(core: VrrpCore) -> Any:
    return (
        core.state,
        core.wantstate,
        asdict(core.counters),
        core.get_timer(),
        core.master_address,
        core.master_priority,
        core.master_adver_int_us,
        core.ms_down_timer_us,
        core.effective_priority,
        core.drain(),
    )


@pytest.mark.parametrize("extra", CONFIGS)
def test_repeat_shortcut_is_invisible(extra: dict[str, Any]) -> None:
    params = InstanceParams(
        name="VI_1", vrid=1, vips=(VIP,), source_address=ME, garp_master_delay_us=0, **extra
    )
    version = params.version
    fast, slow = VrrpCore(params), VrrpCore(params)
    slow._repeat_rx = lambda *a: False  # type: ignore[method-assign]
    rng = random.Random(hash(tuple(sorted(extra))) & 0xFFFF)
    now = 100.0
    interval = 1 if version == 2 else 10
    usual = Advertisement(version, 1, 200, interval, (VIP,))
    for core in (fast, slow):
        core.start(now)
    assert _observe(fast) == _observe(slow)
    hits = [0]
    real = fast._repeat_rx

    def counting(*args: Any) -> bool:
        taken = real(*args)
        hits[0] += taken
        return taken

    fast._repeat_rx = counting  # type: ignore[method-assign,assignment]
    for step in range(3000):
        roll = rng.random()
        now += rng.random() * (0.4 if version == 2 else 0.04)
        ttl: int | None = 255
        src = MASTER
        if roll < 0.6:
            adv = usual
        elif roll < 0.65:
            adv = Advertisement(version, 1, 200, interval, (VIP,))  # equal, another object
        elif roll < 0.7:
            adv, ttl = usual, 64
        elif roll < 0.75:
            adv, src = usual, OTHER
        elif roll < 0.8:
            adv = Advertisement(version, 1, rng.choice((0, 50, 100, 254)), interval, (VIP,))
        elif roll < 0.83 and version == 3:
            interval = rng.choice((10, 20))
            usual = Advertisement(version, 1, 200, interval, (VIP,))
            adv = usual
        elif roll < 0.86:
            total = rng.choice((80, 100, 120, 220))
            for core in (fast, slow):
                core.set_effective_priority(total, now)
            assert _observe(fast) == _observe(slow), step
            continue
        elif roll < 0.88:
            fault = rng.random() < 0.5
            for core in (fast, slow):
                core.set_fault(fault, now)
            assert _observe(fast) == _observe(slow), step
            continue
        else:
            due = fast.get_timer()
            if due is not None and due <= now + 5:
                now = max(now, due)
                for core in (fast, slow):
                    core.handle_timer(now)
                assert _observe(fast) == _observe(slow), step
            continue
        results = [core.receive(adv, src=src, ttl=ttl, now=now, multicast=True) for core in (fast, slow)]
        assert results[0] == results[1], step
        assert _observe(fast) == _observe(slow), step
    if params.preempt_delay_us:
        assert hits[0] == 0  # not with preempt_delay (its timer depends on each advert)
    else:
        assert hits[0] > 100  # the shortcut was taken
