"""Notifier: the order and arguments of notify scripts (keepalived's vrrp_notify.c rules)."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from pathlib import Path

import pytest

from keepalived_py.config.model import Config
from keepalived_py.config.scripts import Script
from keepalived_py.runtime.vrrp_notify import Notifier, ScriptRunner
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

    def run(self, script: Script, extra: tuple[str, ...] = (), **_: object) -> None:
        self.calls.append((*script.args, *extra))


def _config(global_extra: str = "") -> Config:
    result = parse_text(CONF.replace("global_defs {", "global_defs {\n" + global_extra))
    assert result.config is not None
    return result.config


def _notifier(global_extra: str = "") -> tuple[Notifier, FakeRunner, Config]:
    config = _config(global_extra)
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


# -- the notify FIFO ---------------------------------------------------------------------------


def _read(path: Path) -> list[str]:
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        return os.read(fd, 65536).decode().splitlines()
    except BlockingIOError:
        return []
    finally:
        os.close(fd)


def test_fifo_lines_follow_the_scripts(tmp_path: Path) -> None:
    path = tmp_path / "vrrp.fifo"
    notifier, runner, config = _notifier(f"vrrp_notify_fifo {path}")
    vi1, vi2 = config.vrrp.instances
    g1 = config.vrrp.sync_groups[0]
    notifier.start()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    notifier.instance(vi1, "BACKUP", 150)
    notifier.instance(vi2, "BACKUP", 100)
    notifier.group(g1, "BACKUP")
    notifier.instance(vi1, "MASTER", 150)
    notifier.instance(vi1, "MASTER_RX_LOWER_PRI", 150)
    notifier.instance(vi1, "MASTER_PRIORITY", 140)
    notifier.instance(vi2, "FAULT_PRIORITY", 90)  # not MASTER: BACKUP_PRIORITY, as keepalived
    notifier.group(g1, "MASTER")
    notifier.instance(vi2, "MASTER", 100)  # already told through the group: nothing
    assert _read(path) == [
        'INSTANCE "VI_1" BACKUP 150',
        'INSTANCE "VI_2" BACKUP 100',
        'GROUP "G1" BACKUP 0',
        'INSTANCE "VI_1" MASTER 150',
        'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150',
        'INSTANCE "VI_1" MASTER_PRIORITY 140',
        'INSTANCE "VI_2" BACKUP_PRIORITY 90',
        'GROUP "G1" MASTER 0',
    ]
    assert ("/bin/lower",) in runner.calls  # the rx_lower_pri script, without arguments
    notifier.close()
    assert not path.exists()


def test_global_and_vrrp_fifos_both_get_every_line(tmp_path: Path) -> None:
    g, v = tmp_path / "g.fifo", tmp_path / "v.fifo"
    notifier, _, config = _notifier(f"notify_fifo {g}\nvrrp_notify_fifo {v}")
    notifier.start()
    notifier.instance(config.vrrp.instances[0], "MASTER", 150)
    assert _read(g) == _read(v) == ['INSTANCE "VI_1" MASTER 150']
    notifier.close()
    assert not g.exists() and not v.exists()  # both ours, and the vrrp FIFO was open


def test_lone_global_fifo_stays_at_exit_as_keepalived_leaves_it(tmp_path: Path) -> None:
    g = tmp_path / "g.fifo"
    notifier, _, config = _notifier(f"notify_fifo {g}")
    notifier.start()
    notifier.instance(config.vrrp.instances[0], "STOP", 150)
    assert _read(g) == ['INSTANCE "VI_1" STOP 150']
    notifier.close()
    assert stat.S_ISFIFO(os.stat(g).st_mode)


def test_same_name_for_global_and_vrrp_fifo(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    g = tmp_path / "g.fifo"
    notifier, _, config = _notifier(f"notify_fifo {g}\nvrrp_notify_fifo {g}")
    notifier.start()
    assert f"notify FIFO {g} has been specified for global and vrrp FIFO - ignoring vrrp FIFO" in caplog.text
    notifier.instance(config.vrrp.instances[0], "MASTER", 150)
    assert _read(g) == ['INSTANCE "VI_1" MASTER 150']  # once, not twice
    notifier.close()


def _fifo_script(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "reader.sh"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return script


async def _wait(pred: object, timeout: float = 5.0) -> None:
    assert callable(pred)
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not pred():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.01)


def test_fifo_script_gets_the_fifo_name_last_and_reads_the_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fifo, record = tmp_path / "v.fifo", tmp_path / "record"
    # reads two lines, then ends by itself
    script = _fifo_script(
        tmp_path,
        f'echo "$@" > {record}.argv\nexec 3< "$2"\nread a <&3\nread b <&3\necho "$a|$b" > {record}\n',
    )
    config = _config(f'vrrp_notify_fifo {fifo}\nvrrp_notify_fifo_script "{script} tag"')

    async def scenario() -> None:
        runner = ScriptRunner(config)
        notifier = Notifier(config, runner)
        notifier.start()
        notifier.instance(config.vrrp.instances[0], "BACKUP", 150)
        notifier.instance(config.vrrp.instances[0], "MASTER", 150)
        await _wait(lambda: record.exists() and record.read_text().strip())
        await _wait(lambda: "vrrp notify fifo script terminated" in caplog.text)
        await runner.finish()
        notifier.close()

    asyncio.run(scenario())
    assert (tmp_path / "record.argv").read_text().split() == ["tag", str(fifo)]
    assert record.read_text().strip() == 'INSTANCE "VI_1" BACKUP 150|INSTANCE "VI_1" MASTER 150'
    assert not fifo.exists()


def test_fifo_script_is_terminated_at_shutdown_silently(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fifo, record = tmp_path / "v.fifo", tmp_path / "record"
    script = _fifo_script(tmp_path, f'while read line; do echo "$line" >> {record}; done < "$1"\n')
    config = _config(f"vrrp_notify_fifo {fifo}\nvrrp_notify_fifo_script {script}")

    async def scenario() -> None:
        runner = ScriptRunner(config)
        notifier = Notifier(config, runner)
        notifier.start()
        notifier.instance(config.vrrp.instances[0], "MASTER", 150)
        await _wait(lambda: record.exists() and "MASTER" in record.read_text())
        assert len(runner.running) == 1
        notifier.terminate()
        await _wait(lambda: not runner.running)
        await runner.finish()
        notifier.close()

    asyncio.run(scenario())
    assert "vrrp notify fifo script terminated" not in caplog.text


def test_core_priority_events_named_as_keepalived() -> None:
    """vrrp_set_effective_priority: MASTER_PRIORITY in MASTER, BACKUP_PRIORITY in any other state
    (FAULT included), only with notify_priority_changes."""
    from ipaddress import IPv4Address

    from keepalived_py.vrrp.instance import Notify, VrrpCore
    from keepalived_py.vrrp.params import InstanceParams

    def core(**kw: object) -> VrrpCore:
        params = InstanceParams(
            name="VI_1",
            vrid=51,
            priority=100,
            vips=(IPv4Address("192.0.2.100"),),
            **kw,  # type: ignore[arg-type]
        )
        c = VrrpCore(params)
        c.start(0.0)
        return c

    def events(c: VrrpCore) -> list[Notify]:
        return [a for a in c.drain() if isinstance(a, Notify) and a.kind.endswith("_PRIORITY")]

    c = core(notify_priority_changes=True)
    events(c)
    c.set_fault(True, 1.0)
    c.drain()
    c.set_effective_priority(90, 2.0)
    assert events(c) == [Notify("BACKUP_PRIORITY", 90)]
    c = core(notify_priority_changes=True)
    timer = c.get_timer()
    assert timer is not None
    c.handle_timer(timer)
    c.drain()
    c.set_effective_priority(120, timer + 1)
    assert events(c) == [Notify("MASTER_PRIORITY", 120)]
    c = core()
    c.set_effective_priority(120, 1.0)
    assert events(c) == []


def test_scripts_keepalived_drops_at_load_are_not_run() -> None:
    """check_notify_script_secure: not found, not executable for its user, or insecure with
    enable_script_security -> the script is never run."""
    from keepalived_py.config.host import MemoryHost

    host = MemoryHost(
        files={"/bin/ok": b"#!/bin/sh\n", "/bin/ww": b"#!/bin/sh\n", "/bin/noexec": b"#!/bin/sh\n"},
        modes={"/bin/ok": 0o100755, "/bin/ww": 0o100777, "/bin/noexec": 0o100644},
    )
    secure = ScriptRunner(_config(), host=host)  # CONF has enable_script_security
    lax = ScriptRunner(_config(), host=host)
    lax.script_security = False
    root = (0, 0)
    assert secure.allowed(Script(("/bin/ok",)), root)
    assert not secure.allowed(Script(("/bin/ww",)), root)
    assert lax.allowed(Script(("/bin/ww",)), root)
    assert not secure.allowed(Script(("/bin/noexec",)), root)
    assert not secure.allowed(Script(("/bin/missing",)), root)

    async def scenario() -> None:
        secure.run(Script(("/bin/ww", "x")))
        assert not secure._tasks

    asyncio.run(scenario())
