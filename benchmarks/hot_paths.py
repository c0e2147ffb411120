"""CPU per advert on keepalived-py's receive and send paths, without sockets (no root needed).

    .venv/bin/python benchmarks/hot_paths.py [--instances 250] [--rounds 40]

Receive (what a backup does for each advert): ``Listener._dispatch`` of a whole IPv4 datagram to
one of N instances on the listener (split, VRID lookup, decode, core, driver, timer).  Send (what
a master does each advert interval): the driver's timer callback (core, advert, IPv4 datagram,
``sendto`` of a fake socket that drops it).  Both on a real asyncio loop's timers, with warm
caches: the daemon pays more per advert (cold caches, one wake-up for a few packets, the kernel's
part); ``benchmarks/scale.py`` measures that.  Microseconds of process CPU time per advert.
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
    args = ap.parse_args(argv)
    print(f"{args.instances} instances, {args.rounds} rounds; microseconds of CPU per advert")
    print(f"  receive (backup): {receive(args.instances, args.rounds):6.2f} us")
    print(f"  send (master):    {send(args.instances, args.rounds):6.2f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
