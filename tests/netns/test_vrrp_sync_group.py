"""vrrp_sync_group between two nodes: each node runs a group G1 of VI_1 (VRID 51, 192.0.2.101)
and VI_2 (VRID 52, 192.0.2.102).  Both VIPs are always on the same node, and they move as a
unit: on a crash, on a FAULT of one member (a group track_script, one instance's tracked link),
on an orderly stop; with keepalived-py on both nodes and with keepalived 2.2.7 on one of them.
The group's notify scripts get the same argument lines from both daemons.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

import pytest

from tests.netns.lab import Lab, Node, Proc, stays_true, wait_until
from tests.netns.vrrp_lab import (
    flag_check_script,
    keepalived_available,
    notify_recorder,
    record_lines,
    start_fifo_reader,
    start_keepalived,
    start_kpy,
    write_config,
)

pytestmark = pytest.mark.root

VIPS = ("192.0.2.101", "192.0.2.102")
# advert_int 1 s: a backup takes over within its master down interval (< 4 s)
LIMIT = 12.0
# the first election also waits for the daemons to start (slow on a loaded machine)
START_LIMIT = 30.0

Start = Callable[[Node, str], Proc]


def group_config(
    node: Node,
    priority: int,
    *,
    check: str | None = None,
    vi1_track: str | None = None,
    fifo: str | None = None,
) -> tuple[str, str]:
    """The node's config (path) and its notify record file."""
    script, record = notify_recorder(node)
    fifo_line = f"    vrrp_notify_fifo {fifo}\n" if fifo else ""
    parts = [f"global_defs {{\n    router_id kpy_lab\n{fifo_line}}}\n"]
    if check is not None:
        parts.append(
            f'vrrp_script chk {{\n    script "{check}"\n    interval 1\n    fall 1\n    rise 1\n}}\n'
        )
    for i, vip in enumerate(VIPS, 1):
        track = f"    track_interface {{\n        {vi1_track}\n    }}\n" if vi1_track and i == 1 else ""
        parts.append(
            f"vrrp_instance VI_{i} {{\n"
            "    state BACKUP\n"
            "    interface eth0\n"
            f"    virtual_router_id {50 + i}\n"
            f"    priority {priority}\n"
            "    advert_int 1\n"
            f"    notify {script}\n"
            f"{track}"
            f"    virtual_ipaddress {{\n        {vip}/24\n    }}\n"
            "}\n"
        )
    tracking = "    track_script {\n        chk\n    }\n" if check is not None else ""
    parts.append(
        "vrrp_sync_group G1 {\n"
        "    group {\n        VI_1\n        VI_2\n    }\n"
        f'    notify_master "{script} master"\n'
        f'    notify_backup "{script} backup"\n'
        f'    notify_fault "{script} fault"\n'
        f'    notify_stop "{script} stop"\n'
        f"    notify {script}\n"
        f"{tracking}"
        "}\n"
    )
    return write_config(node, "".join(parts)), record


def _group_lines(record: str) -> list[str]:
    return [line for line in record_lines(record) if not line.startswith("INSTANCE")]


def wait_group_on(the_lab: Lab, index: int, what: str, *, only: bool = True, timeout: float = LIMIT) -> None:
    """Both VIPs on node ``index`` (``only``: and nowhere else)."""
    for vip in VIPS:
        the_lab.wait_holders(
            vip,
            lambda h: h == [index] if only else index in h,
            timeout=timeout,
            what=f"{vip} on n{index}: {what}",
        )


def together(the_lab: Lab) -> bool:
    """The two VIPs never sit on different nodes."""
    return the_lab.vip_holders(VIPS[0]) == the_lab.vip_holders(VIPS[1]) or (
        not the_lab.vip_holders(VIPS[0]) or not the_lab.vip_holders(VIPS[1])
    )


# --- keepalived-py on both nodes ---------------------------------------------------------------


def test_group_crash_moves_both_vips(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    c1, _ = group_config(n1, 150)
    c2, r2 = group_config(n2, 100)
    p1 = start_kpy(n1, c1)
    p2 = start_kpy(n2, c2)
    wait_group_on(the_lab, 1, "priority 150 group master", timeout=START_LIMIT)
    stays_true(lambda: together(the_lab), duration=1.0, what="both VIPs on one node")
    p1.kill_group(signal.SIGKILL)
    # a killed daemon leaves its addresses behind (keepalived too): n2 adds them as well
    wait_group_on(the_lab, 2, "after n1 was killed", only=False)
    wait_until(
        lambda: "GROUP G1 MASTER 0" in record_lines(r2), timeout=LIMIT, what="n2's group MASTER notify"
    )
    assert "VRRP_Group(G1) Syncing instances to MASTER state" in p2.output()
    assert p2.running()


def test_group_track_script_failure_moves_both_vips(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    check, flag = flag_check_script(n1)
    c1, r1 = group_config(n1, 150, check=check)
    c2, _ = group_config(n2, 100)
    p1 = start_kpy(n1, c1)
    p2 = start_kpy(n2, c2)
    wait_group_on(the_lab, 1, "priority 150 group master", timeout=START_LIMIT)
    with open(flag, "w", encoding="ascii"):
        pass
    wait_group_on(the_lab, 2, "after n1's group check failed")
    wait_until(lambda: "GROUP G1 FAULT 0" in record_lines(r1), timeout=LIMIT, what="n1's group FAULT notify")
    assert "VRRP_Group(G1) Syncing instances to FAULT state" in p1.output()
    os.unlink(flag)
    wait_group_on(the_lab, 1, "n1 preempts again once its check passes")
    wait_until(
        lambda: (
            [x for x in record_lines(r1) if x.startswith("GROUP")]
            == [
                "GROUP G1 BACKUP 0",
                "GROUP G1 MASTER 0",
                "GROUP G1 FAULT 0",
                "GROUP G1 BACKUP 0",
                "GROUP G1 MASTER 0",
            ]
        ),
        timeout=LIMIT,
        what="n1's group notifies: BACKUP, MASTER, FAULT, BACKUP, MASTER",
    )
    assert p1.running() and p2.running()


def test_one_members_link_fault_moves_both_vips(make_lab: Callable[..., Lab]) -> None:
    """Only VI_1 tracks trk0; trk0 down puts VI_1 in FAULT, and the group takes VI_2 with it."""
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    n1.run(["ip", "link", "add", "trk0", "type", "veth", "peer", "name", "trk1"], check=True)
    n1.run(["ip", "link", "set", "trk1", "up"], check=True)
    n1.run(["ip", "link", "set", "trk0", "up"], check=True)
    c1, r1 = group_config(n1, 150, vi1_track="trk0")
    c2, _ = group_config(n2, 100)
    p1 = start_kpy(n1, c1)
    p2 = start_kpy(n2, c2)
    wait_group_on(the_lab, 1, "priority 150 group master", timeout=START_LIMIT)
    n1.run(["ip", "link", "set", "trk0", "down"], check=True)
    wait_group_on(the_lab, 2, "after n1's VI_1 lost trk0")
    wait_until(lambda: "GROUP G1 FAULT 0" in record_lines(r1), timeout=LIMIT, what="n1's group FAULT notify")
    assert "INSTANCE VI_2 FAULT 150" in record_lines(r1)
    n1.run(["ip", "link", "set", "trk0", "up"], check=True)
    wait_group_on(the_lab, 1, "n1 preempts again once trk0 is up")
    assert p1.running() and p2.running()


# --- interop with keepalived 2.2.7 ------------------------------------------------------------


@pytest.mark.parametrize("kpy_master", [True, False], ids=["kpy-master", "keepalived-master"])
def test_group_moves_between_keepalived_py_and_keepalived(
    make_lab: Callable[..., Lab], kpy_master: bool
) -> None:
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    c1, _ = group_config(n1, 150)
    c2, r2 = group_config(n2, 100)
    first: Start = start_kpy if kpy_master else start_keepalived
    second: Start = start_keepalived if kpy_master else start_kpy
    p1 = first(n1, c1)
    wait_group_on(the_lab, 1, "priority 150 group master", timeout=START_LIMIT)
    p2 = second(n2, c2)
    wait_until(lambda: "GROUP G1 BACKUP 0" in record_lines(r2), timeout=LIMIT, what="n2's group BACKUP")
    stays_true(lambda: the_lab.vip_holders(VIPS[1]) == [1] == the_lab.vip_holders(VIPS[0]), duration=2.0)
    p1.send_signal(signal.SIGTERM)
    assert p1.wait(timeout=10) == 0
    wait_group_on(the_lab, 2, "after n1 stopped")
    wait_until(
        lambda: "GROUP G1 MASTER 0" in record_lines(r2), timeout=LIMIT, what="n2's group MASTER notify"
    )
    # n1 again: it preempts with both VIPs
    p1 = first(n1, c1)
    wait_group_on(the_lab, 1, "n1 back and preempting", timeout=START_LIMIT)
    wait_until(
        lambda: [x for x in record_lines(r2) if x.startswith("GROUP")][-1] == "GROUP G1 BACKUP 0",
        timeout=LIMIT,
        what="n2's group BACKUP again",
    )
    assert p1.running() and p2.running()


@pytest.mark.parametrize("kpy_faulting", [True, False], ids=["kpy-faults", "keepalived-faults"])
def test_member_fault_moves_the_group_between_daemons(
    make_lab: Callable[..., Lab], kpy_faulting: bool
) -> None:
    """The master's group track_script fails: its group goes to FAULT (priority 0 on both VRIDs)
    and the other daemon takes both VIPs; the check passes again: the group preempts back."""
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    check, flag = flag_check_script(n1)
    c1, r1 = group_config(n1, 150, check=check)
    c2, r2 = group_config(n2, 100)
    p1 = (start_kpy if kpy_faulting else start_keepalived)(n1, c1)
    wait_group_on(the_lab, 1, "priority 150 group master", timeout=START_LIMIT)
    p2 = (start_keepalived if kpy_faulting else start_kpy)(n2, c2)
    wait_until(lambda: "GROUP G1 BACKUP 0" in record_lines(r2), timeout=START_LIMIT, what="n2's group BACKUP")
    with open(flag, "w", encoding="ascii"):
        pass
    wait_group_on(the_lab, 2, "after n1's group check failed")
    wait_until(lambda: "GROUP G1 FAULT 0" in record_lines(r1), timeout=LIMIT, what="n1's group FAULT notify")
    wait_until(
        lambda: "GROUP G1 MASTER 0" in record_lines(r2), timeout=LIMIT, what="n2's group MASTER notify"
    )
    os.unlink(flag)
    wait_group_on(the_lab, 1, "n1 preempts again once its check passes")
    assert p1.running() and p2.running()


def _notify_lines(the_lab: Lab, start: Start) -> tuple[list[str], list[str]]:
    """One node alone: start (BACKUP), MASTER, check fails (FAULT), passes (BACKUP, MASTER), stop.

    Returns the notify scripts' lines and the notify FIFO's lines."""
    node = the_lab.node(1)
    check, flag = flag_check_script(node)
    fifo, fifo_record = node.path("notify.fifo"), node.path("fifo.log")
    reader = start_fifo_reader(node, fifo, fifo_record)
    config, record = group_config(node, 150, check=check, fifo=fifo)
    proc = start(node, config)
    wait_group_on(the_lab, 1, "alone: group master", timeout=START_LIMIT)
    wait_until(lambda: "GROUP G1 MASTER 0" in record_lines(record), timeout=5, what="MASTER notify")
    with open(flag, "w", encoding="ascii"):
        pass
    wait_until(lambda: "GROUP G1 FAULT 0" in record_lines(record), timeout=LIMIT, what="FAULT notify")
    os.unlink(flag)
    wait_until(
        lambda: record_lines(record).count("GROUP G1 MASTER 0") == 2, timeout=LIMIT, what="MASTER again"
    )
    wait_group_on(the_lab, 1, "alone: master again")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    wait_until(lambda: "GROUP G1 STOP 0" in record_lines(record), timeout=5, what="STOP notify")
    wait_until(lambda: record_lines(record).count("stop") == 1, timeout=5, what="stop script")
    wait_until(lambda: not reader.running(), timeout=5, what="the FIFO closed by the daemon")
    return record_lines(record), record_lines(fifo_record)


def _events(fifo: list[str]) -> list[tuple[frozenset[str], str]]:
    """FIFO lines as (the instance lines before a GROUP line, that GROUP line)."""
    out: list[tuple[frozenset[str], str]] = []
    pending: set[str] = set()
    for line in fifo:
        if line.startswith("GROUP"):
            out.append((frozenset(pending), line))
            pending = set()
        else:
            pending.add(line)
    assert not pending, f"instance lines after the last GROUP line: {pending}"
    return out


def test_group_notify_lines_like_keepalived(make_lab: Callable[..., Lab]) -> None:
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)
    theirs, theirs_fifo = _notify_lines(make_lab(1), start_keepalived)
    ours, ours_fifo = _notify_lines(make_lab(1), start_kpy)
    # scripts run concurrently: the order of lines within one event may vary
    assert sorted(ours) == sorted(theirs)
    # the FIFO is written in keepalived's order: each GROUP line after its members' lines (the
    # order between the two members depends on which of two equal timers fires first)
    assert _events(ours_fifo) == _events(theirs_fifo)
    assert _events(ours_fifo)[0] == (
        frozenset({'INSTANCE "VI_1" BACKUP 150', 'INSTANCE "VI_2" BACKUP 150'}),
        'GROUP "G1" BACKUP 0',
    )
    group_lines = [x for x in ours if x.startswith("GROUP")]
    assert group_lines == [
        "GROUP G1 BACKUP 0",
        "GROUP G1 MASTER 0",
        "GROUP G1 FAULT 0",
        "GROUP G1 BACKUP 0",
        "GROUP G1 MASTER 0",
        "GROUP G1 STOP 0",
    ]
