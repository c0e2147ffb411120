"""runtime/vrrp_driver.py with fake adapters and a fake clock: actions executed in order, one timer.

No root, no sockets, no sleeps: the fake loop only records call_at() and the test fires the
timer by hand at its deadline.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable
from typing import Any, cast

import pytest

from keepalived_py.adapters.vrrp_socket import VrrpSocketV4
from keepalived_py.config.model.ip import IpAddress
from keepalived_py.runtime.vrrp_driver import AdvertPath, VrrpDriver
from keepalived_py.vrrp import packet
from keepalived_py.vrrp.instance import VrrpCore
from keepalived_py.vrrp.params import InstanceParams

GROUP = ipaddress.IPv4Address("224.0.0.18")
SRC = ipaddress.IPv4Address("192.0.2.1")
VIP = ipaddress.IPv4Address("192.0.2.100")


class Handle:
    def __init__(self, when: float, cb: Callable[[], None]) -> None:
        self.when, self.cb, self.cancelled, self.fired = when, cb, False, False

    def cancel(self) -> None:
        self.cancelled = True


class FakeLoop:
    def __init__(self) -> None:
        self.now = 100.0
        self.handles: list[Handle] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, cb: Callable[[], None]) -> Handle:
        handle = Handle(when, cb)
        self.handles.append(handle)
        return handle

    def armed(self) -> list[Handle]:
        return [
            h for h in self.handles if not h.cancelled and h.cb is not None and not getattr(h, "fired", False)
        ]

    def fire(self) -> None:
        """Jump to the only armed timer's deadline and run it."""
        (handle,) = self.armed()
        self.now = handle.when
        handle.fired = True
        handle.cb()


class FakeSock(VrrpSocketV4):
    def __init__(self, events: list[tuple[Any, ...]]) -> None:  # no real socket
        self.events = events

    def send(self, packet_bytes: bytes, dst: ipaddress.IPv4Address) -> bool:
        ip = packet.parse_ipv4_packet(packet_bytes)
        adv = packet.decode(ip.payload, src=ip.src, dst=ip.dst, family=socket.AF_INET)
        self.events.append(("advert", str(dst), ip.ttl, adv.priority))
        return True


class FakeNetlink:
    def __init__(self, events: list[tuple[Any, ...]]) -> None:
        self.events = events

    def add_address(self, ip: IpAddress, ifname: str) -> str | None:
        self.events.append(("add", f"{ip.address}/{ip.prefix_len}", ip.dev or ifname))
        return None

    def remove_address(self, ip: IpAddress, ifname: str) -> str | None:
        self.events.append(("del", f"{ip.address}/{ip.prefix_len}", ip.dev or ifname))
        return None

    def ipv6_forwarding(self, ifname: str) -> bool:
        return False


class FakeGarp:
    def __init__(self, events: list[tuple[Any, ...]]) -> None:
        self.events = events

    def send_garp(self, ifname: str, vip: ipaddress.IPv4Address) -> bool:
        self.events.append(("garp", str(vip), ifname))
        return True


def _driver(**kw: Any) -> tuple[VrrpDriver, FakeLoop, list[tuple[Any, ...]]]:
    events: list[tuple[Any, ...]] = []
    loop = FakeLoop()
    params = InstanceParams(
        name="VI_1", vrid=51, priority=100, vips=(VIP,), source_address=SRC, garp_master_delay_us=0, **kw
    )
    driver = VrrpDriver(
        VrrpCore(params),
        loop=cast(asyncio.AbstractEventLoop, loop),
        path=AdvertPath(FakeSock(events), SRC, (GROUP,)),
        ifname="eth0",
        netlink=cast(Any, FakeNetlink(events)),
        garp=cast(Any, FakeGarp(events)),
        addresses=(IpAddress("192.0.2.100", 24, 4),),
    )
    return driver, loop, events


def test_backup_to_master_executes_actions_in_order_with_one_timer() -> None:
    driver, loop, events = _driver()
    driver.start()
    assert len(loop.armed()) == 1
    assert loop.armed()[0].when == 100.0 + 3 + (256 - 100) / 256
    loop.fire()
    assert events[0] == ("advert", "224.0.0.18", 255, 100)  # the advert goes first
    assert events[1] == ("add", "192.0.2.100/24", "eth0")  # the configured prefix is used
    assert events[2:] == [("garp", "192.0.2.100", "eth0")] * 5
    assert len(loop.armed()) == 1 and loop.armed()[0].when == loop.now + 1
    events.clear()
    loop.fire()
    assert events == [("advert", "224.0.0.18", 255, 100)]


def test_higher_priority_advert_releases_then_shutdown_is_quiet() -> None:
    driver, loop, events = _driver()
    driver.start()
    loop.fire()
    events.clear()
    adv = packet.Advertisement(2, 51, 200, 1, (VIP,))
    driver.receive(adv, src=ipaddress.IPv4Address("192.0.2.2"), ttl=255, multicast=True)
    assert events == [("del", "192.0.2.100/24", "eth0")]
    assert len(loop.armed()) == 1
    events.clear()
    driver.shutdown()
    assert events == [] and loop.armed() == []


def test_shutdown_of_a_master_sends_priority_zero_and_releases() -> None:
    driver, loop, events = _driver()
    driver.start()
    loop.fire()
    events.clear()
    driver.shutdown()
    assert events == [("advert", "224.0.0.18", 255, 0), ("del", "192.0.2.100/24", "eth0")]
    assert loop.armed() == []


def test_dont_release_vrrp_keeps_addresses_on_stop() -> None:
    driver, loop, events = _driver()
    driver.start()
    loop.fire()
    events.clear()
    driver.keep_addresses = True
    driver.shutdown()
    assert events == [("advert", "224.0.0.18", 255, 0)]


def test_ipv4_ident_counter_skips_zero() -> None:
    path = AdvertPath(FakeSock([]), SRC, (GROUP,))
    path._ident = 0xFFFE
    assert [path.next_ident() for _ in range(3)] == [0xFFFF, 1, 2]


def test_a_core_bug_is_logged_and_the_timer_stays_armed(caplog: pytest.LogCaptureFixture) -> None:
    driver, loop, _events = _driver()
    driver.start()

    def broken(now: float) -> None:
        raise RuntimeError("bug")

    driver.core.handle_timer = broken  # type: ignore[method-assign]
    loop.fire()
    assert "internal error in the VRRP core (timer)" in caplog.text
    # the instance is not dead, and does not spin on the deadline it could not handle
    assert [h.when for h in loop.armed()] == [loop.now + 1.0]
