"""adapters/process_watch.py against real processes (root: the kernel's process connector).

The connector reports every process of the machine; each test matches only programs it started
under a random name (a copy of /bin/sleep or /bin/sh) or with a random argument, so other tests
and other processes do not count.  Only the processes a test started are killed, by PID.
Waits are polls with deadlines; delays are checked against the deadlines the table computed.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from keepalived_py.adapters.process_watch import ProcessWatch, read_process, scan
from keepalived_py.config.model.trackers import UINT_MAX, TrackProcess
from keepalived_py.vrrp.process_match import ProcessTable, QuorumChange
from tests.netns.lab import root_available

pytestmark = pytest.mark.root

LIMIT = 5.0


@pytest.fixture
def programs(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """``start(argv)``: a process of ours, killed (by PID) at the end of the test."""
    reason = root_available()
    if reason:
        pytest.skip(reason)
    started: list[subprocess.Popen[bytes]] = []

    def start(argv: list[str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def named_copy(tmp_path: Path, original: str) -> str:
    """A copy of ``original`` whose process name (comm, 15 bytes max) is unique to this test."""
    name = "kpw" + secrets.token_hex(5)
    path = tmp_path / name
    shutil.copy(original, path)
    path.chmod(0o755)
    return str(path)


def spec(process: str, *params: str, **kw: object) -> TrackProcess:
    fields: dict[str, object] = {"quorum": 1, "quorum_max": UINT_MAX, "full_command": bool(params)}
    fields.update(kw)
    return TrackProcess(
        name="P",
        process=process,
        params=params,
        param_match="exact" if params else "none",
        **fields,  # type: ignore[arg-type]
    )


class Run:
    """A ProcessWatch attached to the running loop, recording every change with its time."""

    def __init__(self, watch: ProcessWatch) -> None:
        self.watch = watch
        self.changes: list[tuple[float, QuorumChange]] = []

    def record(self, changes: list[QuorumChange]) -> None:
        now = asyncio.get_running_loop().time()
        self.changes += [(now, c) for c in changes]

    @property
    def table(self) -> ProcessTable:
        return self.watch.table

    async def until(self, pred: Callable[[], object], what: str, timeout: float = LIMIT) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not pred():
            if loop.time() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what}: count {self.table.count('P')}, up {self.table.up('P')}, "
                    f"changes {self.changes}"
                )
            await asyncio.sleep(0.01)


def run_watch(
    specs: list[TrackProcess], body: Callable[[Run], Awaitable[None]], **kw: object
) -> ProcessWatch:
    async def main() -> ProcessWatch:
        watch = ProcessWatch(ProcessTable(specs), **kw)  # type: ignore[arg-type]
        watch.open()
        run = Run(watch)
        watch.attach(asyncio.get_running_loop(), run.record)
        try:
            await body(run)
        finally:
            watch.close()
        return watch

    return asyncio.run(main())


def test_connector_follows_named_processes(
    programs: Callable[..., subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    """quorum 1..2 by process name: counts follow exec and exit events, no polling."""
    prog = named_copy(tmp_path, "/bin/sleep")
    name = os.path.basename(prog)
    before = programs([prog, "60"])

    async def body(run: Run) -> None:
        assert run.table.count("P") == 1 and run.table.up("P")  # found by the start-up scan
        await run.until(lambda: run.watch.acked, "the kernel's answer to the subscription")
        second = programs([prog, "60"])
        await run.until(lambda: run.table.count("P") == 2, "a second process counted")
        assert run.table.up("P") and not run.changes
        third = programs([prog, "60"])
        await run.until(lambda: not run.table.up("P"), "quorum_max exceeded")
        assert run.table.pids("P") == {before.pid, second.pid, third.pid}
        third.kill()
        await run.until(lambda: run.table.up("P"), "back within quorum_max")
        before.kill()
        second.kill()
        await run.until(lambda: not run.table.up("P"), "quorum lost")
        assert [(c.up, c.count) for _, c in run.changes] == [(False, 3), (True, 2), (False, 0)]

    watch = run_watch([spec(name, quorum_max=2)], body)
    assert watch.events > 0 and not watch.polling and watch.rescans == 0


def test_connector_full_command_and_terminate_delay(programs: Callable[..., subprocess.Popen[bytes]]) -> None:
    """/bin/sleep with a unique argument (full_command, exact parameters); a restart within
    terminate_delay changes nothing, a longer absence loses the quorum at the deadline."""
    arg = f"{4000 + secrets.randbelow(1000)}.{secrets.randbelow(10**6):06d}"

    async def body(run: Run) -> None:
        assert not run.table.up("P")
        await run.until(lambda: run.watch.acked, "the kernel's answer to the subscription")
        programs(["/bin/sleep", arg + "1"])  # another argument: not counted
        first = programs(["/bin/sleep", arg])
        await run.until(lambda: run.table.up("P"), "quorum gained")
        assert run.table.pids("P") == {first.pid}
        first.kill()
        await run.until(lambda: run.table.count("P") == 0, "the exit counted")
        deadline = run.table.get_timer()
        assert deadline is not None and run.table.up("P")  # terminate_delay pending
        again = programs(["/bin/sleep", arg])
        await run.until(lambda: run.table.count("P") == 1, "the restart counted")
        assert run.table.get_timer() is None and run.table.up("P")
        again.kill()
        await run.until(lambda: run.table.count("P") == 0, "the second exit counted")
        deadline = run.table.get_timer()
        assert deadline is not None
        await run.until(lambda: not run.table.up("P"), "quorum lost after terminate_delay")
        assert len(run.changes) == 2
        when, change = run.changes[-1]
        assert change == QuorumChange("P", False, 0) and when >= deadline

    run_watch([spec("/bin/sleep", arg, terminate_delay=1_000_000)], body)


def test_connector_fork_delay(programs: Callable[..., subprocess.Popen[bytes]], tmp_path: Path) -> None:
    """A shell (copy under a unique name) forks: each child counts at once, quorum 2 is only
    gained fork_delay later; a child that execs ``sleep`` inside the delay cancels it."""
    shell = named_copy(tmp_path, "/bin/sh")
    name = os.path.basename(shell)

    async def body(run: Run) -> None:
        await run.until(lambda: run.watch.acked, "the kernel's answer to the subscription")
        # forks that exec sleep at once: counted, uncounted, never a quorum
        busy = programs([shell, "-c", "while :; do sleep 0.05; done"])
        await run.until(lambda: run.watch.events > 20, "fork/exec events")
        assert not run.changes and busy.pid in run.table.pids("P")
        busy.kill()
        await run.until(lambda: run.table.count("P") == 0, "the busy shell gone")
        # a subshell that stays: the fork waits fork_delay
        programs([shell, "-c", "(while :; do sleep 1; done) & wait"])
        await run.until(lambda: run.table.count("P") == 2, "parent and subshell counted")
        deadline = run.table.get_timer()
        assert deadline is not None and not run.table.up("P")
        await run.until(lambda: run.table.up("P"), "quorum gained after fork_delay")
        when, change = run.changes[-1]
        assert change.up and when >= deadline
        assert len(run.changes) == 1

    run_watch([spec(name, quorum=2, fork_delay=500_000)], body)


def test_polling_fallback(programs: Callable[..., subprocess.Popen[bytes]], tmp_path: Path) -> None:
    """Without the connector /proc is polled: the same counts, one interval later."""
    prog = named_copy(tmp_path, "/bin/sleep")
    name = os.path.basename(prog)

    async def body(run: Run) -> None:
        assert run.watch.polling and run.watch.sock is None
        first = programs([prog, "60"])
        await run.until(lambda: run.table.up("P"), "quorum gained by polling")
        first.kill()
        await run.until(lambda: not run.table.up("P"), "quorum lost by polling")
        assert [c.up for _, c in run.changes] == [True, False]

    watch = run_watch([spec(name)], body, use_connector=False, poll_interval=0.1)
    assert watch.rescans >= 2 and watch.events == 0


def test_reads_survive_vanishing_processes(programs: Callable[..., subprocess.Popen[bytes]]) -> None:
    """Scans and exec reads while processes come and go never raise."""
    churn = programs(["/bin/sh", "-c", "while :; do /bin/true; done"])
    for _ in range(30):
        found = scan(comm=True, cmdline=True, limit=64)
        assert found is not None and any(p.pid == churn.pid for p in found)
        for info in found[-20:]:
            read_process(info.pid + 1, comm=True, cmdline=True, limit=64)
    gone = read_process(2**22 + 7, comm=True, cmdline=True, limit=64)
    assert gone.comm is None and gone.cmdline is None


def test_lost_events_lead_to_a_rescan(
    programs: Callable[..., subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    """A tiny receive buffer and a burst of processes while the loop is busy: the kernel drops
    events (ENOBUFS), the watch rescans /proc a second later and the count is right again."""
    prog = named_copy(tmp_path, "/bin/sleep")
    name = os.path.basename(prog)

    async def body(run: Run) -> None:
        await run.until(lambda: run.watch.acked, "the kernel's answer to the subscription")
        # the loop does not read while these start: far more events than the buffer holds
        for _ in range(200):
            subprocess.run(["/bin/true"], check=True)
        mine = programs([prog, "60"])
        await run.until(lambda: run.watch.rescans >= 1, "a rescan after lost events")
        await run.until(lambda: run.table.pids("P") == {mine.pid}, "the process counted")
        assert run.table.up("P")

    run_watch([spec(name)], body, rcvbuf=1)


CHILD = """
import asyncio, sys
from keepalived_py.adapters.process_watch import ProcessWatch
from keepalived_py.config.model.trackers import TrackProcess
from keepalived_py.vrrp.process_match import ProcessTable

name, init_netns = sys.argv[1], sys.argv[2] or None
watch = ProcessWatch(ProcessTable([TrackProcess("P", name)]), init_netns=init_netns, poll_interval=0.1)
watch.open()
print("socket" if watch.sock is not None else "no socket", flush=True)

async def main() -> None:
    loop = asyncio.get_running_loop()
    watch.attach(loop, lambda changes: None)
    while not (watch.acked or watch.polling):
        await asyncio.sleep(0.01)
    print("acked" if watch.acked else "polling", flush=True)
    while not watch.table.up("P"):
        await asyncio.sleep(0.01)
    print("counted", "events" if watch.events else "no events", flush=True)

asyncio.run(main())
"""


def _lines(proc: subprocess.Popen[str], count: int) -> list[str]:
    assert proc.stdout is not None
    found: list[str] = []
    for _ in range(count):
        ready, _, _ = select.select([proc.stdout], [], [], LIMIT)
        assert ready, f"no output from the watch in the namespace after {found}"
        found.append(proc.stdout.readline().strip())
    return found


@pytest.mark.parametrize("reach", [True, False])
def test_connector_from_another_network_namespace(
    programs: Callable[..., subprocess.Popen[bytes]], tmp_path: Path, reach: bool
) -> None:
    """In a network namespace the kernel refuses the subscription: the watch opens its socket in
    the given initial namespace (here: this test's own), or polls /proc when it cannot."""
    prog = named_copy(tmp_path, "/bin/sleep")
    ns = "kph-pw-" + secrets.token_hex(4)
    subprocess.run(["ip", "netns", "add", ns], check=True)
    child = None
    try:
        init = f"/proc/{os.getpid()}/ns/net" if reach else ""
        child = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-c", CHILD, os.path.basename(prog), init],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        expected = ["socket", "acked"] if reach else ["no socket", "polling"]
        assert _lines(child, 2) == expected
        programs([prog, "60"])
        assert _lines(child, 1) == ["counted events" if reach else "counted no events"]
        assert child.wait(timeout=LIMIT) == 0
    finally:
        if child is not None and child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        subprocess.run(["ip", "netns", "del", ns], check=False)
