"""Reload matching as keepalived's vrrp_exist: by VRID, family, interface, unicast source, group."""

from __future__ import annotations

from keepalived_py.config.model.vrrp import VrrpInstance
from keepalived_py.vrrp.reload_plan import plan
from tests.configtest import parse_text


def _instances(body: str) -> tuple[VrrpInstance, ...]:
    result = parse_text(body)
    assert result.config is not None, [d.render() for d in result.diags.items]
    return result.config.vrrp.instances


def _inst(name: str, vrid: int, extra: str = "", vips: str = "192.0.2.100/24") -> str:
    return f"""
vrrp_instance {name} {{
    interface eth0
    virtual_router_id {vrid}
    priority 100
    {extra}
    virtual_ipaddress {{ {vips} }}
}}
"""


def test_matched_by_vrid_not_by_name_with_address_differences() -> None:
    old = _instances(_inst("VI_1", 51, vips="192.0.2.100/24\n 192.0.2.101/24") + _inst("VI_2", 52))
    new = _instances(
        _inst("RENAMED", 51, extra="priority 200", vips="192.0.2.100/24\n 192.0.2.102/24") + _inst("VI_3", 53)
    )
    p = plan(old, new)
    assert [(m.old.name, m.new.name) for m in p.matches] == [("VI_1", "RENAMED")]
    (match,) = p.matches
    assert [str(v.address) for v in match.removed_vips] == ["192.0.2.101"]  # type: ignore[attr-defined]
    assert [i.name for i in p.removed] == ["VI_2"]
    assert [i.name for i in p.added] == ["VI_3"]


def test_a_different_multicast_group_or_vmac_is_another_router() -> None:
    old = _instances(_inst("VI_1", 51))
    for extra in ("mcast_dst_ip 224.0.0.19", "use_vmac"):
        p = plan(old, _instances(_inst("VI_1", 51, extra=extra)))
        assert p.matches == () and len(p.removed) == 1 and len(p.added) == 1, extra
    # the global group counts when the instance names none
    same = plan(old, old, new_groups=("224.0.0.19", "ff02::12"))
    assert same.matches == ()


def test_unicast_matches_on_its_source_address() -> None:
    uni = "unicast_src_ip 192.0.2.1\n unicast_peer { 192.0.2.2 }"
    old = _instances(_inst("VI_1", 51, extra=uni))
    assert len(plan(old, _instances(_inst("X", 51, extra=uni))).matches) == 1
    other_src = "unicast_src_ip 192.0.2.3\n unicast_peer { 192.0.2.2 }"
    assert plan(old, _instances(_inst("X", 51, extra=other_src))).matches == ()
    # unicast never matches multicast
    assert plan(old, _instances(_inst("X", 51))).matches == ()


def test_each_new_instance_is_taken_once() -> None:
    old = _instances(_inst("A", 51) + _inst("B", 51, extra="interface eth1"))
    new = _instances(_inst("C", 51))
    p = plan(old, new)
    assert [(m.old.name, m.new.name) for m in p.matches] == [("A", "C")]
    assert [i.name for i in p.removed] == ["B"]
