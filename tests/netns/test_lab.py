"""The lab itself: nodes reach each other over the bridge, no default route, teardown is complete."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.netns.lab import IP, Lab, Node, lab, root_available, wait_until

pytestmark = pytest.mark.root


def _namespaces() -> set[str]:
    out = subprocess.run([IP, "netns", "list"], capture_output=True, text=True, check=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


# No ping on the machine: a TCP connect to a closed port that is refused (RST) proves the path.
_PROBE = (
    "import socket,sys\n"
    "try:\n"
    "    socket.create_connection((sys.argv[1], 9), timeout=2)\n"
    "except ConnectionRefusedError:\n"
    "    sys.exit(0)\n"
    "except OSError:\n"
    "    sys.exit(1)\n"
)


def _reachable(node: Node, address: str) -> bool:
    return node.run([sys.executable, "-c", _PROBE, address]).returncode == 0


def test_nodes_talk_over_the_bridge(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(3, ipv6=True)
    n1, n3 = the_lab.node(1), the_lab.node(3)
    assert n1.addresses()[:1] == ["192.0.2.1"]
    assert _reachable(n1, "192.0.2.3")
    assert _reachable(n1, "2001:db8::3")
    assert n3.link_local() is not None
    routes = n1.run(["ip", "route", "show", "default"]).stdout
    assert routes.strip() == ""


def test_processes_and_vip_polling(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(2)
    proc = the_lab.node(2).start(["sleep", "60"])
    assert proc.running()
    assert the_lab.vip_holders("192.0.2.100") == []
    the_lab.node(2).run(["ip", "addr", "add", "192.0.2.100/32", "dev", "eth0"], check=True)
    assert the_lab.wait_holders("192.0.2.100", lambda h: h == [2], timeout=2, what="VIP on n2") == [2]
    assert proc.stop(timeout=2) != 0
    assert not proc.running()


def test_teardown_on_failure() -> None:
    reason = root_available()
    if reason:
        pytest.skip(reason)
    names: list[str] = []
    with pytest.raises(RuntimeError), lab(2) as the_lab:
        names = [the_lab.bridge_ns, *(n.ns for n in the_lab.nodes)]
        assert set(names) <= _namespaces()
        the_lab.node(1).start(["sleep", "60"])
        raise RuntimeError("boom")
    assert not set(names) & _namespaces()


def test_wait_until_reports_what_it_waited_for() -> None:
    with pytest.raises(AssertionError, match="nothing"):
        wait_until(lambda: 0, timeout=0.1, interval=0.02, what="nothing")
