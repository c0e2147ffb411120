"""Notify scripts of an instance, run by keepalived-py and by keepalived 2.2.7 on the same events.

Each script appends its name and arguments to a file; both daemons must write the same lines
for start (BACKUP), election (MASTER) and stop (STOP).
"""

from __future__ import annotations

import signal
from collections.abc import Callable

import pytest

from tests.netns.lab import Lab, Node, Proc, wait_until
from tests.netns.vrrp_lab import (
    VIP,
    keepalived_available,
    notify_recorder,
    record_lines,
    start_keepalived,
    start_kpy,
    vrrp_config,
    write_config,
)

pytestmark = pytest.mark.root


def _run(the_lab: Lab, start: Callable[[Node, str], Proc]) -> list[str]:
    node = the_lab.node(1)
    script, record = notify_recorder(node)
    extra = "\n".join(
        [
            f'notify_master "{script} master"',
            f'notify_backup "{script} backup"',
            f'notify_fault "{script} fault"',
            f'notify_stop "{script} stop"',
            f"notify {script}",
        ]
    )
    proc = start(node, write_config(node, vrrp_config(priority=150, extra=extra)))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="master")
    wait_until(lambda: len(record_lines(record)) >= 4, timeout=5, what="four notify lines")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    wait_until(lambda: len(record_lines(record)) >= 6, timeout=5, what="six notify lines")
    return record_lines(record)


def test_notify_scripts_like_keepalived(make_lab: Callable[..., Lab]) -> None:
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)
    ours = _run(make_lab(1), start_kpy)
    theirs = _run(make_lab(1), start_keepalived)
    # Scripts run concurrently in both daemons: the order of lines within one event may vary.
    assert sorted(ours) == sorted(theirs)
    assert sorted(ours[:2]) == ["INSTANCE VI_1 BACKUP 150", "backup"]
    assert sorted(ours[-2:]) == ["INSTANCE VI_1 STOP 150", "stop"]
