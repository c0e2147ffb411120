"""adapters/script_runner.py and runtime/vrrp_tracking.py without root: real short scripts,
tiny timeouts (no timing assertion: only how each run ended)."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from keepalived_py.adapters.file_watch import FileWatch, read_file
from keepalived_py.adapters.script_runner import Outcome, run_check
from keepalived_py.config.model import Config
from keepalived_py.config.model.trackers import TrackerSection, TrackFile, VrrpScript
from keepalived_py.config.model.vrrp import TrackedInterface, TrackedRef, VrrpInstance
from keepalived_py.config.scripts import Script
from keepalived_py.runtime.vrrp_tracking import TrackingRunner, trackers_of
from keepalived_py.vrrp.tracking import InstanceTracking, Kind, Tracker

ENV = {"PATH": "/usr/bin:/bin"}


def check(argv: list[str], timeout: float = 5.0, **kw: float) -> Outcome:
    return asyncio.run(run_check(argv, env=ENV, ids=None, timeout=timeout, **kw))


def test_exit_status() -> None:
    assert check(["/bin/true"]) == Outcome("succeeded", status=0)
    assert check(["/bin/sh", "-c", "exit 3"]) == Outcome("failed", status=3)
    assert check(["false"]).kind == "failed"  # found on the PATH


def test_missing_program_is_not_run() -> None:
    assert check(["/nonexistent/check"]).kind == "not_run"


def test_script_without_shebang_goes_through_sh(tmp_path: Path) -> None:
    path = tmp_path / "noshebang"
    path.write_text("exit 4\n")
    path.chmod(0o755)
    assert check([str(path)]) == Outcome("failed", status=4)


def test_signal_not_sent_by_us_is_a_failure() -> None:
    assert check(["/bin/sh", "-c", "kill -USR1 $$"]) == Outcome("failed", signal=signal.SIGUSR1)


def test_timeout_sends_sigterm() -> None:
    out = check(["/bin/sleep", "30"], timeout=0.01)
    assert out == Outcome("timed_out", signal=signal.SIGTERM)
    assert not out.success


def test_sigterm_ignored_then_sigkill(tmp_path: Path) -> None:
    pidfile = tmp_path / "child"
    # the shell ignores TERM and its child sleeps: both die with the group's SIGKILL
    script = f"trap '' TERM; sleep 30 & echo $! > {pidfile}; wait; wait"
    out = check(["/bin/sh", "-c", script], timeout=0.05, term_grace=0.05)
    assert out == Outcome("timed_out", signal=signal.SIGKILL)
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while _alive(child):
        assert time.monotonic() < deadline, "the script's child survived the group's SIGKILL"
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def test_trackers_of_resolves_weights() -> None:
    scripts = (
        VrrpScript("a", Script(("/bin/true",)), weight=-20),
        VrrpScript("b", Script(("/bin/true",)), weight=5),
    )
    config = Config(trackers=TrackerSection(scripts=scripts))
    inst = VrrpInstance(
        "VI",
        track_interfaces=(TrackedInterface("eth1", 10, True),),
        track_scripts=(TrackedRef("a"), TrackedRef("b", weight=0, reverse=True), TrackedRef("gone")),
    )
    assert trackers_of(inst, config, 100) == (
        Tracker(Kind.INTERFACE, "eth1", 10, True),
        Tracker(Kind.SCRIPT, "a", -20, False),
        Tracker(Kind.SCRIPT, "b", 0, True),
    )
    # an owner keeps only the unweighted ones
    assert [t.name for t in trackers_of(inst, config, 255)] == ["eth1", "b"]


def test_runner_feeds_rise_fall_into_instances() -> None:
    script = VrrpScript("a", Script(("/bin/true",)), weight=-30, fall=2, rise=2)
    config = Config(trackers=TrackerSection(scripts=(script,)))
    runner = TrackingRunner(config, env=ENV, ids_of=lambda s: None)
    seen: list[tuple[int, bool]] = []
    tracking = InstanceTracking(100, (Tracker(Kind.SCRIPT, "a", -30), Tracker(Kind.INTERFACE, "eth1", 0)))
    runner.add("VI", tracking, lambda tr: seen.append((tr.total, tr.fault)))
    ok, bad = Outcome("succeeded", status=0), Outcome("failed", status=1)
    runner.script_result("a", ok)
    assert seen == [(100, False)]
    runner.script_result("a", bad)
    assert len(seen) == 1  # one failure of two
    runner.script_result("a", Outcome("timed_out", signal=signal.SIGTERM))
    assert seen[-1] == (70, False)
    runner.script_result("a", ok)
    runner.script_result("a", ok)
    assert seen[-1] == (100, False)
    runner.interfaces_changed(lambda name: False)
    assert seen[-1] == (100, True)
    n = len(seen)
    runner.interfaces_changed(lambda name: False)  # no change, no call
    assert len(seen) == n
    runner.script_result("unknown", ok)
    assert len(seen) == n


def test_file_watch_wakes_on_write(tmp_path: Path) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        woke = asyncio.Event()
        watch = FileWatch([str(tmp_path)])
        try:
            assert watch.failed == []
            watch.attach(loop, woke.set)
            (tmp_path / "f").write_text("3\n")
            await asyncio.wait_for(woke.wait(), 10)
        finally:
            watch.close()
        watch.close()  # twice is harmless

    asyncio.run(scenario())
    assert read_file(str(tmp_path / "f")) == b"3\n"
    assert read_file(str(tmp_path / "missing")) == b""
    broken = FileWatch([str(tmp_path / "missing")])
    assert broken.failed == [str(tmp_path / "missing")]
    broken.close()


def test_track_files_feed_priorities(tmp_path: Path) -> None:
    made = tmp_path / "made"
    kept = tmp_path / "kept"
    kept.write_text("9\n")
    files = (
        TrackFile("made", str(made), weight=1, init="create", init_value=-5),
        TrackFile("kept", str(kept), weight=2, init="create", init_value=1),
        TrackFile("over", str(tmp_path / "over"), init="overwrite", init_value=4),
    )
    config = Config(trackers=TrackerSection(track_files=files))
    TrackingRunner.init_files(config)
    assert made.read_text() == "-5\n" and kept.read_text() == "9\n"
    assert (tmp_path / "over").read_text() == "4\n"
    inst = VrrpInstance("VI", track_files=(TrackedRef("made"), TrackedRef("kept", weight=-1, reverse=True)))
    trackers = trackers_of(inst, config, 100)
    assert trackers == (Tracker(Kind.FILE, "made", 1, False), Tracker(Kind.FILE, "kept", -1, True))
    runner = TrackingRunner(config, env=ENV, ids_of=lambda s: None)
    tracking = InstanceTracking(100, trackers)
    seen: list[int] = []
    runner.add("VI", tracking, lambda tr: seen.append(tr.total))
    assert tracking.total == 100 - 5 + 9
    made.write_text("0x10")
    runner.files_changed()
    assert seen == [100 + 16 + 9]
    made.write_text("99999999999")  # out of range: ignored, keeps 16
    runner.files_changed()
    assert seen == [125]
