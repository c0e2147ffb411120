"""vrrp_track_process on a keepalived-py master: the tracked process dies -> the priority drops
by the weight (or, with weight 0, the instance goes FAULT) -> the VIP moves to the peer; the
process runs again -> the master preempts and takes the VIP back.

The tracked program is a copy of /bin/sleep under a name unique to the test (the kernel's
process events and /proc are shared by every namespace here, so matching that name keeps the
tests independent); it is started and killed through the lab, by PID.  Inside a network
namespace the kernel refuses the process connector subscription (keepalived 2.2.7 then never
sees a process); keepalived-py opens it in the initial network namespace, or polls /proc when it
cannot reach that namespace, and says which.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
from collections.abc import Callable

import pytest

from tests.netns.lab import Lab, Node, Proc, wait_until
from tests.netns.vrrp_lab import (
    VIP,
    keepalived_available,
    start_keepalived,
    start_kpy,
    vrrp_config,
    write_config,
)

pytestmark = pytest.mark.root

# advert_int 1 s: the master down interval is < 4 s; /proc is polled every second.
LIMIT = 10.0


def _program(node: Node) -> tuple[str, str]:
    """A copy of /bin/sleep under a random name (its comm, at most 15 bytes); (path, name)."""
    path = node.path("kpt" + secrets.token_hex(4))
    shutil.copy("/bin/sleep", path)
    name = os.path.basename(path)
    assert len(name) <= 15
    return path, name


def _run(node: Node, path: str) -> Proc:
    return node.start([path, "3600"], label="tracked")


def _config(name: str, priority: int, weight: int) -> str:
    tracker = f"""vrrp_track_process tracked {{
    process {name}
    weight {weight}
}}
"""
    return tracker + vrrp_config(priority=priority, extra="track_process {\n    tracked\n}")


def _start_peer(the_lab: Lab, kind: str) -> Proc:
    node = the_lab.node(2)
    config = write_config(node, vrrp_config(priority=100))
    if kind == "keepalived":
        reason = keepalived_available()
        if reason:
            pytest.skip(reason)
        return start_keepalived(node, config)
    return start_kpy(node, config)


@pytest.mark.parametrize("peer", ["keepalived-py", "keepalived"])
def test_dead_process_moves_the_vip(make_lab: Callable[..., Lab], peer: str) -> None:
    the_lab = make_lab(2)
    n1 = the_lab.node(1)
    path, name = _program(n1)
    tracked = _run(n1, path)
    p1 = start_kpy(n1, write_config(n1, _config(name, 150, -60)))
    p2 = _start_peer(the_lab, peer)
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=LIMIT, what="n1 (priority 150) master")
    # from the lab's namespace: the connector of the initial network namespace, or (where PID 1's
    # namespace is out of reach, as in some sandboxes) polling /proc
    assert (
        "using the process connector of the initial network namespace" in p1.output()
        or "polling /proc every 1 s" in p1.output()
    )

    # the process dies: 150 - 60 = 90 < 100, n2 preempts
    tracked.kill_group(signal.SIGKILL)
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=LIMIT, what="n2 master after the process died")
    wait_until(
        lambda: "Quorum lost for tracked process tracked" in p1.output(),
        timeout=LIMIT,
        what="n1 logs the lost quorum",
    )
    wait_until(
        lambda: "Changing effective priority from 150 to 90" in p1.output(),
        timeout=LIMIT,
        what="n1 logs its priority drop",
    )

    # it runs again: 150, n1 preempts
    _run(n1, path)
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=LIMIT, what="n1 master again after the restart")
    wait_until(
        lambda: "Changing effective priority from 90 to 150" in p1.output(),
        timeout=LIMIT,
        what="n1 logs its priority back",
    )
    assert "Quorum gained for tracked process tracked" in p1.output()
    assert p1.running() and p2.running()


def test_weight_zero_process_is_a_fault(make_lab: Callable[..., Lab]) -> None:
    """``weight 0``: without the process the instance is in FAULT, from the start too."""
    the_lab = make_lab(2)
    n1 = the_lab.node(1)
    path, name = _program(n1)
    p1 = start_kpy(n1, write_config(n1, _config(name, 150, 0)))
    p2 = _start_peer(the_lab, "keepalived-py")
    # not running at start: FAULT, n2 is master
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=LIMIT, what="n2 master while n1 is in FAULT")
    wait_until(
        lambda: "(VI_1) entering FAULT state (tracked process tracked quorum not achieved)" in p1.output(),
        timeout=LIMIT,
        what="n1 starts in FAULT",
    )
    tracked = _run(n1, path)
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=LIMIT, what="n1 master once the process runs")
    tracked.kill_group(signal.SIGKILL)
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=LIMIT, what="n2 master after the process died")
    wait_until(lambda: "(VI_1) Entering FAULT STATE" in p1.output(), timeout=LIMIT, what="n1 in FAULT")
    _run(n1, path)
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=LIMIT, what="n1 master after the restart")
    assert p1.running() and p2.running()
