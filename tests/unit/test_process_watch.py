"""adapters/process_watch.py without root: /proc reading on a fake tree, the fallbacks."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import struct
from pathlib import Path

import pytest

from keepalived_py.adapters.process_watch import ProcessWatch, read_process, scan
from keepalived_py.config.model.trackers import TrackProcess
from keepalived_py.vrrp import process_match as pm
from keepalived_py.vrrp.process_match import ProcessTable, ProcInfo, QuorumChange


def fake_proc(root: Path, pid: int, comm: str | None, argv: tuple[str, ...] | None, state: str = "S") -> None:
    d = root / str(pid)
    d.mkdir()
    if comm is not None:
        (d / "stat").write_bytes(f"{pid} ({comm}) {state} 1 1 1\n".encode())
        (d / "comm").write_bytes(comm.encode() + b"\n")
    if argv is not None:
        (d / "cmdline").write_bytes(b"".join(a.encode() + b"\0" for a in argv))


def test_scan_reads_what_is_needed_and_skips_the_vanished(tmp_path: Path) -> None:
    fake_proc(tmp_path, 10, "foo", ("/bin/foo", "a"))
    fake_proc(tmp_path, 11, "z", ("z",), state="Z")
    fake_proc(tmp_path, 12, None, None)  # gone between listing and reading
    fake_proc(tmp_path, 13, "only stat", None)
    (tmp_path / "self").mkdir()
    (tmp_path / "0123").mkdir()
    (tmp_path / "\u00b2").mkdir()  # a digit, but not a PID
    found = {p.pid: p for p in scan(comm=True, cmdline=True, limit=100, proc=str(tmp_path)) or []}
    assert sorted(found) == [10, 11]
    assert found[10] == ProcInfo(10, b"foo", b"/bin/foo\0a\0", False)
    assert found[11].zombie
    names = {p.pid: p for p in scan(comm=True, cmdline=False, limit=0, proc=str(tmp_path)) or []}
    assert sorted(names) == [10, 11, 13] and names[13].comm == b"only stat"
    short = scan(comm=False, cmdline=True, limit=4, proc=str(tmp_path)) or []
    assert {p.pid: p.cmdline for p in short} == {10: b"/bin", 11: b"z\0"}
    assert scan(comm=True, cmdline=True, limit=10, proc=str(tmp_path / "missing")) is None


def test_read_process(tmp_path: Path) -> None:
    fake_proc(tmp_path, 10, "foo", ("/bin/foo",))
    assert read_process(10, comm=True, cmdline=True, limit=50, proc=str(tmp_path)) == ProcInfo(
        10, b"foo", b"/bin/foo\0"
    )
    assert read_process(10, comm=False, cmdline=False, limit=50, proc=str(tmp_path)) == ProcInfo(10)
    assert read_process(99, comm=True, cmdline=True, limit=50, proc=str(tmp_path)) == ProcInfo(99)


def _table() -> ProcessTable:
    return ProcessTable([TrackProcess("P", "foo", terminate_delay=200_000)])


def test_polling_without_connector(tmp_path: Path) -> None:
    fake_proc(tmp_path, 10, "foo", None)
    seen: list[tuple[float, QuorumChange]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        watch = ProcessWatch(_table(), proc=str(tmp_path), poll_interval=0.02, use_connector=False)
        watch.open()
        assert watch.table.up("P")
        watch.attach(loop, lambda changes: seen.extend((loop.time(), c) for c in changes))
        assert watch.polling
        lost_at = loop.time()
        shutil.rmtree(tmp_path / "10")
        while not seen:
            await asyncio.sleep(0.01)
        watch.close()
        # the loss waited terminate_delay (0.2 s) from the poll that saw it
        assert seen[0][1] == QuorumChange("P", False, 0) and seen[0][0] >= lost_at + 0.2

    asyncio.run(main())


def test_no_answer_from_the_kernel_falls_back_to_polling(tmp_path: Path) -> None:
    """A socket the kernel never answers on (here: one end of a socketpair): polling after 0.1 s."""
    fake_proc(tmp_path, 10, "foo", None)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        watch = ProcessWatch(_table(), proc=str(tmp_path), poll_interval=0.05, use_connector=False)
        watch.open()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        ours.setblocking(False)
        watch.sock = ours
        watch.attach(loop, lambda changes: None)
        assert not watch.polling
        while not watch.polling:
            await asyncio.sleep(0.01)
        assert watch.sock is None
        watch.close()
        theirs.close()

    asyncio.run(main())


def test_messages_not_from_the_kernel_are_ignored(tmp_path: Path) -> None:
    """Only netlink messages from port 0 count; garbage is dropped without an exception."""
    fake_proc(tmp_path, 10, "foo", None)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        watch = ProcessWatch(_table(), proc=str(tmp_path), use_connector=False)
        watch.open()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        ours.setblocking(False)
        watch.sock = ours
        watch.attach(loop, lambda changes: None)
        body = struct.pack("=IIQ", pm.PROC_EVENT_EXIT, 0, 0) + struct.pack("=iiII", 10, 10, 0, 0)
        cn = struct.pack("=IIIIHH", 1, 1, 0, 0, len(body), 0)
        theirs.send(struct.pack("=IHHII", 16 + len(cn) + len(body), 3, 0, 0, 0) + cn + body)
        theirs.send(b"garbage")
        await asyncio.sleep(0.02)
        assert watch.events == 0 and watch.table.count("P") == 1
        watch.close()
        theirs.close()

    asyncio.run(main())


def test_event_dispatch(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Events as the kernel sends them: threads ignored, processes followed, gaps reported."""
    caplog.set_level(logging.INFO)
    fake_proc(tmp_path, 10, "foo", None)
    fake_proc(tmp_path, 20, "foo", None)
    table = ProcessTable([TrackProcess("P", "foo", quorum=2)])
    watch = ProcessWatch(table, proc=str(tmp_path), use_connector=False)
    watch.open()
    assert table.count("P") == 2 and table.up("P")
    ev = pm.ProcEvent
    # the answer to the subscription is not numbered like events
    assert watch._event(ev(pm.PROC_EVENT_NONE, 0, 0, 1)) == [] and watch.acked
    assert watch._event(ev(pm.PROC_EVENT_EXIT, 1, 5, 0, pid=21, tgid=20)) == []  # a thread of 20
    assert watch._event(ev(pm.PROC_EVENT_FORK, 1, 6, 0, pid=30, tgid=30, parent_pid=10, parent_tgid=10)) == []
    assert table.count("P") == 3
    # a new thread of a counted process is not a process
    assert watch._event(ev(pm.PROC_EVENT_FORK, 1, 7, 0, pid=33, tgid=30, parent_pid=30, parent_tgid=30)) == []
    assert table.count("P") == 3
    assert watch._event(ev(pm.PROC_EVENT_EXIT, 1, 9, 0, pid=10, tgid=10)) == []
    assert "Missed 1 messages on CPU 1" in caplog.text
    assert watch._event(ev(pm.PROC_EVENT_COMM, 0, 3, 0, pid=20, tgid=20, comm=b"bar")) == [
        QuorumChange("P", False, 1)
    ]
    # an exec: /proc tells the new name; a vanished process changes nothing
    (tmp_path / "40").mkdir()
    (tmp_path / "40" / "comm").write_bytes(b"foo\n")
    assert watch._event(ev(pm.PROC_EVENT_EXEC, 0, 4, 0, pid=40, tgid=40)) == [QuorumChange("P", True, 2)]
    assert watch._event(ev(pm.PROC_EVENT_EXEC, 0, 5, 0, pid=41, tgid=41)) == []
    assert watch._event(ev(0x4, 0, 6, 0, pid=40, tgid=40)) == []  # uid change: not followed
    assert watch.events == 9
