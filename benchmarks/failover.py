"""Failover benchmark: keepalived, keepalived-py and a mix of both in a 3-node namespace lab.

    sudo .venv/bin/python benchmarks/failover.py [--quick] [--reps N] [--window S]

Builds the lab of tests/netns/lab.py (3 nodes on one bridge, 192.0.2.0/24; only the PIDs it
started are ever signalled) and, for VRRP v2 at advert_int 1 s and v3 at 0.1 s, runs the same
scenario with keepalived on all nodes, keepalived-py on all nodes and a mix (n1 and n3 keepalived,
n2 keepalived-py).  n1 has priority 150, n2 100, n3 50; all start as BACKUP.  The lab is removed
on every exit path: failures, Ctrl-C, SIGTERM and SIGHUP (turned into KeyboardInterrupt, held back
while a lab is being built or removed).

* election: from starting the three daemons (at once) to n1 being the only VIP holder;
* failover: SIGKILL of the master's process group at a random phase of the advert interval, to
  n2 holding the VIP (the killed node's stale VIP is deleted at once and the node is not counted
  while dead, as a crashed machine); n1 is then restarted and preempts back.  Median and max of N;
* handover: then SIGTERM of the master (priority-0 advert) to n2 holding the VIP, and n1 restarted
  again.  Median and max of N;
* max holders: the largest number of live nodes holding the VIP at one time, polled every 10 ms
  over netlink during the whole scenario (1 is the right answer; a preemption can show 2 for a poll);
* preempt overlap: when n1 is back, from n1 adding the VIP to n2 deleting it (netlink notifications);
* RSS and CPU% of n2 while it is a backup, over the measuring window, from /proc/<pid>/stat and
  /proc/<pid>/status of the daemon and all its descendants (keepalived's VRRP child does the work).

The failover and handover rows above depend on the phase of the kill (a spread of one advert
interval), so a median of a few runs is not exact enough to compare two daemons within 2 %.  The
deterministic rows time each takeover from the wire: every advert entering the bridge is read by
an AF_PACKET socket in the bridge's namespace with the kernel's receive timestamp (SO_TIMESTAMPNS):

* failover last adv -> adv: from the killed master's last advert to n2's first advert as master:
  n2's master-down interval (3 x advert_int + skew: 3609.4 ms for v2 priority 100 at 1 s, 360.9 ms
  for v3 at 0.1 s) plus n2's reaction.  Both ends are kernel timestamps of the same socket: the
  most exact figure (both daemons send the first advert before adding the VIP);
* failover last adv -> VIP: from the same advert to n2's RTM_NEWADDR of the VIP, timed when the
  notification reaches this program (so it includes this program's wake-up, ~0.1 ms idle);
* handover prio 0 -> adv / -> VIP: the same from the master's priority-0 advert (SIGTERM): the skew
  time (609.4 ms, 60.9 ms) plus the reaction;
* each with median, max and the median's difference in % against keepalived's on the same run.

Needs root and /usr/sbin/keepalived (2.2.7).  Not part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import random
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.netns.lab import Lab, Node, Proc, _ip, root_available  # noqa: E402
from tests.netns.vrrp_lab import (  # noqa: E402
    VIP,
    keepalived_available,
    start_keepalived,
    start_kpy_argv,
    vrrp_config,
    write_config,
)

KA = "keepalived"
KPY = "keepalived-py"
MIXES: dict[str, tuple[str, str, str]] = {
    "keepalived": (KA, KA, KA),
    "keepalived-py": (KPY, KPY, KPY),
    "mixed": (KA, KPY, KA),
}
VERSIONS = {"v2 1s": (2, "1", 1.0), "v3 0.1s": (3, "0.1", 0.1)}
PRIORITIES = (150, 100, 50)
POLL = 0.010
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# -- netlink: which node holds the VIP (one RTM_GETADDR dump per node, no subprocess) -----------

_CLONE_NEWNET = 0x40000000
_RTM_GETADDR = 22
_NLMSG_DONE = 3
_NLMSG_ERROR = 2
_NETLINK_ROUTE = 0


def _socket_in(ns: str, family: int, kind: int, proto: int) -> socket.socket:
    """A socket of namespace ``ns`` (a socket stays in the namespace it was made in)."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(target, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {ns}")
        try:
            sock = socket.socket(family, kind, proto)
        finally:
            if libc.setns(own, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(own)
        os.close(target)
    return sock


def _netlink_in(ns: str, groups: int = 0) -> socket.socket:
    """A NETLINK_ROUTE socket of namespace ``ns``, bound to the multicast ``groups``."""
    sock = _socket_in(ns, socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_ROUTE)
    sock.bind((0, groups))
    return sock


def _holds(sock: socket.socket, seq: int, want: bytes) -> bool:
    """Whether any IPv4 address of the namespace equals ``want`` (4 bytes)."""
    req = struct.pack("=LHHLL", 24, _RTM_GETADDR, 0x301, seq, 0) + struct.pack("=BBBBL", 2, 0, 0, 0, 0)
    sock.send(req)
    found = False
    while True:
        data = sock.recv(65536)
        off = 0
        while off + 16 <= len(data):
            length, mtype, _flags, mseq, _pid = struct.unpack_from("=LHHLL", data, off)
            if length < 16:
                return found
            if mseq == seq:
                if mtype in (_NLMSG_DONE, _NLMSG_ERROR):
                    return found
                attr = off + 16 + 8
                end = off + length
                while attr + 4 <= end:
                    alen, atype = struct.unpack_from("=HH", data, attr)
                    if alen < 4:
                        break
                    if atype in (1, 2) and data[attr + 4 : attr + alen] == want:
                        found = True
                    attr += (alen + 3) & ~3
            off += (length + 3) & ~3


def _vip_events(data: bytes, want: bytes) -> list[bool]:
    """The RTM_NEWADDR (True) / RTM_DELADDR (False) messages in ``data`` about address ``want``."""
    out = []
    off = 0
    while off + 16 <= len(data):
        length, mtype = struct.unpack_from("=LH", data, off)
        if length < 16:
            break
        if mtype in (20, 21):
            attr, end = off + 24, off + length
            while attr + 4 <= end:
                alen, atype = struct.unpack_from("=HH", data, attr)
                if alen < 4:
                    break
                if atype in (1, 2) and data[attr + 4 : attr + alen] == want:
                    out.append(mtype == 20)
                    break
                attr += (alen + 3) & ~3
        off += (length + 3) & ~3
    return out


class AddressEvents(threading.Thread):
    """Every node's netlink address notifications about the VIP, timed on arrival (sub-ms): how long
    the old and the new master both held the VIP in a preemption, which 10 ms polls can miss."""

    def __init__(self, lab: Lab, vip: str) -> None:
        super().__init__(daemon=True)
        self.socks = {_netlink_in(node.ns, groups=0x10): node.index for node in lab.nodes}  # IPV4_IFADDR
        self.want = socket.inet_aton(vip)
        self.events: list[tuple[float, int, bool]] = []  # (time, node, added)
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            ready, _, _ = select.select(list(self.socks), [], [], 0.1)
            for sock in ready:
                data = sock.recv(65536)
                t = time.monotonic()
                for added in _vip_events(data, self.want):
                    self.events.append((t, self.socks[sock], added))

    def overlap(self, since: float, new: int, old: int) -> float:
        """From ``new`` adding the VIP to ``old`` deleting it (after ``since``); negative: a gap."""
        added = next(t for t, n, a in self.events if t >= since and n == new and a)
        deleted = next(t for t, n, a in self.events if t >= since and n == old and not a)
        return deleted - added

    def first_add(self, node: int, since: float) -> float | None:
        """When ``node``'s first RTM_NEWADDR of the VIP after ``since`` arrived (None: not yet)."""
        return next((t for t, n, a in self.events if t >= since and n == node and a), None)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)
        for sock in self.socks:
            sock.close()


# -- the adverts on the wire: kernel receive timestamps at the bridge -------------------------

_ETH_P_ALL = 0x0003
_ETH_P_IP = 0x0800
_SO_TIMESTAMPNS = 35  # SO_TIMESTAMPNS_OLD; the control message has the same number
_IPPROTO_VRRP = 112


@dataclass(frozen=True)
class Advert:
    t: float  # kernel receive time on the bridge port, on time.monotonic()'s clock
    node: int  # the sender, from the IPv4 source 192.0.2.<node>
    priority: int


def parse_advert(data: bytes, vrid: int) -> tuple[int, int] | None:
    """(last byte of the IPv4 source, priority) of a VRRP advert of ``vrid`` in an IPv4 packet."""
    if len(data) < 20 or data[0] >> 4 != 4 or data[9] != _IPPROTO_VRRP:
        return None
    ihl = (data[0] & 0x0F) * 4
    if len(data) < ihl + 8 or data[ihl + 1] != vrid:
        return None
    return data[15], data[ihl + 2]


class AdvertCapture(threading.Thread):
    """Every VRRP advert that enters the bridge, from an AF_PACKET socket in the bridge's namespace
    (ETH_P_ALL: it sees each frame on the sender's port p<i> before the bridge takes it; copies
    delivered to br0 and sent out of the other ports are skipped).  The time of each advert is the
    kernel's receive timestamp (SO_TIMESTAMPNS, CLOCK_REALTIME, set when the sender's veth handed the
    frame over), moved to time.monotonic()'s clock at the moment it is read: the interval between
    two adverts does not depend on when this thread gets the CPU."""

    def __init__(self, lab: Lab, vrid: int) -> None:
        super().__init__(daemon=True)
        self.vrid = vrid
        self.sock = _socket_in(lab.bridge_ns, socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(_ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        self.adverts: list[Advert] = []
        self._halt = threading.Event()

    def run(self) -> None:
        space = socket.CMSG_SPACE(16)
        while not self._halt.is_set():
            ready, _, _ = select.select([self.sock], [], [], 0.1)
            if not ready:
                continue
            data, anc, _flags, addr = self.sock.recvmsg(2048, space)
            real, mono = time.time(), time.monotonic()
            ifname, proto, pkttype = addr[0], addr[1], addr[2]
            if proto != _ETH_P_IP or pkttype == socket.PACKET_OUTGOING or not ifname.startswith("p"):
                continue
            found = parse_advert(data, self.vrid)
            if found is None:
                continue
            stamp = real
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(payload) >= 16:
                    sec, nsec = struct.unpack_from("=qq", payload)
                    stamp = sec + nsec / 1e9
            self.adverts.append(Advert(mono - (real - stamp), found[0], found[1]))

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)
        self.sock.close()

    def takeover(self, since: float, old: int, new: int, *, stop: bool) -> tuple[float, float] | None:
        """(old master's advert, new master's first advert) of the takeover that began at ``since``.

        ``stop=False`` (old master killed): the new master's first advert after ``since`` and the
        old master's last advert before it.  ``stop=True`` (old master terminated): the old
        master's first priority-0 advert after ``since`` and the new master's first advert after it.
        """
        ads = list(self.adverts)
        if stop:
            zero = next((a.t for a in ads if a.t >= since and a.node == old and a.priority == 0), None)
            if zero is None:
                return None
            first = next((a.t for a in ads if a.t > zero and a.node == new), None)
            return None if first is None else (zero, first)
        first = next((a.t for a in ads if a.t >= since and a.node == new), None)
        if first is None:
            return None
        last = max((a.t for a in ads if a.t < first and a.node == old and a.priority > 0), default=None)
        return None if last is None else (last, first)


class Watcher(threading.Thread):
    """Polls every node every 10 ms; keeps the latest (time, holders) and the max live holders."""

    def __init__(self, lab: Lab, vip: str) -> None:
        super().__init__(daemon=True)
        self.socks = [_netlink_in(node.ns) for node in lab.nodes]
        self.want = socket.inet_aton(vip)
        self.dead: set[int] = set()
        self.latest: tuple[float, frozenset[int]] = (0.0, frozenset())
        self.max_holders = 0
        self.phase = "election"
        self.multi: dict[str, int] = {}  # phase -> number of polls that saw more than one live holder
        self._halt = threading.Event()
        self._seq = 0

    def run(self) -> None:
        while not self._halt.is_set():
            t = time.monotonic()
            holders = set()
            for i, sock in enumerate(self.socks, start=1):
                self._seq += 1
                if _holds(sock, self._seq, self.want):
                    holders.add(i)
            live = holders - self.dead
            self.max_holders = max(self.max_holders, len(live))
            if len(live) > 1:
                self.multi[self.phase] = self.multi.get(self.phase, 0) + 1
            self.latest = (t, frozenset(holders))
            self._halt.wait(max(0.0, POLL - (time.monotonic() - t)))

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)
        for sock in self.socks:
            sock.close()

    def wait_for(self, pred: Callable[[frozenset[int]], bool], *, since: float, timeout: float) -> float:
        """Seconds from ``since`` to the first poll (made after ``since``) whose holders satisfy ``pred``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t, holders = self.latest
            if t >= since and pred(holders):
                return t - since
            time.sleep(POLL / 4)
        raise TimeoutError(f"holders {sorted(self.latest[1])} after {timeout:.0f}s")

    def stable(self, want: frozenset[int], duration: float) -> None:
        start = time.monotonic()
        while time.monotonic() - start < duration:
            if self.latest[1] != want:
                raise AssertionError(f"holders {sorted(self.latest[1])}, wanted {sorted(want)}")
            time.sleep(POLL)


# -- /proc: CPU and RSS of a process tree -----------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(rest[1]), []).append(int(name))
    return tree


def process_tree(pid: int) -> list[int]:
    tree = _children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, ()))
    return out


def cpu_ticks(pids: list[int]) -> int:
    return sum(split_cpu_ticks(pids))


def split_cpu_ticks(pids: list[int]) -> tuple[int, int]:
    """utime and stime ticks of ``pids`` (fields 14 and 15 of /proc/PID/stat)."""
    user = system = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user += int(rest[11])
        system += int(rest[12])
    return user, system


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


# -- the scenario -----------------------------------------------------------------------------


class _Interrupts:
    """SIGINT, SIGTERM and SIGHUP raise KeyboardInterrupt (so every ``finally`` runs and the lab is
    removed), except inside ``held()``: building or removing a lab is never cut in the middle, the
    interrupt comes when it is done.  Python runs signal handlers in the main thread only."""

    held = 0
    pending = False

    @classmethod
    def handler(cls, signum: int, frame: FrameType | None) -> None:
        del signum, frame
        if cls.held:
            cls.pending = True
            return
        raise KeyboardInterrupt

    @classmethod
    @contextlib.contextmanager
    def hold(cls) -> Iterator[None]:
        cls.held += 1
        try:
            yield
        finally:
            cls.held -= 1
            if not cls.held and cls.pending:
                cls.pending = False
                raise KeyboardInterrupt


@dataclass
class Result:
    election: float = float("nan")
    failovers: list[float] = field(default_factory=list)
    handovers: list[float] = field(default_factory=list)
    max_holders: int = 0
    rss_mib: float = float("nan")
    cpu_pct: float = float("nan")
    error: str = ""
    logs: str = ""
    multi: dict[str, int] = field(default_factory=dict)
    overlaps: list[float] = field(default_factory=list)
    # from the old master's last (failover) or priority-0 (handover) advert on the wire to the new
    # master's first advert on the wire, or to its VIP address notification
    wire_failovers: list[float] = field(default_factory=list)
    vip_failovers: list[float] = field(default_factory=list)
    wire_handovers: list[float] = field(default_factory=list)
    vip_handovers: list[float] = field(default_factory=list)
    unseen: int = 0  # takeovers whose adverts or address notification were not seen


KPY_SCRIPT = REPO / ".venv" / "bin" / "keepalived-py"
VRID = 51  # vrrp_config()'s default


def _start(kind: str, node: Node, priority: int, version: int, advert: str) -> Proc:
    conf = write_config(node, vrrp_config(priority=priority, version=version, advert_int=advert))
    if kind == KA:
        return start_keepalived(node, conf, detail=False)
    argv = start_kpy_argv(node, conf, detail=False)
    if KPY_SCRIPT.exists():  # the console script, whatever python runs this file
        argv = [str(KPY_SCRIPT), *argv[3:]]
    return node.start(argv, label="keepalived-py")


def _record(res: Result, capture: AdvertCapture, events: AddressEvents, since: float, *, stop: bool) -> None:
    """The wire and VIP intervals of the takeover by n2 that began at ``since``."""
    wire, vip = (res.wire_handovers, res.vip_handovers) if stop else (res.wire_failovers, res.vip_failovers)
    deadline = time.monotonic() + 2.0
    pair, added = None, None
    while time.monotonic() < deadline:
        pair = capture.takeover(since, 1, 2, stop=stop)
        added = None if pair is None else events.first_add(2, pair[0])
        if added is not None:
            break
        time.sleep(0.01)
    if pair is not None:
        wire.append(pair[1] - pair[0])
    if pair is not None and added is not None:
        vip.append(added - pair[0])
    else:
        res.unseen += 1


def scenario(
    mix: tuple[str, str, str], version: int, advert: str, adv_s: float, reps: int, window: float
) -> Result:
    res = Result()
    lab: Lab | None = None
    watcher: Watcher | None = None
    events: AddressEvents | None = None
    capture: AdvertCapture | None = None
    try:
        with _Interrupts.hold():
            lab = Lab(3)
            print(f"    lab {lab.id}", file=sys.stderr, flush=True)
        watcher = Watcher(lab, VIP)
        watcher.start()
        events = AddressEvents(lab, VIP)
        events.start()
        capture = AdvertCapture(lab, VRID)
        capture.start()
        one = frozenset({1})
        down = 3 * adv_s + adv_s  # master down interval + margin, without process start-up
        t0 = time.monotonic()
        procs = [
            _start(kind, node, prio, version, advert)
            for kind, node, prio in zip(mix, lab.nodes, PRIORITIES, strict=True)
        ]
        res.election = watcher.wait_for(lambda h: h == one, since=t0, timeout=20)
        watcher.stable(one, max(2.0, 3 * adv_s))

        watcher.phase = "steady"
        # RSS / CPU of n2 (backup) over the window, sampled once a second
        pids = process_tree(procs[1].pid)
        w0, c0, rss = time.monotonic(), cpu_ticks(pids), rss_kib(pids)
        while time.monotonic() - w0 < window:
            time.sleep(min(1.0, window))
            pids = process_tree(procs[1].pid)
            rss = max(rss, rss_kib(pids))
        elapsed = time.monotonic() - w0
        res.cpu_pct = 100.0 * (cpu_ticks(pids) - c0) / CLK_TCK / elapsed
        res.rss_mib = rss / 1024
        if watcher.latest[1] != one:
            raise AssertionError(f"holders {sorted(watcher.latest[1])} during the window")

        def restart_n1() -> None:
            assert lab is not None and watcher is not None and events is not None
            watcher.dead.discard(1)
            for name in os.listdir(lab.tmpdir):  # a rebooted machine starts with an empty /run
                if name.startswith("n1-") and name.endswith(".pid"):
                    os.unlink(os.path.join(lab.tmpdir, name))
            watcher.phase = "preemption"
            t = time.monotonic()
            procs[0] = _start(mix[0], lab.node(1), PRIORITIES[0], version, advert)
            watcher.wait_for(lambda h: h == one, since=t, timeout=down + 15)
            time.sleep(0.05)  # the last notifications
            with contextlib.suppress(StopIteration):
                res.overlaps.append(events.overlap(t, new=1, old=2))
            watcher.stable(one, max(1.0, 3 * adv_s))
            watcher.phase = "steady"

        for _ in range(reps):
            time.sleep(random.uniform(0, adv_s))  # random phase of the advert interval
            watcher.phase = "SIGKILL"
            watcher.dead.add(1)
            procs[0].kill_group(signal.SIGKILL)
            t = time.monotonic()
            procs[0].wait(timeout=10)
            _ip("-n", lab.node(1).ns, "addr", "del", f"{VIP}/24", "dev", "eth0", check=False)
            res.failovers.append(watcher.wait_for(lambda h: 2 in h, since=t, timeout=down + 5))
            watcher.wait_for(lambda h: 1 not in h, since=time.monotonic(), timeout=5)
            _record(res, capture, events, t, stop=False)
            restart_n1()

            time.sleep(random.uniform(0, adv_s))
            watcher.phase = "SIGTERM"
            t = time.monotonic()
            procs[0].send_signal(signal.SIGTERM)
            res.handovers.append(watcher.wait_for(lambda h: h == frozenset({2}), since=t, timeout=down + 5))
            procs[0].wait(timeout=10)
            _record(res, capture, events, t, stop=True)
            watcher.stable(frozenset({2}), max(1.0, 3 * adv_s))
            restart_n1()
    except (AssertionError, TimeoutError, OSError, subprocess.SubprocessError) as exc:
        res.error = f"{type(exc).__name__}: {exc}"
        if lab is not None:
            res.logs = lab.logs()
    finally:
        with _Interrupts.hold():
            try:
                for thread in (capture, events):
                    if thread is not None:
                        thread.stop()
                if watcher is not None:
                    watcher.stop()
                    res.max_holders = watcher.max_holders
                    res.multi = dict(watcher.multi)
            finally:
                if lab is not None:
                    lab.close()
    return res


# -- the table --------------------------------------------------------------------------------


def _ms(x: float, digits: int = 0) -> str:
    return "-" if x != x else f"{x * 1000:.{digits}f} ms"


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def _max(xs: list[float]) -> float:
    return max(xs) if xs else float("nan")


def _pct(x: float, ref: float) -> str:
    return "-" if x != x or ref != ref or ref == 0 else f"{(x - ref) / ref * 100:+.2f} %"


WIRE = [
    ("failover last adv -> adv", "wire_failovers"),
    ("failover last adv -> VIP", "vip_failovers"),
    ("handover prio 0 -> adv", "wire_handovers"),
    ("handover prio 0 -> VIP", "vip_handovers"),
]


def table(results: dict[str, Result]) -> list[tuple[str, list[str]]]:
    """(label, one cell per mix) for every row."""
    rs = [results[m] for m in MIXES]
    out = [
        ("election from start", [_ms(r.election) for r in rs]),
        ("failover SIGKILL median", [_ms(_median(r.failovers)) for r in rs]),
        ("failover SIGKILL max", [_ms(_max(r.failovers)) for r in rs]),
        ("handover SIGTERM median", [_ms(_median(r.handovers)) for r in rs]),
        ("handover SIGTERM max", [_ms(_max(r.handovers)) for r in rs]),
        ("max VIP holders", [str(r.max_holders) for r in rs]),
        ("preempt overlap median", [_ms(_median(r.overlaps), 1) for r in rs]),
        ("preempt overlap max", [_ms(_max(r.overlaps), 1) for r in rs]),
        ("backup RSS (n2)", ["-" if r.rss_mib != r.rss_mib else f"{r.rss_mib:.1f} MiB" for r in rs]),
        ("backup CPU (n2)", ["-" if r.cpu_pct != r.cpu_pct else f"{r.cpu_pct:.2f} %" for r in rs]),
    ]
    for label, attr in WIRE:
        values: list[list[float]] = [getattr(r, attr) for r in rs]
        ref = _median(values[0])
        out.append((f"{label} median", [_ms(_median(v), 1) for v in values]))
        out.append((f"{label} max", [_ms(_max(v), 1) for v in values]))
        out.append((f"{label} vs keepalived", ["", *(_pct(_median(v), ref) for v in values[1:])]))
    return out


def expected(version: int, adv_s: float, priority: int = PRIORITIES[1]) -> tuple[float, float]:
    """(master down interval, skew time) of n2 in s: RFC 3768's skew is (256 - priority) / 256 s,
    RFC 5798's (256 - priority) x advert_int / 256; keepalived's down_timer_adverts is 3."""
    skew = (256 - priority) / 256 * (adv_s if version == 3 else 1.0)
    return 3 * adv_s + skew, skew


def _loadavg() -> str:
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 repetitions, 5 s window")
    ap.add_argument("--reps", type=int, help="failover and handover repetitions (default 7, 3 with --quick)")
    ap.add_argument("--window", type=float, help="measuring window in s (default 30, 5 with --quick)")
    ap.add_argument("--logs", action="store_true", help="print the daemons' logs of a failed scenario")
    ap.add_argument("--seed", type=int, help="random seed for the kill phases")
    args = ap.parse_args(argv)
    for reason in (root_available(), keepalived_available()):
        if reason:
            print(f"failover.py: {reason}", file=sys.stderr)
            return 2
    reps = args.reps or (3 if args.quick else 7)
    window = args.window or (5.0 if args.quick else 30.0)
    random.seed(args.seed)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _Interrupts.handler)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average {_loadavg()};"
        f" 3 nodes (n1 150, n2 100, n3 50); {reps} failovers and handovers; {window:.0f} s window;"
        " mixed = n1, n3 keepalived, n2 keepalived-py",
        flush=True,
    )
    try:
        for vname, (version, advert, adv_s) in VERSIONS.items():
            results = {}
            for mname, mix in MIXES.items():
                print(f"  running {vname} {mname} ...", file=sys.stderr, flush=True)
                results[mname] = scenario(mix, version, advert, adv_s, reps, window)
            width = 34
            print()
            print(f"VRRP {vname}".ljust(width) + "".join(m.rjust(16) for m in MIXES))
            for label, cells in table(results):
                print(label.ljust(width) + "".join(c.rjust(16) for c in cells))
            md, skew = expected(version, adv_s)
            print(
                f"  expected for n2: master down {md * 1000:.1f} ms (3 x advert_int + skew),"
                f" skew {skew * 1000:.1f} ms, each plus the daemon's reaction"
            )
            for m, r in results.items():
                if r.error:
                    print(f"  {m}: {r.error}")
                    if args.logs:
                        print(r.logs, file=sys.stderr)
                if r.multi:
                    seen = ", ".join(f"{phase} ({n} polls)" for phase, n in r.multi.items())
                    print(f"  {m}: more than one VIP holder during {seen}")
                if r.unseen:
                    print(f"  {m}: {r.unseen} takeovers without their adverts or VIP notification")
                for what, xs, digits in (
                    ("failovers", r.failovers, 0),
                    ("last adv -> adv", r.wire_failovers, 1),
                    ("prio 0 -> adv", r.wire_handovers, 1),
                ):
                    if xs:
                        print(f"  {m} {what}: " + " ".join(f"{x * 1000:.{digits}f}" for x in xs) + " ms")
            print(flush=True)
    except KeyboardInterrupt:
        print("failover.py: interrupted (the lab was removed)", file=sys.stderr)
        return 130
    print(f"load average at the end {_loadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
