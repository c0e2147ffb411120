"""Top-level static blocks: track_group, garp_group, linkbeat_interfaces, interface_up_down_delays."""

from __future__ import annotations

from keepalived_py.config.errors import Severity
from tests.configtest import parse_text


def errors(res: object) -> list[str]:
    return [d.message for d in res.diags.items if d.severity != Severity.OK]  # type: ignore[attr-defined]


def test_track_groups_and_references() -> None:
    res = parse_text(
        "track_group TG {\n group { }\n group { VI_1 VI_2 }\n}\n"
        "track_group TG {\n group { VI_3 }\n}\n"
        "static_ipaddress {\n 192.0.2.1 dev eth0 track_group TG\n 192.0.2.2 dev eth0 track_group NO\n}\n"
    )
    assert errors(res) == [
        "Warning - track group TG has empty group block",
        "track_group TG already defined",
        "track_group NO not found",
    ]
    (tg,) = res.config.static.track_groups
    assert tg.instances == ("VI_1", "VI_2")
    assert res.config.static.addresses[0].track_group == "TG"


def test_garp_groups() -> None:
    res = parse_text(
        "garp_group {\n interface eth0\n}\n"
        "garp_group {\n garp_interval 0.5\n interface eth0\n interface eth9\n interfaces {\n eth1\n }\n}\n"
    )
    assert errors(res) == [
        "garp group 0 does not have any delay set - removing",
        "WARNING - interface eth9 specified for garp_group doesn't exist",
        "Non-existent interface specified in configuration",
    ]
    (g,) = res.config.static.garp_groups
    assert g.garp_interval == 500_000 and g.interfaces == ("eth0", "eth1") and g.aggregation_group == 1


def test_linkbeat_and_delays() -> None:
    res = parse_text(
        "linkbeat_interfaces {\n eth0 MII\n eth1 FOO\n eth7\n}\n"
        "interface_up_down_delays {\n eth0 1 2.5\n eth1 300\n}\n"
    )
    assert errors(res) == [
        "extra characters FOO in linkbeat interface",
        "unknown interface eth7 specified for linkbeat interface",
        "number '300' outside range [0.000000, 255.000000]",
    ]
    assert res.diags.test_exit_code() == 5
    s = res.config.static
    assert [(lb.name, lb.kind) for lb in s.linkbeat_interfaces] == [("eth0", "MII"), ("eth1", "")]
    assert [(d.interface, d.down_delay, d.up_delay) for d in s.up_down_delays] == [
        ("eth0", 1_000_000, 2_500_000)
    ]
