"""Adding and removing a VIP: pyroute2 in a worker thread (the path before issue #3's change) vs
NetlinkAddresses' own RTM_NEWADDR/RTM_DELADDR requests (root).

    sudo .venv/bin/python benchmarks/vip_netlink.py [--pairs 1000] [--idle 100]

Runs in a throw-away namespace (``kpy-bench-<random>``, veth eth0 up, deleted afterwards).  Hot:
add+remove pairs back to back, microseconds per pair (median of 5 runs).  After idle: one add
timed after 50 ms asleep (then removed untimed), median of ``--idle``: the failover case, where a
backup wakes up for the priority-0 advert with cold caches.  The pyroute2 row makes the same
``IPRoute.addr`` calls the old code made (``reference_args`` of the unit test), through a
one-thread executor.  The machine may be shared: compare rows of one run.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from keepalived_py.config.model.ip import IpAddress  # noqa: E402

VIPS = (
    IpAddress("192.0.2.100", 24, 4, broadcast="192.0.2.255", label="eth0:1"),
    IpAddress("2001:db8::100", 64, 6),
)


def measure(
    add: Callable[[IpAddress], None],
    remove: Callable[[IpAddress], None],
    vip: IpAddress,
    pairs: int,
    idle: int,
) -> tuple[float, float]:
    hot = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(pairs):
            add(vip)
            remove(vip)
        hot.append((time.perf_counter() - t0) / pairs * 1e6)
    cold = []
    for _ in range(idle):
        time.sleep(0.05)
        t0 = time.perf_counter()
        add(vip)
        cold.append((time.perf_counter() - t0) * 1e6)
        remove(vip)
    return statistics.median(hot), statistics.median(cold)


def inside(pairs: int, idle: int) -> None:
    from pyroute2 import IPRoute

    from keepalived_py.adapters.addresses import NetlinkAddresses
    from tests.unit.test_netlink_address_requests import reference_args

    index = socket.if_nametoindex("eth0")
    pool = ThreadPoolExecutor(max_workers=1)
    ipr = pool.submit(IPRoute).result()
    nl = NetlinkAddresses()

    def old_add(vip: IpAddress) -> None:
        pool.submit(ipr.addr, "add", **reference_args(vip, index, add=True)).result()

    def old_remove(vip: IpAddress) -> None:
        pool.submit(ipr.addr, "del", **reference_args(vip, index, add=False)).result()

    def new_add(vip: IpAddress) -> None:
        assert nl.add_address(vip, "eth0") is None

    def new_remove(vip: IpAddress) -> None:
        assert nl.remove_address(vip, "eth0") is None

    print(f"{'':24} {'add+remove pair, hot':>22} {'one add after 50 ms idle':>26}")
    for vip in VIPS:
        for name, add, remove in (
            ("pyroute2 thread", old_add, old_remove),
            ("raw netlink", new_add, new_remove),
        ):
            hot, cold = measure(add, remove, vip, pairs, idle)
            print(f"IPv{vip.family} {name:19} {hot:19.1f} us {cold:23.1f} us")
    nl.close()
    pool.submit(ipr.close).result()
    pool.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=100)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        inside(args.pairs, args.idle)
        return
    from tests.netns_util import netns, root_available

    reason = root_available()
    if reason:
        sys.exit(reason)
    with netns("kpy-bench-") as ns:
        argv = [sys.executable, __file__, "--inside", f"--pairs={args.pairs}", f"--idle={args.idle}"]
        done = ns.run(argv, timeout=600, cwd=str(ROOT), env=dict(os.environ))
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
