"""virtual_routes / virtual_rules of a master: installed with the VIPs, removed on stop, and the
same kernel entries as keepalived 2.2.7 installs for the same configuration."""

from __future__ import annotations

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

EXTRA = """
virtual_routes {
    198.51.100.0/24 via 192.0.2.254 dev eth0 metric 10
    blackhole 203.0.113.0/24 table 100
    2001:db8:1::/64 via 2001:db8::fe dev eth0
}
virtual_rules {
    from 198.51.100.0/24 table 100 priority 100
    to 203.0.113.0/24 table 100 priority 101
    from all fwmark 5/0xff table 100 priority 102
}
"""


def _state(node: Node) -> tuple[list[str], list[str]]:
    routes = node.run(
        ["ip", "-4", "route", "show", "table", "all", "proto", "keepalived"]
    ).stdout.splitlines()
    routes += node.run(
        ["ip", "-6", "route", "show", "table", "all", "proto", "keepalived"]
    ).stdout.splitlines()
    rules = [
        r for r in node.run(["ip", "rule"]).stdout.splitlines() if r.split(":")[0] in ("100", "101", "102")
    ]
    return sorted(routes), rules


def _run(
    the_lab: Lab, start: Callable[[Node, str], Proc]
) -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]]]:
    node = the_lab.node(1)
    node.run(["ip", "addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad"], check=True)
    proc = start(node, write_config(node, vrrp_config(priority=150, extra=EXTRA)))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="master")

    def complete() -> tuple[list[str], list[str]] | None:
        state = _state(node)
        return state if len(state[0]) == 3 and len(state[1]) == 3 else None

    master = wait_until(complete, timeout=5, what="routes and rules")
    assert master is not None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    return master, _state(node)


def test_routes_and_rules_like_keepalived(make_lab: Callable[..., Lab]) -> None:
    ours, ours_after = _run(make_lab(1), start_kpy)
    assert ours_after == ([], [])
    assert any("198.51.100.0/24 via 192.0.2.254 dev eth0" in r for r in ours[0])
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)
    theirs, theirs_after = _run(make_lab(1), start_keepalived)
    assert ours == theirs
    assert theirs_after == ([], [])


ADDRESS_EXTRA = """
virtual_ipaddress_excluded {
    2001:db8::101/128
    2001:db8::102/64
}
"""
VIPS = (
    "192.0.2.100/24 brd 192.0.2.255 dev eth0 label eth0:vip",
    "192.0.2.101/32 scope link",
    "198.51.100.7/24",
)


def _addresses(node: Node) -> list[str]:
    out = node.run(["ip", "-o", "addr", "show", "dev", "eth0"]).stdout.splitlines()
    own = (f"{node.ipv4}/", f"{node.ipv6}/", "fe80::")
    return sorted(" ".join(line.split()[1:]) for line in out if not any(o in line for o in own))


def _run_addresses(the_lab: Lab, start: Callable[[Node, str], Proc]) -> list[str]:
    node = the_lab.node(1)
    proc = start(node, write_config(node, vrrp_config(priority=150, vips=VIPS, extra=ADDRESS_EXTRA)))
    the_lab.wait_holders("192.0.2.100", lambda h: h == [1], timeout=10, what="master")

    def five() -> list[str] | None:
        found = _addresses(node)
        return found if len(found) == 5 else None

    found = wait_until(five, timeout=5, what="5 addresses")
    assert found is not None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert _addresses(node) == []
    return found


def test_vips_and_evips_like_keepalived(make_lab: Callable[..., Lab]) -> None:
    """The same kernel addresses (label, broadcast, scope, IPv6 nodad/deprecated) as keepalived."""
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)
    ours = _run_addresses(make_lab(1, ipv6=True), start_kpy)
    theirs = _run_addresses(make_lab(1, ipv6=True), start_keepalived)
    assert ours == theirs


STATIC = """
static_ipaddress {
    198.51.100.9/24 dev eth0
}
static_routes {
    203.0.113.0/24 via 192.0.2.254 dev eth0
}
static_rules {
    from 203.0.113.0/24 table 100 priority 110
}
"""


def _static(node: Node) -> list[str]:
    addresses = [
        line.split()[3]
        for line in node.run(["ip", "-o", "-4", "addr", "show", "dev", "eth0"]).stdout.splitlines()
    ]
    routes = node.run(["ip", "-4", "route", "show", "203.0.113.0/24"]).stdout.split()
    rules = [r for r in node.run(["ip", "rule"]).stdout.splitlines() if r.startswith("110:")]
    return sorted(addresses) + routes + rules


def _run_static(the_lab: Lab, start: Callable[[Node, str], Proc]) -> list[str]:
    node = the_lab.node(1)
    proc = start(node, write_config(node, STATIC + vrrp_config(priority=150)))
    the_lab.wait_holders("198.51.100.9", lambda h: h == [1], timeout=10, what="static address")
    found = wait_until(
        lambda: _static(node) if len(_static(node)) > 3 else None, timeout=5, what="static entries"
    )
    assert found is not None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert _static(node) == ["192.0.2.1/24"]
    return found


def test_static_entries_like_keepalived(make_lab: Callable[..., Lab]) -> None:
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)
    ours = _run_static(make_lab(1), start_kpy)
    theirs = _run_static(make_lab(1), start_keepalived)
    assert ours == theirs
