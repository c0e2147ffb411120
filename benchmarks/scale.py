"""Scale benchmark: 1,000 VRRP instances at 1 s, and 100 instances at VRRPv3 0.05 s, in a 2-node lab.

    sudo .venv/bin/python benchmarks/scale.py                 # 300 s windows (~25 min)
    sudo .venv/bin/python benchmarks/scale.py --quick         # 30 s windows (~5 min)
    sudo .venv/bin/python benchmarks/scale.py --duration 120 --only scale
    sudo .venv/bin/python benchmarks/scale.py --only scale --duration 60 --repeat 3  # ratios per round

Two node namespaces and a bridge namespace (``kpb-<id>-1``, ``-2``, ``-br``; always deleted, also on
Ctrl-C or failure; only the PIDs started here are ever signalled).  Scenario ``scale``: four links
eth0..eth3 (one bridge each, 192.0.2.0/26, .64/26, .128/26, .192/26), 250 instances per link
(VRIDs 1-250), VRRPv2, advert_int 1, one /32 VIP each; n1 has priority 150 and n2 100, both
``state BACKUP``, so n1 becomes master of all 1,000 and n2 backup of all.  Run with keepalived
on both nodes, then with keepalived-py on both (the same configuration files).  Scenario ``fast``:
one link, 100 instances, VRRPv3 advert_int 0.05, the same roles; keepalived-py, then keepalived
for reference.

Measured, after election has settled (n1 holds every VIP, n2 none, plus ``--settle`` seconds):

* election: from starting both daemons (at once) to n1 holding all VIPs and n2 none (netlink
  address dumps every 50 ms);
* CPU share of the master's and of the backup's process tree (keepalived's VRRP child does the
  work) over the window: utime+stime ticks from /proc/PID/stat, in % of one core;
* RSS: the largest sum of VmRSS over each tree, sampled every few seconds;
* transitions: "Entering ... STATE" lines the daemons log during the window (any is spurious:
  nothing changes in the lab), and the VIP counts are checked every second;
* for ``fast``, false failovers: the backup's "Entering MASTER STATE" lines in the window.

VIPs: the 768 IPv4 documentation addresses cannot give 1,000 distinct ones, so eth0 and eth2
carry 198.51.100.1-250 and eth1 and eth3 203.0.113.1-250 (separate segments; a VIP is an
(interface, address) pair for the kernel and for both daemons).

Needs root and /usr/sbin/keepalived (2.2.7).  Not part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import platform
import re
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.failover import CLK_TCK, _netlink_in, process_tree, rss_kib, split_cpu_ticks  # noqa: E402
from tests.netns.lab import Lab, Node, Proc, _ip, _sysctl, root_available  # noqa: E402
from tests.netns.vrrp_lab import keepalived_available, start_keepalived, start_kpy_argv  # noqa: E402

KA = "keepalived"
KPY = "keepalived-py"
KPY_SCRIPT = REPO / ".venv" / "bin" / "keepalived-py"
PRIORITIES = (150, 100)
VIP_BLOCKS = ("198.51.100", "203.0.113")
PROFILE_FROM_START = False
ENTERING = re.compile(rb"Entering (\w+) STATE")


@dataclass(frozen=True)
class Scenario:
    name: str
    links: int
    per_link: int
    version: int
    advert: str
    daemons: tuple[str, ...]

    @property
    def instances(self) -> int:
        return self.links * self.per_link

    @property
    def advert_s(self) -> float:
        return float(self.advert)


SCENARIOS = {
    "scale": Scenario("scale", 4, 250, 2, "1", (KA, KPY)),
    "fast": Scenario("fast", 1, 100, 3, "0.05", (KPY, KA)),
}


def link_address(link: int, node: int) -> str:
    return f"192.0.2.{64 * link + node}"


def vip(link: int, index: int) -> str:
    return f"{VIP_BLOCKS[link % 2]}.{index}"


def config(sc: Scenario, priority: int) -> str:
    out = ["global_defs {", f"    router_id kpb_{priority}", "}"]
    for link in range(sc.links):
        for vrid in range(1, sc.per_link + 1):
            out += [
                f"vrrp_instance L{link}_{vrid} {{",
                "    state BACKUP",
                f"    interface eth{link}",
                f"    virtual_router_id {vrid}",
                f"    priority {priority}",
                f"    advert_int {sc.advert}",
                f"    version {sc.version}",
                "    virtual_ipaddress {",
                f"        {vip(link, vrid)}/32",
                "    }",
                "}",
            ]
    return "\n".join(out) + "\n"


class ScaleLab(Lab):
    """Two nodes joined by ``links`` bridges (br0..), node i's ethK plugged into brK."""

    def __init__(self, links: int) -> None:
        self.links = links
        super().__init__(2, prefix="kpb-")

    def _build(self, n: int, ipv6: bool) -> None:
        del ipv6
        br = self.bridge_ns
        self._add_ns(br)
        for i in range(1, n + 1):
            self._add_ns(f"{self.id}-{i}")
        for k in range(self.links):
            _ip("-n", br, "link", "add", f"br{k}", "type", "bridge", "stp_state", "0", "mcast_snooping", "0")
            _ip("-n", br, "link", "set", f"br{k}", "up")
        for i in range(1, n + 1):
            ns = f"{self.id}-{i}"
            for k in range(self.links):
                port = f"p{i}l{k}"
                _ip("-n", br, "link", "add", port, "type", "veth", "peer", "name", f"eth{k}", "netns", ns)
                _ip("-n", br, "link", "set", port, "master", f"br{k}", "up")
                _ip("-n", ns, "addr", "add", f"{link_address(k, i)}/26", "dev", f"eth{k}")
                _ip("-n", ns, "link", "set", f"eth{k}", "up")
            _sysctl(ns, "net.ipv6.conf.all.accept_dad", "0")
            self.nodes.append(Node(self, i, ns, ipaddress.IPv4Address(link_address(0, i)), None))


# -- netlink: how many of the VIPs a node holds ------------------------------------------------

_RTM_GETADDR = 22
_RTM_NEWADDR = 20
_NLMSG_DONE = 3
_NLMSG_ERROR = 2


def count_vips(sock: socket.socket, seq: int, vips: set[bytes]) -> int:
    """How many IPv4 addresses of the namespace (one per interface and address) are in ``vips``."""
    req = struct.pack("=LHHLL", 24, _RTM_GETADDR, 0x301, seq, 0) + struct.pack("=BBBBL", 2, 0, 0, 0, 0)
    sock.send(req)
    found = 0
    while True:
        data = sock.recv(1 << 20)
        off = 0
        while off + 16 <= len(data):
            length, mtype, _flags, mseq, _pid = struct.unpack_from("=LHHLL", data, off)
            if length < 16:
                return found
            if mseq == seq:
                if mtype in (_NLMSG_DONE, _NLMSG_ERROR):
                    return found
                if mtype == _RTM_NEWADDR:
                    attr, end = off + 16 + 8, off + length
                    while attr + 4 <= end:
                        alen, atype = struct.unpack_from("=HH", data, attr)
                        if alen < 4:
                            break
                        if atype == 2 and data[attr + 4 : attr + alen] in vips:  # IFA_LOCAL
                            found += 1
                            break
                        attr += (alen + 3) & ~3
            off += (length + 3) & ~3


class Counter:
    def __init__(self, lab: Lab, sc: Scenario) -> None:
        self.socks = [_netlink_in(node.ns) for node in lab.nodes]
        self.vips = {socket.inet_aton(vip(k, i)) for k in range(sc.links) for i in range(1, sc.per_link + 1)}
        self.seq = 0

    def counts(self) -> tuple[int, int]:
        out = []
        for sock in self.socks:
            self.seq += 1
            out.append(count_vips(sock, self.seq, self.vips))
        return out[0], out[1]

    def close(self) -> None:
        for sock in self.socks:
            sock.close()


# -- one run ---------------------------------------------------------------------------------


@dataclass
class Result:
    election: float = float("nan")
    cpu: tuple[float, float] = (float("nan"), float("nan"))
    cpu_sys: tuple[float, float] = (float("nan"), float("nan"))
    rss: tuple[float, float] = (float("nan"), float("nan"))
    transitions: tuple[int, int] = (-1, -1)
    to_master_backup: int = -1
    vip_moves: int = 0
    window: float = 0.0
    load: str = ""
    error: str = ""
    lines: list[str] = field(default_factory=list)


def _start(kind: str, node: Node, conf: str, profile: str | None = None) -> Proc:
    if kind == KA:
        return start_keepalived(node, conf, detail=False)
    argv = start_kpy_argv(node, conf, detail=False)
    if profile:
        out = os.path.join(profile, f"{node.name}.prof")
        script = str(REPO / "benchmarks" / "profile_kpy.py")
        when = [] if PROFILE_FROM_START else ["--on-signal"]
        argv = [sys.executable, script, out, *when, "--", *argv[3:]]
    elif KPY_SCRIPT.exists():
        argv = [str(KPY_SCRIPT), *argv[3:]]
    return node.start(argv, label="keepalived-py")


def _entering(path: str, offset: int) -> list[str]:
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read()
    return [m.group(1).decode() for m in ENTERING.finditer(data)]


def _loadavg() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def run(
    sc: Scenario, kind: str, duration: float, settle: float, keep_logs: bool, profile: str | None = None
) -> Result:
    res = Result()
    lab = ScaleLab(sc.links)
    counter: Counter | None = None
    procs: list[Proc] = []
    try:
        counter = Counter(lab, sc)
        confs = []
        for node, prio in zip(lab.nodes, PRIORITIES, strict=True):
            path = node.path("keepalived.conf")
            with open(path, "w", encoding="utf-8") as f:
                f.write(config(sc, prio))
            confs.append(path)
        n = sc.instances
        t0 = time.monotonic()
        procs = [_start(kind, node, conf, profile) for node, conf in zip(lab.nodes, confs, strict=True)]
        deadline = t0 + 60 + 3 * n * 0.01
        while True:
            master, backup = counter.counts()
            if master == n and backup == 0:
                res.election = time.monotonic() - t0
                break
            if time.monotonic() > deadline or not all(p.running() for p in procs):
                raise TimeoutError(f"election: n1 holds {master}, n2 {backup} of {n} VIPs")
            time.sleep(0.05)
        time.sleep(settle)
        trees = [process_tree(p.pid) for p in procs]
        offsets = [os.path.getsize(p.log_path) for p in procs]
        ticks = [split_cpu_ticks(t) for t in trees]
        rss = [rss_kib(t) for t in trees]
        if profile and kind == KPY and not PROFILE_FROM_START:
            for pid in (pid for tree in trees for pid in tree):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGALRM)  # profile_kpy.py starts profiling
        w0 = time.monotonic()
        next_rss = w0
        while time.monotonic() - w0 < duration:
            time.sleep(min(1.0, max(0.0, duration - (time.monotonic() - w0))))
            if not all(p.running() for p in procs):
                raise RuntimeError("a daemon exited during the window")
            if counter.counts() != (n, 0):
                res.vip_moves += 1
            if time.monotonic() >= next_rss:
                trees = [process_tree(p.pid) for p in procs]
                rss = [max(r, rss_kib(t)) for r, t in zip(rss, trees, strict=True)]
                next_rss += 5.0
        elapsed = time.monotonic() - w0
        if profile and kind == KPY and not PROFILE_FROM_START:
            for pid in (pid for tree in trees for pid in tree):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGALRM)  # profile_kpy.py stops profiling
        res.window = elapsed
        res.load = _loadavg()
        end_ticks = [split_cpu_ticks(t) for t in trees]
        share = [
            (100.0 * (e[0] - s[0]) / CLK_TCK / elapsed, 100.0 * (e[1] - s[1]) / CLK_TCK / elapsed)
            for s, e in zip(ticks, end_ticks, strict=True)
        ]
        res.cpu = (share[0][0] + share[0][1], share[1][0] + share[1][1])
        res.cpu_sys = (share[0][1], share[1][1])
        res.rss = tuple(r / 1024 for r in rss)  # type: ignore[assignment]
        entered = [_entering(p.log_path, off) for p, off in zip(procs, offsets, strict=True)]
        res.transitions = (len(entered[0]), len(entered[1]))
        res.to_master_backup = entered[1].count("MASTER")
    except (AssertionError, TimeoutError, OSError, RuntimeError, subprocess.SubprocessError) as exc:
        res.error = f"{type(exc).__name__}: {exc}"
    finally:
        try:
            for proc in procs:
                with contextlib.suppress(subprocess.SubprocessError):
                    proc.stop(timeout=20)
            if keep_logs or res.error:
                for proc in procs:
                    tail = proc.output().splitlines()[-15:]
                    res.lines.append(f"--- {proc.node.name} {kind} (last lines)")
                    res.lines.extend(tail)
            if counter is not None:
                counter.close()
        finally:
            lab.close()
    return res


# -- the table -------------------------------------------------------------------------------


def _f(x: float, fmt: str) -> str:
    return "-" if x != x else fmt.format(x)


def table(sc: Scenario, results: dict[str, Result]) -> list[str]:
    width = 34
    cols = list(results)
    rows: list[tuple[str, Callable[[Result], str]]] = [
        ("election of all (from start)", lambda r: _f(r.election, "{:.2f} s")),
        ("CPU master (n1)", lambda r: _f(r.cpu[0], "{:.2f} %")),
        ("CPU backup (n2)", lambda r: _f(r.cpu[1], "{:.2f} %")),
        (
            "  of which kernel n1 / n2",
            lambda r: _f(r.cpu_sys[0], "{:.2f}") + " / " + _f(r.cpu_sys[1], "{:.2f}"),
        ),
        ("RSS master (n1)", lambda r: _f(r.rss[0], "{:.1f} MiB")),
        ("RSS backup (n2)", lambda r: _f(r.rss[1], "{:.1f} MiB")),
        ("transitions master (n1)", lambda r: "-" if r.transitions[0] < 0 else str(r.transitions[0])),
        ("transitions backup (n2)", lambda r: "-" if r.transitions[1] < 0 else str(r.transitions[1])),
        (
            "false failovers (n2 -> MASTER)",
            lambda r: "-" if r.to_master_backup < 0 else str(r.to_master_backup),
        ),
        ("1 s checks with VIPs moved", lambda r: str(r.vip_moves)),
        ("window", lambda r: f"{r.window:.0f} s"),
        ("load average at end", lambda r: r.load or "-"),
    ]
    head = (
        f"{sc.name}: {sc.instances} instances ({sc.links} link(s) x VRIDs 1-{sc.per_link}),"
        f" VRRPv{sc.version} advert_int {sc.advert}"
    )
    out = [head, "".ljust(width) + "".join(c.rjust(18) for c in cols)]
    for label, fn in rows:
        out.append(label.ljust(width) + "".join(fn(results[c]).rjust(18) for c in cols))
    if KA in results and KPY in results:
        a, b = results[KA], results[KPY]
        for i, who in enumerate(("master", "backup")):
            if a.cpu[i] == a.cpu[i] and b.cpu[i] == b.cpu[i] and a.cpu[i] > 0:
                out.append(f"  CPU ratio {who}: keepalived-py / keepalived = {b.cpu[i] / a.cpu[i]:.2f}")
    for c, r in results.items():
        if r.error:
            out.append(f"  {c}: {r.error}")
        for line in r.lines:
            out.append(f"    {line}")
    return out


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=300.0, help="measuring window in s (default 300)")
    ap.add_argument("--quick", action="store_true", help="30 s windows (a smoke run)")
    ap.add_argument("--settle", type=float, default=8.0, help="s to wait after election (default 8)")
    ap.add_argument("--only", choices=sorted(SCENARIOS), action="append", help="run only this scenario")
    ap.add_argument("--daemon", choices=(KA, KPY), action="append", help="run only this daemon")
    ap.add_argument(
        "--profile", metavar="DIR", help="run keepalived-py under cProfile, n1.prof/n2.prof in DIR"
    )
    ap.add_argument("--profile-start", action="store_true", help="with --profile: from start-up on")
    ap.add_argument("--logs", action="store_true", help="print the daemons' last log lines")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the daemons one after the other this many times (a shared machine's load changes:"
        " compare the ratios of each round)",
    )
    args = ap.parse_args(argv)
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
    for reason in (root_available(), keepalived_available()):
        if reason:
            print(f"scale.py: {reason}", file=sys.stderr)
            return 2
    duration = 30.0 if args.quick else args.duration
    global PROFILE_FROM_START
    PROFILE_FROM_START = args.profile_start
    signal.signal(signal.SIGTERM, _on_sigterm)
    ka_version = subprocess.run(["keepalived", "--version"], capture_output=True, text=True).stderr.split(
        "\n"
    )[0]
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPUs; {platform.machine()};"
        f" {ka_version.strip()}; Python {platform.python_version()}; window {duration:.0f} s;"
        f" load at start {_loadavg()}"
    )
    try:
        for name in args.only or list(SCENARIOS):
            sc = SCENARIOS[name]
            ratios: list[tuple[float, float]] = []
            for round_no in range(max(args.repeat, 1)):
                results = {}
                for kind in sc.daemons:
                    if args.daemon and kind not in args.daemon:
                        continue
                    print(f"  running {name} with {kind} ...", file=sys.stderr, flush=True)
                    results[kind] = run(sc, kind, duration, args.settle, args.logs, args.profile)
                print()
                if args.repeat > 1:
                    print(f"round {round_no + 1} of {args.repeat}")
                print("\n".join(table(sc, results)), flush=True)
                if KA in results and KPY in results and min(results[KA].cpu) > 0:
                    a, b = results[KA].cpu, results[KPY].cpu
                    ratios.append((b[0] / a[0], b[1] / a[1]))
            if len(ratios) > 1:
                for i, who in enumerate(("master", "backup")):
                    each = sorted(r[i] for r in ratios)
                    print(
                        f"  CPU ratio {who} over {len(each)} rounds: "
                        + ", ".join(f"{r[i]:.2f}" for r in ratios)
                        + f"; median {each[len(each) // 2]:.2f}"
                    )
    except KeyboardInterrupt:
        print("scale.py: interrupted (the lab was removed)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
