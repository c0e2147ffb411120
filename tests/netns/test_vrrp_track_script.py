"""track_script between two keepalived-py nodes: the master's check fails -> its priority drops
by the script's weight -> the VIP moves to the other node; the check succeeds again -> the
first node preempts and takes the VIP back.  The check tests for a file the test creates and
removes; every wait is a poll with a deadline.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from tests.netns.lab import Lab, Node, Proc, wait_until
from tests.netns.vrrp_lab import (
    VIP,
    flag_check_script,
    keepalived_available,
    start_keepalived,
    start_kpy,
    vrrp_config,
    write_config,
)

pytestmark = pytest.mark.root

# advert_int 1 s: a backup with priority >= 100 takes over within its master down interval (< 4 s);
# the script runs every second and falls after 2 failures.
LIMIT = 10.0


def _config(node: Node, priority: int, script: str) -> str:
    tracker = f"""vrrp_script chk {{
    script "{script}"
    interval 1
    timeout 2
    fall 2
    rise 1
    weight -60
}}
"""
    text = vrrp_config(priority=priority, extra="track_script {\n    chk\n}")
    return tracker + text


def _start(the_lab: Lab, index: int, priority: int) -> tuple[Proc, str]:
    node = the_lab.node(index)
    script, flag = flag_check_script(node)
    return start_kpy(node, write_config(node, _config(node, priority, script))), flag


def test_failing_track_script_moves_the_vip(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(2)
    p1, flag1 = _start(the_lab, 1, 150)
    p2, _ = _start(the_lab, 2, 100)
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=LIMIT, what="n1 (priority 150) master")

    # n1's check fails: 150 - 60 = 90 < 100, n2 preempts
    with open(flag1, "w", encoding="utf-8"):
        pass
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=LIMIT, what="n2 master after n1's check failed")
    wait_until(
        lambda: "Changing effective priority from 150 to 90" in p1.output(),
        timeout=LIMIT,
        what="n1 logs its priority drop",
    )
    assert "VRRP_Script(chk) failed" in p1.output()

    # restored: 150 again, n1 preempts
    os.unlink(flag1)
    the_lab.wait_holders(
        VIP, lambda h: h == [1], timeout=LIMIT, what="n1 master again after its check passed"
    )
    wait_until(
        lambda: "Changing effective priority from 90 to 150" in p1.output(),
        timeout=LIMIT,
        what="n1 logs its priority back",
    )
    assert "VRRP_Script(chk) succeeded" in p1.output()
    assert p1.running() and p2.running()


def test_weight_zero_script_is_a_fault(make_lab: Callable[..., Lab]) -> None:
    """``weight 0``: a failing check puts the instance in FAULT (whatever its priority)."""
    the_lab = make_lab(2)
    n1 = the_lab.node(1)
    script, flag1 = flag_check_script(n1)
    text = _config(n1, 150, script).replace("weight -60", "weight 0")
    p1 = start_kpy(n1, write_config(n1, text))
    p2, _ = _start(the_lab, 2, 100)
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=LIMIT, what="n1 (priority 150) master")
    with open(flag1, "w", encoding="utf-8"):
        pass
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=LIMIT, what="n2 master after n1's check failed")
    wait_until(lambda: "(VI_1) Entering FAULT STATE" in p1.output(), timeout=LIMIT, what="n1 in FAULT")
    os.unlink(flag1)
    the_lab.wait_holders(
        VIP, lambda h: h == [1], timeout=LIMIT, what="n1 master again after its check passed"
    )
    assert p1.running() and p2.running()


def test_track_interface_weight(make_lab: Callable[..., Lab]) -> None:
    """A tracked interface with a weight: down -> priority - weight -> the VIP moves; up -> back."""
    the_lab = make_lab(2)
    n1 = the_lab.node(1)
    # a veth pair inside n1 (no dummy module needed): trk0 runs while both ends are up
    n1.run(["ip", "link", "add", "trk0", "type", "veth", "peer", "name", "trk1"], check=True)
    n1.run(["ip", "link", "set", "trk1", "up"], check=True)
    n1.run(["ip", "link", "set", "trk0", "up"], check=True)
    text = vrrp_config(priority=150, extra="track_interface {\n    trk0 weight -60\n}")
    p1 = start_kpy(n1, write_config(n1, text))
    n2 = the_lab.node(2)
    p2 = start_kpy(n2, write_config(n2, vrrp_config(priority=100)))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=LIMIT, what="n1 (priority 150) master")
    n1.run(["ip", "link", "set", "trk0", "down"], check=True)
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=LIMIT, what="n2 master after n1's trk0 went down")
    wait_until(
        lambda: "Changing effective priority from 150 to 90" in p1.output(), timeout=LIMIT, what="n1 at 90"
    )
    n1.run(["ip", "link", "set", "trk0", "up"], check=True)
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=LIMIT, what="n1 master again after trk0 came up")
    assert p1.running() and p2.running()


def test_track_file_moves_the_vip(make_lab: Callable[..., Lab]) -> None:
    """track_file: the number written times the weight moves the priority (inotify, no polling)."""
    the_lab = make_lab(2)
    n1 = the_lab.node(1)
    path = n1.path("prio")
    tracker = f'track_file prio {{\n    file "{path}"\n    weight 1\n    init_file 0\n}}\n'
    text = tracker + vrrp_config(priority=150, extra="track_file {\n    prio\n}")
    p1 = start_kpy(n1, write_config(n1, text))
    n2 = the_lab.node(2)
    p2 = start_kpy(n2, write_config(n2, vrrp_config(priority=100)))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=LIMIT, what="n1 (priority 150) master")
    with open(path, "w", encoding="ascii") as f:
        f.write("-60\n")
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=LIMIT, what="n2 master after n1's file said -60")
    wait_until(
        lambda: "Changing effective priority from 150 to 90" in p1.output(), timeout=LIMIT, what="n1 at 90"
    )
    with open(path, "w", encoding="ascii") as f:
        f.write("0\n")
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=LIMIT, what="n1 master again after its file said 0")
    assert p1.running() and p2.running()


def test_track_script_with_keepalived_peer(make_lab: Callable[..., Lab]) -> None:
    """keepalived-py (tracking) against keepalived 2.2.7: same handover both ways."""
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)
    the_lab = make_lab(2)
    p1, flag1 = _start(the_lab, 1, 150)
    n2 = the_lab.node(2)
    script2, _ = flag_check_script(n2)
    p2 = start_keepalived(n2, write_config(n2, _config(n2, 100, script2)))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=LIMIT, what="n1 (keepalived-py, 150) master")
    with open(flag1, "w", encoding="utf-8"):
        pass
    the_lab.wait_holders(
        VIP, lambda h: h == [2], timeout=LIMIT, what="keepalived n2 master after n1's check failed"
    )
    wait_until(
        lambda: "with higher priority 100, ours 90" in p1.output() or "Entering BACKUP STATE" in p1.output(),
        timeout=LIMIT,
        what="n1 steps down",
    )
    os.unlink(flag1)
    the_lab.wait_holders(
        VIP, lambda h: h == [1], timeout=LIMIT, what="n1 master again after its check passed"
    )
    assert p1.running() and p2.running()
