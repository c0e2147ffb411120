"""Real traffic through a virtual service programmed by keepalived-py's table.

Inside the VM: three real servers (``busybox httpd`` in network namespaces behind a bridge; the
third is the sorry server), a NAT virtual service, and HTTP requests from the director.  The
pool's health moves through ``check/health.py``'s ``PoolState`` (the verdicts a checker would
give), each table through ``desired_table`` and the adapter: requests reach only the healthy
real servers, go to the sorry server when all have failed, and come back.
"""

from __future__ import annotations

import http.client
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from keepalived_py.adapters.host import SystemHost
from keepalived_py.adapters.ipvs import IpvsAdapter
from keepalived_py.check.health import PoolState, Verdict
from keepalived_py.check.ipvs_desired import desired_table
from keepalived_py.check.ipvs_diff import diff
from keepalived_py.config.loader import load
from keepalived_py.config.model.lvs import LvsSection

VIP = "192.0.2.100"
SERVERS = {"rs1": "198.51.100.1", "rs2": "198.51.100.2", "sorry": "198.51.100.9"}
GATEWAY = "198.51.100.254"

CONFIG = f"""
virtual_server {VIP} 80 {{
    lb_algo rr
    lb_kind NAT
    protocol TCP
    sorry_server {SERVERS["sorry"]} 80
    real_server {SERVERS["rs1"]} 80 {{
        TCP_CHECK {{
        }}
    }}
    real_server {SERVERS["rs2"]} 80 {{
        TCP_CHECK {{
        }}
    }}
}}
"""


def _sh(*commands: str) -> None:
    for command in commands:
        subprocess.run(command, shell=True, check=True, capture_output=True)


@pytest.fixture
def real_servers(tmp_path: Path) -> Iterator[None]:
    _sh(
        "ip link add kpy-br0 type bridge",
        f"ip addr add {GATEWAY}/24 dev kpy-br0",
        "ip link set kpy-br0 up",
        f"ip addr add {VIP}/32 dev lo",
    )
    httpds = []
    try:
        for name, address in SERVERS.items():
            root = tmp_path / name
            root.mkdir()
            (root / "index.html").write_text(name)
            _sh(
                f"ip netns add kpy-{name}",
                f"ip link add kpy-{name} type veth peer name eth0 netns kpy-{name}",
                f"ip link set kpy-{name} master kpy-br0 up",
                f"ip -n kpy-{name} addr add {address}/24 dev eth0",
                f"ip -n kpy-{name} link set eth0 up",
                f"ip -n kpy-{name} link set lo up",
                f"ip -n kpy-{name} route add default via {GATEWAY}",
            )
            argv = [
                "ip",
                "netns",
                "exec",
                f"kpy-{name}",
                "busybox",
                "httpd",
                "-f",
                "-p",
                "80",
                "-h",
                str(root),
            ]
            httpds.append(subprocess.Popen(argv))
        for address in SERVERS.values():  # each answers directly before any test
            _get(address)
        yield
    finally:
        for proc in httpds:
            proc.kill()
            proc.wait()
        for name in SERVERS:
            subprocess.run(["ip", "netns", "del", f"kpy-{name}"], check=False)
        subprocess.run(["ip", "link", "del", "kpy-br0"], check=False)
        subprocess.run(["ip", "addr", "del", f"{VIP}/32", "dev", "lo"], check=False)


def _get(host: str, tries: int = 50) -> str:
    last: Exception | None = None
    for _ in range(tries):
        try:
            conn = http.client.HTTPConnection(host, 80, timeout=5)
            conn.request("GET", "/")
            body = conn.getresponse().read().decode()
            conn.close()
            return body
        except OSError as exc:  # an httpd still starting
            last = exc
            subprocess.run(["sleep", "0.2"], check=True)
    raise AssertionError(f"no answer from {host}: {last}")


def _answers(n: int = 4) -> list[str]:
    return [_get(VIP, tries=1) for _ in range(n)]


def test_traffic_follows_health(real_servers: None, adapter: IpvsAdapter, tmp_path: Path) -> None:
    conf = tmp_path / "lb.conf"
    conf.write_text(CONFIG)
    result = load(str(conf), SystemHost())
    assert result.config is not None
    lvs: LvsSection = result.config.lvs
    vs = lvs.virtual_servers[0]
    pool = PoolState(vs)
    pool.start()
    rs1, rs2 = (rs.address for rs in vs.real_servers)

    def program() -> None:
        adapter.apply(diff(adapter.read(), desired_table(lvs, {0: pool.health()})))

    program()
    assert sorted(set(_answers())) == ["rs1", "rs2"]
    pool.checker_verdict(rs1, 0, Verdict.DOWN)
    program()
    assert set(_answers()) == {"rs2"}
    pool.checker_verdict(rs2, 0, Verdict.DOWN)  # quorum lost: the sorry server takes over
    program()
    assert set(_answers(2)) == {"sorry"}
    pool.checker_verdict(rs1, 0, Verdict.UP)
    program()
    assert set(_answers()) == {"rs1"}
