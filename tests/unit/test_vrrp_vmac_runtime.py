"""runtime/vrrp_vmac.py against a fake kernel: names, adoption, updates, parameters, release."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from keepalived_py.adapters.vmac import LinkInfo
from keepalived_py.config.model import Config
from keepalived_py.runtime import vrrp_vmac
from keepalived_py.runtime.vrrp_vmac import VmacManager
from tests.configtest import parse_text


class FakeLinks:
    """Interfaces as a dict; every call recorded."""

    def __init__(self) -> None:
        self.by_name: dict[str, LinkInfo] = {}
        self.calls: list[tuple[object, ...]] = []
        self.next_index = 10
        self.fail_create = False
        self.add("lo", kind=None)
        self.add("eth0", kind="veth", mac="02:00:00:00:00:01")
        self.add("eth1", kind="veth", mac="02:00:00:00:00:02")

    def add(
        self,
        name: str,
        *,
        kind: str | None,
        mac: str | None = None,
        mode: str | None = None,
        link: int | None = None,
    ) -> LinkInfo:
        self.next_index += 1
        info = LinkInfo(self.next_index, name, kind, mode, mac, link, False)
        self.by_name[name] = info
        return info

    def links(self) -> list[LinkInfo]:
        return list(self.by_name.values())

    def get(self, ifname: str) -> LinkInfo | None:
        return self.by_name.get(ifname)

    def index(self, ifname: str) -> int | None:
        found = self.by_name.get(ifname)
        return found.ifindex if found else None

    def _index(self, index: int) -> LinkInfo:
        return next(i for i in self.by_name.values() if i.ifindex == index)

    def create(self, name: str, base_index: int, mac: str) -> str | None:
        self.calls.append(("create", name, base_index, mac))
        if self.fail_create:
            return "Operation not permitted"
        self.add(name, kind="macvlan", mac=mac, mode="private", link=base_index)
        return None

    def update(self, index: int, mac: str) -> str | None:
        self.calls.append(("update", self._index(index).name, mac))
        old = self._index(index)
        self.by_name[old.name] = replace(old, mac=mac, mode="private")
        return None

    def delete(self, index: int) -> str | None:
        name = self._index(index).name
        self.calls.append(("delete", name))
        del self.by_name[name]
        return None

    def set_up(self, index: int) -> str | None:
        old = self._index(index)
        self.calls.append(("up", old.name))
        self.by_name[old.name] = replace(old, up=True)
        return None

    def link_local6(self, index: int) -> str | None:
        return "fe80::1" if self._index(index).name == "eth0" else None

    def add_address6(self, index: int, address: str, prefixlen: int = 64) -> str | None:
        self.calls.append(("addr6", self._index(index).name, address, prefixlen))
        return None

    def close(self) -> None:
        self.calls.append(("close",))


@pytest.fixture
def sysctl(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, str, str], int]:
    values: dict[tuple[str, str, str], int] = {}

    def read(tree: str, ifname: str, param: str) -> int | None:
        return values.get((tree, ifname, param), 0)

    def write(tree: str, ifname: str, param: str, value: int) -> bool:
        values[(tree, ifname, param)] = value
        return True

    monkeypatch.setattr(vrrp_vmac, "read_sysctl", read)
    monkeypatch.setattr(vrrp_vmac, "write_sysctl", write)
    monkeypatch.setattr(vrrp_vmac, "ipv4_conf_interfaces", lambda: ["eth0", "eth1", "lo"])
    return values


def _config(body: str) -> Config:
    result = parse_text(body)
    assert result.config is not None
    return result.config


def _instance(name: str, vrid: int, extra: str, vip: str = "192.0.2.100/24", iface: str = "eth0") -> str:
    return (
        f"vrrp_instance {name} {{\n interface {iface}\n virtual_router_id {vrid}\n {extra}\n"
        f" virtual_ipaddress {{\n  {vip}\n }}\n}}\n"
    )


def _manager(text: str) -> tuple[VmacManager, FakeLinks, Config]:
    config = _config(text)
    links = FakeLinks()
    return VmacManager(config, links), links, config  # type: ignore[arg-type]


def test_default_names_macs_and_parameters(sysctl: dict[tuple[str, str, str], int]) -> None:
    text = _instance("A", 51, "use_vmac") + _instance("B", 51, "use_vmac", "2001:db8::100/64")
    manager, links, config = _manager(text)
    a, b = config.vrrp.instances
    assert manager.setup(a, detail=True) == "vrrp.51"
    assert manager.setup(b) == "vrrp6.51"  # IPv6 tries vrrp6.<VRID> second
    assert links.by_name["vrrp.51"].mac == "00:00:5e:00:01:33"
    assert links.by_name["vrrp6.51"].mac == "00:00:5e:00:02:33"
    assert links.by_name["vrrp.51"].up and links.by_name["vrrp6.51"].up
    assert {p: sysctl[("ipv4", "vrrp.51", p)] for p in ("arp_ignore", "accept_local", "rp_filter")} == {
        "arp_ignore": 1,
        "accept_local": 1,
        "rp_filter": 0,
    }
    assert sysctl[("ipv4", "vrrp.51", "promote_secondaries")] == 1
    assert (sysctl[("ipv4", "eth0", "arp_ignore")], sysctl[("ipv4", "eth0", "arp_filter")]) == (1, 1)
    assert sysctl[("ipv6", "vrrp.51", "disable_ipv6")] == 1
    assert sysctl[("ipv6", "vrrp6.51", "disable_ipv6")] == 0
    assert sysctl[("ipv6", "vrrp6.51", "addr_gen_mode")] == 1
    # no IPv4 parameters for an IPv6 VMAC; its link-local address is the base's
    assert ("ipv4", "vrrp6.51", "arp_ignore") not in sysctl
    assert ("addr6", "vrrp6.51", "fe80::1", 64) in links.calls

    manager.release(detail=True)
    assert ("delete", "vrrp.51") in links.calls and ("delete", "vrrp6.51") in links.calls
    assert (sysctl[("ipv4", "eth0", "arp_ignore")], sysctl[("ipv4", "eth0", "arp_filter")]) == (0, 0)


def test_configured_name_mac_and_prefix(sysctl: dict[tuple[str, str, str], int]) -> None:
    text = (
        "global_defs {\n vmac_prefix vm\n}\n"
        + _instance("A", 7, "use_vmac")
        + _instance("B", 8, "use_vmac mine 02:11:22:33:44")
    )
    manager, links, config = _manager(text)
    a, b = config.vrrp.instances
    assert manager.setup(a) == "vm.7"
    assert manager.setup(b) == "mine"
    assert links.by_name["mine"].mac == "02:11:22:33:44:08"


def test_taken_names_are_skipped(sysctl: dict[tuple[str, str, str], int]) -> None:
    text = _instance("A", 51, "use_vmac") + _instance("B", 52, "use_vmac vrrp1.51")
    manager, links, config = _manager(text)
    links.add("vrrp.51", kind="veth")
    # vrrp.51 exists, vrrp1.51 is configured for B
    assert manager.setup(config.vrrp.instances[0]) == "vrrp2.51"


def test_existing_matching_vmac_is_adopted(
    sysctl: dict[tuple[str, str, str], int], caplog: pytest.LogCaptureFixture
) -> None:
    manager, links, config = _manager(_instance("A", 51, "use_vmac other"))
    base = links.by_name["eth0"].ifindex
    links.add("left", kind="macvlan", mac="00:00:5e:00:01:33", mode="private", link=base)
    with caplog.at_level(logging.INFO):
        assert manager.setup(config.vrrp.instances[0]) == "left"
    assert "(A) Found matching interface left" in caplog.text
    assert "(A) vmac name mismatch other <=> left. changing to left." in caplog.text
    assert not [c for c in links.calls if c[0] == "create"]
    manager.release()
    assert ("delete", "left") in links.calls


def test_incompatible_vmac_is_updated_or_replaced(
    sysctl: dict[tuple[str, str, str], int], caplog: pytest.LogCaptureFixture
) -> None:
    text = _instance("A", 51, "use_vmac va") + _instance("B", 52, "use_vmac vb")
    manager, links, config = _manager(text)
    links.add(
        "va", kind="macvlan", mac="02:00:00:00:00:99", mode="bridge", link=links.by_name["eth0"].ifindex
    )
    links.add(
        "vb", kind="macvlan", mac="00:00:5e:00:01:34", mode="private", link=links.by_name["eth1"].ifindex
    )
    with caplog.at_level(logging.INFO):
        assert manager.setup(config.vrrp.instances[0]) == "va"
        assert manager.setup(config.vrrp.instances[1]) == "vb"
    assert ("update", "va", "00:00:5e:00:01:33") in links.calls
    assert ("delete", "vb") in links.calls and links.by_name["vb"].link == links.by_name["eth0"].ifindex
    assert "(A) VMAC va already exists but is incompatible. It will be deleted/updated" in caplog.text
    assert "(A) Update old VMAC interface va due to wrong MAC/mode " in caplog.text
    assert "(B) Removing old VMAC interface vb due to conflicting interface" in caplog.text


def test_name_of_a_non_macvlan_is_ignored(
    sysctl: dict[tuple[str, str, str], int], caplog: pytest.LogCaptureFixture
) -> None:
    manager, _links, config = _manager(_instance("A", 51, "use_vmac eth1"))
    with caplog.at_level(logging.INFO):
        assert manager.setup(config.vrrp.instances[0]) == "vrrp.51"
    assert (
        "(A) VMAC interface name eth1 already exists as a non VMAC interface. ignoring configured name"
        in (caplog.text)
    )


def test_create_failure_and_ipvlan(
    sysctl: dict[tuple[str, str, str], int], caplog: pytest.LogCaptureFixture
) -> None:
    text = _instance("A", 51, "use_vmac") + _instance("B", 52, "use_ipvlan 192.0.2.5/24")
    manager, links, config = _manager(text)
    links.fail_create = True
    with caplog.at_level(logging.INFO):
        assert manager.setup(config.vrrp.instances[0]) is None
        assert manager.setup(config.vrrp.instances[1]) is None
    assert "(A): Unable to create VMAC interface vrrp.51" in caplog.text
    assert "(B) use_ipvlan is not supported by keepalived-py yet - running on interface eth0" in caplog.text


def test_rp_filter_moved_and_restored(
    sysctl: dict[tuple[str, str, str], int], caplog: pytest.LogCaptureFixture
) -> None:
    sysctl[("ipv4", "all", "rp_filter")] = 1
    manager, links, config = _manager(_instance("A", 51, "use_vmac"))
    with caplog.at_level(logging.INFO):
        manager.setup(config.vrrp.instances[0])
    assert sysctl[("ipv4", "all", "rp_filter")] == 0
    assert sysctl[("ipv4", "default", "rp_filter")] == 1
    assert sysctl[("ipv4", "eth0", "rp_filter")] == 1
    assert sysctl[("ipv4", "vrrp.51", "rp_filter")] == 0
    assert "NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from 1 to 0" in caplog.text
    manager.close(release=True)
    assert sysctl[("ipv4", "all", "rp_filter")] == 1
    assert sysctl[("ipv4", "default", "rp_filter")] == 0
    assert sysctl[("ipv4", "eth0", "rp_filter")] == 0
    assert links.calls[-1] == ("close",)


def test_base_parameters_back_when_the_last_vmac_goes(sysctl: dict[tuple[str, str, str], int]) -> None:
    sysctl[("ipv4", "eth0", "arp_ignore")] = 2
    text = _instance("A", 51, "use_vmac") + _instance("B", 52, "use_vmac")
    manager, _links, config = _manager(text)
    for inst in config.vrrp.instances:
        manager.setup(inst)
    assert sysctl[("ipv4", "eth0", "arp_ignore")] == 1
    manager._reset_base("eth0")
    assert sysctl[("ipv4", "eth0", "arp_ignore")] == 1  # B's VMAC is still there
    manager._reset_base("eth0")
    assert (sysctl[("ipv4", "eth0", "arp_ignore")], sysctl[("ipv4", "eth0", "arp_filter")]) == (2, 0)


def test_dont_release_keeps_everything(sysctl: dict[tuple[str, str, str], int]) -> None:
    manager, links, config = _manager(_instance("A", 51, "use_vmac"))
    manager.setup(config.vrrp.instances[0])
    manager.close(release=False)
    assert "vrrp.51" in links.by_name


def test_deleted_vmac_is_made_again(sysctl: dict[tuple[str, str, str], int]) -> None:
    manager, links, config = _manager(_instance("A", 51, "use_vmac"))
    inst = config.vrrp.instances[0]
    manager.setup(inst)
    instances = {inst.name: inst}
    assert manager.recreate_missing(instances) == []
    del links.by_name["vrrp.51"]
    sysctl[("ipv4", "vrrp.51", "accept_local")] = 0
    assert manager.recreate_missing(instances) == ["vrrp.51"]
    assert links.by_name["vrrp.51"].up and sysctl[("ipv4", "vrrp.51", "accept_local")] == 1
    assert manager.recreate_missing(instances) == []
    # without its base interface nothing can be made
    del links.by_name["vrrp.51"], links.by_name["eth0"]
    assert manager.recreate_missing(instances) == []


def test_use_vmac_addr_makes_extra_vmacs(sysctl: dict[tuple[str, str, str], int]) -> None:
    text = "global_defs {\n vmac_addr_prefix va\n}\n" + _instance(
        "A",
        51,
        "use_vmac\n use_vmac_addr\n virtual_ipaddress_excluded {\n"
        "  2001:db8::5/64\n  192.0.2.9/24 dev eth1\n }",
    )
    manager, links, config = _manager(text)
    inst = config.vrrp.instances[0]
    vmac = manager.setup(inst)
    placed = manager.place(inst, vmac)
    assert [(e.address, e.dev) for e in placed] == [
        ("192.0.2.100", "vrrp.51"),
        ("2001:db8::5", "va.51"),  # other family on the interface: its own VMAC
        ("192.0.2.9", "va1.51"),  # another interface
    ]
    assert (
        links.by_name["va.51"].mac == "00:00:5e:00:02:33"
        and links.by_name["va.51"].link == links.by_name["eth0"].ifindex
    )
    assert (
        links.by_name["va1.51"].mac == "00:00:5e:00:01:33"
        and links.by_name["va1.51"].link == links.by_name["eth1"].ifindex
    )
    assert sysctl[("ipv6", "va.51", "disable_ipv6")] == 0 and sysctl[("ipv6", "va1.51", "disable_ipv6")] == 1
    assert sysctl[("ipv4", "eth1", "arp_ignore")] == 1  # an IPv4 VMAC's base
    assert ("addr6", "va.51", "fe80::1", 64) in links.calls
    manager.release()
    assert not [n for n in links.by_name if n.startswith(("va", "vrrp"))]


def test_place_without_vmac_keeps_addresses(sysctl: dict[tuple[str, str, str], int]) -> None:
    manager, _links, config = _manager(_instance("A", 51, ""))
    inst = config.vrrp.instances[0]
    assert manager.place(inst, None) == inst.virtual_ipaddresses
