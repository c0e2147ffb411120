"""ip(8)-style lines: messages and models checked against keepalived 2.2.7 in a namespace."""

from __future__ import annotations

from keepalived_py.config.model.ip import INFINITY_LIFE_TIME, RTPROT_KEEPALIVED
from tests.configtest import messages, parse_text


def block(name: str, *lines: str) -> str:
    return f"{name} {{\n" + "".join(f"  {ln}\n" for ln in lines) + "}\n"


def test_address_messages_and_exit_status() -> None:
    res = parse_text(
        block(
            "static_ipaddress",
            "192.0.2.2/33 dev eth0",
            "192.0.2.3 dev eth9",
            "192.0.2.4 dev",
            "2001:db8::1/64 dev eth0 scope link label foo",
            "192.0.2.5/24 brd + dev eth0 foo",
            "192.0.2.13 peer 192.0.2.14/24 dev eth0",
        )
    )
    assert messages(res) == [
        "number '33' outside range [0, 32]",
        "Invalid address prefix len 33 for address 192.0.2.2/33 - using 32",
        "WARNING - interface eth9 for ip address 192.0.2.3 doesn't exist",
        "No dev parameter specified for 192.0.2.4",
        "Cannot specify scope for IPv6 addresses (2001:db8::1/64) - ignoring scope",
        "Cannot specify label for IPv6 addresses (2001:db8::1/64) - ignoring label",
        "Unknown configuration entry 'foo' for ip address - ignoring",
        "VRRP parsed invalid IP 192.0.2.14/24. skipping IP...",
        "Invalid peer address 192.0.2.14/24",
        "Non-existent interface specified in configuration",
    ]
    assert res.diags.test_exit_code() == 5
    addrs = res.config.static.addresses
    assert [a.address for a in addrs] == ["192.0.2.2", "2001:db8::1", "192.0.2.5", "192.0.2.13"]
    assert addrs[0].prefix_len == 32 and addrs[0].dev == "eth0"
    assert addrs[1].scope == 0 and addrs[1].label is None and addrs[1].preferred_lft == INFINITY_LIFE_TIME
    assert addrs[2].broadcast == "192.0.2.255"


def test_static_address_uses_default_interface() -> None:
    res = parse_text(block("static_ipaddress", "192.0.2.1/24", "2001:db8::6 dev eth1 -nodad no_track"))
    assert messages(res) == []
    a, b = res.config.static.addresses
    assert a.dev == "eth0" and b.dev == "eth1" and b.nodad and b.no_track and b.preferred_lft == 0


def test_missing_default_interface_is_fatal_class() -> None:
    res = parse_text(
        "global_defs {\n default_interface eth5\n}\n" + block("static_ipaddress", "192.0.2.1/24")
    )
    assert res.diags.test_exit_code() == 4


def test_routes() -> None:
    res = parse_text(
        block(
            "static_routes",
            "192.0.2.0/24 dev eth0",
            "198.51.100.0/24 via 192.0.2.1",
            "default via 192.0.2.1 dev eth0 mtu lock 1400 rtt 3s",
            "blackhole 203.0.113.0/24 dev eth0 no_track",
            "198.51.100.128/25 dev eth0 nexthop via 192.0.2.1 dev eth0 weight 2 nexthop via 192.0.2.2",
            "198.51.100.0/26 dev eth0 table nosuch",
            "198.51.100.0/26 dev eth0 bogus",
            "2001:db8:1::/48 via 192.0.2.1 dev eth0",
            "dev eth0",
        )
    )
    assert messages(res) == [
        "Warning - cannot track route 198.51.100.0/24 with no interface specified, not tracking",
        "Routing table nosuch not found for route",
        "VRRP parsed invalid IP bogus. skipping IP...",
        "unknown route keyword bogus",
        "Cannot mix IPv4 and IPv6 addresses for route",
        "Route must have a destination",
    ]
    r = res.config.static.routes
    assert len(r) == 5
    assert r[0].protocol == RTPROT_KEEPALIVED and r[0].dev == "eth0"
    assert r[1].no_track and r[1].via == "192.0.2.1"
    assert r[2].dst.address is None and ("mtu", 1400) in r[2].metrics and r[2].locked == ("mtu",)
    assert ("rtt", 24000) in r[2].metrics
    assert r[3].type == 6
    assert [nh.via for nh in r[4].nexthops] == ["192.0.2.1", "192.0.2.2"] and r[4].nexthops[0].weight == 2


def test_route_missing_word_is_fatal() -> None:
    res = parse_text(block("static_routes", "192.0.2.0/24 via"))
    assert res.fatal_exit == 2


def test_rules() -> None:
    res = parse_text(
        block(
            "static_rules",
            "from 192.0.2.0/24 table 100 priority 100",
            "from 192.0.2.0/24 table 100",
            "to 198.51.100.0/24 goto 50 preference 100",
            "from all fwmark 0x10/0xff table 10 priority 5",
            "from all uidrange 100-200 sport 80 dport 1000-2000 ipproto tcp table 5 priority 8",
            "from all realms 3 blackhole priority 10",
            "priority 17",
        )
    )
    assert messages(res) == [
        "Rule has no preference specified - setting to 16384. This is probably not what you want.",
        "Invalid rule - preference 100 >= goto target 50",
        "invalid sport range 80",
        "suppressor/realm specified for non table action - skipping",
        "No action specified for rule - ignoring",
    ]
    rules = res.config.static.rules
    assert [r.priority for r in rules] == [100, 16384, 5, 8]
    assert rules[2].fwmark == 16 and rules[2].fwmask == 255
    assert rules[3].uid_range == (100, 200) and rules[3].dport == (1000, 2000) and rules[3].ip_proto == 6
