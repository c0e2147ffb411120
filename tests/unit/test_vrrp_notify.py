"""Notifier: the order and arguments of notify scripts (keepalived's vrrp_notify.c rules)."""

from __future__ import annotations

from keepalived_py.config.model import Config
from keepalived_py.config.scripts import Script
from keepalived_py.runtime.vrrp_notify import Notifier
from tests.configtest import parse_text

CONF = """
global_defs {
    script_user root
    enable_script_security
}
vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
    notify_master "/bin/gm m"
    notify_backup /bin/gb
    notify_stop /bin/gs
    notify /bin/gn
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 1
    priority 150
    notify_master "/bin/im x"
    notify_stop /bin/is
    notify_master_rx_lower_pri /bin/lower
    notify /bin/in
    virtual_ipaddress {
        192.0.2.10
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 2
    priority 100
    virtual_ipaddress {
        192.0.2.11
    }
}
"""


class FakeRunner:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def run(self, script: Script, extra: tuple[str, ...] = ()) -> None:
        self.calls.append((*script.args, *extra))


def _config() -> Config:
    result = parse_text(CONF)
    assert result.config is not None
    return result.config


def _notifier() -> tuple[Notifier, FakeRunner, Config]:
    config = _config()
    runner = FakeRunner()
    return Notifier(config, runner), runner, config  # type: ignore[arg-type]


def test_instance_state_script_then_generic_notify() -> None:
    notifier, runner, config = _notifier()
    vi1 = config.vrrp.instances[0]
    notifier.instance(vi1, "MASTER", 150)
    assert runner.calls == [("/bin/im", "x"), ("/bin/in", "INSTANCE", "VI_1", "MASTER", "150")]


def test_group_state_script_then_generic_notify_with_priority_zero() -> None:
    notifier, runner, config = _notifier()
    g1 = config.vrrp.sync_groups[0]
    notifier.group(g1, "MASTER")
    notifier.group(g1, "BACKUP")
    notifier.group(g1, "FAULT")  # no notify_fault: only the generic script
    assert runner.calls == [
        ("/bin/gm", "m"),
        ("/bin/gn", "GROUP", "G1", "MASTER", "0"),
        ("/bin/gb",),
        ("/bin/gn", "GROUP", "G1", "BACKUP", "0"),
        ("/bin/gn", "GROUP", "G1", "FAULT", "0"),
    ]


def test_instance_notifies_suppressed_once_sent_when_in_the_groups_state() -> None:
    notifier, runner, config = _notifier()
    vi1 = config.vrrp.instances[0]
    g1 = config.vrrp.sync_groups[0]
    notifier.set_group_state("G1", "MASTER")
    notifier.instance(vi1, "MASTER", 150)  # first notifies of the instance: always sent
    assert len(runner.calls) == 2
    notifier.group(g1, "BACKUP")
    runner.calls.clear()
    notifier.instance(vi1, "BACKUP", 150)  # already told through the group
    assert runner.calls == []
    notifier.instance(vi1, "MASTER", 150)  # differs from the group's state
    assert len(runner.calls) == 2


def test_master_rx_lower_pri_runs_its_script_without_arguments_only() -> None:
    notifier, runner, config = _notifier()
    notifier.instance(config.vrrp.instances[0], "MASTER_RX_LOWER_PRI", 150)
    notifier.instance(config.vrrp.instances[0], "MASTER_PRIORITY", 140)
    assert runner.calls == [("/bin/lower",)]


def test_shutdown_groups_sends_stop_for_each_group() -> None:
    notifier, runner, _ = _notifier()
    notifier.shutdown_groups()
    assert runner.calls == [("/bin/gs",), ("/bin/gn", "GROUP", "G1", "STOP", "0")]
