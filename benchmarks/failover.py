"""Failover benchmark: keepalived, keepalived-py and a mix of both in a 3-node namespace lab.

    sudo .venv/bin/python benchmarks/failover.py [--quick] [--reps N] [--window S]

Builds the lab of tests/netns/lab.py (3 nodes on one bridge, 192.0.2.0/24, always torn down; only
the PIDs it started are ever signalled) and, for VRRP v2 at advert_int 1 s and v3 at 0.1 s, runs
the same scenario with keepalived on all nodes, keepalived-py on all nodes and a mix (n1 and n3
keepalived, n2 keepalived-py).  n1 has priority 150, n2 100, n3 50; all start as BACKUP.

* election: from starting the three daemons (at once) to n1 being the only VIP holder;
* failover: SIGKILL of the master's process group at a random phase of the advert interval, to
  n2 holding the VIP (the killed node's stale VIP is deleted at once and the node is not counted
  while dead, as a crashed machine); n1 is then restarted and preempts back.  Median and max;
* handover: SIGTERM of the master (priority-0 advert) to n2 holding the VIP;
* max holders: the largest number of live nodes holding the VIP at one time, polled every 10 ms
  over netlink during the whole scenario (1 is the right answer; a preemption can show 2 for a poll);
* preempt overlap: when n1 is back, from n1 adding the VIP to n2 deleting it (netlink notifications);
* RSS and CPU% of n2 while it is a backup, over the measuring window, from /proc/<pid>/stat and
  /proc/<pid>/status of the daemon and all its descendants (keepalived's VRRP child does the work).

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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

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


def _netlink_in(ns: str, groups: int = 0) -> socket.socket:
    """A NETLINK_ROUTE socket of namespace ``ns`` (a socket stays in the namespace it was made in)."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(target, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {ns}")
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_ROUTE)
        finally:
            if libc.setns(own, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(own)
        os.close(target)
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

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)
        for sock in self.socks:
            sock.close()


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
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(rest[11]) + int(rest[12])  # utime, stime (fields 14, 15)
    return total


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


@dataclass
class Result:
    election: float = float("nan")
    failovers: list[float] = field(default_factory=list)
    handover: float = float("nan")
    max_holders: int = 0
    rss_mib: float = float("nan")
    cpu_pct: float = float("nan")
    error: str = ""
    logs: str = ""
    multi: dict[str, int] = field(default_factory=dict)
    overlaps: list[float] = field(default_factory=list)


KPY_SCRIPT = REPO / ".venv" / "bin" / "keepalived-py"


def _start(kind: str, node: Node, priority: int, version: int, advert: str) -> Proc:
    conf = write_config(node, vrrp_config(priority=priority, version=version, advert_int=advert))
    if kind == KA:
        return start_keepalived(node, conf, detail=False)
    argv = start_kpy_argv(node, conf, detail=False)
    if KPY_SCRIPT.exists():  # the console script, whatever python runs this file
        argv = [str(KPY_SCRIPT), *argv[3:]]
    return node.start(argv, label="keepalived-py")


def scenario(
    mix: tuple[str, str, str], version: int, advert: str, adv_s: float, reps: int, window: float
) -> Result:
    res = Result()
    lab = Lab(3)
    watcher: Watcher | None = None
    events: AddressEvents | None = None
    try:
        watcher = Watcher(lab, VIP)
        watcher.start()
        events = AddressEvents(lab, VIP)
        events.start()
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
        time.sleep(random.uniform(0, adv_s))
        watcher.phase = "SIGTERM"
        procs[0].send_signal(signal.SIGTERM)
        t = time.monotonic()
        res.handover = watcher.wait_for(lambda h: h == frozenset({2}), since=t, timeout=down + 5)
        procs[0].wait(timeout=10)
        watcher.stable(frozenset({2}), max(1.0, 3 * adv_s))
    except (AssertionError, TimeoutError, OSError, subprocess.SubprocessError) as exc:
        res.error = f"{type(exc).__name__}: {exc}"
        res.logs = lab.logs()
    finally:
        try:
            if events is not None:
                events.stop()
            if watcher is not None:
                watcher.stop()
                res.max_holders = watcher.max_holders
                res.multi = dict(watcher.multi)
        finally:
            lab.close()
    return res


# -- the table --------------------------------------------------------------------------------


def _ms(x: float, digits: int = 0) -> str:
    return "-" if x != x else f"{x * 1000:.{digits}f} ms"


def rows(res: Result) -> list[str]:
    f = res.failovers
    return [
        _ms(res.election),
        _ms(statistics.median(f)) if f else "-",
        _ms(max(f)) if f else "-",
        _ms(res.handover),
        str(res.max_holders),
        _ms(statistics.median(res.overlaps), 1) if res.overlaps else "-",
        _ms(max(res.overlaps), 1) if res.overlaps else "-",
        "-" if res.rss_mib != res.rss_mib else f"{res.rss_mib:.1f} MiB",
        "-" if res.cpu_pct != res.cpu_pct else f"{res.cpu_pct:.2f} %",
    ]


LABELS = [
    "election from start",
    "failover SIGKILL median",
    "failover SIGKILL max",
    "handover SIGTERM",
    "max VIP holders",
    "preempt overlap median",
    "preempt overlap max",
    "backup RSS (n2)",
    "backup CPU (n2)",
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 repetitions, 5 s window")
    ap.add_argument("--reps", type=int, help="failover repetitions (default 7, 3 with --quick)")
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
    print(
        f"3 nodes (n1 150, n2 100, n3 50); {reps} failovers; {window:.0f} s window;"
        " mixed = n1, n3 keepalived, n2 keepalived-py"
    )
    for vname, (version, advert, adv_s) in VERSIONS.items():
        results = {}
        for mname, mix in MIXES.items():
            print(f"  running {vname} {mname} ...", file=sys.stderr, flush=True)
            results[mname] = scenario(mix, version, advert, adv_s, reps, window)
        width = 24
        print()
        print(f"VRRP {vname}".ljust(width) + "".join(m.rjust(16) for m in MIXES))
        table = {m: rows(r) for m, r in results.items()}
        for i, label in enumerate(LABELS):
            print(label.ljust(width) + "".join(table[m][i].rjust(16) for m in MIXES))
        for m, r in results.items():
            if r.error:
                print(f"  {m}: {r.error}")
                if args.logs:
                    print(r.logs, file=sys.stderr)
            if r.multi:
                seen = ", ".join(f"{phase} ({n} polls)" for phase, n in r.multi.items())
                print(f"  {m}: more than one VIP holder during {seen}")
            if r.failovers:
                print(f"  {m} failovers: " + " ".join(f"{x * 1000:.0f}" for x in r.failovers) + " ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
