"""Notify FIFOs written by keepalived-py and by keepalived 2.2.7 on the same events.

* Three-node failover (a: 150, b: 100, c: 50; SIGTERM a, then b, then c), each node with a
  ``vrrp_notify_fifo`` read by a small reader process of the test: the lines of each role are
  the same whichever daemon plays it (two runs with the daemons swapped), as in the reference
  capture (../shared/reference/keepalived-2.2.7/notify_fifo.log), and the FIFO each daemon
  made is gone after it stopped.
* A sync group of two instances on two nodes (150, 100; SIGTERM the first, then the second):
  the GROUP lines and the instance lines around them, in keepalived's order, role by role.
* ``notify_priority_changes`` / ``vrrp_notify_priority_changes``: a track_file moves the
  priorities of a master and a backup: MASTER_PRIORITY / BACKUP_PRIORITY lines as keepalived's.
* ``notify_master_rx_lower_pri``: the peer of a master cannot hear it (an nftables rule drops
  the master's adverts at the peer), so the peer becomes master too and the real master keeps
  receiving lower priority adverts: the script runs without arguments and the global
  ``notify_fifo`` gets ``INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150``, read here by the
  ``notify_fifo_script`` (started with the FIFO's name as last argument), as keepalived does;
  the lone global FIFO (made for the user named on its line) stays after the daemon stopped, as
  keepalived leaves it.
"""

from __future__ import annotations

import os
import pwd
import signal
import stat
from collections.abc import Callable

import pytest

from tests.netns.lab import Lab, Node, Proc, wait_until
from tests.netns.vrrp_lab import (
    VIP,
    keepalived_available,
    record_lines,
    start_fifo_reader,
    start_keepalived,
    start_kpy,
    vrrp_config,
    write_config,
)

pytestmark = pytest.mark.root

Starter = Callable[[Node, str], Proc]
VIP2 = "192.0.2.101"


def _skip_without_keepalived() -> None:
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)


def _failover(the_lab: Lab, starters: tuple[Starter, Starter, Starter]) -> list[list[str]]:
    """Start a, then b and c; stop a, then b, then c; every node's FIFO lines (and FIFOs removed)."""
    priorities = (150, 100, 50)
    procs: list[Proc] = []
    readers: list[Proc] = []
    records: list[str] = []
    fifos: list[str] = []
    for index, (start, priority) in enumerate(zip(starters, priorities, strict=True), 1):
        node = the_lab.node(index)
        fifo, record = node.path("vrrp.fifo"), node.path("fifo.log")
        config = write_config(node, vrrp_config(priority=priority, global_extra=f"vrrp_notify_fifo {fifo}"))
        procs.append(start(node, config))
        readers.append(start_fifo_reader(node, fifo, record))
        fifos.append(fifo)
        records.append(record)
        if index == 1:  # a is master before the others start: no election race at start
            the_lab.wait_holders(VIP, lambda h: h == [1], timeout=20, what="a master")
    for record in records:
        wait_until(lambda r=record: record_lines(r)[:1], timeout=20, what=f"first line in {record}")
    for index, proc in enumerate(procs, 1):
        if index < 3:
            proc.send_signal(signal.SIGTERM)
            the_lab.wait_holders(VIP, lambda h, i=index: h == [i + 1], timeout=20, what=f"node {index + 1}")
        else:
            proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, proc.output()
    for reader in readers:
        assert reader.wait(timeout=20) == 0, reader.output()  # end of file: the daemon closed it
    for fifo in fifos:
        assert not os.path.exists(fifo)  # made by the daemon, removed at its exit
    return [record_lines(record) for record in records]


def test_failover_lines_like_keepalived(make_lab: Callable[..., Lab]) -> None:
    _skip_without_keepalived()
    first = _failover(make_lab(3), (start_kpy, start_keepalived, start_kpy))
    second = _failover(make_lab(3), (start_keepalived, start_kpy, start_keepalived))
    expected = [
        [f'INSTANCE "VI_1" {state} {prio}' for state in ("BACKUP", "MASTER", "STOP")]
        for prio in (150, 100, 50)
    ]
    # role by role: ours (first run a, c; second run b) and keepalived's (the others)
    assert first[0] == second[0] == expected[0]
    assert first[1] == second[1] == expected[1]
    assert first[2] == second[2] == expected[2]


def _rx_lower(the_lab: Lab, start: Starter) -> tuple[list[str], list[str], str]:
    """The master's notify_master_rx_lower_pri calls, its FIFO script's argv + lines, the FIFO."""
    master, peer = the_lab.node(1), the_lab.node(2)
    fifo = master.path("global.fifo")
    rx_record, reader_record = master.path("rx.log"), master.path("reader.log")
    rx = master.path("rx.sh")
    with open(rx, "w", encoding="ascii") as f:
        f.write(f'#!/bin/sh\necho "[$#] $*" >> {rx_record}\n')
    reader = master.path("reader.sh")
    with open(reader, "w", encoding="ascii") as f:
        f.write(
            "#!/bin/sh\n"
            f'echo "argv $*" >> {reader_record}\n'
            f'for last; do :; done\nwhile read line; do echo "$line" >> {reader_record}; done < "$last"\n'
        )
    os.chmod(rx, 0o755)
    os.chmod(reader, 0o755)
    config = vrrp_config(
        priority=150,
        global_extra=f'notify_fifo {fifo} nobody\nnotify_fifo_script "{reader} tag"',
        extra=f"notify_master_rx_lower_pri {rx}",
    )
    proc = start(master, write_config(master, config))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=20, what="master")
    # the peer cannot hear the master: it becomes master too, with a lower priority
    for rule in (
        ["add", "table", "inet", "kpyt"],
        ["add", "chain", "inet", "kpyt", "in", "{ type filter hook input priority 0; }"],
        [
            "add",
            "rule",
            "inet",
            "kpyt",
            "in",
            "ip",
            "saddr",
            str(master.ipv4),
            "ip",
            "protocol",
            "vrrp",
            "drop",
        ],
    ):
        peer.run(["nft", *rule], check=True)
    start_kpy(peer, write_config(peer, vrrp_config(priority=100)))
    the_lab.wait_holders(VIP, lambda h: h == [1, 2], timeout=20, what="both masters")
    wait_until(lambda: len(record_lines(rx_record)) >= 2, timeout=20, what="two rx_lower_pri calls")
    wait_until(
        lambda: record_lines(reader_record).count('INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150') >= 2,
        timeout=20,
        what="two MASTER_RX_LOWER_PRI lines",
    )
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0, proc.output()
    return record_lines(rx_record), record_lines(reader_record), fifo


def test_master_rx_lower_pri_like_keepalived(make_lab: Callable[..., Lab]) -> None:
    _skip_without_keepalived()
    runs = [_rx_lower(make_lab(2), start) for start in (start_kpy, start_keepalived)]
    for rx_calls, reader_lines, fifo in runs:
        assert {c.strip() for c in rx_calls} == {"[0]"}  # no arguments
        assert reader_lines[0] == f"argv tag {fifo}"
        assert reader_lines[1:3] == ['INSTANCE "VI_1" BACKUP 150', 'INSTANCE "VI_1" MASTER 150']
        # then only lower priority events (the FIFO script is sent SIGTERM before the STOP line)
        rest = [line for line in reader_lines[3:] if line != 'INSTANCE "VI_1" STOP 150']
        assert set(rest) == {'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150'}
        # a lone global notify_fifo is left in place by keepalived's VRRP process
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        assert stat.S_IMODE(os.stat(fifo).st_mode) == 0o600
        # made by the daemon for the user named on the notify_fifo line (and its group)
        nobody = pwd.getpwnam("nobody")
        assert (os.stat(fifo).st_uid, os.stat(fifo).st_gid) == (nobody.pw_uid, nobody.pw_gid)
    ours, theirs = runs
    stop = 'INSTANCE "VI_1" STOP 150'
    assert (stop in ours[1]) == (stop in theirs[1])


def _sync_config(priority: int, fifo: str) -> str:
    first = vrrp_config(priority=priority, global_extra=f"vrrp_notify_fifo {fifo}")
    second = vrrp_config(priority=priority, name="VI_2", vrid=52, vips=(f"{VIP2}/24",))
    second = second[second.index("vrrp_instance") :]
    group = "vrrp_sync_group G1 {\n    group {\n        VI_1\n        VI_2\n    }\n}\n"
    return first + group + second


def _sync_failover(the_lab: Lab, starters: tuple[Starter, Starter]) -> list[list[str]]:
    procs: list[Proc] = []
    records: list[str] = []
    readers: list[Proc] = []
    for index, (start, priority) in enumerate(zip(starters, (150, 100), strict=True), 1):
        node = the_lab.node(index)
        fifo, record = node.path("vrrp.fifo"), node.path("fifo.log")
        procs.append(start(node, write_config(node, _sync_config(priority, fifo))))
        readers.append(start_fifo_reader(node, fifo, record))
        records.append(record)
        if index == 1:
            for vip in (VIP, VIP2):
                the_lab.wait_holders(vip, lambda h: h == [1], timeout=20, what=f"{vip} on node 1")
            wait_until(
                lambda: 'GROUP "G1" MASTER 0' in record_lines(records[0]), timeout=20, what="group master"
            )
    wait_until(
        lambda: len(record_lines(records[1])) >= 3, timeout=20, what="node 2 group and instances BACKUP"
    )
    procs[0].send_signal(signal.SIGTERM)
    assert procs[0].wait(timeout=20) == 0, procs[0].output()
    for vip in (VIP, VIP2):
        the_lab.wait_holders(vip, lambda h: h == [2], timeout=20, what=f"{vip} on node 2")
    wait_until(
        lambda: 'GROUP "G1" MASTER 0' in record_lines(records[1]), timeout=20, what="group master on 2"
    )
    procs[1].send_signal(signal.SIGTERM)
    assert procs[1].wait(timeout=20) == 0, procs[1].output()
    for reader in readers:
        assert reader.wait(timeout=20) == 0, reader.output()
    return [record_lines(record) for record in records]


def test_sync_group_lines_like_keepalived(make_lab: Callable[..., Lab]) -> None:
    _skip_without_keepalived()
    first = _sync_failover(make_lab(2), (start_kpy, start_keepalived))
    second = _sync_failover(make_lab(2), (start_keepalived, start_kpy))
    for role, prio in enumerate((150, 100)):
        ours, theirs = (first, second)[role][role], (second, first)[role][role]
        # which member goes MASTER first depends on two equal timers: compared as a pair
        assert ours[:3] + ours[5:] == theirs[:3] + theirs[5:]
        assert sorted(ours[3:5]) == sorted(theirs[3:5])
        # the group is announced BACKUP before its members, MASTER after them, STOP last
        assert ours[:3] == [
            'GROUP "G1" BACKUP 0',
            f'INSTANCE "VI_1" BACKUP {prio}',
            f'INSTANCE "VI_2" BACKUP {prio}',
        ]
        assert sorted(ours[3:5]) == [f'INSTANCE "VI_1" MASTER {prio}', f'INSTANCE "VI_2" MASTER {prio}']
        assert ours[5:] == [
            'GROUP "G1" MASTER 0',
            f'INSTANCE "VI_1" STOP {prio}',
            f'INSTANCE "VI_2" STOP {prio}',
            'GROUP "G1" STOP 0',
        ]


def _priority_changes(the_lab: Lab, start: Starter) -> list[list[str]]:
    """A master and a backup whose track_file values change: their MASTER_PRIORITY / BACKUP_PRIORITY
    lines (global vrrp_notify_priority_changes on the first, the instance keyword on the second)."""
    records: list[str] = []
    files: list[str] = []
    procs: list[Proc] = []
    for index, priority in ((1, 150), (2, 100)):
        node = the_lab.node(index)
        fifo, record, track = node.path("vrrp.fifo"), node.path("fifo.log"), node.path("track")
        with open(track, "w", encoding="ascii") as f:
            f.write("0\n")
        global_extra = f"vrrp_notify_fifo {fifo}"
        extra = "track_file {\n    tf\n}"
        if index == 1:
            global_extra += "\nvrrp_notify_priority_changes"
        else:
            extra += "\nnotify_priority_changes"
        text = vrrp_config(priority=priority, global_extra=global_extra, extra=extra)
        text = text.replace(
            "vrrp_instance", f"vrrp_track_file tf {{\n    file {track}\n    weight 1\n}}\nvrrp_instance", 1
        )
        procs.append(start(node, write_config(node, text)))
        start_fifo_reader(node, fifo, record)
        records.append(record)
        files.append(track)
        if index == 1:
            the_lab.wait_holders(VIP, lambda h: h == [1], timeout=20, what="node 1 master")
    wait_until(lambda: record_lines(records[1])[:1], timeout=20, what="node 2 backup")
    for path, value, record, want in (
        (files[0], "-10", records[0], 'INSTANCE "VI_1" MASTER_PRIORITY 140'),
        (files[1], "-20", records[1], 'INSTANCE "VI_1" BACKUP_PRIORITY 80'),
        (files[0], "200", records[0], 'INSTANCE "VI_1" MASTER_PRIORITY 254'),
    ):
        # a new file moved in: a reader never sees it half written (empty reads as 0)
        with open(path + ".new", "w", encoding="ascii") as f:
            f.write(value + "\n")
        os.rename(path + ".new", path)
        wait_until(lambda r=record, w=want: w in record_lines(r), timeout=20, what=want)
    for proc in reversed(procs):  # the backup first: no takeover at the end
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, proc.output()
    return [record_lines(record) for record in records]


def test_priority_change_lines_like_keepalived(make_lab: Callable[..., Lab]) -> None:
    _skip_without_keepalived()
    ours = _priority_changes(make_lab(2), start_kpy)
    theirs = _priority_changes(make_lab(2), start_keepalived)
    assert ours == theirs
    assert ours[0][:4] == [
        'INSTANCE "VI_1" BACKUP 150',
        'INSTANCE "VI_1" MASTER 150',
        'INSTANCE "VI_1" MASTER_PRIORITY 140',
        'INSTANCE "VI_1" MASTER_PRIORITY 254',
    ]
