"""track_process into instances: trackers_of and TrackingRunner, through the real config layer,
on a fake /proc (no root, no connector: the watch polls)."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

import pytest

from keepalived_py.adapters.process_watch import ProcessWatch
from keepalived_py.config.model import Config
from keepalived_py.runtime.vrrp_tracking import TrackingRunner, trackers_of
from keepalived_py.vrrp.process_match import ProcessTable
from keepalived_py.vrrp.tracking import InstanceTracking, Kind, Tracker
from tests.configtest import parse_text

CONF = """
vrrp_track_process daemon {
    process kpwdaemon
    weight 20
}
vrrp_track_process must {
    process kpwmust
    quorum 2
}
vrrp_track_process grp {
    process kpwgrp
    weight -5 reverse
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.0.2.101/24
    }
    track_process {
        daemon
        must
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    priority 100
    virtual_ipaddress {
        192.0.2.102/24
    }
    track_process {
        daemon weight -30
    }
}
vrrp_sync_group G {
    group {
        VI_1
        VI_2
    }
    track_process {
        grp
    }
}
"""


def _config() -> Config:
    result = parse_text(CONF)
    assert result.config is not None
    return result.config


def test_trackers_of_includes_processes() -> None:
    config = _config()
    vi1, vi2 = config.vrrp.instances
    assert trackers_of(vi1, config, 100) == (
        Tracker(Kind.PROCESS, "daemon", 20, False),
        Tracker(Kind.PROCESS, "must", 0, False),
        Tracker(Kind.PROCESS, "grp", -5, True),
    )
    assert trackers_of(vi2, config, 100) == (
        Tracker(Kind.PROCESS, "daemon", -30, False),
        Tracker(Kind.PROCESS, "grp", -5, True),
    )


def fake_proc(root: Path, pid: int, comm: str) -> None:
    (root / str(pid)).mkdir()
    (root / str(pid) / "stat").write_bytes(f"{pid} ({comm}) S 1\n".encode())


def test_runner_feeds_quorum_into_instances(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    config = _config()
    fake_proc(tmp_path, 10, "kpwdaemon")
    fake_proc(tmp_path, 11, "kpwmust")
    fake_proc(tmp_path, 12, "kpwgrp")
    runner = TrackingRunner(config, env={}, ids_of=lambda s: None)
    runner.processes = ProcessWatch(
        ProcessTable(config.trackers.processes), proc=str(tmp_path), poll_interval=0.01, use_connector=False
    )
    runner.processes.open()
    applied: list[tuple[str, int, bool]] = []
    trackings = {}
    for inst in config.vrrp.instances:
        tracking = InstanceTracking(100, trackers_of(inst, config, 100))
        trackings[inst.name] = tracking
        runner.add(
            inst.name,
            tracking,
            lambda t, n=inst.name: applied.append((n, t.effective_priority, t.fault)),  # type: ignore[misc]
        )
    vi1, vi2 = trackings["VI_1"], trackings["VI_2"]
    # at start: daemon up (+20; its -30 on VI_2 counts only while down), must short of its
    # quorum of 2 (weight 0: FAULT), grp up (a negative weight counts only while down)
    assert (vi1.effective_priority, vi1.fault) == (120, True)
    assert (vi2.effective_priority, vi2.fault) == (100, False)
    assert "(VI_1) entering FAULT state (tracked process must quorum not achieved)" in caplog.text

    async def main() -> None:
        runner.start()
        fake_proc(tmp_path, 13, "kpwmust")
        shutil.rmtree(tmp_path / "10")
        shutil.rmtree(tmp_path / "12")
        while len(applied) < 5:
            await asyncio.sleep(0.01)
        await runner.stop()

    asyncio.run(main())
    assert runner.processes is None
    # daemon and grp lost, must gained: grp's -5 reverse adds 5 while down
    assert (vi1.effective_priority, vi1.fault) == (105, False)
    assert (vi2.effective_priority, vi2.fault) == (75, False)
    assert "Quorum gained for tracked process must" in caplog.text
    assert "Quorum lost for tracked process daemon" in caplog.text
    assert "Quorum lost for tracked process grp" in caplog.text
