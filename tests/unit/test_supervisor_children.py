"""Which children the parent starts (keepalived's running_vrrp / running_checker)."""

from __future__ import annotations

from keepalived_py.cli import RuntimeOptions
from keepalived_py.runtime.supervisor import children_wanted
from tests.configtest import parse_text

VRRP = """
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.0.2.100
    }
}
"""
LVS = """
virtual_server 192.0.2.10 80 {
    protocol TCP
    real_server 198.51.100.1 80 {
    }
}
"""


def wanted(text: str, **opts: bool) -> tuple[bool, bool]:
    result = parse_text(text)
    assert result.config is not None
    return children_wanted(result.config, RuntimeOptions(**opts))


def test_each_child_runs_for_its_part_of_the_config() -> None:
    assert wanted(VRRP) == (True, False)
    assert wanted(LVS) == (False, True)
    assert wanted(VRRP + LVS) == (True, True)
    assert wanted("") == (False, False)


def test_p_and_c_select_one_child_and_all_runs_both() -> None:
    assert wanted(VRRP + LVS, vrrp_only=True) == (True, False)
    assert wanted(VRRP + LVS, check_only=True) == (False, True)
    assert wanted(VRRP, check_only=True) == (False, False)
    assert wanted("", all_children=True) == (True, True)
    assert wanted("", all_children=True, check_only=True) == (False, True)
