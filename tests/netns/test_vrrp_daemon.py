"""keepalived-py's VRRP daemon as a process: pid files, a second copy, several instances.

The parent/child model itself (respawn, -R, detach, systemd readiness) is in
test_daemon_supervisor.py."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

import pytest

from tests.netns.lab import Lab, stays_true, wait_until
from tests.netns.vrrp_lab import VIP, start_kpy, start_kpy_argv, vrrp_config, write_config

pytestmark = pytest.mark.root


def _pid_in(path: str) -> int:
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return 0


def _parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def test_pid_files_and_already_running(make_lab: Callable[..., Lab]) -> None:
    """As keepalived: the parent's pid in the main file, its VRRP child's in the vrrp file."""
    the_lab = make_lab(1)
    node = the_lab.node(1)
    conf = write_config(node, vrrp_config(priority=150))
    first = start_kpy(node, conf)
    child = wait_until(lambda: _pid_in(node.path("kpy-vrrp.pid")), timeout=10, what="vrrp pid file")
    assert _pid_in(node.path("kpy.pid")) == first.pid
    assert child != first.pid and _parent_of(child) == first.pid
    for name in ("kpy.pid", "kpy-vrrp.pid"):
        assert os.stat(node.path(name)).st_mode & 0o777 == 0o644
    second = start_kpy(node, conf)
    assert second.wait(timeout=10) == 0
    assert "daemon is already running" in second.output()
    assert first.running()
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=10) == 0
    assert not os.path.exists(node.path("kpy.pid")) and not os.path.exists(node.path("kpy-vrrp.pid"))
    assert not os.path.exists(f"/proc/{child}")


def test_stale_pid_file_is_removed(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(1)
    node = the_lab.node(1)
    with open(node.path("kpy.pid"), "w", encoding="ascii") as f:
        f.write("999999999\n")  # above pid_max: no such process
    proc = start_kpy(node, write_config(node, vrrp_config(priority=150)))
    wait_until(lambda: "Entering BACKUP STATE (init)" in proc.output(), timeout=10, what="start")
    assert "Remove a zombie pid file" in proc.output()


def test_two_instances_active_active(make_lab: Callable[..., Lab]) -> None:
    """VRID 51 prefers n1, VRID 52 prefers n2: the packets of one socket reach the right core."""
    the_lab = make_lab(2)
    vip2 = "192.0.2.200"
    for index, (p51, p52) in ((1, (150, 100)), (2, (100, 150))):
        node = the_lab.node(index)
        text = vrrp_config(priority=p51) + vrrp_config(
            priority=p52, vrid=52, name="VI_2", vips=(f"{vip2}/24",)
        )
        text = _one_global(text)
        start_kpy(node, write_config(node, text))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="VI_1 on n1")
    the_lab.wait_holders(vip2, lambda h: h == [2], timeout=10, what="VI_2 on n2")
    stays_true(
        lambda: the_lab.vip_holders(VIP) == [1] and the_lab.vip_holders(vip2) == [2],
        duration=2.5,
        what="one master per VRID",
    )


def _one_global(text: str) -> str:
    """Two generated configs joined: keep the first global_defs block only."""
    block = "global_defs {\n    router_id kpy_lab\n}\n"
    first = text.index(block) + len(block)
    return text[:first] + text[first:].replace(block, "")


def test_stats_file_on_sigusr2(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(1)
    node = the_lab.node(1)
    env = {**os.environ, "TMPDIR": the_lab.tmpdir}
    proc = node.start(start_kpy_argv(node, write_config(node, vrrp_config(priority=150))), env=env)
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="master")
    stats = os.path.join(the_lab.tmpdir, "keepalived.stats")
    proc.send_signal(signal.SIGUSR2)
    text = wait_until(lambda: _read(stats), timeout=5, what="keepalived.stats")
    assert text.startswith("VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n    Sent: ")
    assert "  Became master: 1\n  Released master: 0\n" in text
    assert text.endswith("  Priority Zero:\n    Received: 0\n    Sent: 0\n")


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return ""
