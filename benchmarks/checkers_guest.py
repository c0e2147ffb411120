"""The inside of benchmarks/checkers.py: real servers, one checker daemon at a time, the figures.

    .venv/bin/python -m benchmarks.checkers_guest --servers 200 --out r.json            # in the VM
    KEEPALIVED_PY_IPVS=memory .venv/bin/python -m benchmarks.checkers_guest --daemons keepalived-py

Runs where the IPVS table lives: in the VM of tests/ipvs/vm.py (kernel IPVS; both daemons), or
on the host with keepalived-py's in-memory IPVS (``$KEEPALIVED_PY_IPVS=memory``; keepalived
cannot run without the kernel's IPVS).  Needs root.

Lab: two namespaces ``kph-chk<pid>-dir`` (the director: the daemon runs there, this process
enters it) and ``kph-chk<pid>-srv`` (the real servers), joined by a veth (198.51.100.1/24 and
.2/24).  Real server i is 192.0.2.(1 + i % 250) port 10000 + i // 250 (the addresses on the
server namespace's veth, routed from the director), in virtual server 203.0.113.(1 + i // 100)
port 80 (NAT, rr).  Every real server has ``TCP_CHECK`` with ``connect_timeout 1``, ``retry 1``,
``delay_before_retry 1`` under ``delay_loop 1``.  One server process (``serve``: a plain epoll
loop, one listening socket per real server, each connection accepted and closed at once) runs
in the server namespace for the whole run; the odd-numbered servers flap: down (listener
closed, so connects get RST) for half of ``--period``, up for the other half, their phases
spread evenly over the period.  It writes each transition with its CLOCK_MONOTONIC time.

Per daemon (keepalived 2.2.7 ``keepalived -C -n -l``, then ``.venv/bin/keepalived-py -C -n -l``,
the same config file): start it, wait until every stable server is in the table, ``--warmup``
seconds, then a ``--duration`` window:

* CPU: utime+stime ticks (/proc/PID/stat) of the daemon's whole process tree over the window,
  in % of one CPU; also the machine's busy share (/proc/stat), the server's and this driver's;
* removal: for each down transition in the window of a server that was in the table, the time
  until it is gone from the table: /proc/net/ip_vs read every ``--poll`` seconds (kernel), or
  the daemon's "Removing service [addr]:tcp:port" log line on arrival (in-memory IPVS, which
  has no table another process can read cheaply); re-add likewise from the up transitions;
  a server still in the table when it comes back up counts as missed.

Prints a JSON object per daemon (and writes them to ``--out``).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import re
import resource
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.failover import cpu_ticks, process_tree, split_cpu_ticks  # noqa: E402

KEEPALIVED = "/usr/sbin/keepalived"
KPY = str(REPO / ".venv" / "bin" / "keepalived-py")
CLK_TCK = os.sysconf("SC_CLK_TCK")
CLONE_NEWNET = 0x40000000
PER_VS = 100
ADDRS = 250
DIR_ADDR = "198.51.100.1"
SRV_ADDR = "198.51.100.2"
TIMING = {"delay_loop": 1.0, "connect_timeout": 1.0, "retry": 1, "delay_before_retry": 1.0}
TARGET = TIMING["connect_timeout"] + TIMING["delay_before_retry"] * TIMING["retry"] + 0.1
REMOVING = re.compile(rb"Removing service \[([0-9.]+)\]:tcp:(\d+)")
ADDING = re.compile(rb"Adding service \[([0-9.]+)\]:tcp:(\d+)")
PROC_DEST = re.compile(rb"-> ([0-9A-F]{8}):([0-9A-F]{4})")


def server_address(i: int) -> tuple[str, int]:
    return f"192.0.2.{1 + i % ADDRS}", 10000 + i // ADDRS


def flapping(i: int) -> bool:
    return i % 2 == 1


def config(n: int) -> str:
    out = ["global_defs {", "    router_id kph_chk", "}"]
    for v in range((n + PER_VS - 1) // PER_VS):
        out += [
            f"virtual_server 203.0.113.{v + 1} 80 {{",
            "    delay_loop 1",
            "    lb_algo rr",
            "    lb_kind NAT",
            "    protocol TCP",
        ]
        for i in range(v * PER_VS, min(n, (v + 1) * PER_VS)):
            addr, port = server_address(i)
            out += [
                f"    real_server {addr} {port} {{",
                "        TCP_CHECK {",
                "            connect_timeout 1",
                "            retry 1",
                "            delay_before_retry 1",
                "        }",
                "    }",
            ]
        out.append("}")
    return "\n".join(out) + "\n"


# -- the real servers --------------------------------------------------------------------------


def serve(n: int, period: float, anchor: float, events: str) -> None:
    """The server process: listeners for n real servers, the odd ones flapping, until SIGTERM."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 4096)), hard))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sel = selectors.DefaultSelector()
    listeners: dict[int, socket.socket] = {}

    def up(i: int) -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(server_address(i))
        s.listen(128)
        s.setblocking(False)
        listeners[i] = s
        sel.register(s, selectors.EVENT_READ, i)

    def down(i: int) -> None:
        s = listeners.pop(i)
        sel.unregister(s)
        s.close()

    flappers = [i for i in range(n) if flapping(i)] if period > 0 else []
    half = period / 2
    # flapper k goes down at anchor + phase_k + m * period and up half a period later
    phase = {i: k * period / max(1, len(flappers)) for k, i in enumerate(flappers)}
    for i in range(n):
        up(i)
    out = open(events, "a", buffering=1, encoding="ascii")  # noqa: SIM115 (lives as long as the process)
    queue: list[tuple[float, int, bool]] = sorted((anchor + phase[i], i, False) for i in flappers)
    import heapq

    heapq.heapify(queue)
    while True:
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else None
        for key, _ in sel.select(timeout):
            s = key.fileobj
            assert isinstance(s, socket.socket)
            while True:
                try:
                    conn, _ = s.accept()
                except OSError:
                    break
                conn.close()
        now = time.monotonic()
        lines = []
        while queue and queue[0][0] <= now:
            when, i, going_up = heapq.heappop(queue)
            if going_up:
                up(i)
            else:
                down(i)
            lines.append(f"{time.monotonic():.6f} {i} {int(going_up)}\n")
            heapq.heappush(queue, (when + half, i, not going_up))
        if lines:
            out.write("".join(lines))


# -- the lab -----------------------------------------------------------------------------------


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def setns(name: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {name}")
    finally:
        os.close(fd)


@contextlib.contextmanager
def lab(n: int) -> Iterator[tuple[str, str]]:
    prefix = f"kph-chk{os.getpid()}"
    dir_ns, srv_ns = f"{prefix}-dir", f"{prefix}-srv"
    try:
        sh("ip", "netns", "add", dir_ns)
        sh("ip", "netns", "add", srv_ns)
        sh("ip", "-n", dir_ns, "link", "set", "lo", "up")
        sh("ip", "-n", srv_ns, "link", "set", "lo", "up")
        sh("ip", "-n", dir_ns, "link", "add", "d0", "type", "veth", "peer", "name", "eth0", "netns", srv_ns)
        sh("ip", "-n", dir_ns, "addr", "add", f"{DIR_ADDR}/24", "dev", "d0")
        sh("ip", "-n", dir_ns, "link", "set", "d0", "up")
        sh("ip", "-n", dir_ns, "route", "add", "192.0.2.0/24", "via", SRV_ADDR)
        sh("ip", "-n", srv_ns, "addr", "add", f"{SRV_ADDR}/24", "dev", "eth0")
        batch = "".join(f"addr add 192.0.2.{a}/32 dev eth0\n" for a in range(1, min(n, ADDRS) + 1))
        subprocess.run(["ip", "-n", srv_ns, "-batch", "-"], input=batch.encode(), check=True)
        sh("ip", "-n", srv_ns, "link", "set", "eth0", "up")
        yield dir_ns, srv_ns
    finally:
        for ns in (dir_ns, srv_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


# -- measuring ---------------------------------------------------------------------------------


def machine() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs."""
    with open("/proc/stat", encoding="ascii") as f:
        values = [int(x) for x in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _key(addr: str, port: int) -> tuple[bytes, bytes]:
    return socket.inet_aton(addr).hex().upper().encode(), f"{port:04X}".encode()


class Run:
    """One daemon's run: its process, the server's transitions, the removal and re-add times."""

    def __init__(self, name: str, argv: list[str], n: int, events: Path, kernel: bool, poll: float) -> None:
        self.name, self.n, self.events, self.kernel, self.poll = name, n, events, kernel, poll
        self.keys = [_key(*server_address(i)) for i in range(n)]
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.by_addr = {
            (server_address(i)[0].encode(), str(server_address(i)[1]).encode()): i for i in range(n)
        }
        self.present: set[int] = set(range(n))  # keepalived adds every server at start
        self.pending_down: dict[int, float] = {}
        self.pending_up: dict[int, float] = {}
        self.removal: list[tuple[float, float]] = []  # (down time, seconds)
        self.readd: list[tuple[float, float]] = []
        self.missed: list[float] = []
        self.lock = threading.Lock()
        self.log_path = events.with_name(f"{name}.log")
        self.events_pos = events.stat().st_size if events.exists() else 0
        self.lines = 0
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
        self.reader = threading.Thread(target=self._read_log, daemon=True)
        self.reader.start()

    def _read_log(self) -> None:
        assert self.proc.stdout is not None
        with open(self.log_path, "wb") as log:
            for line in self.proc.stdout:
                now = time.monotonic()
                log.write(line)
                self.lines += 1
                if self.kernel:
                    continue
                m = REMOVING.search(line)
                if m and (i := self.by_addr.get((m[1], m[2]))) is not None:
                    with self.lock:
                        self._gone(i, now)
                    continue
                m = ADDING.search(line)
                if m and (i := self.by_addr.get((m[1], m[2]))) is not None:
                    with self.lock:
                        self._back(i, now)

    def _gone(self, i: int, now: float) -> None:
        self.present.discard(i)
        if (t := self.pending_down.pop(i, None)) is not None:
            self.removal.append((t, now - t))

    def _back(self, i: int, now: float) -> None:
        self.present.add(i)
        if (t := self.pending_up.pop(i, None)) is not None:
            self.readd.append((t, now - t))

    def step(self) -> None:
        """Read the server's new transitions and, with the kernel's IPVS, the table."""
        with open(self.events, "rb") as f:
            f.seek(self.events_pos)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self.events_pos += end
        with self.lock:
            for line in data[:end].splitlines():
                t_s, i_s, up_s = line.split()
                t, i = float(t_s), int(i_s)
                if up_s == b"1":
                    if i in self.pending_down:
                        self.missed.append(self.pending_down.pop(i))
                    if i not in self.present:
                        self.pending_up[i] = t
                else:
                    self.pending_up.pop(i, None)
                    if i in self.present:
                        self.pending_down[i] = t
            if self.kernel:
                now = time.monotonic()
                with open("/proc/net/ip_vs", "rb") as f:
                    table = f.read()
                seen = {self.index.get(k, -1) for k in PROC_DEST.findall(table)}
                for i in list(self.present):
                    if i not in seen:
                        self._gone(i, now)
                for i in seen:
                    if i >= 0 and i not in self.present:
                        self._back(i, now)

    def table_count(self) -> int:
        return len(self.present)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.reader.join(10)
        return rc


def _stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "median": None, "p95": None, "max": None}
    values = sorted(values)
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p95": values[min(len(values) - 1, int(0.95 * len(values)))],
        "max": values[-1],
    }


def measure(
    name: str, argv: list[str], n: int, events: Path, kernel: bool, args: argparse.Namespace, server_pid: int
) -> dict[str, Any]:
    flap = args.period > 0
    stable = {i for i in range(n) if not (flap and flapping(i))}
    started = time.monotonic()
    run = Run(name, argv, n, events, kernel, args.poll)
    result: dict[str, Any] = {"daemon": name, "servers": n, "ipvs": "kernel" if kernel else "memory"}
    try:
        # ready: the daemon has been checking for a while (a first removal, or the table complete)
        deadline = started + args.start_timeout
        while time.monotonic() < deadline and run.proc.poll() is None:
            run.step()
            complete = not kernel or (run.lines > 0 and stable <= run.present)
            if complete and (run.removal or (not flap and run.lines > 0)):
                break
            time.sleep(args.poll)
        result["ready_s"] = round(time.monotonic() - started, 2)
        if run.proc.poll() is not None:
            raise RuntimeError(f"{name} exited ({run.proc.returncode}): see {run.log_path}")
        warm_end = time.monotonic() + args.warmup
        while time.monotonic() < warm_end:
            run.step()
            time.sleep(args.poll)
        pids = process_tree(run.proc.pid)
        me = os.getpid()
        t0, c0, s0, d0, m0 = (
            time.monotonic(),
            split_cpu_ticks(pids),
            cpu_ticks([server_pid]),
            cpu_ticks([me]),
            machine(),
        )
        r0, a0, x0 = len(run.removal), len(run.readd), len(run.missed)
        while time.monotonic() < t0 + args.duration:
            run.step()
            time.sleep(args.poll)
        t1 = time.monotonic()
        pids = process_tree(run.proc.pid)
        c1, s1, d1, m1 = split_cpu_ticks(pids), cpu_ticks([server_pid]), cpu_ticks([me]), machine()
        # let the transitions of the window's end be resolved (not counted in CPU)
        settle = time.monotonic() + TARGET + 3
        while time.monotonic() < settle:
            run.step()
            time.sleep(args.poll)
        window = t1 - t0
        with run.lock:
            removal = [s for t, s in run.removal[r0:] if t0 <= t <= t1]
            readd = [s for t, s in run.readd[a0:] if t0 <= t <= t1]
            missed = [t for t in run.missed[x0:] if t0 <= t <= t1]
            still = [t for t in run.pending_down.values() if t0 <= t <= t1]
        result.update(
            window_s=round(window, 1),
            processes=len(pids),
            cpu_pct=100.0 * (sum(c1) - sum(c0)) / CLK_TCK / window,
            user_pct=100.0 * (c1[0] - c0[0]) / CLK_TCK / window,
            system_pct=100.0 * (c1[1] - c0[1]) / CLK_TCK / window,
            server_cpu_pct=100.0 * (s1 - s0) / CLK_TCK / window,
            driver_cpu_pct=100.0 * (d1 - d0) / CLK_TCK / window,
            machine_busy_pct=100.0 * (m1[0] - m0[0]) / max(1, m1[1] - m0[1]),
            cpus=os.cpu_count(),
            removal=_stats(removal),
            within_target=sum(1 for s in removal if s <= TARGET),
            target_s=TARGET,
            readd=_stats(readd),
            missed=len(missed) + len(still),
            poll_s=args.poll if kernel else 0.0,
            log_lines=run.lines,
        )
    finally:
        result["exit"] = run.stop()
    return result


def profiled(out: str, kpy_args: list[str]) -> None:
    """keepalived-py with its checker child (run_checker) under cProfile, written to ``out``."""
    import cProfile

    from keepalived_py.cli import main as kpy_main
    from keepalived_py.runtime import check_process

    prof = cProfile.Profile()
    run_checker = check_process.run_checker

    def wrapped(*a: Any, **kw: Any) -> int:
        prof.enable()
        try:
            return run_checker(*a, **kw)
        finally:
            prof.disable()
            prof.dump_stats(out)

    check_process.run_checker = wrapped
    with contextlib.suppress(SystemExit):
        kpy_main(kpy_args)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--servers", type=int, default=1000)
    p.add_argument("--duration", type=float, default=60.0, help="measurement window, seconds")
    p.add_argument("--warmup", type=float, default=20.0, help="seconds after the daemon is ready")
    p.add_argument(
        "--period",
        type=float,
        default=10.0,
        help="a flapping server's down+up cycle, seconds (0: none flaps)",
    )
    p.add_argument("--poll", type=float, default=0.1, help="table poll interval, seconds")
    p.add_argument("--start-timeout", type=float, default=300.0)
    p.add_argument("--daemons", default="keepalived,keepalived-py")
    p.add_argument("--out", help="write the results (a JSON list) here")
    p.add_argument("--profile", help="run keepalived-py's checker under cProfile, statistics to this file")
    p.add_argument("serve", nargs="*", help=argparse.SUPPRESS)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--profiled"]:
        profiled(argv[1], argv[3:])
        return 0
    args = p.parse_args(argv)
    if args.serve:
        n, period, anchor, events = args.serve
        serve(int(n), float(period), float(anchor), events)
        return 0
    if args.servers > 1000 * 1000 or args.servers < 2:
        p.error("--servers: 2 .. 1000000")
    # SIGTERM unwinds like Ctrl-C: the daemons, the server, the namespaces (and QEMU) are stopped
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    spec = os.environ.get("KEEPALIVED_PY_IPVS", "")
    kernel = not spec.startswith("memory")
    daemons = [d.strip() for d in args.daemons.split(",") if d.strip()]
    if not kernel and "keepalived" in daemons:
        print(
            "checkers_guest: keepalived needs the kernel's IPVS; running keepalived-py only", file=sys.stderr
        )
        daemons = [d for d in daemons if d != "keepalived"]
    if not kernel and ":" in spec:
        p.error("use KEEPALIVED_PY_IPVS=memory (no file: writing the table per change would be measured)")
    results = []
    with tempfile.TemporaryDirectory(prefix="kph-chk-") as tmp, lab(args.servers) as (dir_ns, srv_ns):
        work = Path(tmp)
        conf = work / "keepalived.conf"
        conf.write_text(config(args.servers))
        events = work / "events"
        events.touch()
        anchor = time.monotonic() + 1.0
        server_argv = ["ip", "netns", "exec", srv_ns, sys.executable, "-m", "benchmarks.checkers_guest", "--"]
        server_argv += [str(args.servers), str(args.period), str(anchor), str(events)]
        server = subprocess.Popen(server_argv, cwd=REPO)
        try:
            setns(dir_ns)
            for name in daemons:
                pidf = [str(work / f"{name}.pid"), str(work / f"{name}.checkers.pid")]
                if name == "keepalived":
                    argv_d = [
                        KEEPALIVED,
                        "-C",
                        "-n",
                        "-l",
                        "-D",
                        "-f",
                        str(conf),
                        "-p",
                        pidf[0],
                        "-c",
                        pidf[1],
                    ]
                else:
                    argv_d = [KPY, "-C", "-n", "-l", "-D", "-f", str(conf), "-p", pidf[0], "-c", pidf[1]]
                    if args.profile:
                        argv_d[:1] = [sys.executable, "-m", "benchmarks.checkers_guest", "--profiled"]
                        argv_d[4:4] = [str(Path(args.profile).resolve()), "--"]
                if kernel:
                    subprocess.run(["ipvsadm", "-C"], capture_output=True)
                print(f"checkers_guest: {name}, {args.servers} servers ...", file=sys.stderr, flush=True)
                res = measure(name, argv_d, args.servers, events, kernel, args, server.pid)
                print(json.dumps(res), flush=True)
                results.append(res)
                if args.out:
                    Path(args.out).write_text(json.dumps(results))
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # everything was stopped and removed on the way out
        sys.exit(130)
