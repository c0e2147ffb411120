"""The -D log lines of the receive path: keepalived-py logs what keepalived 2.2.7 logs.

Each scenario runs twice, the node under test (n1) being keepalived-py once and keepalived once,
against the same keepalived 2.2.7 peer (n2).  The lines the node under test logs about its
instance (``(VI_1) ...``) are normalised (timestamps, the addresses of n1 / n2, numbers of
microseconds in timers) and the two sets must be equal.  Scenarios: start-up election, the master
killed, priority-0 handover, preemption, a master receiving lower priority and priority 0,
wrong password, wrong auth type, wrong advert interval, a VIP missing from the master's adverts,
a wrong VIP count, VRRPv3 interval adoption, preempt_delay, log_unknown_vrids and a link down/up.
"""

from __future__ import annotations

import re
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.netns.lab import Lab, Node, Proc, stays_true, wait_until
from tests.netns.vrrp_lab import (
    VIP,
    keepalived_available,
    start_keepalived,
    start_kpy,
    vrrp_config,
    write_config,
)

pytestmark = pytest.mark.root

DAEMONS: dict[str, Callable[[Node, str], Proc]] = {"keepalived-py": start_kpy, "keepalived": start_keepalived}

# Lines that are not about the receive path / state machine, or depend on the build or the host
# (keepalived's start-up report, netlink, sockets, the "sent 0 priority" of a stopping daemon).
IGNORED = (
    re.compile(r"^\(VI_1\) (setting|removing) (E-)?VIPs\.$"),
    re.compile(r"^\(VI_1\) Sending/queueing "),
)


@pytest.fixture(autouse=True)
def _need_keepalived() -> None:
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)


def normalise(text: str, me: Node, peer: Node) -> set[str]:
    """The ``(VI_1)`` and ``Unknown VRID`` lines of a log, with n1 / n2 as ME / PEER."""
    out: set[str] = set()
    for raw in text.splitlines():
        line = re.sub(r"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: ", "", raw.strip())
        if not line.startswith(("(VI_1)", "Unknown VRID(")):
            continue
        if any(p.search(line) for p in IGNORED):
            continue
        line = re.sub(rf"\b{re.escape(str(me.ipv4))}\b", "ME", line)
        line = re.sub(rf"\b{re.escape(str(peer.ipv4))}\b", "PEER", line)
        out.add(line)
    return out


@dataclass
class Run:
    lab: Lab
    me: Node
    peer: Node
    proc: Proc

    def lines(self) -> set[str]:
        return normalise(self.proc.output(), self.me, self.peer)

    def wait_line(self, text: str, timeout: float = 10) -> None:
        wait_until(lambda: text in self.lines(), timeout=timeout, what=f"{text!r} in\n{self.proc.output()}")


def _start(lab: Lab, daemon: str, me_conf: str, *, node: int = 1) -> Run:
    me, peer = lab.node(node), lab.node(3 - node)
    return Run(lab, me, peer, DAEMONS[daemon](me, write_config(me, me_conf, "test.conf")))


def _peer(lab: Lab, conf: str) -> Proc:
    n2 = lab.node(2)
    return start_keepalived(n2, write_config(n2, conf, "peer.conf"))


PASS = "authentication {{\n    auth_type PASS\n    auth_pass {}\n}}"


def scenario_startup_election(lab: Lab, daemon: str) -> Run:
    """n1 (100) starts, then the peer (150) preempts it."""
    run = _start(lab, daemon, vrrp_config(priority=100))
    lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="n1 master alone")
    _peer(lab, vrrp_config(priority=150))
    lab.wait_holders(VIP, lambda h: h == [2], timeout=10, what="peer preempts")
    run.wait_line("(VI_1) Entering BACKUP STATE")
    return run


def scenario_master_killed(lab: Lab, daemon: str) -> Run:
    peer = _peer(lab, vrrp_config(priority=150))
    lab.wait_holders(VIP, lambda h: h == [2], timeout=10, what="peer master")
    run = _start(lab, daemon, vrrp_config(priority=100))
    stays_true(lambda: lab.vip_holders(VIP) == [2], duration=4.5, what="n1 stays backup")
    peer.kill_group(signal.SIGKILL)  # its VIP stays behind
    lab.wait_holders(VIP, lambda h: 1 in h, timeout=10, what="n1 takes over")
    run.wait_line("(VI_1) Entering MASTER STATE")
    return run


def scenario_priority_zero(lab: Lab, daemon: str) -> Run:
    peer = _peer(lab, vrrp_config(priority=150))
    lab.wait_holders(VIP, lambda h: h == [2], timeout=10, what="peer master")
    run = _start(lab, daemon, vrrp_config(priority=100))
    stays_true(lambda: lab.vip_holders(VIP) == [2], duration=4.5, what="n1 stays backup")
    peer.stop()
    lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="n1 takes over")
    run.wait_line("(VI_1) Entering MASTER STATE")
    return run


def scenario_preemption(lab: Lab, daemon: str) -> Run:
    """The peer (100) is master; n1 (150) preempts it."""
    _peer(lab, vrrp_config(priority=100))
    lab.wait_holders(VIP, lambda h: h == [2], timeout=10, what="peer master")
    run = _start(lab, daemon, vrrp_config(priority=150))
    lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="n1 preempts")
    stays_true(lambda: lab.vip_holders(VIP) == [1], duration=2.5, what="n1 master")
    return run


def scenario_lower_priority(lab: Lab, daemon: str) -> Run:
    """n1 (150) is master alone; a lower-priority advert (50) comes from n2 (crafted, so that no
    race decides whether it is seen)."""
    run = _start(lab, daemon, vrrp_config(priority=150))
    lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="n1 master")
    n2 = lab.node(2)
    n2.run([sys.executable, "-m", "tests.netns.frame_capture", "advert", str(n2.ipv4), "50", VIP], check=True)
    run.wait_line("(VI_1) Received advert from PEER with lower priority 50, ours 150, forcing new election")
    n2.run([sys.executable, "-m", "tests.netns.frame_capture", "advert", str(n2.ipv4), "0", VIP], check=True)
    run.wait_line("(VI_1) Master received priority 0 message")
    return run


def scenario_wrong_password(lab: Lab, daemon: str) -> Run:
    _peer(lab, vrrp_config(priority=150, extra=PASS.format("other")))
    lab.wait_holders(VIP, lambda h: h == [2], timeout=10, what="peer master")
    run = _start(lab, daemon, vrrp_config(priority=100, extra=PASS.format("mine")))
    lab.wait_holders(VIP, lambda h: h == [1, 2], timeout=10, what="n1 ignores the peer")
    run.wait_line("(VI_1) received an invalid passwd!")
    return run


def scenario_wrong_interval(lab: Lab, daemon: str) -> Run:
    _peer(lab, vrrp_config(priority=150, advert_int="2"))
    lab.wait_holders(VIP, lambda h: h == [2], timeout=10, what="peer master")
    run = _start(lab, daemon, vrrp_config(priority=100))
    lab.wait_holders(VIP, lambda h: h == [1, 2], timeout=10, what="n1 ignores the peer")
    run.wait_line("(VI_1) advertisement interval mismatch mine=1 sec rcv'd=2 sec")
    return run


def scenario_missing_vip(lab: Lab, daemon: str) -> Run:
    _peer(lab, vrrp_config(priority=150, vips=("192.0.2.101/24",)))
    lab.wait_holders("192.0.2.101", lambda h: h == [2], timeout=10, what="peer master")
    run = _start(lab, daemon, vrrp_config(priority=100))
    lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="n1 ignores the peer")
    run.wait_line("(VI_1) ip address associated with VRID 51 not present in MASTER advert: 192.0.2.100")
    return run


def scenario_auth_type(lab: Lab, daemon: str) -> Run:
    _peer(lab, vrrp_config(priority=150))
    lab.wait_holders(VIP, lambda h: h == [2], timeout=10, what="peer master")
    run = _start(lab, daemon, vrrp_config(priority=100, extra=PASS.format("mine")))
    lab.wait_holders(VIP, lambda h: h == [1, 2], timeout=10, what="n1 ignores the peer")
    run.wait_line("(VI_1) received a 0 auth, expecting 1!")
    return run


def scenario_vip_count(lab: Lab, daemon: str) -> Run:
    _peer(lab, vrrp_config(priority=150, vips=(f"{VIP}/24", "192.0.2.101/24")))
    lab.wait_holders("192.0.2.101", lambda h: h == [2], timeout=10, what="peer master")
    run = _start(lab, daemon, vrrp_config(priority=100))
    lab.wait_holders(VIP, lambda h: h == [1, 2], timeout=10, what="n1 ignores the peer")
    run.wait_line("(VI_1) received an unexpected ip number count 2, expected 1!")
    return run


def scenario_v3_interval(lab: Lab, daemon: str) -> Run:
    """VRRPv3: the master's 0.5 s interval is adopted by the backup, which goes back to its own
    1 s when it becomes master."""
    peer = _peer(lab, vrrp_config(priority=150, version=3, advert_int="0.5"))
    lab.wait_holders(VIP, lambda h: h == [2], timeout=10, what="peer master")
    run = _start(lab, daemon, vrrp_config(priority=100, version=3))
    run.wait_line("(VI_1) advertisement interval updated from 1000ms to 500ms by master")
    peer.stop()
    lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="n1 takes over")
    run.wait_line("(VI_1) changing advert interval from 500ms to locally configured 1000ms")
    return run


def scenario_preempt_delay(lab: Lab, daemon: str) -> Run:
    _peer(lab, vrrp_config(priority=100))
    lab.wait_holders(VIP, lambda h: h == [2], timeout=10, what="peer master")
    run = _start(lab, daemon, vrrp_config(priority=150, extra="preempt_delay 2"))
    run.wait_line("(VI_1) start preempt delay (2.000000)")
    lab.wait_holders(VIP, lambda h: h == [1], timeout=15, what="n1 preempts after the delay")
    return run


def scenario_unknown_vrid(lab: Lab, daemon: str) -> Run:
    _peer(lab, vrrp_config(priority=150, vrid=52, vips=("192.0.2.101/24",)))
    lab.wait_holders("192.0.2.101", lambda h: h == [2], timeout=10, what="peer master")
    run = _start(lab, daemon, vrrp_config(priority=100, global_extra="log_unknown_vrids"))
    run.wait_line("Unknown VRID(52) received on interface(eth0). ignoring...")
    return run


def scenario_fault(lab: Lab, daemon: str) -> Run:
    """The master's link goes down (FAULT) and comes back (BACKUP, then MASTER again)."""
    run = _start(lab, daemon, vrrp_config(priority=150))
    lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="n1 master")
    run.me.run(["ip", "link", "set", "eth0", "down"], check=True)
    run.wait_line("(VI_1) Entering FAULT STATE")
    run.me.run(["ip", "link", "set", "eth0", "up"], check=True)
    lab.wait_holders(VIP, lambda h: h == [1], timeout=15, what="n1 master again")
    return run


SCENARIOS: dict[str, Callable[[Lab, str], Run]] = {
    "startup-election": scenario_startup_election,
    "master-killed": scenario_master_killed,
    "priority-0": scenario_priority_zero,
    "preemption": scenario_preemption,
    "lower-priority": scenario_lower_priority,
    "wrong-password": scenario_wrong_password,
    "wrong-interval": scenario_wrong_interval,
    "missing-vip": scenario_missing_vip,
    "auth-type": scenario_auth_type,
    "vip-count": scenario_vip_count,
    "v3-interval": scenario_v3_interval,
    "preempt-delay": scenario_preempt_delay,
    "unknown-vrid": scenario_unknown_vrid,
    "fault": scenario_fault,
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_same_log_lines(make_lab: Callable[..., Lab], scenario: str) -> None:
    labs = {daemon: make_lab(2) for daemon in DAEMONS}

    def one(daemon: str) -> tuple[set[str], str]:
        run = SCENARIOS[scenario](labs[daemon], daemon)
        run.proc.stop()
        return run.lines(), run.proc.output()

    # both daemons at once, each in its own lab
    with ThreadPoolExecutor(max_workers=len(DAEMONS)) as pool:
        results = dict(zip(DAEMONS, pool.map(one, DAEMONS), strict=True))
    got = {daemon: lines for daemon, (lines, _out) in results.items()}
    outputs = {daemon: out for daemon, (_lines, out) in results.items()}
    ours, theirs = got["keepalived-py"], got["keepalived"]
    assert ours == theirs, (
        f"only keepalived-py: {sorted(ours - theirs)}\nonly keepalived: {sorted(theirs - ours)}\n"
        f"--- keepalived-py ---\n{outputs['keepalived-py']}\n--- keepalived ---\n{outputs['keepalived']}"
    )
