"""Pieces of runtime/vrrp_process.py that need no root: systemd notification, pid files."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from keepalived_py.runtime.pid_file import pid_files, process_running
from keepalived_py.runtime.vrrp_process import sd_notify


def test_sd_notify_sends_to_the_notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        assert sd_notify("READY=1\nMAINPID=42")
        assert server.recv(100) == b"READY=1\nMAINPID=42"


def test_sd_notify_without_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert not sd_notify("READY=1")
    monkeypatch.setenv("NOTIFY_SOCKET", "relative/path")
    assert not sd_notify("READY=1")


def test_pid_files_written_and_removed(tmp_path: Path) -> None:
    paths = [str(tmp_path / "a.pid"), str(tmp_path / "b.pid")]
    with pid_files(paths):
        for p in paths:
            assert Path(p).read_text() == f"{os.getpid()}\n"
            assert process_running(p)
    assert not any(os.path.exists(p) for p in paths)


def test_process_running_answers_like_keepalived(tmp_path: Path) -> None:
    missing = tmp_path / "none.pid"
    assert not process_running(str(missing))
    garbage = tmp_path / "garbage.pid"
    garbage.write_text("not a pid\n")
    assert process_running(str(garbage))  # keepalived cannot tell, so "running"
    assert not garbage.exists()
    zombie = tmp_path / "zombie.pid"
    zombie.write_text("999999999\n")
    assert not process_running(str(zombie))
    assert not zombie.exists()
