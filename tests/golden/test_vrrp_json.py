"""The SIGRTMIN+2 JSON dump against the one real keepalived 2.2.7 wrote.

``dumps/keepalived.json`` and ``dumps/keepalived.conf`` are the reference folder's files
(../shared/reference/keepalived-2.2.7/) with its ``{run}`` placeholder made a real path.
"""

from __future__ import annotations

import dataclasses
import pathlib

from keepalived_py.config.host import MemoryHost
from keepalived_py.notify.vrrp_json import InstanceView, json_dump
from keepalived_py.vrrp.instance import Counters
from keepalived_py.vrrp.params import build_params
from keepalived_py.vrrp.state import State
from tests.configtest import parse_text

REFERENCE = pathlib.Path(__file__).parent / "dumps"


def test_master_dump_is_byte_for_byte_keepalived_s() -> None:
    text = (REFERENCE / "keepalived.conf").read_text()
    host = MemoryHost()
    host.files["/run/kpy/notify.sh"] = b"#!/bin/sh\n"
    host.modes["/run/kpy/notify.sh"] = 0o755
    result = parse_text(text, host=host)
    assert result.config is not None
    config = result.config
    (inst,) = config.vrrp.instances
    params = build_params(inst, config.global_defs, source_address=None)
    counters = dataclasses.replace(Counters(), advert_sent=11, become_master=1)
    view = InstanceView(
        config=inst,
        params=params,
        state=State.MASTER,
        wantstate=State.MASTER,
        effective_priority=150,
        master_priority=0,
        master_adver_int_us=params.advert_int_us,
        vipset=True,
        last_transition=1795834569.324377,
        counters=counters,
    )
    want = (REFERENCE / "keepalived.json").read_text()
    assert json_dump([view]) + "\n" == want


def test_strings_are_escaped_as_keepalived_s_json_writer_does() -> None:
    from keepalived_py.notify.vrrp_json import _string

    assert _string('a/b"c\td') == '"a\\/b\\"c\\td"'
    # keepalived writes a backslash as \n (a bug of its json_writer, reproduced)
    assert _string("x\\y") == '"x\\ny"'


def test_optional_members_appear_in_keepalived_s_order() -> None:
    text = """
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    priority 100
    authentication { auth_type PASS
        auth_pass secret99 }
    track_interface { eth1 }
    virtual_ipaddress { 192.0.2.101/24 }
    virtual_ipaddress_excluded { 198.51.100.7/32 }
    virtual_routes { 203.0.113.0/24 via 192.0.2.1 }
}
"""
    result = parse_text(text)
    assert result.config is not None
    (inst,) = result.config.vrrp.instances
    params = build_params(inst, result.config.global_defs, source_address=None)
    view = InstanceView(
        config=inst,
        params=params,
        state=State.BACKUP,
        wantstate=State.BACKUP,
        effective_priority=100,
        master_priority=150,
        master_adver_int_us=params.advert_int_us,
        vipset=False,
        last_transition=0.5,
        counters=Counters(),
    )
    out = json_dump([view], {"VI_2": ["'/usr/bin/check'"]})
    keys = [
        k
        for k in ("vips", "evips", "vroutes", "track_ifp", "track_script", "auth_type", "auth_data")
        if k in out
    ]
    assert keys == ["vips", "evips", "vroutes", "track_ifp", "track_script", "auth_type", "auth_data"]
    order = [out.index(f'"{k}"') for k in keys]
    assert order == sorted(order)
    assert '"state":1' in out and '"last_transition":0.500000' in out
    assert '"auth_type":1,"auth_data":"secret99"' in out
    assert '"vips":["192.0.2.101\\/24 dev eth0 scope global"]' in out
