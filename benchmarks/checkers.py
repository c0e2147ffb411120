"""Checker benchmark: TCP_CHECK on many real servers at ``delay_loop 1``, half of them flapping.

    sudo .venv/bin/python benchmarks/checkers.py                        # in the VM, 1,000 servers
    sudo .venv/bin/python benchmarks/checkers.py --servers 200 --duration 60
    sudo .venv/bin/python benchmarks/checkers.py --native-only          # keepalived-py on the host
    sudo .venv/bin/python benchmarks/checkers.py --vm-only --smp 2

keepalived's checker refuses to run without the kernel's IPVS ("IPVS: Can't initialize ipvs",
FATAL exit), and the development machines' kernel has none, so the comparison runs in ONE VM
of tests/ipvs/vm.py (Debian's stock kernel; under software emulation (TCG) everything is
roughly 10-16x slower, both daemons alike).  There benchmarks/checkers_guest.py builds the lab
(a director namespace and a real-server namespace joined by a veth: 192.0.2.x real servers on
ports 10000+, virtual servers 203.0.113.x:80, 100 real servers each), starts one server process
(a listening socket per real server; the odd-numbered ones close and reopen theirs on a
schedule, so connects get RST while they are down) and runs keepalived 2.2.7 (``keepalived -C
-n -l``), then keepalived-py (``.venv/bin/keepalived-py -C -n -l``), on the same config:
``TCP_CHECK { connect_timeout 1 retry 1 delay_before_retry 1 }`` under ``delay_loop 1``.

Measured per daemon over ``--duration`` seconds after it is checking and ``--warmup`` seconds:

* CPU: utime+stime of the daemon's whole process tree (parent and checker child), % of one CPU,
  and how busy the machine was (a saturated VM makes every latency meaningless);
* removal: from a flapping server closing its listener (its own CLOCK_MONOTONIC timestamp) to
  its destination being gone from the kernel's table (/proc/net/ip_vs, polled every 0.1 s):
  median, p95, max, and how many were within the target connect_timeout +
  delay_before_retry x retry + 100 ms = 2.1 s (RST makes the connect fail at once, so the
  connect_timeout term covers the wait for the next check, at most delay_loop = 1 s);
* re-add: from reopening to being back in the table; "missed": a server still in the table
  when it came back up.

``--native`` adds keepalived-py alone on this machine (``KEEPALIVED_PY_IPVS=memory``, the
in-memory IPVS table; removal times from its "Removing service" log lines), at
``--native-servers`` (default 1,000), where keepalived cannot run.

Needs root, the VM's packages (``python -m tests.ipvs.vm --setup``) and /usr/sbin/keepalived.
Namespaces ``kph-chk<pid>-dir``/``-srv`` are always deleted (in the VM they vanish with it
anyway).  Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.ipvs import vm  # noqa: E402


def _ms(x: Any) -> str:
    return "-" if x is None else f"{1000 * x:.0f}"


def table(results: list[dict[str, Any]]) -> list[str]:
    cols = [f"{r['daemon']} ({r['ipvs']}, {r['servers']})" for r in results]
    rows: list[tuple[str, list[str]]] = [
        ("ready after start (s)", [f"{r['ready_s']:.1f}" for r in results]),
        ("CPU, process tree (% of a CPU)", [f"{r['cpu_pct']:.1f}" for r in results]),
        ("  user / system", [f"{r['user_pct']:.1f} / {r['system_pct']:.1f}" for r in results]),
        ("machine busy (%)", [f"{r['machine_busy_pct']:.0f} of {r['cpus']} CPU" for r in results]),
        (
            "server / driver CPU (%)",
            [f"{r['server_cpu_pct']:.0f} / {r['driver_cpu_pct']:.0f}" for r in results],
        ),
        ("removals measured", [str(r["removal"]["n"]) for r in results]),
        (
            "removal median / p95 / max (ms)",
            ["/".join(_ms(r["removal"][k]) for k in ("median", "p95", "max")) for r in results],
        ),
        (
            "removals within target",
            [f"{r['within_target']}/{r['removal']['n']} (<= {1000 * r['target_s']:.0f} ms)" for r in results],
        ),
        (
            "re-add median / p95 / max (ms)",
            ["/".join(_ms(r["readd"][k]) for k in ("median", "p95", "max")) for r in results],
        ),
        ("missed removals", [str(r["missed"]) for r in results]),
        ("table poll (ms)", [f"{1000 * r['poll_s']:.0f}" if r["poll_s"] else "log lines" for r in results]),
    ]
    width = max(len(k) for k, _ in rows)
    cw = [max(len(c), *(len(v[i]) for _, v in rows)) for i, c in enumerate(cols)]
    out = [" " * width + "  " + "  ".join(c.rjust(w) for c, w in zip(cols, cw, strict=True))]
    for k, values in rows:
        out.append(k.ljust(width) + "  " + "  ".join(v.rjust(w) for v, w in zip(values, cw, strict=True)))
    for r in results:
        if r["machine_busy_pct"] > 90:  # of all the machine's CPUs
            out.append(
                f"WARNING: {r['daemon']} ({r['where']}): the machine was {r['machine_busy_pct']:.0f} % busy, "
                "saturated: its CPU is all it could get and its latencies measure the machine "
                "(lower --servers; in the one-vCPU VM 100 is the largest N keepalived-py runs unsaturated)"
            )
    ka = [r for r in results if r["daemon"] == "keepalived"]
    for r in results:
        same = [k for k in ka if k["servers"] == r["servers"] and k["ipvs"] == r["ipvs"]]
        if r["daemon"] != "keepalived" and same and same[0]["cpu_pct"] > 0:
            ratio = r["cpu_pct"] / same[0]["cpu_pct"]
            if max(r["machine_busy_pct"], same[0]["machine_busy_pct"]) > 90:
                out.append(f"CPU ratio at {r['servers']} servers: not comparable (a saturated machine)")
                continue
            out.append(
                f"CPU keepalived-py / keepalived at {r['servers']} servers: {ratio:.2f}x (target <= 2x)"
            )
    return out


def guest_command(args: argparse.Namespace, servers: int, out: Path) -> list[str]:
    argv = [str(REPO / ".venv" / "bin" / "python"), "-m", "benchmarks.checkers_guest"]
    argv += ["--servers", str(servers), "--duration", str(args.duration), "--warmup", str(args.warmup)]
    argv += ["--period", str(args.period), "--out", str(out)]
    return argv


def run_vm(args: argparse.Namespace) -> list[dict[str, Any]]:
    lacks = vm.missing()
    if lacks:
        raise SystemExit(f"checkers: the VM cannot run here: {'; '.join(lacks)}")
    with tempfile.TemporaryDirectory(prefix="kph-chk-xchg-") as xchg:
        out = Path(xchg) / "results.json"
        os.environ["IPVS_VM_SMP"] = str(args.smp)  # read by vm.run's QEMU command line
        env = dict(os.environ)
        env.pop("KEEPALIVED_PY_IPVS", None)
        # start-up (Python is slow under emulation), two daemons, the settling after each window
        budget = 600 + 2 * (args.warmup + args.duration + 320)
        command = shlex.join(guest_command(args, args.servers, out))
        print(f"checkers: booting the VM (smp {args.smp}): {command}", file=sys.stderr, flush=True)
        res = vm.run(command, cwd=str(REPO), env=env, xchg=Path(xchg), timeout=budget)
        results: list[dict[str, Any]] = json.loads(out.read_text()) if out.exists() else []
        if res.returncode != 0:
            print(f"checkers: the guest driver exited {res.returncode}", file=sys.stderr)
        accel = "KVM" if vm._use_kvm() else "TCG"
        for r in results:
            r["where"] = f"VM ({accel}, {r['cpus']} vCPU)"
        return results


def run_native(args: argparse.Namespace) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="kph-chk-") as tmp:
        out = Path(tmp) / "results.json"
        argv = [*guest_command(args, args.native_servers, out), "--daemons", "keepalived-py"]
        env = dict(os.environ, KEEPALIVED_PY_IPVS="memory")
        print(f"checkers: keepalived-py on this machine, {args.native_servers} servers", file=sys.stderr)
        subprocess.run(argv, cwd=REPO, env=env, check=False)
        results: list[dict[str, Any]] = json.loads(out.read_text()) if out.exists() else []
        for r in results:
            r["where"] = "host"
        return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--servers", type=int, default=1000, help="real servers in the VM (default 1000)")
    p.add_argument("--duration", type=float, default=60.0, help="measurement window per daemon, seconds")
    p.add_argument("--warmup", type=float, default=20.0, help="seconds between ready and the window")
    p.add_argument("--period", type=float, default=10.0, help="a flapping server's down+up cycle, seconds")
    p.add_argument("--smp", type=int, default=int(os.environ.get("IPVS_VM_SMP", "1")), help="VM vCPUs")
    p.add_argument("--native", action="store_true", help="also keepalived-py on this machine")
    p.add_argument("--native-only", action="store_true")
    p.add_argument("--native-servers", type=int, default=1000)
    p.add_argument("--json", help="also write all results here")
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        p.error("needs root (namespaces, the VM)")
    # SIGTERM unwinds like Ctrl-C: the daemons, the server, the namespaces (and QEMU) are stopped
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    if not args.native_only:
        results += run_vm(args)
    if args.native or args.native_only:
        results += run_native(args)
    if not results:
        print("checkers: no results", file=sys.stderr)
        return 1
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    print()
    print(
        f"TCP_CHECK, delay_loop 1, half flapping (period {args.period:g} s), window {args.duration:g} s; "
        f"commit {head.stdout.strip()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"host load {os.getloadavg()[0]:.2f}, {time.monotonic() - started:.0f} s in all"
    )
    print("where: " + ", ".join(f"{r['daemon']}: {r['where']}" for r in results))
    for line in table(results):
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # everything was stopped and removed on the way out
        sys.exit(130)
