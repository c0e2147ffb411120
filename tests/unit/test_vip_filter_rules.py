"""The accept-mode nftables tables against keepalived 2.2.7's, recorded in tests/golden/nftables/."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest

from keepalived_py.config.model import Config
from keepalived_py.config.model.vrrp import VrrpInstance
from keepalived_py.vrrp.params import build_params
from keepalived_py.vrrp.vip_filter_rules import (
    DEFAULT_TABLE_MESSAGE,
    FilterEntry,
    FilterOptions,
    VipFilterTables,
    VmacLink,
    filter_entry,
    instance_entries,
    needs_filter,
    nft_identifier,
    plan_options,
    vmac_families,
)
from tests.configtest import parse_text

GOLDEN = Path(__file__).parent.parent / "golden" / "nftables"


def config_of(text: str) -> Config:
    config = parse_text(text).config
    assert config is not None
    return config


def recorded(name: str) -> str:
    """keepalived's listing with the counters read as 0."""
    text = (GOLDEN / name).read_text()
    return re.sub(r"packets \d+ bytes \d+", "packets 0 bytes 0", text)


def load(name: str) -> tuple[FilterOptions, dict[str, VrrpInstance], dict[str, bool]]:
    config = config_of((GOLDEN / name).read_text())
    gd = config.global_defs
    params = {i.name: build_params(i, gd) for i in config.vrrp.instances}
    options, _ = plan_options(gd, (p.accept for p in params.values()))
    assert options is not None
    wanted = {n: needs_filter(accept=p.accept, priority=p.priority) for n, p in params.items()}
    return options, {i.name: i for i in config.vrrp.instances}, wanted


def entries(inst: VrrpInstance, options: FilterOptions) -> tuple[FilterEntry, ...]:
    return instance_entries(inst, options, ifindex=lambda name: 6)


def test_strict_v4_master_then_backup() -> None:
    options, instances, wanted = load("strict_v4.conf")
    assert wanted == {"VI_1": True}
    assert options == FilterOptions()
    tables = VipFilterTables(options)
    vi1 = entries(instances["VI_1"], options)
    change = tables.add("VI_1", vi1)
    assert change.nft_script() == (
        "add table ip keepalived\n"
        "add chain ip keepalived out { type filter hook output priority -1; policy accept; }\n"
        "add chain ip keepalived in { type filter hook input priority -1; policy accept; }\n"
        "add set ip keepalived vips { type ipv4_addr; }\n"
        "add rule ip keepalived in ip daddr @vips drop\n"
        "add rule ip keepalived out ip saddr @vips drop\n"
        "add element ip keepalived vips { 192.0.2.100, 192.0.2.101, 198.51.100.7 }\n"
    )
    assert tables.render() == recorded("strict_v4.master.txt")
    removed = tables.remove("VI_1", vi1)
    assert (
        removed.nft_script()
        == "delete element ip keepalived vips { 192.0.2.100, 192.0.2.101, 198.51.100.7 }\n"
    )
    assert tables.render() == recorded("strict_v4.backup_after_master.txt")
    # master again: only the elements, the table is there
    assert tables.add("VI_1", vi1).nft_script() == (
        "add element ip keepalived vips { 192.0.2.100, 192.0.2.101, 198.51.100.7 }\n"
    )
    assert tables.render() == recorded("strict_v4.master.txt")
    assert tables.cleanup().nft_script() == "delete table ip keepalived\n"
    assert tables.render() == ""


def test_options_ipv6_first() -> None:
    options, instances, wanted = load("options_v6_v4.conf")
    assert options == FilterOptions(table="kpyt", priority=-5, counters=True)
    assert wanted == {"VI_6": True, "VI_4": True}
    tables = VipFilterTables(options)
    six = tables.add("VI_6", entries(instances["VI_6"], options))
    assert "add rule ip6 kpyt in ip6 nexthdr ipv6-icmp icmpv6 type @neighbor-discovery counter accept\n" in (
        six.nft_script()
    )
    assert 'add element ip6 kpyt vips_link_local { fe80::100 . "eth0" }\n' in six.nft_script()
    four = tables.add("VI_4", entries(instances["VI_4"], options))
    assert four.nft_script().startswith("add table ip kpyt\n")
    assert tables.render() == recorded("options_v6_v4.master.txt")
    assert tables.cleanup().nft_script() == "delete table ip kpyt\ndelete table ip6 kpyt\n"


def test_no_accept_by_name_and_accept_instance() -> None:
    options, instances, wanted = load("no_accept_dont_track_primary.conf")
    assert wanted == {"VI_A": True, "VI_B": False}
    tables = VipFilterTables(options)
    change = tables.add("VI_A", entries(instances["VI_A"], options))
    assert 'vips_link_local_name { fe80::200 . "eth0", fe80::201 . "eth0" }' in change.nft_script()
    assert tables.render() == recorded("no_accept_dont_track_primary.master.txt")


def test_plan_options() -> None:
    gd = config_of("global_defs {\n}\n").global_defs
    assert plan_options(gd, [True, True]) == (None, ())
    assert plan_options(gd, [True, False]) == (FilterOptions(), (DEFAULT_TABLE_MESSAGE,))
    gd = config_of("global_defs {\n nftables other\n nftables_ifindex\n}\n").global_defs
    assert plan_options(gd, [True]) == (FilterOptions(table="other", force_ifindex=True), ())


def test_needs_filter() -> None:
    assert needs_filter(accept=False, priority=100)
    assert not needs_filter(accept=True, priority=100)
    assert not needs_filter(accept=False, priority=255)


def test_strict_default_accept_v3() -> None:
    text = """global_defs {
 vrrp_strict
}
vrrp_instance A {
 interface eth0
 virtual_router_id 1
 version 3
 accept
 virtual_ipaddress {
  192.0.2.5
 }
}
vrrp_instance B {
 interface eth0
 virtual_router_id 2
 state MASTER
 priority 255
 virtual_ipaddress {
  192.0.2.6
 }
}
"""
    config = config_of(text)
    params = [build_params(i, config.global_defs) for i in config.vrrp.instances]
    assert [needs_filter(accept=p.accept, priority=p.priority) for p in params] == [False, False]
    assert plan_options(config.global_defs, (p.accept for p in params)) == (None, ())


def ll(text: str, **kw: object) -> FilterEntry:
    return filter_entry(ipaddress.ip_address(text), ifname="eth0", ifindex=3, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "by_name"),
    [
        ({}, False),
        ({"dont_track_primary": True}, True),
        ({"dont_track_primary": True, "on_instance_interface": False}, False),
        ({"dont_track_primary": True, "on_instance_interface": False, "no_track": True}, True),
        ({"dont_track_primary": True, "options": FilterOptions(force_ifindex=True)}, False),
    ],
)
def test_link_local_keying(kw: dict[str, object], by_name: bool) -> None:
    entry = ll("fe80::1", **kw)
    assert entry.by_name is by_name
    assert entry.set_name == ("vips_link_local_name" if by_name else "vips_link_local")
    # a global address is never keyed by interface
    assert ll("2001:db8::1", **kw).set_name == "vips"


def test_old_tables_deleted_at_first_setup_only() -> None:
    tables = VipFilterTables()
    assert tables.first_setup_pending
    change = tables.add("A", [ll("192.0.2.1")], existing=["ip6", "ip"])
    assert change.logs == ("Deleting old ip keepalived table", "Deleting old ip6 keepalived table")
    assert change.nft_script().startswith(
        "delete table ip keepalived\ndelete table ip6 keepalived\nadd table ip "
    )
    assert not tables.first_setup_pending
    # the ip6 table comes later without another check
    later = tables.add("B", [ll("2001:db8::5")], existing=["ip6"])
    assert later.logs == ()
    assert later.nft_script().startswith("add table ip6 keepalived\n")
    assert tables.families == ("ip", "ip6")


def test_per_instance_bookkeeping() -> None:
    tables = VipFilterTables()
    a = [ll("192.0.2.1"), ll("192.0.2.2")]
    assert (
        tables.add("A", a).nft_script().endswith("add element ip keepalived vips { 192.0.2.1, 192.0.2.2 }\n")
    )
    assert tables.add("A", a).nft_script() == ""  # already set
    # B shares 192.0.2.2: only the new element is sent
    assert tables.add("B", [ll("192.0.2.2"), ll("192.0.2.3")]).nft_script() == (
        "add element ip keepalived vips { 192.0.2.3 }\n"
    )
    assert tables.installed("B") == frozenset({ll("192.0.2.2"), ll("192.0.2.3")})
    assert (
        tables.remove("A", a).nft_script() == "delete element ip keepalived vips { 192.0.2.1, 192.0.2.2 }\n"
    )
    # 192.0.2.2 is gone from the kernel: B does not delete it again
    assert tables.remove("B", [ll("192.0.2.2"), ll("192.0.2.3")]).nft_script() == (
        "delete element ip keepalived vips { 192.0.2.3 }\n"
    )
    assert tables.remove("C", a).nft_script() == ""
    assert VipFilterTables().cleanup().nft_script() == ""


def test_element_listing_order_and_wrapping() -> None:
    tables = VipFilterTables(FilterOptions(priority=12))
    tables.add("A", [ll(a) for a in ("203.0.113.9", "10.0.0.1", "192.0.2.100", "2001:db8::9", "2001:db8::1")])
    tables.add("A", [ll("fe80::9", dont_track_primary=True), ll("fe80::1", dont_track_primary=True)])
    text = tables.render()
    assert "elements = { 10.0.0.1, 192.0.2.100,\n\t\t\t     203.0.113.9 }" in text
    assert "elements = { 2001:db8::1,\n\t\t\t     2001:db8::9 }" in text
    assert 'elements = { fe80::1 . "eth0",\n\t\t\t     fe80::9 . "eth0" }' in text
    assert "priority 12; policy accept;" in text


@pytest.mark.parametrize(
    ("priority", "text"),
    [
        (-1, "filter - 1"),
        (0, "filter"),
        (10, "filter + 10"),
        (11, "11"),
        (-150, "mangle"),
        (-160, "mangle - 10"),
    ],
)
def test_priority_names(priority: int, text: str) -> None:
    tables = VipFilterTables(FilterOptions(priority=priority))
    tables.add("A", [ll("192.0.2.1")])
    assert f"priority {text}; policy accept;" in tables.render()


def test_table_names_nft_cannot_read() -> None:
    assert nft_identifier("keepalived") and nft_identifier("my-t.x/y") and nft_identifier("_k9")
    assert not nft_identifier("9x") and not nft_identifier("a b") and not nft_identifier("")
    gd = config_of("global_defs {\n nftables 9x\n}\n").global_defs
    options, logs = plan_options(gd, [False])
    assert options is None and logs == ("nftables table name '9x' cannot be used with nft - no drop rules",)


def test_keys_as_the_kernel_holds_them() -> None:
    # the element bytes of `nft --debug=netlink list ruleset` with keepalived's tables
    assert ll("192.0.2.100").key() == bytes.fromhex("c0000264")
    assert ll("2001:db8::100").key() == bytes.fromhex("20010db8000000000000000000000100")
    by_index = ll("fe80::100")
    assert by_index.key(ifindex=6) == bytes.fromhex("fe800000000000000000000000000100") + (6).to_bytes(
        4, "little"
    )
    assert by_index.key() == by_index.address.packed + (3).to_bytes(4, "little")
    by_name = ll("fe80::200", dont_track_primary=True)
    assert by_name.key() == bytes.fromhex("fe800000000000000000000000000200") + b"eth0" + bytes(12)


def test_change_parts() -> None:
    tables = VipFilterTables()
    change = tables.add("A", [ll("192.0.2.1")])
    assert not change.empty and change.table == "keepalived"
    assert change.script.endswith("add rule ip keepalived out ip saddr @vips drop\n")
    assert [(e.add, e.family, e.set_name) for e in change.elements] == [(True, "ip", "vips")]
    assert tables.add("A", [ll("192.0.2.1")]).empty
    removed = tables.remove("A", [ll("192.0.2.1")])
    assert removed.script == "" and [e.add for e in removed.elements] == [False]


def test_use_vmac_tables() -> None:
    options, instances, _ = load("use_vmac.conf")
    assert options == FilterOptions(counters=True)
    tables = VipFilterTables(options)
    # keepalived makes the VMACs in configuration order: vrrp.82 (IPv6), vrrp.83 (IPv4)
    six = tables.add_vmac(VmacLink("vrrp.82", "eth0", 3), ("ip6",), existing=["ip"])
    assert six.logs == ("Deleting old ip keepalived table",)
    assert 'add element ip6 keepalived vmac_map { "vrrp.82" : "eth0" }\n' in six.script
    tables.add_vmac(VmacLink("vrrp.83", "eth0", 4), ("ip",))
    assert tables.add_vmac(VmacLink("vrrp.83", "eth0", 4), ("ip",)).empty
    assert tables.render() == recorded("use_vmac.backup.txt")
    vi_v4 = instance_entries(instances["VI_V4"], options, own_ifname="vrrp.83")
    change = tables.add("VI_V4", vi_v4)
    assert change.script.startswith("add chain ip keepalived in ")
    assert tables.render() == recorded("use_vmac.master.txt")


def test_vmac_families() -> None:
    assert vmac_families(4, [], disable_local_igmp=False) == ("ip",)
    assert vmac_families(4, [4, 6], disable_local_igmp=False) == ("ip", "ip6")
    assert vmac_families(4, [6], disable_local_igmp=True) == ()
    assert vmac_families(6, [], disable_local_igmp=True) == ("ip6",)
    assert vmac_families(6, [4], disable_local_igmp=False) == ("ip6", "ip")


def test_vmac_listing_many() -> None:
    # as nft 1.0.6 lists them: by index, five to a line, map elements too
    tables = VipFilterTables()
    for i in range(7, 0, -1):
        tables.add_vmac(VmacLink(f"vrrp.{i}", "eth0", i), ("ip6",))
    text = tables.render()
    names = ", ".join(f'"vrrp.{i}"' for i in range(1, 6))
    pairs = ", ".join(f'"vrrp.{i}" : "eth0"' for i in range(1, 6))
    assert f'elements = {{ {pairs},\n\t\t\t     "vrrp.6" : "eth0", "vrrp.7" : "eth0" }}' in text
    assert f'elements = {{ {names},\n\t\t\t     "vrrp.6", "vrrp.7" }}' in text


def test_vmac_made_again() -> None:
    tables = VipFilterTables()
    tables.add_vmac(VmacLink("vrrp.82", "eth0", 5), ("ip6",))
    again = tables.add_vmac(VmacLink("vrrp.82", "eth0", 8), ("ip6",))
    assert again.script == (
        "delete element ip6 keepalived vmac_map { 5 }\n"
        "delete element ip6 keepalived vmac_set { 5 }\n"
        'add element ip6 keepalived vmac_map { "vrrp.82" : "eth0" }\n'
        'add element ip6 keepalived vmac_set { "vrrp.82" }\n'
    )
    assert tables.render().count('"vrrp.82"') == 2
    # an index we never knew is not deleted (it would fail the whole script)
    tables.add_vmac(VmacLink("vrrp.9", "eth0"), ("ip",))
    assert "delete" not in tables.add_vmac(VmacLink("vrrp.9", "eth0", 11), ("ip",)).script
