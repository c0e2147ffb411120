"""The parent process as keepalived's: VRRP child respawn, -R, detaching, systemd readiness."""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from tests.netns.conftest import record_time
from tests.netns.lab import Lab, Node, wait_until
from tests.netns.vrrp_lab import VIP, start_kpy, start_kpy_argv, vrrp_config, write_config

pytestmark = pytest.mark.root

# master-down interval of priority 150 at advert_int 1 (v2): 3 * 1 + (256 - 150) / 256
MASTER_DOWN_150 = 3 + (256 - 150) / 256
# Python start-up and the first advert's send on a loaded 2-core machine
MARGIN = 4.0


def _pid_in(path: str) -> int:
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return 0


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_vrrp_child_is_respawned_and_takes_the_vip_back(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(1)
    node = the_lab.node(1)
    proc = start_kpy(node, write_config(node, vrrp_config(priority=150)))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=MASTER_DOWN_150 + MARGIN, what="master")
    child = _pid_in(node.path("kpy-vrrp.pid"))
    assert child and child != proc.pid
    t0 = time.monotonic()
    os.kill(child, signal.SIGKILL)
    new = wait_until(
        lambda: (p := _pid_in(node.path("kpy-vrrp.pid"))) not in (0, child) and p,
        timeout=5,
        what="a new VRRP child",
    )
    # the new child removes the VIP it finds (keepalived's leftover cleanup), then wins again
    wait_until(lambda: proc.output().count("Entering MASTER STATE") >= 2, timeout=MASTER_DOWN_150 + MARGIN)
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=2, what="VIP back")
    took = time.monotonic() - t0
    record_time("VRRP child SIGKILL -> respawned child holds the VIP again", took, MASTER_DOWN_150)
    out = proc.output()
    assert f"VRRP child process({child}) died: Respawning" in out
    assert f"Starting VRRP child process, pid={new}" in out
    assert proc.running()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert the_lab.vip_holders(VIP) == []


def test_without_respawn_the_daemon_stops_when_its_child_dies(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(1)
    node = the_lab.node(1)
    argv = [*start_kpy_argv(node, write_config(node, vrrp_config(priority=150))), "-R"]
    proc = node.start(argv, label="keepalived-py -R")
    child = wait_until(lambda: _pid_in(node.path("kpy-vrrp.pid")), timeout=10, what="vrrp pid file")
    wait_until(lambda: "Startup complete" in proc.output(), timeout=10)
    os.kill(child, signal.SIGKILL)
    assert proc.wait(timeout=15) == 0
    out = proc.output()
    assert f"VRRP child process({child}) died: Exiting" in out
    assert "Respawning" not in out
    assert not os.path.exists(node.path("kpy.pid"))


def test_a_child_exiting_with_a_permanent_error_stops_the_daemon(make_lab: Callable[..., Lab]) -> None:
    """keepalived treats exit statuses 1, 2 and 4 of a child as permanent: no respawn."""
    the_lab = make_lab(1)
    node = the_lab.node(1)
    conf = write_config(node, vrrp_config(priority=150))
    # the VRRP child cannot write its pid file (a directory is in the way): it exits 1
    os.mkdir(node.path("kpy-vrrp.pid"))
    proc = start_kpy(node, conf)
    code = proc.wait(timeout=15)
    out = proc.output()
    assert code == 1, out
    assert "vrrp child exited with permanent error FATAL. Terminating" in out
    assert "Respawning" not in out


@contextlib.contextmanager
def _detached(node: Node, argv: list[str]) -> Iterator[int]:
    """Run a daemon that detaches; yields its pid (from the pid file) and always kills it."""
    launcher = node.start(argv, label="keepalived-py (detaching)")
    pid = 0
    try:
        assert launcher.wait(timeout=15) == 0, launcher.output()
        pid = wait_until(lambda: _pid_in(node.path("kpy.pid")), timeout=10, what="daemon pid file")
        yield pid
    finally:
        if pid and _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)


def test_detaches_without_n(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(1)
    node = the_lab.node(1)
    argv = [a for a in start_kpy_argv(node, write_config(node, vrrp_config(priority=150))) if a != "-n"]
    with _detached(node, argv) as pid:
        assert os.getsid(pid) == pid  # a session leader of its own
        assert os.readlink(f"/proc/{pid}/cwd") == "/"
        the_lab.wait_holders(VIP, lambda h: h == [1], timeout=MASTER_DOWN_150 + MARGIN, what="master")
        os.kill(pid, signal.SIGTERM)
        wait_until(lambda: not _alive(pid), timeout=15, what="daemon exit")
        assert the_lab.vip_holders(VIP) == []
        assert not os.path.exists(node.path("kpy.pid"))


def test_readiness_and_stopping_reported_to_systemd(make_lab: Callable[..., Lab]) -> None:
    """Type=notify: READY=1 with the parent's pid once the child runs, RELOADING=1 / READY=1 around
    a reload, STOPPING=1 at SIGTERM."""
    the_lab = make_lab(1)
    node = the_lab.node(1)
    path = os.path.join(the_lab.tmpdir, "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(15)
        env = {**os.environ, "NOTIFY_SOCKET": path}
        proc = node.start(start_kpy_argv(node, write_config(node, vrrp_config(priority=150))), env=env)
        ready = sock.recv(4096).decode()
        assert ready == f"READY=1\nMAINPID={proc.pid}"
        assert "Startup complete" in wait_until(
            lambda: "Startup complete" in proc.output() and proc.output(), timeout=5
        )
        # a reload: RELOADING=1, then READY=1 once the VRRP child has handled it
        proc.send_signal(signal.SIGHUP)
        assert sock.recv(4096).decode() == "RELOADING=1"
        assert sock.recv(4096).decode() == "READY=1"
        assert "Reload complete" in proc.output()
        proc.send_signal(signal.SIGTERM)
        assert sock.recv(4096).decode() == "STOPPING=1"
        assert proc.wait(timeout=15) == 0


def test_systemd_unit_is_valid_and_runs_in_the_foreground(tmp_path: pathlib.Path) -> None:
    """The unit we ship starts the parent in the foreground as Type=notify, as Debian's keepalived
    unit does; systemd-analyze accepts it (with ExecStart pointed at this checkout's binary)."""
    unit = pathlib.Path(__file__).parents[2] / "examples" / "systemd" / "keepalived-py.service"
    text = unit.read_text(encoding="utf-8")
    assert "Type=notify" in text and "--dont-fork" in text and "ExecReload=/bin/kill -HUP $MAINPID" in text
    binary = pathlib.Path(sys.executable).with_name("keepalived-py")
    assert binary.exists()
    copy = tmp_path / "keepalived-py.service"
    copy.write_text(text.replace("/usr/local/bin/keepalived-py", str(binary)), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_runs_inside_the_namespace_named_by_s(make_lab: Callable[..., Lab]) -> None:
    """-s NAME: started in node 2, the daemon moves itself into node 1's namespace."""
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    argv = [*start_kpy_argv(n2, write_config(n2, vrrp_config(priority=150))), "-s", n1.ns]
    proc = n2.start(argv, label="keepalived-py -s")
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=MASTER_DOWN_150 + MARGIN, what="VIP on node 1")
    assert "Changing syslog ident to Keepalived_" + n1.ns in proc.output()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert the_lab.vip_holders(VIP) == []


def test_unknown_namespace_is_refused(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(1)
    node = the_lab.node(1)
    argv = [*start_kpy_argv(node, write_config(node, vrrp_config(priority=150))), "-s", "kpy-no-such-ns"]
    proc = node.start(argv, label="keepalived-py -s missing")
    assert proc.wait(timeout=15) == 1
    assert "Unable to set network namespace kpy-no-such-ns - exiting" in proc.output()
