"""Faults around a running pair of keepalived-py daemons: a frozen master, a VIP deleted by hand."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest

from tests.netns.conftest import record_time
from tests.netns.lab import Lab, wait_until
from tests.netns.vrrp_lab import VIP, start_kpy, vrrp_config, write_config

pytestmark = pytest.mark.root

MASTER_DOWN_100 = 3 + (256 - 100) / 256
# one advert interval (1 s) plus the time to notice and delete the address, on a loaded machine
ONE_INTERVAL = 1.0
MARGIN = 1.0


def test_frozen_master_resumes_without_a_lasting_split_brain(make_lab: Callable[..., Lab]) -> None:
    """SIGSTOP of the master for 5 s, then SIGCONT: the backup took over meanwhile; once the master
    runs again, two nodes hold the VIP for at most about one advert interval."""
    the_lab = make_lab(2)
    procs = {}
    for index, prio in ((1, 150), (2, 100)):
        node = the_lab.node(index)
        procs[index] = start_kpy(node, write_config(node, vrrp_config(priority=prio)))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=15, what="node 1 master")
    group = os.getpgid(procs[1].pid)
    os.killpg(group, signal.SIGSTOP)
    try:
        # the backup takes over; the frozen master still has the address on its interface
        the_lab.wait_holders(VIP, lambda h: 2 in h, timeout=MASTER_DOWN_100 + 2, what="node 2 takes over")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(group, signal.SIGCONT)
    t0 = time.monotonic()
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=ONE_INTERVAL + MARGIN, what="one holder again")
    took = time.monotonic() - t0
    record_time("SIGCONT of a frozen master -> a single VIP holder again", took, ONE_INTERVAL)
    assert procs[1].running() and procs[2].running()
    wait_until(
        lambda: "Entering BACKUP STATE" in procs[2].output().split("Entering MASTER STATE")[-1], timeout=3
    )


def test_vip_deleted_by_hand_is_noticed_and_restored(make_lab: Callable[..., Lab]) -> None:
    """`ip addr del` of the master's VIP: the master notices it through netlink, steps down with a
    priority-0 advert and, being the best router, takes the VIP back after the skew time."""
    the_lab = make_lab(2)
    procs = {}
    for index, prio in ((1, 150), (2, 100)):
        node = the_lab.node(index)
        procs[index] = start_kpy(node, write_config(node, vrrp_config(priority=prio)))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=15, what="node 1 master")
    t0 = time.monotonic()
    the_lab.node(1).run(["ip", "addr", "del", f"{VIP}/24", "dev", "eth0"], check=True)
    wait_until(
        lambda: f"Netlink reflector reports IP {VIP} removed from eth0" in procs[1].output(), timeout=5
    )
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=3, what="VIP back on node 1")
    took = time.monotonic() - t0
    record_time("VIP deleted by hand on the master -> back on the master", took, 1.0)
    out = procs[1].output()
    assert out.count("Entering MASTER STATE") == 2
    assert "Entering BACKUP STATE" in out


def test_static_address_deleted_by_hand_is_put_back(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(1)
    node = the_lab.node(1)
    text = vrrp_config(priority=150) + "static_ipaddress {\n    203.0.113.7/32 dev eth0\n}\n"
    proc = start_kpy(node, write_config(node, text))
    wait_until(lambda: node.holds("203.0.113.7"), timeout=15, what="static address")
    node.run(["ip", "addr", "del", "203.0.113.7/32", "dev", "eth0"], check=True)
    wait_until(lambda: node.holds("203.0.113.7"), timeout=5, what="static address back")
    assert "Restoring deleted static address 203.0.113.7 dev eth0 scope global set" in proc.output()
