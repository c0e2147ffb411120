"""VIPs added by NetlinkAddresses' own RTM_NEWADDR/RTM_DELADDR requests, in a lab namespace.

Each address form ends up in the kernel exactly as ``ip addr add`` with the same options puts
it there (label, broadcast, scope, peer; IPv6 flags nodad, home, mngtmpaddr, noprefixroute, lifetimes),
and is gone after the removal.  Also the return contract (already there / not there count as
done, a kernel refusal comes back as text) and a re-created interface (new ifindex, while the
encoded request of the old one is cached).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import pytest

from tests.netns.lab import Lab

pytestmark = pytest.mark.root

# IpAddress keyword arguments, and the same address for iproute2
FORMS = [
    ({"address": "192.0.2.100", "prefix_len": 32, "family": 4}, "192.0.2.100/32"),
    (
        {
            "address": "203.0.113.101",
            "prefix_len": 24,
            "family": 4,
            "broadcast": "203.0.113.255",
            "label": "eth0:vip",
            "scope": 253,
        },
        "203.0.113.101/24 broadcast 203.0.113.255 label eth0:vip scope 253",
    ),
    (
        {"address": "198.51.100.7", "prefix_len": 24, "family": 4, "noprefixroute": True},
        "198.51.100.7/24 noprefixroute",
    ),
    (
        {"address": "192.0.2.102", "prefix_len": 32, "family": 4, "peer": "192.0.2.9", "scope": 200},
        "192.0.2.102 peer 192.0.2.9/32 scope 200",
    ),
    ({"address": "2001:db8::64", "prefix_len": 64, "family": 6}, "2001:db8::64/64 nodad"),
    (
        {
            "address": "2001:db8::65",
            "prefix_len": 64,
            "family": 6,
            "home": True,
            "mngtmpaddr": True,
            "noprefixroute": True,
            "preferred_lft": 0,
        },
        "2001:db8::65/64 nodad home mngtmpaddr noprefixroute preferred_lft 0",
    ),
    (
        {"address": "2001:db8::66", "prefix_len": 128, "family": 6, "preferred_lft": 3600},
        "2001:db8::66/128 nodad preferred_lft 3600",
    ),
    (
        {"address": "2001:db8::69", "prefix_len": 128, "family": 6, "peer": "2001:db8::9"},
        "2001:db8::69 peer 2001:db8::9/128 nodad",
    ),
]

_SCRIPT = r"""
import json, re, subprocess, sys
from keepalived_py.adapters.addresses import NetlinkAddresses
from keepalived_py.config.model.ip import IpAddress

own = sys.argv[2:]
forms = json.loads(sys.argv[1])

def snapshot(dev="eth0"):
    out = subprocess.run(["ip", "-o", "addr", "show", "dev", dev], capture_output=True, text=True).stdout
    lines = [re.sub(r"preferred_lft \d+sec", "preferred_lft Nsec", " ".join(l.split()[1:]))
             for l in out.splitlines()]
    return sorted(l for l in lines if not any(o in l for o in own))

def ip(*args):
    subprocess.run(["ip", *args], check=True)

nl = NetlinkAddresses()
out = {"forms": [], "contract": {}}
for kw, spec in forms:
    vip = IpAddress(**kw)
    added = [nl.add_address(vip, "eth0"), nl.add_address(vip, "eth0")]
    ours = snapshot()
    removed = [nl.remove_address(vip, "eth0"), nl.remove_address(vip, "eth0")]
    after = snapshot()
    ip("addr", "add", *spec.split(), "dev", "eth0")
    theirs = snapshot()
    ip("addr", "del", *spec.split()[:3 if "peer" in spec else 1], "dev", "eth0")
    out["forms"].append({"added": added, "ours": ours, "removed": removed, "after": after,
                         "theirs": theirs, "left": snapshot()})

c = out["contract"]
c["bad_prefix"] = nl.add_address(IpAddress("192.0.2.110", 33, 4), "eth0")
c["missing_if"] = nl.add_address(IpAddress("192.0.2.111", 32, 4, dev="nosuch0"), "eth0")
c["remove_missing_if"] = nl.remove_address(IpAddress("192.0.2.111", 32, 4, dev="nosuch0"), "eth0")
vip = IpAddress("198.51.100.20", 24, 4)
ip("link", "add", "kv0", "type", "veth", "peer", "name", "kv1")
c["first_link"] = [nl.add_address(vip, "kv0"), snapshot("kv0")]
ip("link", "del", "kv0")
ip("link", "add", "kv0", "type", "veth", "peer", "name", "kv1")
c["second_link"] = [nl.add_address(vip, "kv0"), snapshot("kv0")]
c["second_link"] += [nl.remove_address(vip, "kv0"), snapshot("kv0")]
ip("link", "del", "kv0")
nl.close()
print(json.dumps(out))
"""


def test_vip_requests_like_iproute2(make_lab: Callable[..., Lab]) -> None:
    node = make_lab(1, ipv6=True).node(1)
    own = [f"{node.ipv4}/", f"{node.ipv6}/", "fe80::"]
    done = node.run([sys.executable, "-c", _SCRIPT, json.dumps(FORMS), *own], timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    for (_kw, spec), form in zip(FORMS, out["forms"], strict=True):
        assert form["added"] == [None, None], spec
        assert len(form["ours"]) == 1 and form["ours"] == form["theirs"], spec
        assert form["removed"] == [None, None] and form["after"] == [] and form["left"] == [], spec
    contract = out["contract"]
    assert contract["bad_prefix"] == "(22, 'Invalid argument')"
    assert contract["missing_if"] == "no interface nosuch0"
    assert contract["remove_missing_if"] is None
    for key in ("first_link", "second_link"):
        assert contract[key][0] is None
        assert [line.split()[2] for line in contract[key][1]] == ["198.51.100.20/24"], key
    assert contract["second_link"][2:] == [None, []]
