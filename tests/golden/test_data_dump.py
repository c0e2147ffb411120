"""SIGUSR1 dumps (keepalived.data, keepalived_parent.data) against the ones real keepalived 2.2.7
wrote (``dumps/``: the reference folder's files with ``{run}`` made a real path)."""

from __future__ import annotations

import pathlib

from keepalived_py.config.dump import (
    InstanceRuntime,
    SocketRuntime,
    VrrpRuntime,
    parent_data_lines,
    vrrp_data_lines,
)
from keepalived_py.config.host import MemoryHost
from keepalived_py.config.model import Config
from tests.configtest import parse_text

DUMPS = pathlib.Path(__file__).parent / "dumps"


def _config() -> tuple[Config, MemoryHost]:
    host = MemoryHost()
    host.files["/run/kpy/notify.sh"] = b"#!/bin/sh\n"
    host.modes["/run/kpy/notify.sh"] = 0o755
    result = parse_text((DUMPS / "keepalived.conf").read_text(), host=host)
    assert result.config is not None
    return result.config, host


def test_parent_dump() -> None:
    config, host = _config()
    want = (DUMPS / "keepalived_parent.data").read_text()
    assert "".join(line + "\n" for line in parent_data_lines(config, host)) == want


def test_vrrp_process_dump_with_run_time_facts() -> None:
    config, host = _config()
    want = (DUMPS / "keepalived.data").read_text()
    interfaces = want[want.index("------< Interfaces >------\n") :].splitlines()[1:]
    runtime = VrrpRuntime(
        instances={
            "VI_1": InstanceRuntime(
                state="MASTER",
                wantstate="MASTER",
                last_transition="1795834569.324377 (Sat Nov 28 02:56:09.324377 2026)",
                read_timeout="1795834578.325676 (Sat Nov 28 02:56:18.325676 2026)",
                master_down_us=3414062,
                effective_priority=150,
                total_priority=150,
                vipset=True,
                src_ip="192.0.2.11",
                fds=(14, 15),
            )
        },
        sockets=(SocketRuntime(14, 15, "eth0", "IPv4", "VRRP", None, 0, (("VI_1", 51),)),),
        interface_lines=tuple(interfaces),
    )
    got = "".join(line + "\n" for line in vrrp_data_lines(config, runtime, host))
    assert got == want
