"""The running daemon against hostile input: packets, notify scripts, configs, signals.

keepalived-py's rule: a malformed or hostile packet is dropped and counted, never a crash; a failing
notify script never stalls the state machine; no Python traceback reaches a user for any input.
These tests hold the real daemon (parent + VRRP child, ``-n -l -D``) to it, in namespaces:

* hostile VRRP traffic (tests/netns/hostile_traffic.py, whole frames through AF_PACKET) at a
  keepalived-py master and backup with a keepalived 2.2.7 backup beside them: the SIGUSR2 counters
  of the same packets agree with keepalived's, the master's adverts keep their interval (captured
  on the attacker's node, kernel time stamps), nobody changes state, both processes live on;
* notify scripts that hang, fail, flood their output, and a notify FIFO nobody reads;
* every config of tests/parity/configs and random mutations of examples/ through the real start-up;
* signal bursts during start-up and during a failover.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.netns.conftest import record_time
from tests.netns.lab import Lab, Node, Proc, wait_until
from tests.netns.vrrp_lab import (
    VIP,
    VIP6,
    keepalived_available,
    start_keepalived,
    start_kpy_argv,
    vrrp_config,
    write_config,
)

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[2]
PASS_AUTH = "authentication {\n    auth_type PASS\n    auth_pass secret\n}"

# keepalived.stats lines -> keepalived's counter names
STATS_NAMES = {
    ("Advertisements", "Received"): "advert_rcvd",
    ("Advertisements", "Sent"): "advert_sent",
    ("", "Became master"): "become_master",
    ("", "Released master"): "release_master",
    ("Packet Errors", "Length"): "packet_len_err",
    ("Packet Errors", "TTL"): "ip_ttl_err",
    ("Packet Errors", "Invalid Type"): "invalid_type_rcvd",
    ("Packet Errors", "Advertisement Interval"): "advert_interval_err",
    ("Packet Errors", "Address List"): "addr_list_err",
    ("Authentication Errors", "Invalid Type"): "invalid_authtype",
    ("Authentication Errors", "Type Mismatch"): "authtype_mismatch",
    ("Authentication Errors", "Failure"): "auth_failure",
    ("Priority Zero", "Received"): "pri_zero_rcvd",
    ("Priority Zero", "Sent"): "pri_zero_sent",
}
ERRORS = (
    "packet_len_err",
    "ip_ttl_err",
    "invalid_type_rcvd",
    "advert_interval_err",
    "addr_list_err",
    "invalid_authtype",
    "authtype_mismatch",
    "auth_failure",
)


class Daemon:
    """A daemon in a node with its own TMPDIR (for its keepalived.stats)."""

    def __init__(self, node: Node, kind: str, config: str) -> None:
        self.node = node
        self.kind = kind
        self.tmp = node.path(f"{kind}-tmp")
        os.makedirs(self.tmp, exist_ok=True)
        env = {**os.environ, "TMPDIR": self.tmp}
        if kind == "kpy":
            self.proc = node.start(start_kpy_argv(node, config), env=env, label="keepalived-py")
            self.child_pid_file = node.path("kpy-vrrp.pid")
        else:
            self.proc = start_keepalived(node, config, env=env)
            self.child_pid_file = node.path("ka-vrrp.pid")

    def output(self) -> str:
        return self.proc.output()

    def child_pid(self) -> int | None:
        try:
            return int(Path(self.child_pid_file).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def both_alive(self) -> bool:
        pid = self.child_pid()
        if not self.proc.running() or pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stats(self) -> dict[str, int]:
        """SIGUSR2, then keepalived.stats parsed (one instance)."""
        path = os.path.join(self.tmp, "keepalived.stats")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        self.proc.send_signal(signal.SIGUSR2)

        def parsed() -> dict[str, int] | None:
            try:
                text = Path(path).read_text()
            except FileNotFoundError:
                return None
            found = parse_stats(text)
            return found if len(found) == len(STATS_NAMES) else None

        return wait_until(parsed, timeout=10, what=f"{path} from {self.kind}")

    def transitions(self) -> int:
        return len(re.findall(r"Entering \w+ STATE", self.output()))


def parse_stats(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("VRRP Instance"):
            continue
        stripped = line.strip()
        name, _, value = stripped.partition(":")
        if not value.strip():
            section = name
            continue
        key = (section if line.startswith("    ") else "", name)
        if key in STATS_NAMES and value.strip().isdigit():
            found[STATS_NAMES[key]] = int(value)
    return found


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after}


def log_summary(text: str) -> str:
    """Distinct log lines (numbers masked) with their counts."""
    seen: dict[str, int] = {}
    for line in text.splitlines():
        line = re.sub(r"\d+", "N", line.split(": ", 1)[-1] if "Keepalived" in line else line)
        seen[line] = seen.get(line, 0) + 1
    return "\n".join(f"{n:5} {line}" for line, n in seen.items())


def mac_of(node: Node) -> str:
    out = node.run(["ip", "-o", "link", "show", "eth0"], check=True).stdout
    return out.split("link/ether", 1)[1].split()[0]


def traffic(node: Node, command: str, spec: dict[str, object], timeout: float = 120) -> dict[str, int]:
    result = node.run(
        [sys.executable, "-m", "tests.netns.hostile_traffic", command, json.dumps(spec)], timeout=timeout
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


class Capture:
    """Adverts of one source seen on the attacker's eth0."""

    def __init__(self, node: Node, src: str, seconds: float) -> None:
        self.proc = node.start(
            [sys.executable, "-m", "tests.netns.hostile_traffic", "capture", str(seconds), src],
            label="capture",
        )
        wait_until(lambda: "ready" in self.proc.output(), timeout=10, what="capture ready")

    def times(self) -> list[float]:
        found = []
        for line in self.proc.output().splitlines():
            if line.startswith("{"):
                found.append(json.loads(line)["t"])
        return found

    def stop(self) -> list[float]:
        self.proc.kill_group(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        return self.times()


def max_gap(times: list[float]) -> float:
    return max((b - a for a, b in itertools.pairwise(times)), default=float("inf"))


def assert_clean(daemons: list[Daemon]) -> None:
    for d in daemons:
        out = d.output()
        assert "Traceback" not in out, out[-4000:]
        assert "error handling a VRRP packet" not in out, out[-4000:]


def _need_keepalived() -> None:
    reason = keepalived_available()
    if reason:
        pytest.fail(reason)  # this machine has it: a skip would hide a broken setup


def _hostile_run(the_lab: Lab, *, family: int, ah: bool = False, unicast: bool = False) -> None:
    """Master n1 (keepalived-py 150), backups n2 (keepalived 2.2.7, 100) and n3 (keepalived-py, 50),
    attacker n4: battery (counters compared), priority-0 adverts (not with AH: the attacker has no
    valid ICV to offer), then a random flood."""
    _need_keepalived()
    v6 = family == 6
    if v6:
        kw: dict[str, object] = {"vips": (f"{VIP6}/64",), "version": 3, "advert_int": "1"}
    else:
        kw = {"extra": PASS_AUTH.replace("PASS", "AH") if ah else PASS_AUTH}
    daemons = {}
    for index, prio, kind in ((1, 150, "kpy"), (2, 100, "ka"), (3, 50, "kpy")):
        node = the_lab.node(index)
        if unicast:
            peers = "\n".join(f"    192.0.2.{i}" for i in (1, 2, 3) if i != index)
            kw = {"extra": f"{PASS_AUTH}\nunicast_peer {{\n{peers}\n}}"}
        conf = write_config(node, vrrp_config(priority=prio, **kw))  # type: ignore[arg-type]
        daemons[index] = Daemon(node, kind, conf)
    vip = VIP6 if v6 else VIP
    the_lab.wait_holders(vip, lambda h: h == [1], timeout=15, what="node 1 master")
    for i in (2, 3):
        wait_until(lambda i=i: "Entering BACKUP STATE" in daemons[i].output(), timeout=10, what="backup")
    wait_until(lambda: daemons[2].stats()["advert_rcvd"] >= 2, timeout=10, what="keepalived hears the master")
    attacker = the_lab.node(4)
    src = str(attacker.ipv6 if v6 else attacker.ipv4)
    master_src = the_lab.node(1).link_local() if v6 else str(the_lab.node(1).ipv4)
    assert master_src
    spec: dict[str, object] = {
        "family": family,
        "src": the_lab.node(4).link_local() if v6 else src,
        "src_mac": mac_of(attacker),
        "group_mac": "33:33:00:00:00:12" if v6 else "01:00:5e:00:00:12",
        "unicast": [
            [str(the_lab.node(i).ipv6 if v6 else the_lab.node(i).ipv4), mac_of(the_lab.node(i))]
            for i in (1, 2, 3)
        ],
        "vrid": 51,
        "vips": [VIP6 if v6 else VIP],
        "advert_int": 100 if v6 else 1,
        "version": 3 if v6 else 2,
        "password": "" if v6 else "secret",
    }
    # unicast adverts reach their peers only: node 3 watches the master then
    capture = Capture(the_lab.node(3) if unicast else attacker, master_src, 300)
    transitions = {i: d.transitions() for i, d in daemons.items()}
    all_daemons = list(daemons.values())
    phases: dict[str, float] = {}
    try:
        before = {i: d.stats() for i, d in daemons.items()}
        phases["battery"] = time.monotonic()
        if unicast:  # the whole battery to each node's own address
            for target, mac in spec["unicast"]:  # type: ignore[attr-defined]
                one = {**spec, "dst": target, "group_mac": mac, "unicast": []}
                sent = traffic(attacker, "battery", {**one, "repeat": 5, "gap": 0.005})
        else:
            sent = traffic(attacker, "battery", {**spec, "repeat": 5, "gap": 0.005})
        after = {i: d.stats() for i, d in daemons.items()}
        moved = {i: delta(after[i], before[i]) for i in daemons}
        # the same packets, the same counters as keepalived 2.2.7 (backup n2), at a backup and the master
        # keepalived 2.2.7 has advert_interval_err but never counts; keepalived-py counts the VRRPv2
        # interval mismatches (vrrp/instance.py), a documented difference
        interval = 0 if ah else sent.get("wrong_interval", 0)
        assert [moved[i]["advert_interval_err"] for i in (2, 3, 1)] == [0, interval, interval], moved
        table = {
            name: (moved[2][name], moved[3][name], moved[1][name])
            for name in ERRORS
            if "interval" not in name
        }
        wrong = {name: v for name, v in table.items() if len(set(v)) != 1}
        assert not wrong, (
            f"(keepalived backup, kpy backup, kpy master) differ: {wrong}; all {table}; sent {sent}\n"
            f"keepalived:\n{log_summary(daemons[2].output())}\nkeepalived-py:\n{log_summary(daemons[3].output())}"
        )
        assert sum(moved[3][n] for n in ERRORS) >= (5 if ah else 5 * 6), moved
        # valid priority-0 adverts: counted as such everywhere, the master answers, nobody moves
        before = after
        phases["prio0"] = time.monotonic()
        if not ah and not unicast:  # (the attacker's adverts to the group: unicast instances ignore them)
            traffic(attacker, "prio0", {**spec, "count": 20, "gap": 0.1})
            after = {i: d.stats() for i, d in daemons.items()}
            for i in daemons:
                assert after[i]["pri_zero_rcvd"] - before[i]["pri_zero_rcvd"] == 20, (i, before, after)
        # a random flood
        before = after
        t0 = phases["fuzz"] = time.monotonic()
        flood = traffic(attacker, "fuzz", {**spec, "count": 6000, "rate": 1500, "seed": 7 + family})
        took = time.monotonic() - t0
        phases["fuzz end"] = time.monotonic()
        after = {i: d.stats() for i, d in daemons.items()}
        for i in (1, 3):
            errors = sum(after[i][n] - before[i][n] for n in ERRORS)
            assert errors > (20 if unicast else 100), (i, flood, delta(after[i], before[i]))
        record_time(f"IPv{family}: {sum(flood.values())} hostile frames sent", took, 6000 / 1500)
        the_lab.wait_holders(vip, lambda h: h == [1], timeout=2, what="node 1 still master")
        # the master's adverts a little longer after the flood, so the last gap is bounded too
        n = len(capture.times())
        wait_until(lambda: len(capture.times()) >= n + 2, timeout=3, what="adverts after the flood")
    finally:
        times = capture.stop()
    gap = max_gap(times)
    record_time(f"IPv{family} hostile traffic: longest gap between the master's adverts", gap, 1.0)
    long_gaps = [(round(a, 2), round(b - a, 2)) for a, b in itertools.pairwise(times) if b - a > 1.2]
    if os.environ.get("KPY_HOSTILE_DEBUG"):
        Path(os.environ["KPY_HOSTILE_DEBUG"]).write_text(
            f"{gap} {long_gaps} {phases}\n{daemons[1].output()}\n{capture.proc.output()}"
        )
    assert gap <= 2.0, (gap, long_gaps, phases)
    for i, d in daemons.items():
        assert d.both_alive(), d.output()[-3000:]
        assert d.transitions() == transitions[i], d.output()[-3000:]
    assert_clean(all_daemons)
    for i in (1, 3):
        assert daemons[i].proc.stop(timeout=10) == 0
    assert_clean(all_daemons)


def test_hostile_vrrp_v2_ipv4(make_lab: Callable[..., Lab]) -> None:
    _hostile_run(make_lab(4), family=4)


def test_hostile_vrrp_v2_ipv4_unicast(make_lab: Callable[..., Lab]) -> None:
    """The same with unicast_peer instances: the battery is sent to each node's address."""
    _hostile_run(make_lab(4), family=4, unicast=True)


def test_hostile_vrrp_v2_ipv4_ah(make_lab: Callable[..., Lab]) -> None:
    """The same with IPsec AH authentication: plain adverts and forged AH headers."""
    _hostile_run(make_lab(4), family=4, ah=True)


def test_hostile_vrrp_v3_ipv6(make_lab: Callable[..., Lab]) -> None:
    _hostile_run(make_lab(4, ipv6=True), family=6)


# -- notify scripts that hang, fail, flood; notify FIFOs nobody reads ---------------------------

HANG = "#!/bin/sh\nsleep 3600\n"
FAIL = "#!/bin/sh\necho failing >&2\nexit 3\n"
FLOOD = "#!/bin/sh\nyes notify-flood-output | head -c 20000000\n"


def _script(node: Node, name: str, text: str) -> str:
    path = node.path(name)
    Path(path).write_text(text)
    os.chmod(path, 0o755)
    return path


def _pids_running(marker: str) -> list[int]:
    """PIDs whose command line mentions ``marker`` (a script path unique to this lab)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry))
    return found


def _kill_leftovers(markers: list[str]) -> None:
    for marker in markers:
        for pid in _pids_running(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _fill_fifo(path: str) -> int:
    """Write into ``path`` (the daemon holds it open) until the pipe is full; bytes written."""
    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    written = 0
    try:
        while True:
            try:
                written += os.write(fd, b"x" * 4096)
            except BlockingIOError:
                return written
    finally:
        os.close(fd)


def test_hostile_notify_scripts_and_fifos(make_lab: Callable[..., Lab]) -> None:
    """Every notify script of both nodes hangs, fails or floods its output; node 1's notify FIFO is
    full, node 2's is never read.  Failover both ways keeps the protocol's timing, adverts keep
    their interval, the scripts' output is not in the log, and a stop kills the hung scripts
    within keepalived's grace."""
    the_lab = make_lab(3)
    markers: list[str] = []
    procs: dict[int, Proc] = {}
    fifos: dict[int, str] = {}
    configs: dict[int, str] = {}
    for index, prio in ((1, 150), (2, 100)):
        node = the_lab.node(index)
        hang, fail, flood = (
            _script(node, "hang.sh", HANG),
            _script(node, "fail.sh", FAIL),
            _script(node, "flood.sh", FLOOD),
        )
        markers.append(hang)
        fifos[index] = node.path("notify.fifo")
        extra = "\n".join(
            [
                f"notify_master {hang}",
                f"notify_backup {flood}",
                f"notify_fault {fail}",
                f"notify_stop {hang}",
                f"notify {fail}",
            ]
        )
        fifo_kw = "vrrp_notify_fifo" if index == 1 else "notify_fifo"
        configs[index] = write_config(
            node,
            vrrp_config(
                priority=prio, extra=extra, global_extra=f"{fifo_kw} {fifos[index]}\nscript_user root"
            ),
        )
    procs[1] = the_lab.node(1).start(start_kpy_argv(the_lab.node(1), configs[1]), label="keepalived-py")
    wait_until(lambda: os.path.exists(fifos[1]), timeout=10, what="node 1 FIFO")
    full = wait_until(lambda: _fill_fifo(fifos[1]), timeout=5, what="FIFO filled")
    assert full >= 4096
    procs[2] = the_lab.node(2).start(start_kpy_argv(the_lab.node(2), configs[2]), label="keepalived-py")
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=15, what="node 1 master")
    wait_until(lambda: "Entering BACKUP STATE" in procs[2].output(), timeout=10, what="node 2 backup")
    wait_until(lambda: _pids_running(markers[0]), timeout=5, what="node 1's hung notify_master")
    observer = the_lab.node(3)
    cap1 = Capture(observer, str(the_lab.node(1).ipv4), 300)
    cap2 = Capture(observer, str(the_lab.node(2).ipv4), 300)
    wait_until(lambda: len(cap1.times()) >= 3, timeout=5, what="three adverts of node 1")
    # node 1 stops: its hung scripts do not hold it beyond the grace; node 2 takes over at once
    t0 = time.monotonic()
    code = procs[1].stop(timeout=10)
    stopped = time.monotonic() - t0
    assert code == 0, procs[1].output()[-3000:]
    record_time("stop with hung notify scripts (notify_master, notify_stop)", stopped, 1.0)
    assert stopped < 4.0, procs[1].output()[-3000:]
    wait_until(lambda: not _pids_running(markers[0]), timeout=3, what="node 1's hung scripts killed")
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=3, what="node 2 takes over")
    took = time.monotonic() - t0
    record_time("takeover after a priority-0 advert, hostile notify scripts on both nodes", took, 0.61)
    assert took <= 0.61 + stopped + 1.5
    wait_until(lambda: len(cap2.times()) >= 4, timeout=6, what="node 2's adverts")
    # node 1 comes back and preempts; node 2's notify_backup floods, its notify_master hangs
    procs[1] = the_lab.node(1).start(start_kpy_argv(the_lab.node(1), configs[1]), label="keepalived-py")
    t1 = time.monotonic()
    wait_until(lambda: os.path.exists(fifos[1]), timeout=10, what="node 1 FIFO again")
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="node 1 preempts")
    record_time("preemption by a restarted master, hostile scripts", time.monotonic() - t1, 3.41)
    wait_until(lambda: len(cap1.times()) >= 6, timeout=6, what="node 1's adverts again")
    times1, times2 = cap1.stop(), cap2.stop()
    # adverts kept their interval while each node was master (node 1: the two runs separately)
    restart = min((t for t in times1 if t > times2[-1]), default=times1[-1])
    first_run = [t for t in times1 if t < times2[0]]
    second_run = [t for t in times1 if t >= restart]
    for name, run in (("node 1 first", first_run), ("node 2", times2), ("node 1 again", second_run)):
        if len(run) >= 2:
            record_time(f"hostile notify scripts: longest advert gap, {name}", max_gap(run), 1.0)
            assert max_gap(run) <= 2.0, (name, run)
    for proc in procs.values():
        assert proc.running(), proc.output()[-3000:]
    t2 = time.monotonic()
    for index in (2, 1):
        assert procs[index].stop(timeout=10) == 0
    assert time.monotonic() - t2 < 8
    wait_until(lambda: not any(_pids_running(m) for m in markers), timeout=3, what="every hung script killed")
    for index in (1, 2):
        out = the_lab.node(index).procs
        for proc in out:
            text = proc.output()
            if proc.argv[0] == sys.executable:
                assert "Traceback" not in text, text[-3000:]
                assert "notify-flood-output" not in text, "a notify script's output reached the log"
                assert "failing" not in text, "a notify script's output reached the log"
    _kill_leftovers(markers)


# -- configs through the real start-up path --------------------------------------------------

PARITY_CONFIGS = sorted((REPO / "tests" / "parity" / "configs").glob("*.conf"))
EXAMPLES = sorted((REPO / "examples").glob("*/*.conf"))
SETTLE = 2.5


def _args_of(path: Path) -> list[str]:
    first = path.read_text(errors="replace").splitlines()[:1]
    if first and first[0].startswith("# args:"):
        return first[0].removeprefix("# args:").split()
    return []


def mutate(text: str, rng: random.Random) -> str:
    """A random corruption of a config: lines dropped, doubled or swapped, braces and words
    changed, numbers made huge or negative, garbage bytes, a cut at any point."""
    lines = text.splitlines()
    for _ in range(rng.randrange(1, 6)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        how = rng.randrange(9)
        if how == 0:
            del lines[i]
        elif how == 1:
            lines.insert(i, lines[i])
        elif how == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif how == 3:
            lines[i] = lines[i].replace("{", "", 1) if "{" in lines[i] else lines[i] + " {"
        elif how == 4:
            lines[i] = re.sub(
                r"\d+", lambda _m: rng.choice(["-1", "0", "99999999999999999999", "4294967296"]), lines[i]
            )
        elif how == 5:
            words = lines[i].split()
            if words:
                words[rng.randrange(len(words))] = rng.choice(
                    ["}", "{", "@", "$X", "~", "\\", '"', "!", "include"]
                )
                lines[i] = " ".join(words)
        elif how == 6:
            lines[i] += " " + rng.randbytes(rng.randrange(1, 12)).decode("latin-1")
        elif how == 7:
            lines = lines[:i]
        else:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
    return "\n".join(lines) + rng.choice(["\n", ""])


def _outcome(node: Node, argv: list[str], label: str) -> tuple[str, str]:
    """Start, let it settle, stop: ("exit N" | "ran, SIGTERM -> N", output)."""
    proc = node.start(argv, label=label)
    # the settling time counts from the first line: before it, a loaded machine may still be
    # starting the interpreter, whose signals are not held yet (keepalived-py holds them from
    # its first log line on), so a SIGTERM then would test the machine's load, not the daemon
    first_line = time.monotonic() + 60
    while proc.running() and not proc.output().strip() and time.monotonic() < first_line:
        time.sleep(0.05)
    deadline = time.monotonic() + SETTLE
    while proc.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    if proc.running() and re.search(r"Stopped Keepalived|exited with permanent error", proc.output()):
        # stopping by itself (a loaded machine can take a while to finish): its own exit status
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
    if not proc.running():
        return f"exit {proc.popen.returncode}", proc.output()
    try:
        code = proc.stop(timeout=10)
    except subprocess.TimeoutExpired:
        code = -999
    return f"ran, SIGTERM -> {code}", proc.output()


def _add_eth1(node: Node) -> None:
    """An eth1 as in the parity namespace (a veth pair: no dummy driver here)."""
    node.run(["ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p"], check=True)
    node.run(["ip", "link", "set", "eth1p", "up"], check=True)
    node.run(["ip", "link", "set", "eth1", "up"], check=True)


def test_configs_through_the_real_start_up(make_lab: Callable[..., Lab]) -> None:
    """Every parity config and 40 random mutations of examples/*.conf started as a daemon
    (``-n -l -D``): it runs or exits, with a message, never a traceback, never a hang at SIGTERM.
    keepalived 2.2.7 is started the same way beside it; where the two differ (one runs, one
    exits) it is reported in the terminal summary."""
    _need_keepalived()
    import concurrent.futures

    the_lab = make_lab(6)
    for node in the_lab.nodes:
        _add_eth1(node)
    rng = random.Random(20261128)
    cases: list[tuple[str, str, list[str]]] = [(p.name, str(p), _args_of(p)) for p in PARITY_CONFIGS]
    mutants_dir = Path(the_lab.tmpdir) / "mutants"
    mutants_dir.mkdir()
    for k in range(40):
        source = rng.choice(EXAMPLES)
        path = mutants_dir / f"{source.parent.name}-{source.stem}-{k}.conf"
        path.write_text(mutate(source.read_text(), rng), encoding="latin-1")
        cases.append((path.name, str(path), []))

    def run(index: int, case: tuple[str, str, list[str]]) -> tuple[str, str, str, str, str]:
        name, path, args = case
        node = the_lab.nodes[index % len(the_lab.nodes)]
        kpy = [sys.executable, "-m", "keepalived_py", "-n", "-l", "-D", "-f", path, *args]
        kpy += ["-p", node.path(f"{index}-kpy.pid"), "-r", node.path(f"{index}-kpy-vrrp.pid")]
        kpy += ["-c", node.path(f"{index}-kpy-chk.pid"), "-b", node.path(f"{index}-kpy-bfd.pid")]
        ka = ["/usr/sbin/keepalived", "-n", "-l", "-D", "-f", path, *args]
        ka += ["-p", node.path(f"{index}-ka.pid"), "-r", node.path(f"{index}-ka-vrrp.pid")]
        ka += ["-c", node.path(f"{index}-ka-chk.pid"), "-b", node.path(f"{index}-ka-bfd.pid")]
        ours, out = _outcome(node, kpy, f"kpy-{index}")
        theirs, their_out = _outcome(node, ka, f"ka-{index}")
        return name, ours, theirs, out, their_out

    results = []
    workers = len(the_lab.nodes)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        # one worker per node: case i runs on node i % workers, cases of a node one after another
        futures = []
        for w in range(workers):
            mine = [(i, c) for i, c in enumerate(cases) if i % workers == w]
            futures.append(pool.submit(lambda mine=mine: [run(i, c) for i, c in mine]))
        for f in futures:
            results += f.result()
    problems = []
    differ = []
    for name, ours, theirs, out, their_out in results:
        if "Traceback" in out:
            problems.append(f"{name}: traceback\n{out[-3000:]}")
        if ours == "ran, SIGTERM -> -999":
            problems.append(f"{name}: did not stop at SIGTERM\n{out[-2000:]}")
        elif ours.startswith("ran") and ours != "ran, SIGTERM -> 0":
            problems.append(f"{name}: {ours}\n{out[-2000:]}")
        if ours.startswith("exit") and ours != "exit 0" and not out.strip():
            problems.append(f"{name}: {ours} without a message\n{out}")
        if ours.split(",")[0] != theirs.split(",")[0]:
            differ.append((name, ours, theirs, their_out.strip().splitlines()[-2:]))
    record_time(
        f"configs started: {len(results)}; run/exit as keepalived 2.2.7",
        len(results) - len(differ),
        len(results),
    )
    for name, ours, theirs, last in differ:
        print(f"config {name}: keepalived-py {ours}; keepalived {theirs} {last}")
    assert not problems, "\n\n".join(problems)


# -- signals at awkward moments ----------------------------------------------------------------

BURST = (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGRTMIN + 2)


def _burst(pid: int, count: int, spacing: float = 0.002) -> int:
    """``count`` signals of BURST in turn to ``pid``; how many were delivered."""
    sent = 0
    for k in range(count):
        try:
            os.kill(pid, BURST[k % len(BURST)])
        except ProcessLookupError:
            break
        sent += 1
        time.sleep(spacing)
    return sent


def _takes_charge_of(pid: int, sig: int) -> bool:
    """``sig`` is blocked or caught by ``pid`` (/proc/PID/status SigBlk / SigCgt)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    masks = [
        int(line.split()[1], 16) for line in status.splitlines() if line.startswith(("SigBlk", "SigCgt"))
    ]
    return any(mask >> (sig - 1) & 1 for mask in masks)


def _start_kpy_tmp(node: Node, config: str) -> Proc:
    env = {**os.environ, "TMPDIR": node.lab.tmpdir}
    return node.start(start_kpy_argv(node, config), env=env, label="keepalived-py")


def test_signal_bursts_during_start_up(make_lab: Callable[..., Lab]) -> None:
    """400 SIGHUP/SIGUSR1/SIGUSR2/SIGRTMIN+2 from the first instant of the process on: both
    processes survive, the instance becomes master, SIGTERM then stops it cleanly."""
    the_lab = make_lab(1)
    node = the_lab.node(1)
    conf = write_config(node, vrrp_config(priority=150))
    proc = _start_kpy_tmp(node, conf)
    wait_until(lambda: _takes_charge_of(proc.pid, signal.SIGHUP), timeout=10, what="SIGHUP held")
    sent = _burst(proc.pid, 400, spacing=0.005)
    assert sent == 400, proc.output()[-3000:]
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=15, what="master after the burst")
    wait_until(lambda: Path(node.path("kpy-vrrp.pid")).exists(), timeout=5, what="VRRP pid file")
    child = int(Path(node.path("kpy-vrrp.pid")).read_text().split()[0])
    os.kill(child, 0)
    assert proc.running()
    assert proc.stop(timeout=10) == 0, proc.output()[-3000:]
    out = proc.output()
    assert "Traceback" not in out and "exited due to signal" not in out, out[-3000:]


@pytest.mark.parametrize("backup", ["keepalived-py", "keepalived"])
def test_signal_bursts_during_a_failover(make_lab: Callable[..., Lab], backup: str) -> None:
    """The master is killed; while the backup takes over it gets 400 signals in 4 s.  A reload
    (SIGHUP) restarts a backup's Master_Down timer, in keepalived 2.2.7 too (the same test with
    it as the backup): the takeover comes at most Master_Down_Interval after the burst, once, and
    the daemon stops cleanly."""
    if backup == "keepalived":
        _need_keepalived()
    the_lab = make_lab(2)
    procs = {}
    for index, prio in ((1, 150), (2, 100)):
        node = the_lab.node(index)
        conf = write_config(node, vrrp_config(priority=prio))
        if index == 2 and backup == "keepalived":
            procs[index] = start_keepalived(node, conf, env={**os.environ, "TMPDIR": the_lab.tmpdir})
        else:
            procs[index] = _start_kpy_tmp(node, conf)
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=15, what="node 1 master")
    wait_until(lambda: "Entering BACKUP STATE" in procs[2].output(), timeout=10, what="node 2 backup")
    import threading

    t0 = time.monotonic()
    seen = len(procs[2].output())  # the start-up election may have had node 2 master a moment
    procs[1].kill_group(signal.SIGKILL)
    ended: list[float] = []
    burst = threading.Thread(target=lambda: (_burst(procs[2].pid, 400, 0.01), ended.append(time.monotonic())))
    burst.start()
    down = 3 + (256 - 100) / 256
    try:
        # node 1 was SIGKILLed: its VIP stays on its interface
        the_lab.wait_holders(VIP, lambda h: 2 in h, timeout=down + 10, what="node 2 takes over")
        took = time.monotonic() - t0
    finally:
        burst.join()
    record_time(f"{backup}: takeover under a burst of 400 signals in {ended[0] - t0:.1f} s", took, down)
    # the last reload re-arms the timer when it completes, which on a loaded machine is a moment
    # after the last SIGHUP: 2.5 s of slack over Master_Down_Interval after the burst
    assert took <= ended[0] - t0 + down + 2.5
    the_lab.wait_holders(VIP, lambda h: 2 in h, timeout=2, what="node 2 keeps the VIP")
    out = procs[2].output()[seen:]
    # a reload of a master may say "Entering MASTER STATE" again, but the master never steps down
    after = out.split("Entering MASTER STATE", 1)[1]
    assert "Entering BACKUP STATE" not in after and "Entering FAULT STATE" not in after, out[-3000:]
    assert procs[2].stop(timeout=10) == 0, out[-3000:]
    out = procs[2].output()
    assert "Traceback" not in out and "exited due to signal" not in out, out[-3000:]
    assert not Path(the_lab.node(2).path("kpy-vrrp.pid")).exists()


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15, 0.3, 0.6, 1.0, 1.5, 2.5])
def test_sigterm_during_start_up(make_lab: Callable[..., Lab], delay: float) -> None:
    """SIGTERM at any moment of the start: exit status 0 (keepalived's), no traceback, nothing left
    (children, VIP, pid files)."""
    the_lab = make_lab(1)
    node = the_lab.node(1)
    proc = _start_kpy_tmp(node, write_config(node, vrrp_config(priority=150)))
    # from the moment the program has taken charge of SIGTERM (the interpreter's own start-up,
    # before any of our code runs, has the kernel's default: terminate)
    wait_until(lambda: _takes_charge_of(proc.pid, signal.SIGTERM), timeout=10, what="SIGTERM held")
    time.sleep(delay)  # the moment of the signal is the parameter of the test
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=15)
    out = proc.output()
    assert code == 0, (code, out[-3000:])
    assert "Traceback" not in out, out[-3000:]
    assert not node.holds(VIP)
    assert not Path(node.path("kpy.pid")).exists() and not Path(node.path("kpy-vrrp.pid")).exists()
