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
