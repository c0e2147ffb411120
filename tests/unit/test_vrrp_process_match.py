"""vrrp_track_process decisions (keepalived 2.2.7 core/track_process.c), without the OS."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepalived_py.config.model.trackers import UINT_MAX, TrackProcess
from keepalived_py.vrrp import process_match as pm
from keepalived_py.vrrp.process_match import ProcessTable, ProcInfo, QuorumChange, matches
from keepalived_py.vrrp.tracking import InstanceTracking, Kind, Tracker
from tests.configtest import parse_text


def spec(
    process: str = "foo",
    *params: str,
    name: str = "P",
    match: str | None = None,
    full: bool | None = None,
    quorum: int = 1,
    quorum_max: int = UINT_MAX,
    fork_delay: float = 0,
    terminate_delay: float = 0,
) -> TrackProcess:
    param_match = match if match is not None else ("exact" if params else "none")
    return TrackProcess(
        name=name,
        process=process,
        params=params,
        param_match=param_match,
        full_command=full if full is not None else (bool(params) or param_match != "none"),
        quorum=quorum,
        quorum_max=quorum_max,
        fork_delay=int(fork_delay * 1_000_000),
        terminate_delay=int(terminate_delay * 1_000_000),
    )


def cmd(*argv: str) -> bytes:
    return b"".join(a.encode() + b"\0" for a in argv)


def info(pid: int, comm: str | None = None, argv: tuple[str, ...] | None = None) -> ProcInfo:
    return ProcInfo(
        pid, comm.encode() if comm is not None else None, cmd(*argv) if argv is not None else None
    )


# -- matching -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comm", "result"),
    [("foo", True), ("foobar", False), ("fo", False), ("Foo", False), ("", False), (None, None)],
)
def test_name_match_is_exact(comm: str | None, result: bool | None) -> None:
    assert matches(spec("foo"), info(1, comm, ("foo",))) is result


def test_name_match_ignores_the_command_line() -> None:
    assert matches(spec("sleep"), info(1, "sleep", ("/bin/sleep", "10")))
    assert not matches(spec("/bin/sleep"), info(1, "sleep", ("/bin/sleep",)))


def test_full_command_compares_argv0() -> None:
    s = spec("/bin/sleep", full=True)
    assert matches(s, info(1, "x", ("/bin/sleep", "10")))
    assert not matches(s, info(1, "sleep", ("sleep", "10")))
    assert matches(s, ProcInfo(1, cmdline=None)) is None
    assert not matches(s, ProcInfo(1, cmdline=b""))  # a zombie or kernel thread


PARAM_CASES = [
    # (configured params, param_match, process argv after argv[0], matches)
    (("a", "b"), "exact", ("a", "b"), True),
    (("a", "b"), "exact", ("a", "b", "c"), False),
    (("a", "b"), "exact", ("a",), False),
    (("a", "b"), "exact", ("a", "bc"), False),
    (("a", "b"), "exact", (), False),
    (("a", "b"), "partial", ("a", "b"), True),
    (("a", "b"), "partial", ("a", "b", "c"), True),
    (("a", "b"), "partial", ("a", "bc"), False),
    (("a", "b"), "partial", ("a",), False),
    (("a", "b"), "initial", ("a", "b"), True),
    (("a", "b"), "initial", ("a", "bc"), True),
    (("a", "b"), "initial", ("a", "bc", "d"), True),
    (("a", "b"), "initial", ("ab",), False),
    (("a", "b"), "initial", ("a",), False),
    (("a", "b"), "initial", ("x", "b"), False),
    ((), "exact", (), True),  # param_match without parameters: none allowed
    ((), "exact", ("a",), False),
    ((), "partial", ("a",), True),
    ((), "initial", ("a",), True),
    (("",), "initial", ("",), True),  # keepalived: a single empty parameter matches any
    (("",), "initial", ("zz", "y"), True),
    (("",), "initial", (), False),
    (("",), "exact", ("",), True),
    (("",), "exact", (), False),
]


@pytest.mark.parametrize(("params", "mode", "argv", "result"), PARAM_CASES)
def test_param_match(params: tuple[str, ...], mode: str, argv: tuple[str, ...], result: bool) -> None:
    s = spec("/usr/sbin/d", *params, match=mode)
    assert matches(s, info(1, argv=("/usr/sbin/d", *argv))) is result
    assert not matches(s, info(1, argv=("/usr/sbin/e", *argv)))


@pytest.mark.parametrize(
    ("params", "mode", "result"),
    [(("a",), "exact", False), ((), "exact", False), ((), "partial", True), (("a",), "partial", False)],
)
def test_command_line_without_nul(params: tuple[str, ...], mode: str, result: bool) -> None:
    """A process that rewrote its command line as one string (no NUL after argv[0])."""
    s = spec("d", *params, match=mode)
    assert matches(s, ProcInfo(1, cmdline=b"d")) is result
    assert matches(spec("d", full=True), ProcInfo(1, cmdline=b"d"))


def test_params_may_hold_spaces_and_non_ascii() -> None:
    s = spec("/tmp/a b", "param 2", "é")
    assert matches(s, info(1, argv=("/tmp/a b", "param 2", "é")))
    assert not matches(s, info(1, argv=("/tmp/a", "b", "param", "2", "é")))


def test_cmdline_limit() -> None:
    assert pm.cmdline_limit([]) == 2
    assert pm.cmdline_limit([spec("ab"), spec("/x", "p", "qq")]) == len(b"/x\0p\0qq\0") + 2


_word = st.text(alphabet="ab\0", max_size=4)


@settings(max_examples=400, deadline=None)
@given(
    params=st.lists(st.text(alphabet="ab", max_size=3), max_size=3),
    mode=st.sampled_from(["exact", "partial", "initial", "none"]),
    argv=st.lists(st.text(alphabet="ab", max_size=4), max_size=5),
    argv0=st.sampled_from(["p", "pp", "q"]),
    extra=st.sampled_from([b"", b"\0"]),
)
def test_truncated_command_line_gives_the_same_verdict(
    params: list[str], mode: str, argv: list[str], argv0: str, extra: bytes
) -> None:
    """keepalived reads only cmdline_limit bytes of /proc/PID/cmdline: never a different verdict."""
    if mode == "none" and params:
        mode = "exact"
    others = [spec("p", "aaa", "bbbb", name="other", match="partial")]
    s = spec("p", *params, match=mode, full=True)
    limit = pm.cmdline_limit([s, *others])
    whole = cmd(argv0, *argv) + extra
    assert matches(s, ProcInfo(1, cmdline=whole[:limit])) == matches(s, ProcInfo(1, cmdline=whole))


def test_config_to_matching() -> None:
    """The parser's implications: parameters mean exact full-command matching."""
    result = parse_text(
        """
vrrp_track_process a { process haproxy }
vrrp_track_process b { process /usr/sbin/haproxy -f /etc/h.cfg }
vrrp_track_process c { process /usr/sbin/haproxy -f
  param_match initial }
vrrp_track_process d { process /usr/sbin/haproxy
  full_command }
vrrp_track_process e { process /usr/sbin/haproxy
  param_match }
"""
    )
    assert result.config is not None
    procs = {p.name: p for p in result.config.trackers.processes}
    h = info(7, "haproxy", ("/usr/sbin/haproxy", "-f", "/etc/h.cfg"))
    assert [n for n in "abcde" if matches(procs[n], h)] == ["a", "b", "c", "d"]
    bare = info(8, "haproxy", ("/usr/sbin/haproxy",))
    assert [n for n in "abcde" if matches(procs[n], bare)] == ["a", "d", "e"]


# -- counting and quorum ----------------------------------------------------------------------


def comm_procs(*pairs: tuple[int, str]) -> list[ProcInfo]:
    return [ProcInfo(pid, comm=c.encode()) for pid, c in pairs]


def test_start_counts_silently() -> None:
    t = ProcessTable([spec("foo"), spec("bar", name="B", quorum=2)])
    t.start(comm_procs((1, "foo"), (2, "bar"), (3, "foo"), (4, "baz")))
    assert (t.count("P"), t.up("P")) == (2, True)
    assert (t.count("B"), t.up("B")) == (1, False)
    assert t.pids("P") == {1, 3}
    assert t.names == ("P", "B")
    assert t.get_timer() is None


def test_start_skips_zombies() -> None:
    t = ProcessTable([spec("foo")])
    t.start([ProcInfo(1, comm=b"foo", zombie=True)])
    assert (t.count("P"), t.up("P")) == (0, False)


def test_exec_and_exit_without_delays() -> None:
    t = ProcessTable([spec("foo")])
    t.start([])
    assert t.exec(ProcInfo(5, comm=b"foo"), now=1.0) == [QuorumChange("P", True, 1)]
    assert t.exec(ProcInfo(6, comm=b"foo"), now=1.0) == []
    assert t.exit(5, now=2.0) == []
    assert t.exit(99, now=2.0) == []  # never counted
    assert t.exit(6, now=2.0) == [QuorumChange("P", False, 0)]


def test_exec_into_another_program_uncounts() -> None:
    t = ProcessTable([spec("foo", terminate_delay=5)])
    t.start(comm_procs((5, "foo")))
    # no terminate_delay for an exec: the process did not terminate
    assert t.exec(ProcInfo(5, comm=b"bar"), now=1.0) == [QuorumChange("P", False, 0)]


def test_exec_of_a_counted_process_counts_it_once() -> None:
    t = ProcessTable([spec("foo", quorum_max=1)])
    t.start(comm_procs((5, "foo")))
    assert t.exec(ProcInfo(5, comm=b"foo"), now=1.0) == []
    assert t.count("P") == 1 and t.up("P")


def test_exec_not_read_changes_nothing() -> None:
    t = ProcessTable([spec("foo"), spec("/bin/x", "a", name="X")])
    t.start([])
    assert t.exec(ProcInfo(5, comm=b"foo"), now=1.0) == []  # cmdline missing
    assert t.exec(ProcInfo(5, cmdline=cmd("/bin/x", "a")), now=1.0) == []  # comm missing
    assert t.exec(ProcInfo(5, comm=b"x", cmdline=cmd("/bin/x", "a")), now=1.0) == [QuorumChange("X", True, 1)]
    assert t.needs_comm and t.needs_cmdline


def test_exec_gain_is_immediate_even_with_fork_delay() -> None:
    t = ProcessTable([spec("foo", fork_delay=2)])
    t.start([])
    assert t.exec(ProcInfo(5, comm=b"foo"), now=0.0) == [QuorumChange("P", True, 1)]
    assert t.get_timer() is None


def test_fork_child_inherits_the_parents_trackers() -> None:
    t = ProcessTable([spec("foo", quorum=2, fork_delay=2), spec("foo", name="Q", quorum=2)])
    t.start(comm_procs((10, "foo")))
    assert t.fork(99, 100, now=0.0) == []  # untracked parent
    assert t.fork(10, 11, now=1.0) == [QuorumChange("Q", True, 2)]
    assert t.count("P") == 2 and not t.up("P")
    assert t.get_timer() == pytest.approx(3.0)
    assert t.handle_timer(2.9) == []
    assert t.handle_timer(3.0) == [QuorumChange("P", True, 2)]
    assert t.get_timer() is None


def test_fork_then_exit_inside_fork_delay_is_no_change() -> None:
    t = ProcessTable([spec("foo", quorum=2, fork_delay=2)])
    t.start(comm_procs((10, "foo")))
    assert t.fork(10, 11, now=1.0) == []
    assert t.exit(11, now=1.5) == []
    assert t.get_timer() is None and not t.up("P")


def test_fork_delay_expiry_reads_the_count_then() -> None:
    t = ProcessTable([spec("foo", quorum=2, fork_delay=2, terminate_delay=0)])
    t.start(comm_procs((10, "foo")))
    t.fork(10, 11, now=0.0)
    t.exec(ProcInfo(11, comm=b"other"), now=0.5)  # the child became something else: gone now
    assert t.count("P") == 1
    assert t.handle_timer(2.0) == []
    assert not t.up("P")


def test_terminate_delay_and_refork() -> None:
    t = ProcessTable([spec("foo", terminate_delay=3)])
    t.start(comm_procs((10, "foo"), (20, "sh")))
    assert t.exit(10, now=1.0) == []
    assert t.up("P") and t.count("P") == 0
    assert t.get_timer() == pytest.approx(4.0)
    # the supervisor starts it again within the delay: no change at all
    assert t.exec(ProcInfo(21, comm=b"foo"), now=2.0) == []
    assert t.get_timer() is None
    assert t.exit(21, now=5.0) == []
    assert t.handle_timer(7.9) == []
    assert t.handle_timer(8.0) == [QuorumChange("P", False, 0)]


def test_terminate_delay_cancelled_by_a_fork() -> None:
    t = ProcessTable([spec("foo", quorum=2, terminate_delay=1, fork_delay=1)])
    t.start(comm_procs((10, "foo"), (11, "foo")))
    assert t.exit(11, now=0.0) == []
    # a fork while the loss is pending restores the count: the terminate timer goes
    assert t.fork(10, 12, now=0.5) == []
    assert t.get_timer() is None and t.up("P")


def test_quorum_max_exceeded_and_restored() -> None:
    t = ProcessTable([spec("foo", quorum_max=1)])
    t.start(comm_procs((1, "foo")))
    assert t.up("P")
    assert t.exec(ProcInfo(2, comm=b"foo"), now=0.0) == [QuorumChange("P", False, 2)]
    assert t.exit(1, now=1.0) == [QuorumChange("P", True, 1)]


def test_quorum_max_exceeded_by_a_fork_waits_fork_delay() -> None:
    t = ProcessTable([spec("foo", quorum_max=1, fork_delay=1)])
    t.start(comm_procs((1, "foo")))
    assert t.fork(1, 2, now=0.0) == []
    assert t.exit(2, now=0.5) == []  # the child is gone before the delay: still up
    assert t.up("P") and t.get_timer() is None
    t.fork(1, 3, now=2.0)
    assert t.handle_timer(3.0) == [QuorumChange("P", False, 2)]


def test_quorum_max_zero_means_must_not_run() -> None:
    t = ProcessTable([spec("foo", quorum=0, quorum_max=0)])
    t.start([])
    assert t.up("P")
    assert t.exec(ProcInfo(1, comm=b"foo"), now=0.0) == [QuorumChange("P", False, 1)]
    assert t.exit(1, now=0.0) == [QuorumChange("P", True, 0)]


def test_comm_change() -> None:
    t = ProcessTable([spec("foo"), spec("/bin/foo", name="F", full=True)])
    t.start([ProcInfo(1, comm=b"foo", cmdline=cmd("/bin/foo"))])
    assert t.up("P") and t.up("F")
    # only the name trackers follow a name change; the command line did not change
    assert t.comm(1, b"renamed", now=0.0) == [QuorumChange("P", False, 0)]
    assert t.up("F")
    assert t.comm(1, b"foo", now=0.0) == [QuorumChange("P", True, 1)]
    assert t.comm(1, b"foo", now=0.0) == []
    assert t.comm(2, b"foo", now=0.0) == []  # a second one
    assert t.count("P") == 2


def test_rescan() -> None:
    t = ProcessTable([spec("foo", terminate_delay=2), spec("bar", name="B")])
    t.start(comm_procs((1, "foo"), (2, "bar")))
    assert t.rescan(comm_procs((1, "foo"), (2, "bar")), now=0.0) == []
    # lost: bar at once, foo after terminate_delay; a second poll keeps foo's deadline
    assert t.rescan([], now=1.0) == [QuorumChange("B", False, 0)]
    assert t.rescan([], now=2.0) == []
    assert t.get_timer() == pytest.approx(3.0)
    assert t.handle_timer(3.0) == [QuorumChange("P", False, 0)]
    # gained: at once, both
    assert t.rescan(comm_procs((5, "foo"), (6, "bar")), now=4.0) == [
        QuorumChange("P", True, 1),
        QuorumChange("B", True, 1),
    ]
    # lost and back before the deadline: no change, no timer
    assert t.rescan([], now=5.0) == [QuorumChange("B", False, 0)]
    assert t.rescan(comm_procs((7, "foo")), now=5.5) == []
    assert t.up("P") and t.get_timer() is None
    # events still work on the rescanned counts
    assert t.exit(7, now=6.0) == []
    assert t.get_timer() == pytest.approx(8.0)


def test_duplicate_names_keep_the_first_definition() -> None:
    t = ProcessTable([spec("foo"), spec("bar")])
    t.start(comm_procs((1, "foo")))
    assert t.names == ("P",) and t.up("P")


# -- a behavioural model of keepalived's edge-triggered counting, for random event runs -----------


@dataclass
class KaModel:
    """keepalived's per-tracker counter and its two timers, written from the C's behaviour."""

    quorum: int
    quorum_max: int
    fork_delay: float
    terminate_delay: float
    n: int = 0
    have_quorum: bool = False
    fork_timer: float | None = None
    terminate_timer: float | None = None
    log: list[bool] = field(default_factory=list)

    def update(self, up: bool) -> None:
        if up != self.have_quorum:
            self.have_quorum = up
            self.log.append(up)

    def fork(self, now: float) -> None:
        self.n += 1
        if self.n == self.quorum or self.n == self.quorum_max + 1:
            if self.terminate_timer is not None:
                self.terminate_timer = None
            elif self.fork_delay:
                if self.fork_timer is None:
                    self.fork_timer = now + self.fork_delay
                return
            self.update(self.n == self.quorum)

    def exec_add(self) -> None:
        self.n += 1
        if self.n == self.quorum or self.n == self.quorum_max + 1:
            self.terminate_timer = None
            self.update(self.n == self.quorum)

    def exit(self, now: float) -> None:
        old = self.n
        self.n -= 1
        if old == self.quorum or self.n == self.quorum_max:
            if self.fork_timer is not None:
                self.fork_timer = None
            elif self.terminate_delay:
                if self.terminate_timer is None:
                    self.terminate_timer = now + self.terminate_delay
                return
            self.update(self.n == self.quorum_max)

    def exec_remove(self) -> None:
        old = self.n
        self.n -= 1
        if old == self.quorum or self.n == self.quorum_max:
            self.fork_timer = None
            self.update(self.n == self.quorum_max)

    def timers(self, now: float) -> None:
        for attr in ("fork_timer", "terminate_timer"):
            when = getattr(self, attr)
            if when is not None and when <= now:
                setattr(self, attr, None)
                self.update(self.quorum <= self.n <= self.quorum_max)


OPS = ["fork", "exec", "exit", "unexec", "wait"]


@settings(max_examples=300, deadline=None)
@given(
    quorum=st.integers(1, 3),
    extra=st.integers(0, 3),
    unlimited=st.booleans(),
    fork_delay=st.sampled_from([0, 1, 3]),
    terminate_delay=st.sampled_from([0, 1, 3]),
    start=st.integers(0, 4),
    ops=st.lists(
        st.tuples(st.sampled_from(["fork", "exec", "exit", "unexec", "wait"]), st.integers(0, 9)), max_size=40
    ),
)
def test_counting_agrees_with_keepalived(
    quorum: int,
    extra: int,
    unlimited: bool,
    fork_delay: int,
    terminate_delay: int,
    start: int,
    ops: list[tuple[str, int]],
) -> None:
    qmax = UINT_MAX if unlimited else quorum + extra
    s = spec("foo", quorum=quorum, quorum_max=qmax, fork_delay=fork_delay, terminate_delay=terminate_delay)
    table = ProcessTable([s])
    live = list(range(100, 100 + start))
    table.start(comm_procs(*[(p, "foo") for p in live]))
    model = KaModel(quorum, qmax, fork_delay, terminate_delay, n=start)
    model.have_quorum = quorum <= start <= qmax
    assert table.up("P") == model.have_quorum
    now = 0.0
    next_pid = 1000
    seen: list[bool] = []
    for op, arg in ops:
        now += 0.5
        # timers that are due fire first, as keepalived's scheduler would run them
        seen += [c.up for c in table.handle_timer(now)]
        model.timers(now)
        if op == "fork" and live:
            parent = live[arg % len(live)]
            seen += [c.up for c in table.fork(parent, next_pid, now)]
            model.fork(now)
            live.append(next_pid)
        elif op == "exec":
            seen += [c.up for c in table.exec(ProcInfo(next_pid, comm=b"foo"), now)]
            model.exec_add()
            live.append(next_pid)
        elif op == "exit" and live:
            pid = live.pop(arg % len(live))
            seen += [c.up for c in table.exit(pid, now)]
            model.exit(now)
        elif op == "unexec" and live:
            pid = live.pop(arg % len(live))
            seen += [c.up for c in table.exec(ProcInfo(pid, comm=b"bar"), now)]
            model.exec_remove()
        elif op == "wait":
            now += arg
        next_pid += 1
        assert table.count("P") == model.n == len(live)
        assert table.up("P") == model.have_quorum
    assert seen == model.log


# -- into an instance's priority ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight", "reverse", "up", "priority", "fault"),
    [
        (10, False, True, 110, False),
        (10, False, False, 100, False),
        (-10, False, False, 90, False),
        (-10, False, True, 100, False),
        (10, True, True, 90, False),
        (-10, True, False, 110, False),
        (0, False, False, 100, True),
        (0, False, True, 100, False),
        (0, True, True, 100, True),
        (0, True, False, 100, False),
        (254, False, True, 254, False),
        (-254, False, False, 1, False),
    ],
)
def test_process_tracker_in_instance(
    weight: int, reverse: bool, up: bool, priority: int, fault: bool
) -> None:
    tracking = InstanceTracking(100, (Tracker(Kind.PROCESS, "P", weight, reverse),))
    tracking.set_state(Kind.PROCESS, "P", up)
    assert tracking.effective_priority == priority
    assert tracking.fault is fault
    assert not tracking.waiting


# -- connector messages and /proc/PID/stat --------------------------------------------------


def message(what: int, data: bytes, *, ack: int = 0, idx: int = 1, val: int = 1, mtype: int = 3) -> bytes:
    body = struct.pack("=IIQ", what, 1, 123) + data
    cn = struct.pack("=IIIIHH", idx, val, 7, ack, len(body), 0)
    return struct.pack("=IHHII", 16 + len(cn) + len(body), mtype, 0, 0, 0) + cn + body


def test_listen_message() -> None:
    msg = pm.listen_message(True, pid=42)
    assert len(msg) == 40
    assert struct.unpack_from("=IHHII", msg) == (40, 3, 0, 0, 42)
    assert struct.unpack_from("=IIIIHHI", msg, 16) == (1, 1, 0, 0, 4, 0, 1)
    assert struct.unpack_from("=I", pm.listen_message(False), 36) == (2,)


def test_decode_events() -> None:
    fork = pm.decode_event(message(pm.PROC_EVENT_FORK, struct.pack("=iiii", 10, 10, 11, 11)))
    assert fork is not None
    assert (fork.what, fork.parent_tgid, fork.pid, fork.tgid, fork.seq, fork.cpu) == (1, 10, 11, 11, 7, 1)
    ex = pm.decode_event(message(pm.PROC_EVENT_EXEC, struct.pack("=ii", 12, 12)))
    assert ex is not None and (ex.pid, ex.tgid) == (12, 12)
    exit_ = pm.decode_event(message(pm.PROC_EVENT_EXIT, struct.pack("=iiII", 13, 12, 0, 17)))
    assert exit_ is not None and (exit_.what, exit_.pid, exit_.tgid) == (pm.PROC_EVENT_EXIT, 13, 12)
    comm = pm.decode_event(message(pm.PROC_EVENT_COMM, struct.pack("=ii", 14, 14) + b"newname\0" + bytes(8)))
    assert comm is not None and comm.comm == b"newname"
    full = pm.decode_event(message(pm.PROC_EVENT_COMM, struct.pack("=ii", 14, 14) + b"x" * 16))
    assert full is not None and full.comm == b"x" * 16
    ack = pm.decode_event(message(pm.PROC_EVENT_NONE, bytes(8), ack=1))
    assert ack is not None and (ack.what, ack.err) == (pm.PROC_EVENT_NONE, 0)
    refused = pm.decode_event(message(pm.PROC_EVENT_NONE, struct.pack("=I", 1), ack=1))
    assert refused is not None and refused.err == 1
    other = pm.decode_event(message(0x4, bytes(24)))
    assert other is not None and other.what == 0x4


@pytest.mark.parametrize(
    "data",
    [
        b"",
        message(pm.PROC_EVENT_NONE, bytes(8), ack=0),  # not an answer
        message(pm.PROC_EVENT_EXEC, bytes(8), ack=1),  # an answer that is not NONE
        message(pm.PROC_EVENT_EXEC, bytes(8), idx=2),
        message(pm.PROC_EVENT_EXEC, bytes(8), val=2),
        message(pm.PROC_EVENT_EXEC, bytes(8), mtype=2),
        message(pm.PROC_EVENT_EXEC, bytes(4)),
        message(pm.PROC_EVENT_FORK, bytes(12)),
        message(pm.PROC_EVENT_COMM, bytes(20)),
        message(pm.PROC_EVENT_EXEC, bytes(8))[:50],
    ],
)
def test_decode_refuses(data: bytes) -> None:
    assert pm.decode_event(data) is None


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=120))
def test_decode_never_raises(data: bytes) -> None:
    pm.decode_event(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80))
def test_parse_stat_never_raises(data: bytes) -> None:
    pm.parse_stat(data)


@pytest.mark.parametrize(
    ("data", "result"),
    [
        (b"12 (sleep) S 1 2 3\n", (b"sleep", False)),
        (b"12 (a) b) Z 1\n", (b"a) b", True)),
        (b"12 (x y) R 1", (b"x y", False)),
        (b"12 sleep S", None),
        (b"12 (sleep)", None),
        (b"", None),
    ],
)
def test_parse_stat(data: bytes, result: tuple[bytes, bool] | None) -> None:
    assert pm.parse_stat(data) == result
