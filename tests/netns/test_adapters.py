"""The OS adapters in lab namespaces: raw VRRP sockets (IPv4, IPv6), netlink addresses, GARP/NA."""

from __future__ import annotations

import ipaddress
import json
import struct
import sys
from collections.abc import Callable

import pytest

from keepalived_py.adapters.garp import garp_frame, na_frame
from tests.netns.lab import Lab, Node, Proc, wait_until

pytestmark = pytest.mark.root

PROBE = [sys.executable, "-m", "tests.netns.adapter_probe"]


def _listen(node: Node, *args: str) -> Proc:
    proc = node.start([*PROBE, *args], label=args[0])
    wait_until(lambda: "ready" in proc.output() or not proc.running(), timeout=10, what=f"{args} ready")
    return proc


def _result(proc: Proc) -> dict[str, object]:
    proc.wait(timeout=15)
    lines = [line for line in proc.output().splitlines() if line.startswith("{")]
    assert lines, proc.output()
    result: dict[str, object] = json.loads(lines[-1])
    return result


def _run(node: Node, *args: str) -> dict[str, object]:
    done = node.run([*PROBE, *args], timeout=20)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize("dst", ["224.0.0.18", "192.0.2.2"])
def test_ipv4_vrrp_socket(make_lab: Callable[..., Lab], dst: str) -> None:
    the_lab = make_lab(2)
    listener = _listen(the_lab.node(2), "recv4", "224.0.0.18")
    assert _run(the_lab.node(1), "send4", "192.0.2.1", dst) == {"sent": True}
    got = _result(listener)
    assert got == {
        "src": "192.0.2.1",
        "dst": dst,
        "ttl": 255,
        "tos": 0xC0,
        "vrid": 51,
        "priority": 150,
        "addresses": ["192.0.2.100"],
    }


def test_ipv6_vrrp_socket(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(2, ipv6=True)
    listener = _listen(the_lab.node(2), "recv6")
    src = the_lab.node(1).link_local()
    assert src
    assert _run(the_lab.node(1), "send6", src, "ff02::12") == {"sent": True}
    got = _result(listener)
    assert got == {
        "src": src,
        "dst": "ff02::12",
        "hop_limit": 255,
        "vrid": 52,
        "priority": 120,
        "addresses": ["2001:db8::64"],
    }


def test_gratuitous_arp(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(2)
    listener = _listen(the_lab.node(2), "capture", "arp")
    sent = _run(the_lab.node(1), "garp", "192.0.2.100")
    assert sent["sent"] is True
    frame = bytes.fromhex(str(_result(listener)["frame"]))
    mac = bytes.fromhex(str(sent["mac"]))
    assert frame[:42] == garp_frame(mac, ipaddress.IPv4Address("192.0.2.100"))


def test_unsolicited_na(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(2, ipv6=True)
    listener = _listen(the_lab.node(2), "capture", "na")
    sent = _run(the_lab.node(1), "garp", "2001:db8::64")
    frame = bytes.fromhex(str(_result(listener)["frame"]))
    mac = bytes.fromhex(str(sent["mac"]))
    assert frame == na_frame(mac, ipaddress.IPv6Address("2001:db8::64"))
    assert frame[21] == 255  # hop limit
    (flags,) = struct.unpack_from("!I", frame, 58)
    assert flags == 0x20000000  # Override


_ADDR_SCRIPT = """
import json
from keepalived_py.adapters.addresses import NetlinkAddresses
from keepalived_py.config.model.ip import IpAddress
nl = NetlinkAddresses()
vip = IpAddress("192.0.2.100", 32, 4)
vip6 = IpAddress("2001:db8::64", 64, 6, nodad=True)
out = {"link": nl.link("eth0").up, "primary": str(nl.primary_ipv4("eth0"))}
out["add"] = [nl.add_address(vip, "eth0"), nl.add_address(vip, "eth0"), nl.add_address(vip6, "eth0")]
out["has"] = [nl.has_address("eth0", "192.0.2.100"), nl.has_address("eth0", "2001:db8::64")]
out["del"] = [nl.remove_address(vip, "eth0"), nl.remove_address(vip, "eth0"), nl.remove_address(vip6, "eth0")]
out["after"] = nl.has_address("eth0", "192.0.2.100")
nl.add_address(IpAddress("2001:db8::65", 128, 6, preferred_lft=0), "eth0")
nl.add_address(IpAddress("2001:db8::66", 64, 6, preferred_lft=0xFFFFFFFF), "eth0")
out["missing_if"] = nl.add_address(IpAddress("192.0.2.101", 32, 4, dev="nosuch0"), "eth0")
print(json.dumps(out))
"""


def test_netlink_addresses(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(1, ipv6=True)
    node = the_lab.node(1)
    node.run(["sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/eth0/accept_dad"], check=True)
    done = node.run([sys.executable, "-c", _ADDR_SCRIPT])
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    # IPv6 VIPs: never tentative (nodad, as keepalived); a /128 is deprecated (preferred_lft 0)
    lines = node.run(["ip", "-6", "-o", "addr", "show", "dev", "eth0"]).stdout.splitlines()
    v65 = next(line for line in lines if "2001:db8::65/128" in line)
    v66 = next(line for line in lines if "2001:db8::66/64" in line)
    assert "nodad" in v65 and "deprecated" in v65 and "tentative" not in v65
    assert "nodad" in v66 and "deprecated" not in v66 and "tentative" not in v66
    assert out == {
        "link": True,
        "primary": "192.0.2.1",
        "add": [None, None, None],
        "has": [True, True],
        "del": [None, None, None],
        "after": False,
        "missing_if": "no interface nosuch0",
    }
