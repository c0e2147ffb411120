"""adapters/vip_filter.py with a stand-in ``nft`` that records what it is given (no root)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import stat
from pathlib import Path

import pytest

from keepalived_py.adapters.vip_filter import InstanceFilter, VipFilter
from keepalived_py.vrrp.vip_filter_rules import FilterEntry, FilterOptions, filter_entry


def fake_nft(tmp_path: Path, *, tables: str = "", fail: bool = False) -> Path:
    """An ``nft`` that appends each call (argv, then stdin) to calls.log."""
    log = tmp_path / "calls.log"
    script = tmp_path / "nft"
    listing = tmp_path / "tables.txt"
    listing.write_text(tables)
    script.write_text(
        "#!/bin/sh\n"
        f'echo "ARGS $*" >> "{log}"\n'
        f'if [ "$1" = list ]; then cat "{listing}"; exit 0; fi\n'
        f'cat >> "{log}"\n'
        + ('echo "Error: No such file or directory" >&2; exit 1\n' if fail else "exit 0\n")
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def calls(tmp_path: Path) -> str:
    path = tmp_path / "calls.log"
    return path.read_text() if path.exists() else ""


def v4(text: str) -> FilterEntry:
    return filter_entry(ipaddress.ip_address(text), ifname="eth0")


def run(coro_fn: object) -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(coro_fn(loop))  # type: ignore[operator]
    finally:
        loop.close()


def test_changes_in_order_then_cleanup(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    nft = fake_nft(tmp_path, tables="table ip keepalived\ntable ip6 other\ntable inet keepalived\n")

    async def body(loop: asyncio.AbstractEventLoop) -> None:
        vf = VipFilter(FilterOptions(), loop, nft=str(nft))
        one = InstanceFilter(vf, "VI_1", (v4("192.0.2.1"),), detail=True)
        two = InstanceFilter(vf, "VI_2", (v4("192.0.2.2"),), detail=False)
        one.add()
        two.add()
        one.remove()
        await vf.drain()
        assert vf.tables.installed("VI_2") == frozenset({v4("192.0.2.2")})
        await vf.close()
        one.add()  # after close: ignored
        await vf.close()

    with caplog.at_level(logging.INFO):
        run(body)
    text = calls(tmp_path)
    parts = text.split("ARGS ")
    assert parts[1] == "list tables\n"
    assert parts[2].startswith("-f -\ndelete table ip keepalived\nadd table ip keepalived\n")
    assert parts[2].endswith("add element ip keepalived vips { 192.0.2.1 }\n")
    assert parts[3] == "-f -\nadd element ip keepalived vips { 192.0.2.2 }\n"
    assert parts[4] == "-f -\ndelete element ip keepalived vips { 192.0.2.1 }\n"
    assert parts[5] == "-f -\ndelete table ip keepalived\n"
    assert len(parts) == 6
    messages = [r.getMessage() for r in caplog.records]
    assert "Deleting old ip keepalived table" in messages
    assert "(VI_1) setting firewall drop rule" in messages
    assert "(VI_1) removing firewall drop rule" in messages
    assert not any("VI_2" in m for m in messages)


def test_nft_failure_is_logged_and_counted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    nft = fake_nft(tmp_path, fail=True)

    async def body(loop: asyncio.AbstractEventLoop) -> None:
        vf = VipFilter(FilterOptions(), loop, nft=str(nft))
        vf.add("VI_1", (v4("192.0.2.1"),))
        await vf.drain()
        assert vf.errors == 1
        await vf.close()

    with caplog.at_level(logging.INFO):
        run(body)
    assert any(
        "nft -f failed (1): Error: No such file or directory" in r.getMessage() for r in caplog.records
    )


def test_missing_nft(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def body(loop: asyncio.AbstractEventLoop) -> None:
        vf = VipFilter(FilterOptions(), loop, nft=str(tmp_path / "no-nft"))
        vf.add("VI_1", (v4("192.0.2.1"),))
        vf.add("VI_2", (v4("192.0.2.2"),))
        await vf.close()

    with caplog.at_level(logging.INFO):
        run(body)
    cannot = [r for r in caplog.records if "cannot run" in r.getMessage()]
    assert len(cannot) == 1


def test_close_now_without_loop(tmp_path: Path) -> None:
    nft = fake_nft(tmp_path)

    async def body(loop: asyncio.AbstractEventLoop) -> None:
        vf = VipFilter(FilterOptions(table="kpyt"), loop, nft=str(nft))
        vf.add("VI_1", (v4("192.0.2.1"),))
        await vf.drain()
        holder.append(vf)

    holder: list[VipFilter] = []
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(body(loop))
        holder[0].close_now()
        loop.run_until_complete(asyncio.sleep(0))  # the cancelled worker ends
    finally:
        loop.close()
    assert calls(tmp_path).endswith("ARGS -f -\ndelete table ip kpyt\n")
    assert os.access(nft, os.X_OK)
