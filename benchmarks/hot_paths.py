"""CPU per advert on keepalived-py's receive and send paths, without the network (no root needed).

    .venv/bin/python benchmarks/hot_paths.py [--instances 250] [--rounds 40] [--repeat 5]

Receive (what a backup does for each advert): ``Listener._dispatch`` of a whole IPv4 datagram to
one of N instances on the listener (a master's advert with a new IPv4 identification each time:
remembered datagram, core, driver, timer queue).  Receive + event loop: the same datagrams written
to a datagram socket pair, 9 at a time (a backup's wake-ups in the 1,000-instance lab bring about
that many), read by the listener's reader callback from one iteration of a real asyncio loop
(selector poll, reader, recv system calls).  Send (what a master does each advert interval): the
shared timer's callback (core, advert, IPv4 datagram, ``sendto`` of a fake socket that drops it).
Warm caches: the daemon pays more per advert (caches cooled by other processes between wake-ups,
the kernel's receive path); ``benchmarks/scale.py`` measures that.  Microseconds of process CPU
time per advert; the machine may be shared, so each row is run ``--repeat`` times.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import socket
import sys
import time
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from keepalived_py.adapters.vrrp_socket import ReceivedV4, VrrpSocketV4
from keepalived_py.runtime.vrrp_driver import AdvertPath, VrrpDriver
from keepalived_py.runtime.vrrp_process import Listener
from keepalived_py.vrrp import packet
from keepalived_py.vrrp.instance import VrrpCore
from keepalived_py.vrrp.params import InstanceParams

MASTER = ipaddress.IPv4Address("192.0.2.1")
BACKUP = ipaddress.IPv4Address("192.0.2.2")
GROUP = ipaddress.IPv4Address("224.0.0.18")


class NullSocket(VrrpSocketV4):
    """Counts what would be sent (no real socket)."""

    def __init__(self) -> None:  # no socket, no interface
        self.ifname = "eth0"
        self.sent = 0

    def send(self, packet_bytes: bytes, dst: ipaddress.IPv4Address) -> bool:
        self.sent += 1
        return True


class NullGarp:
    def send_garp(self, ifname: str, address: ipaddress.IPv4Address) -> bool:
        return True

    def send_na(self, ifname: str, address: ipaddress.IPv6Address, router: bool = False) -> bool:
        return True


def _drivers(loop: asyncio.AbstractEventLoop, n: int, priority: int, src: ipaddress.IPv4Address) -> list[Any]:
    out = []
    for vrid in range(1, n + 1):
        vip = ipaddress.IPv4Address(f"198.51.100.{vrid}")
        params = InstanceParams(
            name=f"L0_{vrid}",
            vrid=vrid,
            priority=priority,
            vips=(vip,),
            source_address=src,
            garp_master_delay_us=0,
        )
        driver = VrrpDriver(
            VrrpCore(params),
            loop=loop,
            path=AdvertPath(NullSocket(), src, (GROUP,)),
            ifname="eth0",
            netlink=cast(Any, None),
            garp=cast(Any, NullGarp()),
        )
        out.append(driver)
    return out


def receive(n: int, rounds: int) -> float:
    loop = asyncio.new_event_loop()
    try:
        listener = Listener(NullSocket(), socket.AF_INET)
        for driver in _drivers(loop, n, 100, BACKUP):
            listener.drivers.append(driver)
            driver.start()
        rounds_of_datagrams = []
        for r in range(rounds + 1):  # a new IPv4 identification in every advert, as a master sends
            datagrams = []
            for vrid in range(1, n + 1):
                adv = packet.Advertisement(2, vrid, 150, 1, (ipaddress.IPv4Address(f"198.51.100.{vrid}"),))
                msg = packet.encode(adv, src=MASTER, dst=GROUP)
                ident = (r * n + vrid) % 0xFFFF + 1
                datagrams.append(packet.build_ipv4_packet(msg, src=MASTER, dst=GROUP, ident=ident))
            rounds_of_datagrams.append(datagrams)
        for data in rounds_of_datagrams[0]:  # warm-up round
            listener._dispatch(ReceivedV4(data, 2))
        t0 = time.process_time()
        for datagrams in rounds_of_datagrams[1:]:
            for data in datagrams:
                listener._dispatch(ReceivedV4(data, 2))
        return (time.process_time() - t0) / rounds / n * 1e6
    finally:
        loop.close()


def receive_loop(n: int, rounds: int, batch: int = 9) -> float:
    """The same through a real event loop and a datagram socket: ``batch`` adverts per wake-up
    (what the daemon's backup sees: a master's timers fire in clusters), including the loop's
    iteration, the selector's poll and the reader callback draining the socket."""
    loop = asyncio.new_event_loop()
    rx, tx = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        rx.setblocking(False)
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        tx.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        sock = VrrpSocketV4.__new__(VrrpSocketV4)
        sock.sock, sock.ifname, sock.ifindex, sock._loop, sock.send_errors = rx, "eth0", 2, None, 0
        listener = Listener(sock, socket.AF_INET)
        for driver in _drivers(loop, n, 100, BACKUP):
            listener.drivers.append(driver)
            driver.start()
        sock.attach(loop, listener.on_readable)
        rounds_of_datagrams = []
        for r in range(rounds + 1):
            datagrams = []
            for vrid in range(1, n + 1):
                adv = packet.Advertisement(2, vrid, 150, 1, (ipaddress.IPv4Address(f"198.51.100.{vrid}"),))
                msg = packet.encode(adv, src=MASTER, dst=GROUP)
                ident = (r * n + vrid) % 0xFFFF + 1
                datagrams.append(packet.build_ipv4_packet(msg, src=MASTER, dst=GROUP, ident=ident))
            rounds_of_datagrams.append(datagrams)
        spent = 0.0
        for r, datagrams in enumerate(rounds_of_datagrams):
            for i in range(0, len(datagrams), batch):
                for data in datagrams[i : i + batch]:
                    tx.send(data)
                t0 = time.process_time()
                loop.call_soon(loop.stop)
                loop.run_forever()  # one iteration: poll, the reader drains the batch
                if r:  # the first round warms up
                    spent += time.process_time() - t0
        sock._loop = None
        loop.remove_reader(rx.fileno())
        # the sender's part is not counted; subtract nothing else
        return spent / rounds / n * 1e6
    finally:
        rx.close()
        tx.close()
        loop.close()


def send(n: int, rounds: int) -> float:
    loop = asyncio.new_event_loop()
    try:
        drivers = _drivers(loop, n, 150, MASTER)
        for driver in drivers:
            driver.core.start(0.0)
            driver.core.handle_timer(10.0)  # master down: MASTER, addresses (not carried out)
            driver.core.drain()
        now = [10.0]
        loop.time = lambda: now[0]  # type: ignore[method-assign]
        for driver in drivers:
            driver._arm()
        timers = drivers[0]._timers
        t0 = time.process_time()
        for _ in range(rounds + 1):
            now[0] += 1.0
            # what the loop does when the shared timer fires (runtime/vrrp_timers.py)
            while timers._handle is not None and timers._armed is not None and timers._armed <= now[0]:
                loop._scheduled.remove(timers._handle)  # type: ignore[attr-defined]
                timers._handle._run()
            if _ == 0:  # warm-up round
                t0 = time.process_time()
        return (time.process_time() - t0) / rounds / n * 1e6
    finally:
        loop.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instances", type=int, default=250)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=5, help="runs of each row; the least and the median shown")
    args = ap.parse_args(argv)
    print(f"{args.instances} instances, {args.rounds} rounds, {args.repeat} runs; us of CPU per advert")
    print("                                               least   median")
    rows = [
        ("receive (backup)", receive),
        ("receive + event loop + socket, 9 per wake-up", receive_loop),
        ("send (master)", send),
    ]
    for label, fn in rows:
        runs = sorted(fn(args.instances, args.rounds) for _ in range(args.repeat))
        print(f"  {label:<44} {runs[0]:6.2f} {runs[len(runs) // 2]:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
