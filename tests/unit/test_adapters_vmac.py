"""adapters/vmac.py without root: /proc/sys reads and writes (on a stand-in tree), link parsing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from keepalived_py.adapters import vmac


@pytest.fixture
def proc_sys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in (("all", "2\n"), ("default", "1\n"), ("eth0", "0\n"), ("vrrp.51", "x\n")):
        d = tmp_path / "net" / "ipv4" / "conf" / name
        d.mkdir(parents=True)
        (d / "rp_filter").write_text(value)
    monkeypatch.setattr(vmac, "PROC_SYS", str(tmp_path))
    return tmp_path


def test_read_one_digit_like_keepalived(proc_sys: Path) -> None:
    assert vmac.read_sysctl("ipv4", "all", "rp_filter") == 2
    assert vmac.read_sysctl("ipv4", "eth0", "rp_filter") == 0
    assert vmac.read_sysctl("ipv4", "vrrp.51", "rp_filter") is None  # not a digit
    assert vmac.read_sysctl("ipv4", "eth9", "rp_filter") is None  # no such interface


def test_write(proc_sys: Path) -> None:
    assert vmac.write_sysctl("ipv4", "eth0", "rp_filter", 2)
    assert (proc_sys / "net/ipv4/conf/eth0/rp_filter").read_text() == "2"
    assert not vmac.write_sysctl("ipv4", "eth9", "rp_filter", 1)


def test_interfaces(proc_sys: Path) -> None:
    assert vmac.ipv4_conf_interfaces() == ["eth0", "vrrp.51"]


class _Msg(dict[str, Any]):
    """Enough of a pyroute2 message: ``get`` and ``[]``."""


def test_link_info_of_a_macvlan() -> None:
    data = _Msg(IFLA_MACVLAN_MODE="private")
    msg = _Msg(
        index=7,
        flags=0x1043,
        IFLA_IFNAME="vrrp.51",
        IFLA_ADDRESS="00:00:5e:00:01:33",
        IFLA_LINK=2,
        IFLA_LINKINFO=_Msg(IFLA_INFO_KIND="macvlan", IFLA_INFO_DATA=data),
    )
    assert vmac._info(msg) == vmac.LinkInfo(7, "vrrp.51", "macvlan", "private", "00:00:5e:00:01:33", 2, True)
    plain = _Msg(index=1, flags=0, IFLA_IFNAME="lo")
    assert vmac._info(plain) == vmac.LinkInfo(1, "lo", None, None, None, None, False)
