"""Notify FIFO lines (vrrp/notify_format.py) and the FIFO adapter (adapters/notify_fifo.py) on real
FIFOs in a temporary directory: made as keepalived makes them, never blocking the caller."""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from keepalived_py.adapters.notify_fifo import NotifyFifo
from keepalived_py.vrrp.notify_format import fifo_line, priority_event

DEADLINE = 5.0


# -- lines -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kw", "line"),
    [
        (("VI_1", "MASTER", 150), {}, b'INSTANCE "VI_1" MASTER 150\n'),
        (("VI_1", "BACKUP", 100), {}, b'INSTANCE "VI_1" BACKUP 100\n'),
        (("VI_1", "FAULT", 1), {}, b'INSTANCE "VI_1" FAULT 1\n'),
        (("VI_1", "STOP", 255), {}, b'INSTANCE "VI_1" STOP 255\n'),
        (("VI_1", "DELETED", 50), {}, b'INSTANCE "VI_1" DELETED 50\n'),
        (("VI_1", "MASTER_RX_LOWER_PRI", 150), {}, b'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150\n'),
        (("VI_1", "MASTER_PRIORITY", 140), {}, b'INSTANCE "VI_1" MASTER_PRIORITY 140\n'),
        (("VI_1", "BACKUP_PRIORITY", 90), {}, b'INSTANCE "VI_1" BACKUP_PRIORITY 90\n'),
        (("G1", "BACKUP", 0), {"group": True}, b'GROUP "G1" BACKUP 0\n'),
        (("G1", "MASTER"), {"group": True}, b'GROUP "G1" MASTER 0\n'),
        # keepalived neither escapes the name nor knows other states; the priority is a byte
        (('a"b', "INIT", 300), {}, b'INSTANCE "a"b" {UNKNOWN} 44\n'),
    ],
)
def test_fifo_line(args: tuple[str, str, int], kw: dict[str, bool], line: bytes) -> None:
    assert fifo_line(*args, **kw) == line


def test_priority_events() -> None:
    assert priority_event("MASTER") == "MASTER_PRIORITY"
    for state in ("BACKUP", "FAULT", "INIT"):
        assert priority_event(state) == "BACKUP_PRIORITY"


def test_lines_fit_in_one_atomic_pipe_write() -> None:
    assert len(fifo_line("x" * 200, "MASTER_RX_LOWER_PRI", 255)) < 512  # PIPE_BUF >= 512 (POSIX)


# -- the adapter -------------------------------------------------------------------------------


def _within_deadline(fn: object) -> None:
    """Run ``fn`` in a thread; fail (instead of hanging) if it does not return in time."""
    assert callable(fn)
    done = threading.Event()
    errors: list[BaseException] = []

    def body() -> None:
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    threading.Thread(target=body, daemon=True).start()
    assert done.wait(DEADLINE), "blocked"
    if errors:
        raise errors[0]


def test_made_with_keepalived_mode_and_removed_at_close(tmp_path: Path) -> None:
    path = tmp_path / "n.fifo"
    fifo = NotifyFifo(str(path))
    assert fifo.setup(0o177)
    st = os.stat(path)
    assert stat.S_ISFIFO(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600  # 0644 under keepalived's default umask 0177
    assert fifo.created and fifo.is_open
    fifo.close()
    assert not path.exists()
    assert not fifo.is_open


def test_mode_follows_the_umask_and_ours_is_restored(tmp_path: Path) -> None:
    before = os.umask(0o077)
    try:
        fifo = NotifyFifo(str(tmp_path / "n.fifo"))
        assert fifo.create(0o022)
        assert stat.S_IMODE(os.stat(tmp_path / "n.fifo").st_mode) == 0o644
        assert os.umask(0o077) == 0o077
    finally:
        os.umask(before)


def test_existing_path_is_used_and_left(tmp_path: Path) -> None:
    path = tmp_path / "n.fifo"
    os.mkfifo(path, 0o640)
    fifo = NotifyFifo(str(path))
    assert fifo.setup(0o177)
    assert not fifo.created
    fifo.close()
    assert stat.S_ISFIFO(os.stat(path).st_mode)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_a_plain_file_in_the_way_gets_the_lines_as_keepalived(tmp_path: Path) -> None:
    path = tmp_path / "plain"
    path.write_bytes(b"")
    fifo = NotifyFifo(str(path))
    assert fifo.setup(0o177)
    assert fifo.write(fifo_line("VI_1", "MASTER", 100))
    fifo.close()
    assert path.read_bytes() == b'INSTANCE "VI_1" MASTER 100\n'


def test_close_without_unlink_keeps_what_we_made(tmp_path: Path) -> None:
    path = tmp_path / "n.fifo"
    fifo = NotifyFifo(str(path))
    assert fifo.setup(0o177)
    fifo.close(unlink=False)
    assert path.exists()


def test_owner_given_only_when_it_differs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int, int]] = []
    monkeypatch.setattr(os, "chown", lambda p, u, g: calls.append((p, u, g)))
    uid, gid = os.getuid(), os.getgid()
    NotifyFifo(str(tmp_path / "a"), uid=uid, gid=gid).create(0o177)
    assert calls == []
    NotifyFifo(str(tmp_path / "b"), uid=uid + 1, gid=gid).create(0o177)
    NotifyFifo(str(tmp_path / "c"), uid=uid, gid=gid + 1).create(0o177)
    assert calls == [(str(tmp_path / "b"), uid + 1, -1), (str(tmp_path / "c"), -1, gid + 1)]


def test_chown_failure_is_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*_: object) -> None:
        raise PermissionError(1, "refused")

    monkeypatch.setattr(os, "chown", refuse)
    caplog.set_level(logging.INFO)
    path = str(tmp_path / "n.fifo")
    assert NotifyFifo(path, uid=os.getuid() + 1).setup(0o177)
    assert f"Failed to set uid:gid for fifo {path}" in caplog.text


def test_cannot_create(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    path = str(tmp_path / "missing-dir" / "n.fifo")
    started: list[bool] = []
    fifo = NotifyFifo(path, kind="vrrp_")
    assert not fifo.setup(0o177, lambda: started.append(True))
    assert started == []  # no script without a FIFO
    assert f"Unable to create vrrp_notify fifo {path}" in caplog.text


def test_symlink_is_not_followed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    os.mkfifo(tmp_path / "real")
    os.symlink(tmp_path / "real", tmp_path / "link")
    fifo = NotifyFifo(str(tmp_path / "link"), kind="vrrp_")
    assert not fifo.setup(0o177)
    assert f"Unable to open vrrp_notify fifo {tmp_path / 'link'} - errno 40" in caplog.text
    assert (tmp_path / "link").is_symlink()  # not ours: left alone


def test_script_started_after_creation_before_open(tmp_path: Path) -> None:
    path = tmp_path / "n.fifo"
    seen: list[tuple[bool, bool]] = []
    fifo = NotifyFifo(str(path))
    assert fifo.setup(0o177, lambda: seen.append((path.exists(), fifo.is_open)))
    assert seen == [(True, False)]
    fifo.close()


def test_no_reader_never_blocks_and_lines_wait_for_one(tmp_path: Path) -> None:
    path = tmp_path / "n.fifo"
    fifo = NotifyFifo(str(path))
    _within_deadline(lambda: fifo.setup(0o177))
    lines = [fifo_line("VI_1", s, 100) for s in ("BACKUP", "MASTER")]
    _within_deadline(lambda: [fifo.write(line) for line in lines])
    assert fifo.written == 2 and fifo.dropped == 0
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert os.read(reader, 4096) == b"".join(lines)
    finally:
        os.close(reader)
        fifo.close()


def test_full_pipe_drops_whole_lines_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "n.fifo"
    fifo = NotifyFifo(str(path))
    assert fifo.setup(0o177)
    line = fifo_line("VI_1", "MASTER_RX_LOWER_PRI", 150)

    def fill() -> None:
        end = time.monotonic() + DEADLINE
        while fifo.dropped < 3 and time.monotonic() < end:
            fifo.write(line)

    _within_deadline(fill)
    assert fifo.dropped >= 3
    assert fifo.written > 100
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    data = b""
    try:
        while True:
            try:
                chunk = os.read(reader, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        os.close(reader)
    assert data == line * fifo.written  # only whole lines, in order
    # room again: the next line goes through
    assert fifo.write(line)
    fifo.close()


def test_write_after_close_is_ignored(tmp_path: Path) -> None:
    fifo = NotifyFifo(str(tmp_path / "n.fifo"))
    assert fifo.setup(0o177)
    fifo.close()
    assert not fifo.write(b"x\n")
