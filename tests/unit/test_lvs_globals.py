"""check/lvs_globals.py (what lvs_timeouts / lvs_sync_daemon ask of IPVS) and its runtime glue."""

from __future__ import annotations

import logging

import pytest

from keepalived_py.adapters.ipvs import IpvsError
from keepalived_py.check.lvs_globals import (
    BACKUP,
    MASTER,
    SyncdCommand,
    SyncdSettings,
    TimeoutKeeper,
    VrrpSyncd,
    checker_start,
    checker_stop,
    checker_syncd,
    configured_timeouts,
    timeouts_to_send,
    vrrp_syncd,
)
from keepalived_py.config.model.global_defs import LvsTimeouts
from keepalived_py.runtime.lvs_globals import CheckerLvs
from tests.configtest import parse_text

VI = """
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.0.2.10/24
    }
}
"""


def _config(global_lines: str, instances: str = VI):  # type: ignore[no-untyped-def]
    result = parse_text(f"global_defs {{\n{global_lines}\n}}\n{instances}")
    assert result.config is not None
    return result.config


def test_instance_drives_the_daemon_with_its_vrid_by_default() -> None:
    config = _config("lvs_sync_daemon eth1 inst VI_1 maxlen 1400 port 8850 ttl 3 group 239.0.0.5")
    assert vrrp_syncd(config) == ("VI_1", SyncdSettings("eth1", 51, 1400, "239.0.0.5", 8850, 3))
    assert checker_syncd(config) is None
    assert vrrp_syncd(_config("lvs_sync_daemon eth1 VI_1 id 7")) == ("VI_1", SyncdSettings("eth1", 7))


def test_unknown_instance_clears_the_setting_and_no_instance_is_the_checkers() -> None:
    config = _config("lvs_sync_daemon eth1 inst VI_9")
    assert (vrrp_syncd(config), checker_syncd(config)) == (None, None)
    config = _config("lvs_sync_daemon eth1 id 4")
    assert vrrp_syncd(config) is None
    assert checker_syncd(config) == SyncdSettings("eth1", 4)
    assert checker_syncd(_config("lvs_sync_daemon eth1")) == SyncdSettings("eth1", 0)
    assert (vrrp_syncd(_config("")), checker_syncd(_config(""))) == (None, None)


def test_deprecated_instance_keyword() -> None:
    config = _config("", VI.replace("priority 100", "priority 100\n    lvs_sync_daemon_interface eth1"))
    assert vrrp_syncd(config) == ("VI_1", SyncdSettings("eth1", 51))


S = SyncdSettings("eth1", 51)


def test_vrrp_transitions() -> None:
    syncd = VrrpSyncd("VI_1", S)
    assert syncd.start() == [SyncdCommand(True, BACKUP, S)]
    assert syncd.state("BACKUP") == []
    assert syncd.state("MASTER") == [SyncdCommand(False, BACKUP, S), SyncdCommand(True, MASTER, S)]
    assert syncd.state("MASTER_RX_LOWER_PRI") == []
    assert syncd.state("FAULT") == [SyncdCommand(False, MASTER, S), SyncdCommand(True, BACKUP, S)]
    assert syncd.state("BACKUP") == []  # leaving FAULT: keepalived does not touch the daemon
    assert syncd.state("STOP") == [SyncdCommand(False, BACKUP, S)]
    master = VrrpSyncd("VI_1", S)
    master.state("MASTER")
    assert master.state("STOP") == [SyncdCommand(False, MASTER, S)]


def test_vrrp_reload() -> None:
    syncd = VrrpSyncd("VI_1", S)
    syncd.state("MASTER")
    # unchanged: the master daemon is started again (the kernel refuses it: keepalived logs that)
    assert syncd.reload("VI_1", S, master=True) == [
        SyncdCommand(False, BACKUP, S, True),
        SyncdCommand(True, MASTER, S),
    ]
    new = SyncdSettings("eth1", 9)
    assert syncd.reload("VI_1", new, master=True) == [
        SyncdCommand(False, MASTER, S, True),
        SyncdCommand(False, BACKUP, S, True),
        SyncdCommand(True, MASTER, new),
    ]
    assert syncd.state("BACKUP") == [SyncdCommand(False, MASTER, new), SyncdCommand(True, BACKUP, new)]


def test_checker_daemons() -> None:
    both_stop = [SyncdCommand(False, MASTER, S, True), SyncdCommand(False, BACKUP, S, True)]
    both_start = [SyncdCommand(True, MASTER, S), SyncdCommand(True, BACKUP, S)]
    assert checker_start(S) == both_stop + both_start
    assert checker_start(S, S, reload=True) == both_start
    assert checker_start(S, SyncdSettings("eth0", 51), reload=True) == both_stop + both_start
    assert checker_start(None) == [] and checker_stop(None) == []
    assert checker_stop(S) == both_stop


def test_timeouts() -> None:
    assert configured_timeouts(LvsTimeouts()) is None
    assert configured_timeouts(LvsTimeouts(tcp=0, udp=0)) is None
    assert configured_timeouts(LvsTimeouts(tcp=10, udp=20)) == (10, 0, 20)
    assert timeouts_to_send((10, 0, 20), (900, 120, 300)) == (10, 120, 20)
    assert timeouts_to_send(None, (900, 120, 300)) == (900, 120, 300)
    keeper = TimeoutKeeper()
    assert keeper.plan(None) == (False, False)  # nothing changed yet: nothing to put back
    assert keeper.plan((10, 0, 0)) == (True, True)
    keeper.original = (900, 120, 300)
    assert keeper.plan(None) == (False, True)
    assert keeper.plan((10, 0, 0)) == (False, True)


class FakeIpvs:
    def __init__(self, *, refuse_get: bool = False) -> None:
        self.kernel = (900, 120, 300)
        self.refuse_get = refuse_get
        self.calls: list[tuple[object, ...]] = []
        self.running: set[int] = set()

    def timeouts(self) -> tuple[int, int, int]:
        if self.refuse_get:
            raise IpvsError(["no"], [1])
        return self.kernel

    def set_timeouts(self, tcp: int, tcp_fin: int, udp: int) -> None:
        self.calls.append(("set", tcp, tcp_fin, udp))
        self.kernel = (tcp or self.kernel[0], tcp_fin or self.kernel[1], udp or self.kernel[2])

    def start_sync_daemon(self, d: object) -> None:
        state = d.state  # type: ignore[attr-defined]
        self.calls.append(("start", state, d.syncid))  # type: ignore[attr-defined]
        if state in self.running:
            raise IpvsError(
                ["IPVS cmd IP_VS_SO_SET_STARTDAEMON(1163) error: Daemon has already run(17)"], [17]
            )
        self.running.add(state)

    def stop_sync_daemon(self, d: object) -> None:
        state = d.state  # type: ignore[attr-defined]
        self.calls.append(("stop", state))
        if state not in self.running:
            raise IpvsError(["IPVS cmd IP_VS_SO_SET_STOPDAEMON(1164) error: No daemon is running(3)"], [3])
        self.running.discard(state)


def test_checker_start_reload_stop(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ipvs = FakeIpvs()
    lvs = CheckerLvs()
    lvs.start(ipvs, _config("lvs_timeouts tcp 7200 udp 60\nlvs_sync_daemon eth1 id 3"))
    assert ipvs.kernel == (7200, 120, 60) and ipvs.running == {MASTER, BACKUP}
    assert caplog.messages == []  # the stops at start are not logged
    # reload: the same daemons are started again and refused (logged, as keepalived);
    # no timeouts configured any more: the original ones are back
    lvs.start(ipvs, _config("lvs_sync_daemon eth1 id 3"), reload=True)
    assert ipvs.kernel == (900, 120, 300)
    refused = "IPVS cmd IP_VS_SO_SET_STARTDAEMON(1163) error: Daemon has already run(17)"
    assert caplog.messages == ["Reinitializing ipvs", refused, refused]
    lvs.start(ipvs, _config("lvs_timeouts tcpfin 5\nlvs_sync_daemon eth1 id 3"), reload=True)
    assert ipvs.kernel == (900, 5, 300)
    lvs.stop(ipvs)
    assert ipvs.kernel == (900, 120, 300) and ipvs.running == set()


def test_checker_timeouts_untouched_without_config(caplog: pytest.LogCaptureFixture) -> None:
    ipvs = FakeIpvs()
    lvs = CheckerLvs()
    lvs.start(ipvs, _config(""))
    lvs.start(ipvs, _config(""), reload=True)
    lvs.stop(ipvs)
    assert ipvs.calls == []
    caplog.set_level(logging.INFO)
    failing = FakeIpvs(refuse_get=True)
    CheckerLvs().start(failing, _config("lvs_timeouts udp 20"))
    assert caplog.messages == ["Failed to get IPVS timeouts"]
    assert failing.calls == [("set", 0, 0, 20)]
    CheckerLvs().start(object(), _config("lvs_timeouts udp 20"))  # an in-memory table: nothing


def test_vrrp_part_only_with_an_instance_and_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    from keepalived_py.runtime.lvs_globals import VrrpLvs

    monkeypatch.delenv("KEEPALIVED_PY_IPVS", raising=False)
    assert VrrpLvs.create(_config("lvs_sync_daemon eth1 id 4")) is None
    lvs = VrrpLvs.create(_config("lvs_sync_daemon eth1 inst VI_1"))
    assert lvs is not None and lvs.syncd.settings == SyncdSettings("eth1", 51)
    lvs.close()
    monkeypatch.setenv("KEEPALIVED_PY_IPVS", "memory")  # an in-memory table: no daemons either
    assert VrrpLvs.create(_config("lvs_sync_daemon eth1 inst VI_1")) is None
