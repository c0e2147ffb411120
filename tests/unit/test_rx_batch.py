"""Deferred reads of backups' sockets (runtime/rx_batch.py) decide exactly as immediate reads.

The main test runs the same traffic twice through a real ``Listener``, its drivers and cores,
the loop's ``LoopTimers`` and ``ReadBatcher``, on a simulated event loop (virtual clock, a fake
socket that stamps each datagram with its arrival time as the kernel does): once with the
listener read at once (no batcher), once with deferred reads.  The masters come and go, send
priority 0, lower and higher priorities, bad bytes; our instances take over and give back.
Both runs must send the same adverts at the same times and end with the same transitions,
counters and deadlines.
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import random
import socket
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, cast

from keepalived_py.adapters.vrrp_socket import VrrpSocketV4
from keepalived_py.runtime.rx_batch import MAX_DELAY, ReadBatcher, arrival_time, batch_delay
from keepalived_py.runtime.vrrp_driver import AdvertPath, VrrpDriver
from keepalived_py.runtime.vrrp_process import Listener
from keepalived_py.runtime.vrrp_rx import read_v4_stamped
from keepalived_py.runtime.vrrp_timers import LoopTimers
from keepalived_py.vrrp.instance import VrrpCore
from keepalived_py.vrrp.params import InstanceParams
from keepalived_py.vrrp.state import State
from tests.unit.test_vrrp_rx_fast import (
    GROUP,
    MASTER,
    ME,
    OTHER,
    NullAdapters,
    _datagram,
    _vip,
    instance_params,
)

WALL_OFFSET_NS = 1_700_000_000 * 10**9  # the simulated wall clock: the loop's clock + this


def test_batch_delay_is_a_quarter_of_the_shortest_skew_within_bounds() -> None:
    second, buf = 1_000_000, 212_992  # the kernel's default receive buffer
    assert batch_delay([], buf) is None
    assert batch_delay([(609_375, second), None], buf) is None  # one instance must be read at once
    assert batch_delay([(609_375, second), (800_000, second)], buf) == 609_375 / 1e6 / 4
    assert batch_delay([(2_000_000, 5 * second)], buf) == MAX_DELAY  # a long skew: capped
    assert batch_delay([(60_937, second // 10)], buf) == 60_937 / 1e6 / 4  # 0.1 s, priority 100
    assert batch_delay([(7_812, second)], buf) is None  # priority 254 at 1 s: 2 ms is not worth a poll
    # 250 instances at 1 s fill half the buffer (2 KiB each) in 0.208 s; 1,000 in 0.052 s
    assert batch_delay([(609_375, second)] * 250, buf) == 609_375 / 1e6 / 4
    assert batch_delay([(609_375, second)] * 1000, buf) == buf / 2 / 2048 / 1000


def test_arrival_time_is_kept_between_the_previous_read_and_now() -> None:
    offset = 1_700_000_000 * 10**9
    assert arrival_time(offset + 500_000_001, offset, 0.0, 1.0) == 0.500000001
    assert arrival_time(offset + 2 * 10**9, offset, 0.0, 1.0) == 1.0  # the wall clock stepped ahead
    assert arrival_time(offset - 10**9, offset, 0.25, 1.0) == 0.25  # ... or back


def test_read_v4_stamped_gives_the_kernel_receive_time() -> None:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.bind(("127.0.0.1", 0))
        rx.setblocking(False)
        sock = VrrpSocketV4.__new__(VrrpSocketV4)
        sock.sock = rx
        sock.stamp_arrivals()
        before = time.time_ns()
        for i in range(3):
            tx.sendto(bytes([i]) * 5, rx.getsockname())
        deadline = time.monotonic() + 5
        got: list[tuple[bytes, int | None]] = []
        while len(got) < 3 and time.monotonic() < deadline:
            got += read_v4_stamped(rx)
        after = time.time_ns()
        assert [data for data, _ in got] == [bytes([i]) * 5 for i in range(3)]
        stamps = [stamp for _, stamp in got]
        assert all(stamp is not None and before <= stamp <= after for stamp in stamps)
        assert stamps == sorted(cast(list[int], stamps))
    finally:
        rx.close()
        tx.close()


class SimLoop:
    """call_at / add_reader on a virtual clock, run by ``run_until``."""

    def __init__(self) -> None:
        self.now = 100.0
        self._timers: list[tuple[float, int, Callable[[], None], list[bool]]] = []
        self._ids = itertools.count()
        self.readers: dict[int, Callable[[], None]] = {}

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[[], None]) -> Any:
        cancelled = [False]
        heapq.heappush(self._timers, (when, next(self._ids), callback, cancelled))

        class Handle:
            def cancel(self) -> None:
                cancelled[0] = True

        return Handle()

    def add_reader(self, fd: int, callback: Callable[[], None]) -> None:
        self.readers[fd] = callback

    def remove_reader(self, fd: int) -> None:
        self.readers.pop(fd, None)

    def next_timer(self) -> float | None:
        while self._timers and self._timers[0][3][0]:
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    def run_timer(self) -> None:
        when, _, callback, _cancelled = heapq.heappop(self._timers)
        self.now = max(self.now, when)
        callback()


class QueueSock:
    """The socket under a VrrpSocketV4: datagrams queued with their arrival times."""

    def __init__(self) -> None:
        self.queue: deque[tuple[bytes, float]] = deque()
        self.stamping = False

    def fileno(self) -> int:
        return 7

    def setsockopt(self, *args: Any) -> None:
        self.stamping = True

    def getsockopt(self, *args: Any) -> int:
        return 212_992

    def recv(self, size: int) -> bytes:
        if not self.queue:
            raise BlockingIOError
        return self.queue.popleft()[0]

    def recvmsg(self, size: int, space: int) -> tuple[bytes, list[tuple[int, int, bytes]], int, None]:
        if not self.queue:
            raise BlockingIOError
        data, at = self.queue.popleft()
        assert self.stamping
        ns = round(at * 1e9) + WALL_OFFSET_NS
        return data, [(socket.SOL_SOCKET, 35, struct.pack("@qq", ns // 10**9, ns % 10**9))], 0, None


class RecordingSock(VrrpSocketV4):
    """Our adverts, with the loop's time they were sent at."""

    def __init__(self, loop: SimLoop, sent: list[tuple[float, bytes]]) -> None:  # no socket
        self.ifname = "eth0"
        self._loop_ = loop
        self._sent = sent

    def send(self, packet_bytes: bytes, dst: ipaddress.IPv4Address) -> bool:
        # the identification differs with the number of adverts sent, not their time: masked
        self._sent.append((self._loop_.now, packet_bytes[:4] + packet_bytes[8:10] + packet_bytes[12:]))
        return True


def _sim_listener(loop: SimLoop, raw: QueueSock, *, batched: bool) -> Listener:
    sock = VrrpSocketV4.__new__(VrrpSocketV4)
    sock.sock, sock.ifname, sock.ifindex = cast(Any, raw), "eth0", 2
    sock._loop, sock._on_readable, sock._watched = None, None, False
    listener = Listener(sock, 2)
    sock.attach(cast(Any, loop), listener.on_readable)
    if batched:
        timers = LoopTimers.for_loop(loop)
        listener.batcher = ReadBatcher.for_timers(timers, lambda: round(loop.now * 1e9) + WALL_OFFSET_NS)
    return listener


def _run(events: list[tuple[float, bytes]], *, batched: bool) -> tuple[Any, ...]:
    loop = SimLoop()
    sent: list[tuple[float, bytes]] = []
    raw = QueueSock()
    listener = _sim_listener(loop, raw, batched=batched)
    for vrid in (1, 2, 3):
        driver = VrrpDriver(
            VrrpCore(instance_params(vrid)),
            loop=cast(Any, loop),
            path=AdvertPath(RecordingSock(loop, sent), ME, (GROUP,)),
            ifname="eth0",
            netlink=cast(Any, NullAdapters()),
            garp=cast(Any, NullAdapters()),
        )
        driver.on_change = listener.refresh_reads
        listener.drivers.append(driver)
    for driver in listener.drivers:
        driver.start()
    modes: set[bool] = set()
    pending = deque(events)
    end = events[-1][0] + 10.0
    while True:
        due = loop.next_timer()
        arrival = pending[0][0] if pending else None
        if arrival is not None and (due is None or arrival < due):
            loop.now = arrival
            data = pending.popleft()[1]
            raw.queue.append((data, arrival))
            reader = loop.readers.get(7)
            if reader is not None:
                reader()
        elif due is not None and due <= end:
            loop.run_timer()
        else:
            break
        modes.add(listener._delay is not None)
    if listener.batcher is not None:
        listener.batcher.flush()
    return (
        sent,
        [(d.history, asdict(d.core.counters), d.core.get_timer(), d.core.state) for d in listener.drivers],
        modes,
    )


def _traffic(seed: int) -> list[tuple[float, bytes]]:
    """A master at priority 150 advertising every ~1 s for three instances, with gaps (it dies),
    priority 0 (it leaves), a lower-priority sender, a wrong TTL, bad passwords and bad bytes."""
    rng = random.Random(seed)
    events: list[tuple[float, bytes]] = []
    t = 101.0
    ident = 0
    while t < 160.0:
        roll = rng.random()
        if roll < 0.04:
            t += rng.uniform(3.0, 6.0)  # the master is gone for a while: we take over
            continue
        for vrid in (1, 2, 3):
            ident += 1
            pw = b"secret" if vrid == 3 and rng.random() < 0.9 else (b"wrong" if vrid == 3 else b"")
            kind = rng.random()
            if kind < 0.85:
                data = _datagram(vrid, 150, ident, pw=pw)
            elif kind < 0.9:
                data = _datagram(vrid, 0, ident, pw=pw)
            elif kind < 0.94:
                data = _datagram(vrid, 50, ident, pw=pw, src=OTHER)
            elif kind < 0.96:
                data = _datagram(vrid, 150, ident, ttl=64, pw=pw)
            else:
                flipped = bytearray(_datagram(vrid, 150, ident, pw=pw))
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
                data = bytes(flipped)
            events.append((t + rng.uniform(0, 0.002), data))
        t += rng.uniform(0.9, 1.1)
    events.sort(key=lambda e: e[0])
    return events


def test_deferred_reads_send_the_same_adverts_at_the_same_times() -> None:
    for seed in range(6):
        events = _traffic(seed)
        at_once = _run(events, batched=False)
        deferred = _run(events, batched=True)
        assert at_once[2] == {False}
        assert deferred[2] == {False, True}, seed  # both modes were used
        assert deferred[0] == at_once[0], seed
        assert deferred[1] == at_once[1], seed
        histories = [h for h, *_ in at_once[1]]
        assert all(any(c.new is State.MASTER for c in h) for h in histories), seed  # takeovers happened
        assert all(len(h) >= 4 for h in histories), seed  # ... and give-backs
        assert all(counters["advert_rcvd"] > 20 for _, counters, *_ in at_once[1]), seed


def test_a_priority_change_reads_the_socket_first() -> None:
    loop = SimLoop()
    raw = QueueSock()
    listener = _sim_listener(loop, raw, batched=True)
    params = InstanceParams(name="VI_1", vrid=1, priority=100, vips=(_vip(1),), source_address=ME)
    driver = VrrpDriver(
        VrrpCore(params),
        loop=cast(Any, loop),
        path=AdvertPath(RecordingSock(loop, []), ME, (GROUP,)),
        ifname="eth0",
        netlink=cast(Any, NullAdapters()),
        garp=cast(Any, NullAdapters()),
    )
    driver.on_change = listener.refresh_reads
    listener.drivers.append(driver)
    driver.start()
    assert listener._delay == 609_375 / 1e6 / 4 and 7 not in loop.readers  # a backup: read by the poll
    raw.queue.append((_datagram(1, 150, 1), loop.now + 0.01))
    loop.now += 0.02
    driver.set_priority(120)
    assert not raw.queue and driver.core.counters.advert_rcvd == 1
    # the advert counted from its arrival, then the down interval moved by the priority's skew change
    assert driver.core.master_address == MASTER
