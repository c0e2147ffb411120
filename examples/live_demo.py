"""Live demo: three keepalived-py daemons in three network namespaces share one virtual IP.

Run as root from the repository (``bash .ci/demo`` does): it builds a throw-away lab (namespaces
joined by a bridge, documentation addresses only, removed at the end), starts
``keepalived-py -n -l`` on each node with priorities 150/100/50, and shows the VIP 192.0.2.100 move:

1. election: who holds the VIP, and how long it took;
2. SIGKILL of the master's whole process group (a crash): the next node takes over after the
   master-down interval;
3. SIGTERM of the new master (a clean stop): it sends priority 0 and the last node takes over at once;
4. the first node restarted: it preempts and takes the VIP back.

Each step prints the measured time next to what the protocol allows.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.netns.lab import Lab, Proc, root_available
from tests.netns.vrrp_lab import VIP, start_kpy, vrrp_config, write_config

PRIORITIES = {1: 150, 2: 100, 3: 50}


def master_down(priority: int, advert: float = 1.0) -> float:
    return 3 * advert + (256 - priority) / 256 * advert


def holders(lab: Lab) -> list[int]:
    return lab.vip_holders(VIP)


def wait_for(lab: Lab, node: int, timeout: float, *, alone: bool = True) -> float:
    """Seconds until ``node`` holds the VIP (alone, unless a crashed node still has it)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        found = holders(lab)
        if node in found and (not alone or found == [node]):
            return time.monotonic() - start
        time.sleep(0.01)
    raise SystemExit(f"node {node} did not get the VIP within {timeout:.0f} s (holders: {holders(lab)})")


def step(title: str, took: float, bound: str) -> None:
    print(f"  {title:<58} {took * 1000:7.0f} ms   ({bound})")


def main() -> int:
    reason = root_available()
    if reason:
        print(f"live demo skipped: {reason}")
        return 0
    print(f"Three namespaces, keepalived-py on each, VIP {VIP} (priorities 150 / 100 / 50)")
    lab = Lab(3, prefix="kpy-demo-")
    try:
        run(lab)
    finally:
        lab.close()
        print("  the lab is removed (namespaces, bridge, processes)")
    return 0


def run(lab: Lab) -> None:
    procs: dict[int, Proc] = {}
    for i, prio in PRIORITIES.items():
        node = lab.node(i)
        procs[i] = start_kpy(node, write_config(node, vrrp_config(priority=prio)), detail=False)
    took = wait_for(lab, 1, timeout=20)
    step(
        "election: node 1 (150) holds the VIP (from process start)",
        took,
        f"master-down {master_down(150):.2f} s",
    )
    print(f"  holders now: node {holders(lab)}")

    procs[1].kill_group(signal.SIGKILL)
    procs[1].wait(timeout=5)  # reap it: a zombie's pid file still reads "running"
    took = wait_for(lab, 2, timeout=10, alone=False)
    step("crash: SIGKILL of node 1 -> node 2 (100) takes over", took, f"≤ {master_down(100):.2f} s")
    # like keepalived, a killed daemon cannot remove its addresses: node 1 still has the VIP
    print(f"  holders now: nodes {holders(lab)} (a crashed daemon leaves its VIP, as keepalived does)")
    lab.node(1).run(["ip", "addr", "del", f"{VIP}/24", "dev", "eth0"])

    procs[2].send_signal(signal.SIGTERM)
    took = wait_for(lab, 3, timeout=10)
    step("clean stop: SIGTERM of node 2 -> node 3 (50) takes over", took, "priority 0: skew time ≈ 0.80 s")

    node = lab.node(1)
    procs[1] = start_kpy(node, write_config(node, vrrp_config(priority=150)), detail=False)
    took = wait_for(lab, 1, timeout=20)
    step("restart of node 1 (150) -> it preempts node 3 (from process start)", took, "its first adverts")
    for proc in procs.values():
        proc.stop()


if __name__ == "__main__":
    raise SystemExit(main())
