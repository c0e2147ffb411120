"""Two keepalived-py daemons in one VRRP group (v2, multicast): election, crash takeover, handover.

Times are measured from the event (kill / SIGTERM) to the moment the backup holds the VIP, by
polling ``ip -o addr``; they are recorded in the terminal summary (see conftest.py).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest

from tests.netns.conftest import record_time
from tests.netns.lab import Lab, Proc, stays_true
from tests.netns.vrrp_lab import VIP, start_kpy, vrrp_config, write_config

pytestmark = pytest.mark.root

# advert_int 1 s, priority 100: master down interval = 3 * 1 + (256 - 100) / 256 = 3.61 s
MASTER_DOWN_100 = 3 + (256 - 100) / 256
SKEW_100 = (256 - 100) / 256
MARGIN = 1.5


def _pair(make_lab: Callable[..., Lab]) -> tuple[Lab, list[Proc]]:
    the_lab = make_lab(2)
    procs = []
    for index, priority in ((1, 150), (2, 100)):
        node = the_lab.node(index)
        procs.append(start_kpy(node, write_config(node, vrrp_config(priority=priority))))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="n1 (priority 150) master")
    # exactly one holder, and it stays so for a few advert intervals
    stays_true(lambda: the_lab.vip_holders(VIP) == [1], duration=2.5, what="single master n1")
    return the_lab, procs


def test_election_and_crash_takeover(make_lab: Callable[..., Lab]) -> None:
    the_lab, procs = _pair(make_lab)
    assert "(VI_1) Entering MASTER STATE" in procs[0].output()
    assert "(VI_1) Entering BACKUP STATE (init)" in procs[1].output()
    assert "Entering MASTER STATE" not in procs[1].output()
    procs[0].kill_group(signal.SIGKILL)
    t0 = time.monotonic()
    the_lab.wait_holders(VIP, lambda h: 2 in h, timeout=MASTER_DOWN_100 + MARGIN, what="n2 takes over")
    took = time.monotonic() - t0
    record_time("kpy->kpy takeover after SIGKILL of the master", took, MASTER_DOWN_100)
    assert "(VI_1) Entering MASTER STATE" in procs[1].output()


def test_sigterm_priority_zero_handover(make_lab: Callable[..., Lab]) -> None:
    the_lab, procs = _pair(make_lab)
    procs[0].send_signal(signal.SIGTERM)
    t0 = time.monotonic()
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=SKEW_100 + MARGIN, what="n2 takes over at once")
    took = time.monotonic() - t0
    record_time("kpy->kpy handover after SIGTERM (priority 0)", took, SKEW_100)
    assert procs[0].wait(timeout=5) == 0
    out = procs[0].output()
    assert "(VI_1) sent 0 priority" in out and "(VI_1) removing VIPs." in out


def test_interface_down_is_a_fault(make_lab: Callable[..., Lab]) -> None:
    the_lab, procs = _pair(make_lab)
    n1 = the_lab.node(1)
    n1.run(["ip", "link", "set", "eth0", "down"], check=True)
    t0 = time.monotonic()
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=MASTER_DOWN_100 + MARGIN, what="n2 takes over")
    record_time("kpy->kpy takeover after the master's link went down", time.monotonic() - t0, MASTER_DOWN_100)
    assert "(VI_1) Entering FAULT STATE" in procs[0].output()
    n1.run(["ip", "link", "set", "eth0", "up"], check=True)
    # back from FAULT as backup, then preempts (priority 150 > 100)
    limit = MASTER_DOWN_100 + 2 * MARGIN
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=limit, what="n1 master again")
