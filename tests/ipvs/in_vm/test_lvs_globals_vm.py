"""lvs_timeouts and lvs_sync_daemon on the real kernel, against keepalived 2.2.7 (in the VM).

* the adapter's set_timeouts read back with ``ipvsadm -L --timeout``;
* the checker's part (runtime/lvs_globals.CheckerLvs: timeouts, and both sync daemons when no
  VRRP instance is named) run in this process, then keepalived -C with the same file: the same
  ``ipvsadm -L --timeout`` and ``--daemon`` while running, and the same after each stops;
* one whole keepalived-py (parent, VRRP and checker children) with a single-node VRRP instance
  that becomes MASTER on its own, the sync daemon following it, then keepalived with the same
  file: the same ``--timeout`` and ``--daemon`` output once MASTER, after a SIGHUP with the same
  file (both log the kernel's refusal to start the running master daemon again, once), and
  after SIGTERM.

The VRRP instance runs on a dummy link of the VM's own namespace with documentation addresses.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from keepalived_py.adapters.host import SystemHost
from keepalived_py.adapters.ipvs import IpvsAdapter
from keepalived_py.config.loader import LoadOptions, load
from keepalived_py.config.model import Config
from keepalived_py.runtime.lvs_globals import CheckerLvs
from tests.ipvs.in_vm.test_keepalived_agreement import KEEPALIVED

LINK = "kpy-lvsg0"

SERVICE = """
virtual_server 203.0.113.10 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.0.2.1 80 {
        MISC_CHECK {
            misc_path /bin/true
        }
    }
}
"""

CHECKER_CONF = f"""global_defs {{
    enable_script_security
    script_user root
    lvs_timeouts tcp 7200 udp 60
    lvs_sync_daemon {LINK} id 4 maxlen 1200
}}
{SERVICE}"""

VRRP_CONF = f"""global_defs {{
    enable_script_security
    script_user root
    lvs_timeouts tcp 3600 tcpfin 30 udp 45
    lvs_sync_daemon {LINK} inst VI_1 maxlen 1400 port 8850 ttl 3 group 239.0.0.5
}}
vrrp_instance VI_1 {{
    state MASTER
    interface {LINK}
    virtual_router_id 51
    priority 255
    advert_int 1
    virtual_ipaddress {{
        192.0.2.10/32
    }}
}}
{SERVICE}"""


def _ipvsadm(*args: str) -> str:
    return subprocess.run(["ipvsadm", "-Ln", *args], check=True, capture_output=True, text=True).stdout


def _state() -> tuple[str, str]:
    """(``ipvsadm -L --timeout``, ``ipvsadm -L --daemon``)."""
    return _ipvsadm("--timeout"), _ipvsadm("--daemon")


@pytest.fixture
def link(adapter: IpvsAdapter) -> Iterator[str]:
    original = adapter.timeouts()
    cmd = f"ip link add {LINK} type dummy && ip link set {LINK} multicast on up"
    subprocess.run(f"{cmd} && ip addr add 192.0.2.254/24 dev {LINK}", shell=True, check=True)
    try:
        yield LINK
    finally:
        for state in ("master", "backup"):
            subprocess.run(["ipvsadm", "--stop-daemon", state], capture_output=True)
        adapter.set_timeouts(*original)
        subprocess.run(["ip", "link", "del", LINK], check=True)


def _load(path: Path) -> Config:
    result = load(str(path), SystemHost(), LoadOptions())
    assert result.config is not None
    return result.config


def _run(
    argv: list[str], log: Path, want: tuple[str, str], *, reload_line: str = "", deadline: float = 180.0
) -> tuple[str, str, str]:
    """Start ``argv``, wait until ``_state()`` equals ``want`` (or the deadline); with
    ``reload_line``, SIGHUP it and wait for that line in its log; SIGTERM it.  Returns (the
    state seen last while it ran, ``_state()`` after it stopped, its log)."""
    with open(log, "wb") as out:
        # the kernel's IPVS, whatever the caller's environment names
        env = {k: v for k, v in os.environ.items() if k != "KEEPALIVED_PY_IPVS"}
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        end = time.monotonic() + deadline
        seen = _state()
        while time.monotonic() < end and seen != want:
            time.sleep(0.3)
            seen = _state()
        if reload_line and seen == want:
            proc.send_signal(signal.SIGHUP)
            while time.monotonic() < end and reload_line not in log.read_text(errors="replace"):
                time.sleep(0.3)
            seen = _state()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    after = ":".join(_state())
    return ":".join(seen), after, log.read_text(errors="replace")


def _keepalived(conf: Path, *mode: str) -> list[str]:
    argv = [KEEPALIVED, *mode, "-n", "-l", "-D", "-f", str(conf)]
    return [*argv, "-p", f"{conf}.pid", "-r", f"{conf}.vrrp.pid", "-c", f"{conf}.checkers.pid"]


def _record(what: str, ours: object, theirs: object) -> None:
    xchg = os.environ.get("IPVS_VM_XCHG")
    if xchg:
        with open(os.path.join(xchg, "lvs_globals.jsonl"), "a") as f:
            f.write(json.dumps({"case": what, "ours": ours, "theirs": theirs}) + "\n")


def test_adapter_timeouts(adapter: IpvsAdapter, link: str) -> None:
    tcp, fin, udp = adapter.timeouts()
    assert f"Timeout (tcp tcpfin udp): {tcp} {fin} {udp}" in _ipvsadm("--timeout")
    adapter.set_timeouts(7200, 0, 60)  # 0: unchanged
    assert f"Timeout (tcp tcpfin udp): 7200 {fin} 60" in _ipvsadm("--timeout")
    assert adapter.timeouts() == (7200, fin, 60)


def test_checker_part_equals_keepalived(adapter: IpvsAdapter, link: str, tmp_path: Path) -> None:
    conf = tmp_path / "checker.conf"
    conf.write_text(CHECKER_CONF)
    before = _state()
    lvs = CheckerLvs()
    lvs.start(adapter, _load(conf))
    ours = _state()
    lvs.stop(adapter)
    ours_after = _state()
    assert "master sync daemon (mcast=kpy-lvsg0, syncid=4, maxlen=1200" in ours[1]
    assert "backup sync daemon (mcast=kpy-lvsg0, syncid=4, maxlen=1200" in ours[1]
    assert "Timeout (tcp tcpfin udp): 7200 " in ours[0] and ours[0].rstrip().endswith(" 60")
    assert ours_after == before
    theirs, theirs_after, their_log = _run(_keepalived(conf, "-C"), tmp_path / "ka.log", ours)
    _record("checker", [ours, ours_after], [theirs, theirs_after])
    assert theirs == ":".join(ours), their_log[-3000:]
    assert theirs_after == ":".join(ours_after), their_log[-3000:]


def test_vrrp_instance_drives_the_daemon_like_keepalived(link: str, tmp_path: Path) -> None:
    conf = tmp_path / "vrrp.conf"
    conf.write_text(VRRP_CONF)
    before = ":".join(_state())
    want = (
        "Timeout (tcp tcpfin udp): 3600 30 45\n",
        "master sync daemon (mcast=kpy-lvsg0, syncid=51, maxlen=1400, group=239.0.0.5, port=8850, ttl=3)\n",
    )
    argv = [sys.executable, "-m", "keepalived_py", "-n", "-l", "-D", "-f", str(conf)]
    argv += ["-p", f"{conf}.pid", "-r", f"{conf}.vrrp.pid", "-c", f"{conf}.checkers.pid"]
    # a reload with the same file: the master daemon's start is refused, and logged by keepalived
    refused = "IPVS cmd IP_VS_SO_SET_STARTDAEMON(1163) error: Daemon has already run(17)"
    ours, ours_after, our_log = _run(argv, tmp_path / "kpy.log", want, reload_line=refused)
    theirs, theirs_after, their_log = _run(_keepalived(conf), tmp_path / "ka.log", want, reload_line=refused)
    _record("vrrp", [ours, ours_after], [theirs, theirs_after])
    assert ours == ":".join(want), our_log[-3000:]
    assert theirs == ours, their_log[-3000:]
    assert our_log.count(refused) == their_log.count(refused) == 1, f"{our_log[-2000:]}\n{their_log[-2000:]}"
    assert ours_after == before == theirs_after, f"{our_log[-2000:]}\n{their_log[-2000:]}"
    with contextlib.suppress(OSError):
        os.unlink(f"{conf}.pid")
