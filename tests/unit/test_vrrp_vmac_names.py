"""use_vmac's names, MAC addresses and sysctl plans (vrrp/vmac_names.py), as keepalived 2.2.7."""

from __future__ import annotations

import ipaddress
import itertools

import pytest

from keepalived_py.vrrp.vmac_names import (
    RpFilterSaved,
    SysctlWrite,
    base_changes,
    choose_vmac_name,
    is_matching_vmac,
    link_local_from_mac,
    mac_bytes,
    rp_filter_clear,
    rp_filter_restore,
    vmac_mac,
    vmac_name_candidates,
    vmac_writes,
)


def test_rfc5798_macs() -> None:
    assert vmac_mac(51, 4) == "00:00:5e:00:01:33"
    assert vmac_mac(51, 6) == "00:00:5e:00:02:33"
    assert vmac_mac(1, 4) == "00:00:5e:00:01:01"
    assert vmac_mac(255, 6) == "00:00:5e:00:02:ff"


def test_configured_mac() -> None:
    assert vmac_mac(51, 4, "02:11:22:33:44:55") == "02:11:22:33:44:55"
    # five octets: the VRID is the sixth
    assert vmac_mac(51, 4, "02:11:22:33:44") == "02:11:22:33:44:33"
    assert mac_bytes(vmac_mac(7, 6)) == bytes.fromhex("00005e000207")


@pytest.mark.parametrize("bad", [(0, None), (256, None), (5, "02:11"), (5, "02:11:22:33:44:55:66")])
def test_invalid(bad: tuple[int, str | None]) -> None:
    with pytest.raises(ValueError):
        vmac_mac(bad[0], 4, bad[1])


def test_names_ipv4() -> None:
    assert list(itertools.islice(vmac_name_candidates("vrrp", 51, 4), 4)) == [
        "vrrp.51",
        "vrrp1.51",
        "vrrp2.51",
        "vrrp3.51",
    ]


def test_names_ipv6_try_6_first_then_skip_it() -> None:
    got = list(itertools.islice(vmac_name_candidates("vrrp", 51, 6), 9))
    assert got == [
        "vrrp.51",
        "vrrp6.51",
        "vrrp1.51",
        "vrrp2.51",
        "vrrp3.51",
        "vrrp4.51",
        "vrrp5.51",
        "vrrp7.51",
        "vrrp8.51",
    ]


def test_long_prefix_is_cut_to_15_characters() -> None:
    first, second = itertools.islice(vmac_name_candidates("averyveryverylongprefix", 255, 4), 2)
    assert first == "averyveryve.255" and len(first) == 15
    assert second == "averyveryv1.255" and len(second) == 15


def test_choose_skips_taken_names() -> None:
    taken = {"vrrp.51", "vrrp1.51"}
    assert choose_vmac_name(None, 51, 4, taken.__contains__) == "vrrp2.51"
    assert choose_vmac_name("vmac", 9, 6, {"vmac.9"}.__contains__) == "vmac6.9"


def test_matching() -> None:
    want = "00:00:5e:00:01:33"
    ok = {"kind": "macvlan", "mode": "private", "mac": "00:00:5E:00:01:33", "base_ok": True}
    assert is_matching_vmac(**ok, want_mac=want)  # type: ignore[arg-type]
    for key, value in (
        ("kind", "veth"),
        ("mode", "bridge"),
        ("mac", "00:00:5e:00:01:34"),
        ("base_ok", False),
    ):
        assert not is_matching_vmac(**{**ok, key: value}, want_mac=want)  # type: ignore[arg-type]


def test_link_local_eui64() -> None:
    assert link_local_from_mac("52:54:00:12:34:56") == ipaddress.IPv6Address("fe80::5054:ff:fe12:3456")


def test_vmac_and_base_sysctls() -> None:
    assert vmac_writes("vrrp.51") == (
        SysctlWrite("vrrp.51", "arp_ignore", 1),
        SysctlWrite("vrrp.51", "accept_local", 1),
        SysctlWrite("vrrp.51", "rp_filter", 0),
        SysctlWrite("vrrp.51", "promote_secondaries", 1),
    )
    both = (SysctlWrite("eth0", "arp_ignore", 1), SysctlWrite("eth0", "arp_filter", 1))
    assert base_changes("eth0", {"arp_ignore": 0, "arp_filter": 0}) == both
    assert base_changes("eth0", {"arp_ignore": 1, "arp_filter": 0}) == both
    assert base_changes("eth0", {"arp_ignore": 1, "arp_filter": 1}) == ()


def test_rp_filter_zero_or_unreadable() -> None:
    plan, saved = rp_filter_clear(0, 0, {"eth0": 1})
    assert plan.writes == () and saved is None
    plan, saved = rp_filter_clear(None, 0, {})
    assert plan.logs == ("Unable to read sysctl net.ipv4.conf.all.rp_filter",) and saved is None


def test_rp_filter_clear_and_restore() -> None:
    plan, saved = rp_filter_clear(1, 0, {"eth0": 0, "lo": 2, "eth1": 1})
    assert plan.writes == (
        SysctlWrite("default", "rp_filter", 1),
        SysctlWrite("eth0", "rp_filter", 1),
        SysctlWrite("all", "rp_filter", 0),
    )
    assert plan.logs == (
        "NOTICE: setting sysctl net.ipv4.conf.default.rp_filter from 0 to 1",
        "NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from 1 to 0",
    )
    assert saved == RpFilterSaved(1, 0, {"eth0": 0})
    back = rp_filter_restore(saved, 0, 1, {"eth0": 1})
    assert back.writes == (
        SysctlWrite("all", "rp_filter", 1),
        SysctlWrite("default", "rp_filter", 0),
        SysctlWrite("eth0", "rp_filter", 0),
    )
    assert back.logs == (
        "NOTICE: resetting sysctl net.ipv4.conf.all.rp_filter to 1",
        "NOTICE: resetting sysctl net.ipv4.conf.default.rp_filter to 0",
    )


def test_rp_filter_restore_leaves_what_others_changed() -> None:
    saved = RpFilterSaved(2, 1, {"eth0": 0})
    back = rp_filter_restore(saved, 1, 0, {"eth0": 1})
    assert back.writes == () and back.logs == ()


def test_place_addresses() -> None:
    from keepalived_py.config.model.ip import IpAddress
    from keepalived_py.vrrp.vmac_names import place_addresses

    entries = (
        IpAddress("192.0.2.100", 24, 4),
        IpAddress("192.0.2.101", 24, 4, dev="eth0"),
        IpAddress("192.0.2.102", 24, 4, dev="eth1"),
        IpAddress("2001:db8::100", 64, 6),
        IpAddress("2001:db8::101", 64, 6, dev="eth0"),
    )
    placed = place_addresses(entries, interface="eth0", family=4, vmac="vrrp.51")
    assert [e.dev for e in placed] == ["vrrp.51", "vrrp.51", "eth1", "eth0", "eth0"]
    assert [e.address for e in placed] == [e.address for e in entries]


def test_plan_placement_with_use_vmac_addr() -> None:
    from keepalived_py.config.model.ip import IpAddress
    from keepalived_py.vrrp.vmac_names import plan_placement

    entries = (
        IpAddress("192.0.2.100", 24, 4),
        IpAddress("192.0.2.102", 24, 4, dev="eth1"),
        IpAddress("2001:db8::100", 64, 6),
        IpAddress("198.51.100.1", 24, 4, dev="eth1", use_vmac=True),
    )
    plain = plan_placement(entries, interface="eth0", family=4, vmac="vrrp.51", use_vmac_addr=False)
    assert [(e.dev, extra) for e, extra in plain] == [
        ("vrrp.51", None),
        ("eth1", None),
        ("eth0", None),
        ("eth1", ("eth1", 4)),
    ]
    addr = plan_placement(entries, interface="eth0", family=4, vmac=None, use_vmac_addr=True)
    assert [(e.dev, extra) for e, extra in addr] == [
        ("eth0", None),
        ("eth1", ("eth1", 4)),
        ("eth0", ("eth0", 6)),
        ("eth1", ("eth1", 4)),
    ]
    own = plan_placement(
        (IpAddress("192.0.2.9", 24, 4, use_vmac=True),),
        interface="eth0",
        family=4,
        vmac=None,
        use_vmac_addr=False,
    )
    assert [(e.dev, extra) for e, extra in own] == [("eth0", ("eth0", 4))]
