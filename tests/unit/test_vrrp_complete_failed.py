"""keepalived's vrrp_complete_init failures mark the config: the VRRP process then stops with
KEEPALIVED_EXIT_CONFIG (2) instead of running (or crashing) on an instance it cannot build."""

from __future__ import annotations

import pytest

from tests.configtest import parse_text

BODY = "    state BACKUP\n    priority 100\n    virtual_ipaddress {{\n        192.0.2.100/24\n    }}\n"


def _instance(name: str, lines: str) -> str:
    return f"vrrp_instance {name} {{\n{lines}" + BODY.format() + "}\n"


@pytest.mark.parametrize(
    "text",
    [
        _instance("VI_1", "    interface eth0\n    virtual_router_id 0\n"),
        _instance("VI_1", "    interface eth0\n    virtual_router_id 99999999999999999999\n"),
        _instance("VI_1", "    interface eth0\n"),
        _instance("VI_1", "    virtual_router_id 5\n    interface eth9\n"),
        _instance("VI_1", "    interface eth0\n    virtual_router_id 5\n")
        + _instance("VI_2", "    interface eth0\n    virtual_router_id 5\n"),
    ],
    ids=["vrid-0", "vrid-huge", "vrid-unset", "no-interface", "vrid-conflict"],
)
def test_marked(text: str) -> None:
    result = parse_text(text, test_mode=False)
    assert result.config is not None
    assert result.config.vrrp.complete_failed


def test_good_config_is_not_marked() -> None:
    result = parse_text(_instance("VI_1", "    interface eth0\n    virtual_router_id 5\n"), test_mode=False)
    assert result.config is not None and not result.config.vrrp.complete_failed
