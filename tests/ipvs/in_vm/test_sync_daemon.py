"""The connection-sync daemon (keepalived's lvs_sync_daemon) through the adapter, checked with ipvsadm."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from ipaddress import ip_address

import pytest

from keepalived_py.adapters.ipvs import STATE_BACKUP, STATE_MASTER, IpvsAdapter, IpvsError, SyncDaemon


def _daemons() -> str:
    return subprocess.run(["ipvsadm", "-Ln", "--daemon"], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def sync_link() -> Iterator[str]:
    subprocess.run("ip link add kpy-sync0 type dummy && ip link set kpy-sync0 up", shell=True, check=True)
    yield "kpy-sync0"
    subprocess.run(["ipvsadm", "--stop-daemon", "master"], check=False, capture_output=True)
    subprocess.run(["ipvsadm", "--stop-daemon", "backup"], check=False, capture_output=True)
    subprocess.run(["ip", "link", "del", "kpy-sync0"], check=True)


def test_sync_daemons_start_list_stop(adapter: IpvsAdapter, sync_link: str) -> None:
    master = SyncDaemon(
        STATE_MASTER, sync_link, 5, maxlen=1400, group=ip_address("239.0.0.5"), port=8850, ttl=3
    )
    adapter.start_sync_daemon(master)
    adapter.start_sync_daemon(SyncDaemon(STATE_BACKUP, sync_link, 5))
    assert (
        "master sync daemon (mcast=kpy-sync0, syncid=5, maxlen=1400, group=239.0.0.5, port=8850, ttl=3)"
        in (_daemons())
    )
    running = {d.state: d for d in adapter.sync_daemons()}
    assert running[STATE_MASTER] == master
    backup = running[STATE_BACKUP]  # the kernel's defaults
    assert (backup.ifname, backup.syncid, backup.group, backup.port) == (
        sync_link,
        5,
        ip_address("224.0.0.81"),
        8848,
    )
    with pytest.raises(IpvsError) as info:
        adapter.start_sync_daemon(master)
    assert str(info.value) == "IPVS cmd IP_VS_SO_SET_STARTDAEMON(1163) error: Daemon has already run(17)"
    adapter.stop_sync_daemon(master)
    adapter.stop_sync_daemon(backup)
    assert adapter.sync_daemons() == []
    with pytest.raises(IpvsError) as info:
        adapter.stop_sync_daemon(master)
    assert str(info.value) == "IPVS cmd IP_VS_SO_SET_STOPDAEMON(1164) error: No daemon is running(3)"
