"""The interface section of keepalived.data and its time format (runtime/vrrp_dumps.py)."""

from __future__ import annotations

import os
import pathlib
import time

import pytest

from keepalived_py.adapters.link_facts import LinkFacts
from keepalived_py.runtime.vrrp_dumps import interface_lines, interface_tracking, timestamp
from tests.configtest import parse_text

DUMPS = pathlib.Path(__file__).parents[1] / "golden" / "dumps"


def test_interfaces_as_keepalived_lists_them() -> None:
    want = (DUMPS / "keepalived.data").read_text()
    want_lines = want[want.index("------< Interfaces >------\n") :].splitlines()[1:]
    links = [
        LinkFacts(1, "lo", 0x49, 65536, 772, "00:00:00:00:00:00", "00:00:00:00:00:00", ("127.0.0.1",), ()),
        LinkFacts(2, "eth0", 0x11043, 1500, 1, "02:6b:6c:00:00:11", "ff:ff:ff:ff:ff:ff", ("192.0.2.11",), ()),
    ]
    config = parse_text((DUMPS / "keepalived.conf").read_text().replace("notify /run/kpy/notify.sh", ""))
    assert config.config is not None
    assert interface_lines(links, interface_tracking(config.config)) == want_lines


@pytest.fixture
def utc() -> object:
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_timestamps_with_microseconds(utc: object) -> None:
    assert timestamp(1795834569.324377) == "1795834569.324377 (Sat Nov 28 02:56:09.324377 2026)"
    assert timestamp(1795834565.9999996) == "1795834566.000000 (Sat Nov 28 02:56:06.000000 2026)"
    assert timestamp(1796112000.5) == "1796112000.500000 (Tue Dec  1 08:00:00.500000 2026)"
