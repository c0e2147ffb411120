"""-m / -M (runtime/core_dump.py) against a stand-in for /proc/sys/kernel/core_pattern."""

from __future__ import annotations

import faulthandler
import pathlib
import resource

import pytest

from keepalived_py.runtime import core_dump


def test_pattern_is_set_and_restored(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pattern_file = tmp_path / "core_pattern"
    pattern_file.write_text("|/usr/lib/systemd/systemd-coredump %P\n")
    monkeypatch.setattr(core_dump, "CORE_PATTERN", str(pattern_file))
    old_limit = resource.getrlimit(resource.RLIMIT_CORE)
    try:
        restore = core_dump.init(core_dump=False, pattern="core", tmp_dir=str(tmp_path))
        assert pattern_file.read_text() == "core"
        assert resource.getrlimit(resource.RLIMIT_CORE)[0] == resource.RLIM_INFINITY
        assert faulthandler.is_enabled()
        crash_files = list(tmp_path.glob("keepalived-py.*.crash"))
        assert len(crash_files) == 1
        restore()
        assert pattern_file.read_text() == "|/usr/lib/systemd/systemd-coredump %P"
        assert not crash_files[0].exists()  # nothing crashed: no empty report left behind
    finally:
        faulthandler.disable()
        resource.setrlimit(resource.RLIMIT_CORE, old_limit)


def test_unwritable_pattern_is_logged_and_left_alone(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(core_dump, "CORE_PATTERN", str(tmp_path / "missing" / "core_pattern"))
    caplog.set_level("INFO", logger="keepalived_py")
    old_limit = resource.getrlimit(resource.RLIMIT_CORE)
    try:
        core_dump.init(core_dump=False, pattern="core", tmp_dir=str(tmp_path))()
    finally:
        faulthandler.disable()
        resource.setrlimit(resource.RLIMIT_CORE, old_limit)
    assert "Unable to read/write core_pattern" in caplog.text
