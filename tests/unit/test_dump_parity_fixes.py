"""Bugs found by comparing keepalived-py -d with real keepalived 2.2.7 (checked in kpt0)."""

from __future__ import annotations

from keepalived_py.config.dump import dump_lines
from tests.configtest import messages, parse_text

BFD_TRACK = """
bfd_instance B1 {
    neighbor_ip 192.0.2.40
    weight -20
}
bfd_instance B2 {
    neighbor_ip 192.0.2.41
    weight 10 reverse
}
bfd_instance B3 {
    neighbor_ip 192.0.2.42
    checker
}
vrrp_instance VI_1 {
    interface eth0
    state BACKUP
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.0.2.200
    }
    track_bfd {
        B1
        B2 weight 5
        B3
    }
}
"""


def test_track_bfd_without_weight_takes_the_bfd_instance_weight() -> None:
    result = parse_text(BFD_TRACK)
    assert result.config is not None
    inst = result.config.vrrp.instances[0]
    weights = {t.name: (t.weight, t.reverse) for t in inst.track_bfds}
    # keepalived: B1 -> -20 (bfd_instance weight); B2 -> 5 with the instance's reverse kept.
    assert weights == {"B1": (-20, False), "B2": (5, True)}
    lines = dump_lines(result.config)
    assert "     B1: weight -20" in lines
    assert "     B2: weight 5 reverse" in lines


def test_track_bfd_of_checker_only_bfd_instance_is_not_found() -> None:
    result = parse_text(BFD_TRACK)
    assert "(VI_1) track bfd B3 not found, ignoring..." in messages(result)


ROUTES = """
static_routes {
    blackhole 203.0.113.128/25
    203.0.113.0/26 dev eth0
    append 203.0.113.64/27 dev eth0
    add 203.0.113.96/28 dev eth1
    append unreachable 198.51.100.0/25
    prohibit 198.51.100.128/26 prepend
    unicast 198.51.100.192/27 dev eth0
    throw 198.51.100.224/28 append
}
"""


def test_route_type_word_makes_an_add_route() -> None:
    """keepalived 2.2.7's IPROUTE_BIT_ADD is IPROUTE_BIT_TYPE (a macro shadows the enum member).

    Expected modes are those of keepalived's own dump of this config (kpt0).
    """
    result = parse_text(ROUTES)
    assert result.config is not None
    modes = [r.mode for r in result.config.static.routes]
    assert modes == ["add", "prepend", "append", "add", "add", "prepend", "add", "append"]
    lines = dump_lines(result.config)
    assert "     add blackhole 203.0.113.128/25 proto 18 no_track" in lines
    assert "     prepend prohibit 198.51.100.128/26 proto 18 no_track" in lines


def test_word_after_inet6_is_skipped_in_rules() -> None:
    """keepalived 2.2.7 steps over the word after inet/inet6 (messages as in kpt0)."""
    result = parse_text(
        "static_rules {\n"
        "    inet6 iif eth1 table 201 priority 60\n"
        "    inet6 x from 2001:db8:1::/64 table 101\n"
        "    from 192.0.2.128/25 inet table 104\n"
        "}\n"
    )
    assert result.config is not None
    msgs = messages(result)
    assert "Unknown rule option eth1" in msgs
    assert "Invalid rule action 104" in msgs
    rules = result.config.static.rules
    assert len(rules) == 1 and rules[0].table == 101
