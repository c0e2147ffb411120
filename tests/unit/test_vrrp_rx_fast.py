"""The listener's path for datagrams seen before (runtime/vrrp_rx.py VridIndex.receive_v4).

Two listeners get the same IPv4 datagrams: one as in the daemon, one with the remembered path
switched off (every datagram through the codec).  Their instances must end in the same states,
counters and deadlines, whatever the traffic: a master's repeated adverts (a new identification
each time), a corrupted header checksum on known bytes, wrong TTL, wrong password, lower and
higher priorities, priority 0, unknown VRIDs, truncated and random bytes.
"""

from __future__ import annotations

import ipaddress
import random
import socket
from dataclasses import asdict
from typing import Any, cast

from keepalived_py.adapters.vrrp_socket import ReceivedV4, VrrpSocketV4
from keepalived_py.runtime.vrrp_driver import AdvertPath, VrrpDriver
from keepalived_py.runtime.vrrp_process import Listener
from keepalived_py.runtime.vrrp_rx import read_v4
from keepalived_py.vrrp import packet
from keepalived_py.vrrp.instance import VrrpCore
from keepalived_py.vrrp.params import AUTH_PASS, InstanceParams

MASTER = ipaddress.IPv4Address("192.0.2.1")
OTHER = ipaddress.IPv4Address("192.0.2.3")
ME = ipaddress.IPv4Address("192.0.2.2")
GROUP = ipaddress.IPv4Address("224.0.0.18")


class Loop:
    def __init__(self) -> None:
        self.now = 10.0

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, cb: Any) -> Any:
        class Handle:
            def cancel(self) -> None:
                pass

        return Handle()


class NullSock(VrrpSocketV4):
    def __init__(self) -> None:  # no socket
        self.ifname = "eth0"

    def send(self, packet_bytes: bytes, dst: ipaddress.IPv4Address) -> bool:
        return True


class NullAdapters:
    """Netlink and GARP stand-ins that succeed."""

    def add_address(self, *args: Any) -> None:
        return None

    def remove_address(self, *args: Any) -> None:
        return None

    def send_garp(self, *args: Any) -> bool:
        return True

    def ipv6_forwarding(self, ifname: str) -> bool:
        return False


def _vip(vrid: int) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(f"198.51.100.{vrid}")


def instance_params(vrid: int) -> InstanceParams:
    """VI_<vrid>, priority 100, one VIP; VRID 3 with the password "secret"."""
    return InstanceParams(
        name=f"VI_{vrid}",
        vrid=vrid,
        priority=100,
        vips=(_vip(vrid),),
        source_address=ME,
        garp_master_delay_us=0,
        auth_type=AUTH_PASS if vrid == 3 else 0,
        auth_data=b"secret\0\0" if vrid == 3 else b"\0" * 8,
    )


def _listener(loop: Loop, *, fast: bool) -> Listener:
    listener = Listener(cast(Any, None), 2)
    for vrid in (1, 2, 3):
        driver = VrrpDriver(
            VrrpCore(instance_params(vrid)),
            loop=cast(Any, loop),
            path=AdvertPath(NullSock(), ME, (GROUP,)),
            ifname="eth0",
            netlink=cast(Any, NullAdapters()),
            garp=cast(Any, NullAdapters()),
        )
        driver.core.start(loop.now)
        driver.core.drain()
        listener.drivers.append(driver)
    if not fast:
        listener._index.receive_v4 = lambda *args: False  # type: ignore[method-assign]
    return listener


def _datagram(
    vrid: int,
    priority: int,
    ident: int,
    *,
    ttl: int = 255,
    src: ipaddress.IPv4Address = MASTER,
    pw: bytes = b"",
) -> bytes:
    auth = 1 if pw else 0
    adv = packet.Advertisement(2, vrid, priority, 1, (_vip(vrid),), auth_type=auth, auth_data=pw)
    msg = packet.encode(adv, src=src, dst=GROUP)
    return packet.build_ipv4_packet(msg, src=src, dst=GROUP, ttl=ttl, ident=ident)


def _state(listener: Listener) -> list[Any]:
    return [
        (
            d.core.state,
            asdict(d.core.counters),
            d.core.get_timer(),
            d.core.master_address,
            d.core.master_priority,
        )
        for d in listener.drivers
    ]


def test_repeated_adverts_take_the_remembered_path_with_the_same_result() -> None:
    loop = Loop()
    fast, slow = _listener(loop, fast=True), _listener(loop, fast=False)
    calls = [0]
    real = fast._split.split_ipv4

    def counting(data: bytes) -> packet.IPv4Packet:
        calls[0] += 1
        return real(data)

    fast._split.split_ipv4 = counting  # type: ignore[method-assign]
    for ident in range(1, 11):
        loop.now += 1.0
        data = _datagram(1, 150, ident)
        fast._dispatch(ReceivedV4(data, 2))
        slow._dispatch(ReceivedV4(data, 2))
        assert _state(fast) == _state(slow)
    assert calls[0] == 1  # only the first one went through the codec
    assert fast.drivers[0].core.counters.advert_rcvd == 10


def test_a_bad_header_checksum_on_known_bytes_is_still_dropped() -> None:
    loop = Loop()
    fast = _listener(loop, fast=True)
    fast._dispatch(ReceivedV4(_datagram(1, 150, 1), 2))
    bad = bytearray(_datagram(1, 150, 2))
    bad[10] ^= 0x01
    before = fast.drivers[0].core.get_timer()
    loop.now += 1.0
    fast._dispatch(ReceivedV4(bytes(bad), 2))
    assert fast.drivers[0].core.get_timer() == before
    assert fast.drivers[0].core.counters.advert_rcvd == 1


def test_mixed_and_hostile_traffic_gives_the_same_states_and_counters() -> None:
    rng = random.Random(3)
    loop = Loop()
    fast, slow = _listener(loop, fast=True), _listener(loop, fast=False)
    for ident in range(1, 3000):
        roll = rng.random()
        vrid = rng.choice((1, 2, 3, 4))
        pw = b"secret" if vrid == 3 and rng.random() < 0.8 else (b"wrong" if vrid == 3 else b"")
        if roll < 0.6:
            data = _datagram(vrid, 150, ident, pw=pw)
        elif roll < 0.65:
            data = _datagram(vrid, 150, ident, ttl=64, pw=pw)
        elif roll < 0.7:
            data = _datagram(vrid, rng.choice((0, 50, 100, 200)), ident, pw=pw, src=OTHER)
        elif roll < 0.75:
            flipped = bytearray(_datagram(vrid, 150, ident, pw=pw))
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            data = bytes(flipped)
        elif roll < 0.8:
            data = _datagram(vrid, 150, ident, pw=pw)[: rng.randrange(1, 40)]
        else:
            data = b""  # no datagram: time passes (masters fall silent, instances take over)
        loop.now += rng.random() * 0.6
        for listener in (fast, slow):
            for driver in listener.drivers:
                due = driver.core.get_timer()
                if due is not None and due <= loop.now:
                    driver._on_timer()
            if data:
                listener._dispatch(ReceivedV4(data, 2))
        assert _state(fast) == _state(slow), ident
    # the traffic made transitions both ways and errors of several kinds
    counters = [d.core.counters for d in fast.drivers]
    assert all(len(d.history) >= 2 for d in fast.drivers)
    assert sum(c.ip_ttl_err for c in counters) and counters[2].auth_failure


def test_read_v4_drains_up_to_the_limit_per_wake_up() -> None:
    rx, tx = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        rx.setblocking(False)
        assert read_v4(rx) == []
        for i in range(10):
            tx.send(bytes([i]) * 3)
        assert read_v4(rx, limit=4) == [bytes([i]) * 3 for i in range(4)]
        assert read_v4(rx) == [bytes([i]) * 3 for i in range(4, 10)]
    finally:
        rx.close()
        tx.close()


def test_the_ipv4_reader_takes_both_paths() -> None:
    loop = Loop()
    listener = _listener(loop, fast=True)
    rx, tx = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        rx.setblocking(False)
        sock = VrrpSocketV4.__new__(VrrpSocketV4)
        sock.sock, sock.ifname, sock.ifindex = rx, "eth0", 2
        listener.sock = sock
        bad = bytearray(_datagram(1, 150, 3))
        bad[10] ^= 0x01
        for data in (
            _datagram(1, 150, 1),
            _datagram(1, 150, 2),
            bytes(bad),
            b"\x45junk",
            _datagram(2, 150, 4),
        ):
            tx.send(data)
        listener.on_readable()
        counters = [d.core.counters for d in listener.drivers]
        assert [c.advert_rcvd for c in counters] == [2, 1, 0]
    finally:
        rx.close()
        tx.close()
