"""vrrp_track_process: which processes count for a tracker, and when its quorum is up or down.

keepalived 2.2.7 (core/track_process.c) scans /proc once at start, then follows the kernel's
process connector.  This module is the decision part of that, without the OS: the adapter
(``adapters/process_watch.py``) reads /proc and the connector and feeds what it read here, with
``now`` from its clock.

Matching (``matches``), as keepalived:

* without ``full_command`` the process *name* (``comm``, at most 15 bytes, as in /proc/PID/comm)
  must equal the configured name exactly (no pattern: ``ssh`` does not match ``sshd``);
* with ``full_command`` (implied by parameters on the ``process`` line or by ``param_match``)
  argv[0] from /proc/PID/cmdline must equal it, and with ``param_match`` the parameters are
  compared as the NUL-separated bytes keepalived keeps: ``exact`` (the default when parameters are
  given) all of them and no more; ``partial`` the configured ones first, more may follow;
  ``initial`` the same, but the last configured parameter need only be a prefix.
  ``param_match`` without parameters: ``exact`` means the process must have none.

Counting (``ProcessTable``): each tracker counts the distinct PIDs that match.  A fork of a
counted process counts the child for the same trackers (without reading /proc), an exec or a
name change re-matches the process, an exit uncounts it.  The quorum is up while
``quorum <= count <= quorum_max``.  Crossing that range because of a fork waits ``fork_delay``,
because of an exit ``terminate_delay`` (a fork and an exit that cancel out inside the delay leave
the state alone); crossings from exec / name changes, and a rescan that finds the quorum
gained, take effect at once.  Each change is a ``QuorumChange``; its effect on instances (weights,
``reverse``, weight 0 = FAULT) is ``vrrp/tracking.py``'s ``Kind.PROCESS``.

Where this differs from keepalived on purpose: a process is counted once per tracker (keepalived
counts a counted process again when it execs into a matching program, or when the start-up scan
and a queued exec event both see it); the name read at start is taken up to the *last* ``)`` of
/proc/PID/stat (keepalived stops at the first, so a name containing ``)`` never matched); after a
rescan the state follows the count even when a ``terminate_delay`` was pending (keepalived can
keep a lost quorum "up" there).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from keepalived_py.config.model.trackers import TrackProcess

US = 1_000_000


def _b(text: str) -> bytes:
    """Config text as the bytes keepalived compares (the config is read as UTF-8)."""
    return text.encode("utf-8", "surrogateescape")


def param_bytes(spec: TrackProcess) -> bytes:
    """The configured parameters as keepalived keeps them: each one followed by a NUL."""
    return b"".join(_b(p) + b"\0" for p in spec.params)


def cmdline_limit(specs: Iterable[TrackProcess]) -> int:
    """How much of /proc/PID/cmdline is enough to decide every tracker (keepalived reads no more).

    The longest configured name plus parameters, and two bytes to see that a command line is
    longer; matching a truncated command line gives the same verdict as the whole one.
    """
    longest = max((len(_b(s.process)) + 1 + len(param_bytes(s)) for s in specs), default=0)
    return longest + 2


@dataclass(frozen=True, slots=True)
class ProcInfo:
    """What was read about one process.  None: not read (not needed, or it vanished)."""

    pid: int
    comm: bytes | None = None  # /proc/PID/comm without the newline
    cmdline: bytes | None = None  # raw /proc/PID/cmdline (NUL-separated argv), maybe truncated
    zombie: bool = False


def params_match(spec: TrackProcess, params: bytes | None) -> bool:
    """The parameter check of a ``full_command`` tracker with ``param_match``.

    ``params`` are the command line's bytes after argv[0]'s NUL; None when argv[0] had no NUL
    (a process that rewrote its command line as one string).
    """
    wanted = param_bytes(spec)
    if params is None:
        # keepalived's length arithmetic then never allows an exact match; partial / initial
        # only match when no parameter is configured.
        return spec.param_match != "exact" and not wanted
    if spec.param_match == "exact":
        return params == wanted
    if not wanted:
        return True
    if spec.param_match == "partial":
        return params.startswith(wanted)
    # initial: the configured parameters but the last NUL, so the last may be a prefix
    return len(params) >= len(wanted) and params.startswith(wanted[:-1])


def matches(spec: TrackProcess, info: ProcInfo) -> bool | None:
    """Whether the process counts for the tracker; None when what is needed was not read."""
    if not spec.full_command:
        if info.comm is None:
            return None
        return info.comm == _b(spec.process)
    if info.cmdline is None:
        return None
    argv0, nul, rest = info.cmdline.partition(b"\0")
    if argv0 != _b(spec.process):
        return False
    if spec.param_match == "none":
        return True
    return params_match(spec, rest if nul else None)


@dataclass(frozen=True, slots=True)
class QuorumChange:
    """A tracker's quorum was gained (``up``) or lost; ``count`` matching processes now."""

    name: str
    up: bool
    count: int


@dataclass
class _Tracker:
    spec: TrackProcess
    pids: set[int]
    up: bool = False
    # ("fork" | "terminate", deadline) of a delayed status update
    pending: tuple[str, float] | None = None

    @property
    def level(self) -> bool:
        return self.spec.quorum <= len(self.pids) <= self.spec.quorum_max

    def crossing(self, before: int, after: int) -> bool:
        """Whether going from ``before`` to ``after`` processes enters or leaves the range."""
        q, qmax = self.spec.quorum, self.spec.quorum_max
        return (before < q) != (after < q) or (before > qmax) != (after > qmax)


class ProcessTable:
    """The vrrp_track_process trackers of a configuration and the processes each one counts."""

    def __init__(self, specs: Iterable[TrackProcess]) -> None:
        self._trackers: dict[str, _Tracker] = {}
        for spec in specs:
            self._trackers.setdefault(spec.name, _Tracker(spec, set()))
        # pid -> names of the trackers counting it
        self._by_pid: dict[int, set[str]] = {}
        specs_ = [t.spec for t in self._trackers.values()]
        self.needs_comm = any(not s.full_command for s in specs_)
        self.needs_cmdline = any(s.full_command for s in specs_)
        self.cmdline_limit = cmdline_limit(specs_)

    # -- queries -------------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._trackers)

    def up(self, name: str) -> bool:
        return self._trackers[name].up

    def count(self, name: str) -> int:
        return len(self._trackers[name].pids)

    def pids(self, name: str) -> frozenset[int]:
        return frozenset(self._trackers[name].pids)

    def get_timer(self) -> float | None:
        """The earliest pending fork/terminate delay deadline."""
        deadlines = [t.pending[1] for t in self._trackers.values() if t.pending is not None]
        return min(deadlines, default=None)

    # -- helpers -------------------------------------------------------------------------

    def _set(self, t: _Tracker, up: bool) -> QuorumChange | None:
        if up == t.up:
            return None
        t.up = up
        return QuorumChange(t.spec.name, up, len(t.pids))

    def _add(self, t: _Tracker, pid: int, now: float, *, fork: bool) -> QuorumChange | None:
        if pid in t.pids:
            return None
        before = len(t.pids)
        t.pids.add(pid)
        self._by_pid.setdefault(pid, set()).add(t.spec.name)
        if not t.crossing(before, before + 1):
            return None
        if t.pending is not None and t.pending[0] == "terminate":
            t.pending = None  # the loss has been made good inside terminate_delay
        elif fork and t.spec.fork_delay:
            if t.pending is None:
                t.pending = ("fork", now + t.spec.fork_delay / US)
            return None
        return self._set(t, t.level)

    def _remove(self, t: _Tracker, pid: int, now: float, *, exited: bool) -> QuorumChange | None:
        if pid not in t.pids:
            return None
        before = len(t.pids)
        t.pids.discard(pid)
        names = self._by_pid.get(pid)
        if names is not None:
            names.discard(t.spec.name)
            if not names:
                del self._by_pid[pid]
        if not t.crossing(before, before - 1):
            return None
        if t.pending is not None and t.pending[0] == "fork":
            t.pending = None  # the fork's gain is gone before fork_delay
        elif exited and t.spec.terminate_delay:
            if t.pending is None:
                t.pending = ("terminate", now + t.spec.terminate_delay / US)
            return None
        return self._set(t, t.level)

    @staticmethod
    def _collect(changes: Iterable[QuorumChange | None]) -> list[QuorumChange]:
        return [c for c in changes if c is not None]

    def _matching(self, procs: Iterable[ProcInfo]) -> dict[str, set[int]]:
        found: dict[str, set[int]] = {name: set() for name in self._trackers}
        for info in procs:
            if info.zombie:
                continue
            for name, t in self._trackers.items():
                if matches(t.spec, info):
                    found[name].add(info.pid)
        return found

    def _replace(self, found: dict[str, set[int]]) -> None:
        self._by_pid.clear()
        for name, t in self._trackers.items():
            t.pids = set(found[name])
            for pid in t.pids:
                self._by_pid.setdefault(pid, set()).add(name)

    # -- inputs --------------------------------------------------------------------------

    def start(self, procs: Iterable[ProcInfo]) -> None:
        """The scan at start: states are set from the counts, silently (no change reported)."""
        self._replace(self._matching(procs))
        for t in self._trackers.values():
            t.pending = None
            t.up = t.level

    def rescan(self, procs: Iterable[ProcInfo], now: float) -> list[QuorumChange]:
        """A full scan after lost events (or each poll without the connector).

        The counts are replaced; a quorum gained takes effect at once, a quorum lost after
        ``terminate_delay`` (a pending one keeps its deadline, so polling does not postpone it).
        """
        self._replace(self._matching(procs))
        changes: list[QuorumChange | None] = []
        for t in self._trackers.values():
            target = t.level
            if target == t.up:
                t.pending = None
            elif target:
                t.pending = None
                changes.append(self._set(t, True))
            elif t.pending is not None and t.pending[0] == "terminate":
                pass
            elif t.spec.terminate_delay:
                t.pending = ("terminate", now + t.spec.terminate_delay / US)
            else:
                t.pending = None
                changes.append(self._set(t, False))
        return self._collect(changes)

    def exec(self, info: ProcInfo, now: float) -> list[QuorumChange]:
        """PROC_EVENT_EXEC: the process runs a new program; re-match it everywhere.

        Nothing changes when what is needed could not be read (the process is already gone:
        its exit event follows).
        """
        if (self.needs_comm and info.comm is None) or (self.needs_cmdline and info.cmdline is None):
            return []
        changes = []
        for t in self._trackers.values():
            if matches(t.spec, info):
                changes.append(self._add(t, info.pid, now, fork=False))
            else:
                changes.append(self._remove(t, info.pid, now, exited=False))
        return self._collect(changes)

    def comm(self, pid: int, comm: bytes, now: float) -> list[QuorumChange]:
        """PROC_EVENT_COMM: the process name changed (prctl); only name trackers re-match."""
        info = ProcInfo(pid, comm=comm)
        changes = []
        for t in self._trackers.values():
            if t.spec.full_command:
                continue
            if matches(t.spec, info):
                changes.append(self._add(t, pid, now, fork=False))
            else:
                changes.append(self._remove(t, pid, now, exited=False))
        return self._collect(changes)

    def fork(self, parent: int, child: int, now: float) -> list[QuorumChange]:
        """PROC_EVENT_FORK of a process (not a thread): the child counts where the parent does."""
        names = self._by_pid.get(parent)
        if not names:
            return []
        return self._collect(self._add(self._trackers[n], child, now, fork=True) for n in sorted(names))

    def exit(self, pid: int, now: float) -> list[QuorumChange]:
        """PROC_EVENT_EXIT of a process (not a thread)."""
        names = self._by_pid.get(pid)
        if not names:
            return []
        return self._collect(self._remove(self._trackers[n], pid, now, exited=True) for n in sorted(names))

    def handle_timer(self, now: float) -> list[QuorumChange]:
        """Expired fork/terminate delays: the state becomes whatever the count says then."""
        changes = []
        for t in self._trackers.values():
            if t.pending is not None and t.pending[1] <= now:
                t.pending = None
                changes.append(self._set(t, t.level))
        return self._collect(changes)


# -- the kernel process connector's messages (linux/connector.h, linux/cn_proc.h) ---------------

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
PROC_CN_MCAST_IGNORE = 2
NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3

PROC_EVENT_NONE = 0x00000000
PROC_EVENT_FORK = 0x00000001
PROC_EVENT_EXEC = 0x00000002
PROC_EVENT_COMM = 0x00000200
PROC_EVENT_EXIT = 0x80000000

_NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
_CN_MSG = struct.Struct("=IIIIHH")  # idx, val, seq, ack, len, flags
# struct proc_event: what, cpu, timestamp_ns (8-byte aligned), then the event's data
_PROC_EVENT = struct.Struct("=IIQ")
_EVENT_AT = _NLMSGHDR.size + _CN_MSG.size
_DATA_AT = _EVENT_AT + _PROC_EVENT.size


def listen_message(enable: bool = True, *, pid: int = 0) -> bytes:
    """The connector request that starts (or stops) the multicast of process events."""
    op = struct.pack("=I", PROC_CN_MCAST_LISTEN if enable else PROC_CN_MCAST_IGNORE)
    cn = _CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(op), 0)
    total = _NLMSGHDR.size + len(cn) + len(op)
    return _NLMSGHDR.pack(total, NLMSG_DONE, 0, 0, pid) + cn + op


@dataclass(frozen=True, slots=True)
class ProcEvent:
    """One decoded process event: ``what`` is a PROC_EVENT_* value.

    fork: ``pid``/``tgid`` are the child's, ``parent_pid``/``parent_tgid`` the parent's;
    exec / comm / exit: the process's; the answer to a request (PROC_EVENT_NONE): ``err``
    (EPERM when the kernel refused it).  ``seq`` and ``cpu`` let lost messages be noticed.
    """

    what: int
    cpu: int
    seq: int
    ack: int
    pid: int = 0
    tgid: int = 0
    parent_pid: int = 0
    parent_tgid: int = 0
    comm: bytes = b""
    err: int = 0


def decode_event(data: bytes) -> ProcEvent | None:
    """A proc connector message, or None for anything else (short, other connector, error)."""
    if len(data) < _DATA_AT:
        return None
    length, mtype, _flags, _seq, _pid = _NLMSGHDR.unpack_from(data)
    if length < _DATA_AT or length > len(data) or mtype in (NLMSG_ERROR, NLMSG_NOOP):
        return None
    idx, val, seq, ack, cn_len, _cflags = _CN_MSG.unpack_from(data, _NLMSGHDR.size)
    if idx != CN_IDX_PROC or val != CN_VAL_PROC or cn_len < _PROC_EVENT.size:
        return None
    what, cpu, _ts = _PROC_EVENT.unpack_from(data, _EVENT_AT)
    # PROC_EVENT_NONE is the answer to our request, nothing else is an answer
    if (what == PROC_EVENT_NONE) != bool(ack):
        return None
    body = data[_DATA_AT:length]
    if what == PROC_EVENT_FORK:
        if len(body) < 16:
            return None
        ppid, ptgid, cpid, ctgid = struct.unpack_from("=iiii", body)
        return ProcEvent(what, cpu, seq, ack, cpid, ctgid, ppid, ptgid)
    if what in (PROC_EVENT_EXEC, PROC_EVENT_EXIT):
        if len(body) < 8:
            return None
        pid, tgid = struct.unpack_from("=ii", body)
        return ProcEvent(what, cpu, seq, ack, pid, tgid)
    if what == PROC_EVENT_COMM:
        if len(body) < 24:
            return None
        pid, tgid = struct.unpack_from("=ii", body)
        return ProcEvent(what, cpu, seq, ack, pid, tgid, comm=body[8:24].split(b"\0", 1)[0])
    if what == PROC_EVENT_NONE and len(body) >= 4:
        return ProcEvent(what, cpu, seq, ack, err=struct.unpack_from("=I", body)[0])
    return ProcEvent(what, cpu, seq, ack)


def parse_stat(data: bytes) -> tuple[bytes, bool] | None:
    """(name, zombie) from /proc/PID/stat: ``pid (name) state ...``; None if malformed.

    The name may hold spaces and parentheses: it ends at the last ``)``.
    """
    start = data.find(b"(")
    end = data.rfind(b")")
    if start < 0 or end < start or len(data) < end + 3:
        return None
    return data[start + 1 : end], data[end + 2 : end + 3] == b"Z"
