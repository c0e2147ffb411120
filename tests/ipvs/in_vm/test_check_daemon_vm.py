"""keepalived-py's checker child programming the kernel's IPVS, with real traffic (in the VM).

The VM's own network namespace is the director: it holds the virtual address 203.0.113.10 and
forwards between a client namespace (198.51.100.0/24) and the real servers' bridge
(192.0.2.0/24), where namespaces rs1, rs2 and sorry run busybox httpd answering their name.
``keepalived-py -C`` (the real parent and Healthcheck child, TCP_CHECK every second) keeps the
table; the client's HTTP requests to the virtual service reach only the healthy real servers,
move to the sorry server when all fail, and come back.  Then the running process's table is
compared with the one Debian's keepalived 2.2.7 programs for the same config and the same
server states (``ipvsadm -Sn``, line by line), and both remove their service when stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from keepalived_py.adapters.ipvs import IpvsAdapter
from tests.ipvs.in_vm.conftest import ipvsadm_save
from tests.ipvs.in_vm.test_keepalived_agreement import _run_keepalived

VIP = "203.0.113.10"
SERVERS = {"rs1": "192.0.2.1", "rs2": "192.0.2.2", "sorry": "192.0.2.3"}
DEADLINE = 90.0  # the VM may be software-emulated: Python alone takes seconds to start

CONF = """global_defs {
    enable_script_security
    script_user root
}
virtual_server 203.0.113.10 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    sorry_server 192.0.2.3 80
    real_server 192.0.2.1 80 {
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
    real_server 192.0.2.2 80 {
        weight 2
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
"""


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def wait_for(pred: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def stays(pred: Callable[[], bool], duration: float) -> bool:
    """``pred`` holds at every poll for ``duration`` seconds."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        if not pred():
            return False
        time.sleep(0.2)
    return pred()


class Net:
    """The client, the real servers and the director's addresses; removed at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.httpd: dict[str, subprocess.Popen[bytes]] = {}
        sh("ip", "netns", "add", "client")
        sh("ip", "link", "add", "d0", "type", "veth", "peer", "name", "eth0", "netns", "client")
        sh("ip", "addr", "add", "198.51.100.1/24", "dev", "d0")
        sh("ip", "link", "set", "d0", "up")
        sh("ip", "-n", "client", "addr", "add", "198.51.100.2/24", "dev", "eth0")
        sh("ip", "-n", "client", "link", "set", "eth0", "up")
        sh("ip", "-n", "client", "route", "add", "default", "via", "198.51.100.1")
        sh("ip", "link", "add", "br0", "type", "bridge")
        sh("ip", "addr", "add", "192.0.2.254/24", "dev", "br0")
        sh("ip", "link", "set", "br0", "up")
        for i, (name, address) in enumerate(SERVERS.items()):
            sh("ip", "netns", "add", name)
            sh("ip", "link", "add", f"p{i}", "type", "veth", "peer", "name", "eth0", "netns", name)
            sh("ip", "link", "set", f"p{i}", "master", "br0", "up")
            sh("ip", "-n", name, "addr", "add", f"{address}/24", "dev", "eth0")
            sh("ip", "-n", name, "link", "set", "eth0", "up")
            sh("ip", "-n", name, "link", "set", "lo", "up")
            sh("ip", "-n", name, "route", "add", "default", "via", "192.0.2.254")
            www = root / name
            www.mkdir()
            (www / "index.html").write_text(f"{name}\n")
        sh("ip", "addr", "add", f"{VIP}/32", "dev", "lo")
        Path("/proc/sys/net/ipv4/ip_forward").write_text("1\n")

    def start(self, name: str) -> None:
        argv = ["ip", "netns", "exec", name, "busybox", "httpd", "-f"]
        argv += ["-p", f"{SERVERS[name]}:80", "-h", str(self.root / name)]
        self.httpd[name] = subprocess.Popen(argv)
        wait_for(lambda: self.get(f"http://{SERVERS[name]}/", ns=None) == name, f"{name} serving", timeout=20)

    def stop(self, name: str) -> None:
        proc = self.httpd.pop(name)
        proc.terminate()
        proc.wait(10)

    @staticmethod
    def get(url: str, ns: str | None = "client") -> str:
        argv = ["curl", "-s", "--max-time", "2", url]
        if ns:
            argv = ["ip", "netns", "exec", ns, *argv]
        return subprocess.run(argv, capture_output=True, text=True).stdout.strip()

    def answers(self, n: int = 6) -> set[str]:
        """Who answers ``n`` requests to the virtual service (rr: every pool member)."""
        return {self.get(f"http://{VIP}/") for _ in range(n)}

    def close(self) -> None:
        for proc in self.httpd.values():
            proc.kill()
            proc.wait()
        for cmd in (
            ["ip", "addr", "del", f"{VIP}/32", "dev", "lo"],
            ["ip", "link", "del", "br0"],
            ["ip", "link", "del", "d0"],
            *(["ip", "netns", "del", ns] for ns in ("client", *SERVERS)),
        ):
            subprocess.run(cmd, capture_output=True)


@pytest.fixture
def net(tmp_path: Path, adapter: IpvsAdapter) -> Iterator[Net]:
    the_net = Net(tmp_path)
    try:
        yield the_net
    finally:
        the_net.close()


def dests() -> set[str]:
    """The destinations of the virtual service in the kernel (``ipvsadm -Sn`` lines)."""
    return {line.split()[4] for line in ipvsadm_save() if line.startswith("-a ")}


def test_checker_child_steers_traffic_and_matches_keepalived(net: Net, tmp_path: Path) -> None:
    for name in SERVERS:
        net.start(name)
    conf = tmp_path / "keepalived.conf"
    conf.write_text(CONF)
    log_path = tmp_path / "kpy.log"
    argv = [sys.executable, "-m", "keepalived_py", "-C", "-n", "-l", "-D", "-f", str(conf)]
    argv += ["-p", str(tmp_path / "kpy.pid"), "-c", str(tmp_path / "checkers.pid")]
    env = {k: v for k, v in os.environ.items() if k != "KEEPALIVED_PY_IPVS"}
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)

    def log() -> str:
        return log_path.read_text(errors="replace")[-4000:]

    try:
        both = {"192.0.2.1:80", "192.0.2.2:80"}
        wait_for(lambda: dests() == both, f"both real servers in the table\n{log()}")
        assert net.answers() == {"rs1", "rs2"}

        net.stop("rs2")
        wait_for(lambda: dests() == {"192.0.2.1:80"}, f"rs2 removed\n{log()}")
        assert net.answers() == {"rs1"}

        net.stop("rs1")
        wait_for(lambda: dests() == {"192.0.2.3:80"}, f"the sorry server\n{log()}")
        assert net.answers() == {"sorry"}

        net.start("rs1")
        wait_for(lambda: dests() == {"192.0.2.1:80"}, f"rs1 back\n{log()}")
        assert net.answers() == {"rs1"}
        ours = sorted(ipvsadm_save())
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    assert code == 0, log()
    assert ipvsadm_save() == [], log()
    out = log_path.read_text(errors="replace")
    assert "Lost quorum 1-0=1 > 0 for VS [203.0.113.10]:tcp:80" in out
    assert "Adding sorry server [192.0.2.3]:tcp:80 to VS [203.0.113.10]:tcp:80" in out
    assert "Shutting down service [192.0.2.1]:tcp:80 from VS [203.0.113.10]:tcp:80" in out

    # keepalived 2.2.7 with the same config and the same servers (rs1 and sorry up, rs2 down)
    theirs, seconds, left, their_log = _run_keepalived(conf, ours)
    xchg = os.environ.get("IPVS_VM_XCHG")
    if xchg:
        record = {"ours": ours, "theirs": sorted(theirs), "settle_seconds": round(seconds, 1)}
        with open(os.path.join(xchg, "check_daemon.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
    assert sorted(theirs) == ours, f"keepalived: {theirs}\nkeepalived-py: {ours}\n{their_log[-3000:]}"
    assert left == []
    with contextlib.suppress(OSError):
        os.unlink(tmp_path / "kpy.pid")


@pytest.mark.parametrize("name", ["dr_fwmark_sorry", "group_tun_gue", "nat_persistence_v6"])
def test_running_process_table_equals_keepalived(name: str, adapter: IpvsAdapter, tmp_path: Path) -> None:
    """The agreement configs (MISC_CHECK /bin/true or /bin/false: verdicts known in advance) run
    by keepalived-py's checker child until its table settles; keepalived 2.2.7 then runs the same
    file: ``ipvsadm -Sn`` line for line, and both leave nothing behind."""
    from keepalived_py.check.ipvs_desired import desired_table
    from tests.ipvs.in_vm.test_keepalived_agreement import CONFIGS, GLOBAL, _lvs, _settled_health

    conf = tmp_path / f"{name}.conf"
    # a loaded VM can take more than delay_loop (misc_timeout's default) to run /bin/true: with
    # room for the scripts, neither daemon's table flaps while it is sampled
    conf.write_text(
        GLOBAL + CONFIGS[name].replace("misc_path /bin/", "misc_timeout 20\n            misc_path /bin/")
    )
    want = desired_table(_lvs(conf), _settled_health(_lvs(conf)))
    log_path = tmp_path / "kpy.log"
    argv = [sys.executable, "-m", "keepalived_py", "-C", "-n", "-l", "-D", "-f", str(conf)]
    argv += ["-p", str(tmp_path / "kpy.pid"), "-c", str(tmp_path / "checkers.pid")]
    env = {k: v for k, v in os.environ.items() if k != "KEEPALIVED_PY_IPVS"}
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for(lambda: adapter.read() == want, f"the settled table\n{log_path.read_text()[-3000:]}")
        # it stays so over a few check rounds
        assert stays(lambda: adapter.read() == want, 3.0)
        ours = sorted(ipvsadm_save())
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    assert code == 0
    assert ipvsadm_save() == []
    theirs, _, left, their_log = _run_keepalived(conf, ours)
    xchg = os.environ.get("IPVS_VM_XCHG")
    if xchg:
        record = {"config": name, "lines": len(ours), "identical": len(set(ours) & set(theirs))}
        with open(os.path.join(xchg, "check_daemon.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
    assert sorted(theirs) == ours, f"keepalived: {sorted(theirs)}\nkeepalived-py: {ours}\n{their_log[-3000:]}"
    assert left == []
