"""The checker child against real servers in namespaces, with an in-memory IPVS (root).

This machine's kernel has no IPVS, so keepalived-py runs with ``KEEPALIVED_PY_IPVS=memory:FILE``:
the whole daemon (parent, Healthcheck child, checkers, pools, notifications) runs for real and
every change of its table is written to FILE (one JSON line per batch of commands), which the
test follows.  Node 1 runs ``keepalived-py -C``; nodes 2 and 3 run python's http.server.  A
server stopped leaves the table within delay_loop + (retry + 1) x connect_timeout + retry x
delay_before_retry (keepalived's TCP_CHECK/HTTP_GET rule), with keepalived's notify script argv
and lvs notify FIFO lines; all servers down brings in the sorry server; SIGTERM removes the
services (omega: with the shutdown notifications), ``-I`` keeps them.  The same scenario against
a real kernel is tests/ipvs/in_vm/test_check_daemon_vm.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.netns.conftest import record_time
from tests.netns.lab import Lab, Node, Proc, stays_true, wait_until

pytestmark = pytest.mark.root
PY = sys.executable
SLACK = 2.0
DELAY_LOOP, CONNECT_TIMEOUT, RETRY, DELAY_BEFORE_RETRY = 2, 1, 2, 1
REMOVAL_BOUND = DELAY_LOOP + (RETRY + 1) * CONNECT_TIMEOUT + RETRY * DELAY_BEFORE_RETRY


def conf(node: Node, *, extra: str = "") -> str:
    notify = node.path("notify.sh")
    with open(notify, "w") as f:
        f.write(f'#!/bin/sh\necho "$0 $*" >> {node.path("notify.log")}\n')
    os.chmod(notify, 0o755)
    checker = f"""
        connect_timeout {CONNECT_TIMEOUT}
        retry {RETRY}
        delay_before_retry {DELAY_BEFORE_RETRY}"""
    return f"""
global_defs {{
    script_user root
    enable_script_security
    lvs_notify_fifo {node.path("lvs.fifo")}
}}
virtual_server 203.0.113.10 80 {{
    delay_loop {DELAY_LOOP}
    lb_algo rr
    lb_kind NAT
    protocol TCP
    quorum_up "{notify} QUORUM UP"
    quorum_down "{notify} QUORUM DOWN"
    sorry_server 192.0.2.1 8080
    {extra}
    real_server 192.0.2.2 80 {{
        weight 2
        notify_up "{notify} UP 192.0.2.2"
        notify_down "{notify} DOWN 192.0.2.2"
        HTTP_GET {{
            url {{
                path /
                status_code 200
            }}{checker}
        }}
    }}
    real_server 192.0.2.3 80 {{
        notify_up "{notify} UP 192.0.2.3"
        notify_down "{notify} DOWN 192.0.2.3"
        TCP_CHECK {{{checker}
        }}
    }}
}}
"""


class Daemon:
    def __init__(self, node: Node, text: str, *args: str) -> None:
        self.node = node
        self.table_file = node.path("ipvs.jsonl")
        path = node.path("keepalived.conf")
        with open(path, "w") as f:
            f.write(text)
        argv = [PY, "-m", "keepalived_py", "-C", "-n", "-l", "-G", "-D", "-f", path]
        argv += ["-p", node.path("kpy.pid"), "-c", node.path("checkers.pid"), *args]
        env = dict(os.environ, KEEPALIVED_PY_IPVS=f"memory:{self.table_file}")
        self.proc: Proc = node.start(argv, env=env, label="keepalived-py")
        self.fifo_fd = -1
        self.fifo_text = ""

    def batches(self) -> list[dict[str, Any]]:
        try:
            with open(self.table_file) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def dests(self) -> set[str] | None:
        """The destinations of the virtual service now (None: no service)."""
        found = self.batches()
        if not found:
            return None
        table = found[-1]["table"]
        if not table:
            return None
        return {line.split()[1] for line in table[1:]}

    def wait_dests(self, want: set[str] | None, timeout: float) -> float:
        def probe() -> bool:
            if not self.proc.running():
                raise AssertionError(f"daemon died:\n{self.proc.output()}")
            return self.dests() == want

        try:
            wait_until(probe, timeout=timeout, what=f"dests {want}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {self.dests()}\n{self.proc.output()}") from None
        return time.monotonic()

    def fifo_lines(self) -> list[str]:
        if self.fifo_fd == -1:
            path = self.node.path("lvs.fifo")
            if not os.path.exists(path):
                return []
            assert stat.S_ISFIFO(os.stat(path).st_mode)
            self.fifo_fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(self.fifo_fd, 65536):
                self.fifo_text += chunk.decode()
        return self.fifo_text.splitlines()

    def notify_log(self) -> list[str]:
        try:
            with open(self.node.path("notify.log")) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def close(self) -> None:
        if self.fifo_fd != -1:
            os.close(self.fifo_fd)
            self.fifo_fd = -1


def http_server(node: Node) -> Proc:
    www = node.path("www")
    os.makedirs(www, exist_ok=True)
    proc = node.start([PY, "-m", "http.server", "80", "--bind", str(node.ipv4), "-d", www], label="http")

    def listening() -> bool:
        return bool(node.run(["ss", "-H", "-tln", "sport = :80"]).stdout.strip())

    wait_until(listening, timeout=10, what=f"http.server in {node.ns}")
    return proc


def test_checker_child_follows_real_servers(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(3)
    n1, n2, n3 = lab.node(1), lab.node(2), lab.node(3)
    servers = {2: http_server(n2), 3: http_server(n3)}
    notify = n1.path("notify.sh")
    d = Daemon(n1, conf(n1, extra="omega"))
    try:
        both = {"192.0.2.2:80", "192.0.2.3:80"}
        d.wait_dests(both, timeout=10)
        # the first checks pass: nothing changes; the only notification is the quorum gained at
        # start (keepalived sets the quorum state before any real server is alive)
        wait_until(lambda: "TCP connection to [192.0.2.3]:tcp:80 success." in d.proc.output(), timeout=10)
        wait_until(lambda: d.notify_log() != [], timeout=5, what="quorum_up at start")
        assert d.notify_log() == [f"{notify} QUORUM UP"]

        # a server stops: removed within keepalived's bound, notify_down and the FIFO line
        stopped = time.monotonic()
        servers[2].stop()
        removed = d.wait_dests({"192.0.2.3:80"}, timeout=REMOVAL_BOUND + SLACK + 5)
        assert removed - stopped <= REMOVAL_BOUND + SLACK, (removed - stopped, REMOVAL_BOUND)
        record_time("HTTP_GET server stopped -> out of the IPVS table", removed - stopped, REMOVAL_BOUND)
        wait_until(lambda: f"{notify} DOWN 192.0.2.2" in d.notify_log(), timeout=5, what="notify_down")
        wait_until(
            lambda: "RS [192.0.2.2]:tcp:80 [203.0.113.10]:tcp:80 DOWN" in d.fifo_lines(),
            timeout=5,
            what="fifo",
        )
        out = d.proc.output()
        assert "Removing service [192.0.2.2]:tcp:80 from VS [203.0.113.10]:tcp:80" in out
        assert f"HTTP_CHECK on service [192.0.2.2]:tcp:80 failed after {RETRY} retries." in out

        # it comes back: added again, notify_up, FIFO UP
        servers[2] = http_server(n2)
        d.wait_dests(both, timeout=DELAY_LOOP + CONNECT_TIMEOUT + SLACK + 5)
        wait_until(lambda: f"{notify} UP 192.0.2.2" in d.notify_log(), timeout=5, what="notify_up")
        wait_until(lambda: "RS [192.0.2.2]:tcp:80 [203.0.113.10]:tcp:80 UP" in d.fifo_lines(), timeout=5)

        # every server fails: the sorry server takes the pool, quorum_down, VS DOWN
        servers[2].stop()
        servers[3].stop()
        d.wait_dests({"192.0.2.1:8080"}, timeout=REMOVAL_BOUND + SLACK + 5)
        wait_until(lambda: f"{notify} QUORUM DOWN" in d.notify_log(), timeout=5, what="quorum_down")
        wait_until(lambda: "VS [203.0.113.10]:tcp:80 DOWN" in d.fifo_lines(), timeout=5)
        assert "Lost quorum 1-0=1 > 0 for VS [203.0.113.10]:tcp:80" in d.proc.output()
        assert "Adding sorry server [192.0.2.1]:tcp:8080 to VS [203.0.113.10]:tcp:80" in d.proc.output()

        # one comes back: the quorum and the pool return
        servers[3] = http_server(n3)
        d.wait_dests({"192.0.2.3:80"}, timeout=DELAY_LOOP + CONNECT_TIMEOUT + SLACK + 5)
        wait_until(lambda: d.notify_log().count(f"{notify} QUORUM UP") == 2, timeout=5, what="quorum_up")
        wait_until(lambda: "VS [203.0.113.10]:tcp:80 UP" in d.fifo_lines(), timeout=5)

        # SIGTERM: our service removed; omega: the live server's notify_down and the VS DOWN
        before = len(d.notify_log())
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(timeout=15) == 0
        assert d.dests() is None
        out = d.proc.output()
        assert "Shutting down service [192.0.2.3]:tcp:80 from VS [203.0.113.10]:tcp:80" in out
        assert "Shutting down service [192.0.2.2]:tcp:80 from VS [203.0.113.10]:tcp:80" in out
        # both scripts are started in this order and run at once (as keepalived's): which one
        # appends its line first is the scheduler's choice
        expected = [f"{notify} DOWN 192.0.2.3", f"{notify} QUORUM DOWN"]
        assert sorted(d.notify_log()[before:]) == sorted(expected)
        assert not os.path.exists(n1.path("checkers.pid"))
        assert not os.path.exists(n1.path("lvs.fifo"))
    finally:
        d.close()


def test_dont_release_ipvs_keeps_the_table(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(3)
    n1 = lab.node(1)
    http_server(lab.node(2))
    http_server(lab.node(3))
    d = Daemon(n1, conf(n1), "-I")
    try:
        d.wait_dests({"192.0.2.2:80", "192.0.2.3:80"}, timeout=10)
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(timeout=15) == 0
        assert d.dests() == {"192.0.2.2:80", "192.0.2.3:80"}
        assert "Shutting down service" not in d.proc.output()
    finally:
        d.close()


def test_without_ipvs_the_checker_stops_the_daemon_as_keepalived(make_lab: Callable[..., Lab]) -> None:
    """No IPVS in the kernel: "IPVS: Can't initialize ipvs", FATAL, the parent stops (exit 1)."""
    lab = make_lab(1)
    n1 = lab.node(1)
    path = n1.path("keepalived.conf")
    with open(path, "w") as f:
        f.write(conf(n1))
    argv = [PY, "-m", "keepalived_py", "-n", "-l", "-G", "-f", path, "-p", n1.path("kpy.pid")]
    argv += ["-c", n1.path("checkers.pid")]
    env = {k: v for k, v in os.environ.items() if k != "KEEPALIVED_PY_IPVS"}
    proc = n1.start(argv, env=env, label="keepalived-py")
    assert proc.wait(timeout=20) == 1
    out = proc.output()
    assert "IPVS: Can't initialize ipvs:" in out
    assert "Keepalived_healthcheckers exited with permanent error FATAL. Terminating" in out


def _pid_in(path: str) -> int:
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return 0


def test_respawned_checker_child_reconciles_without_touching_the_table(make_lab: Callable[..., Lab]) -> None:
    """The Healthcheck child killed: the parent respawns it, and the new child, finding the table
    its predecessor left (as the kernel keeps it), sends no command; SIGUSR1 is relayed to it."""
    lab = make_lab(3)
    n1 = lab.node(1)
    http_server(lab.node(2))
    http_server(lab.node(3))
    d = Daemon(n1, conf(n1))
    try:
        both = {"192.0.2.2:80", "192.0.2.3:80"}
        d.wait_dests(both, timeout=10)
        child = wait_until(lambda: _pid_in(n1.path("checkers.pid")), timeout=10, what="checkers pid")
        os.kill(child, signal.SIGKILL)
        new = wait_until(
            lambda: (p := _pid_in(n1.path("checkers.pid"))) not in (0, child) and p,
            timeout=10,
            what="a new Healthcheck child",
        )
        marker = f"Starting Healthcheck child process, pid={new}"

        def checked_again() -> bool:
            out = d.proc.output()
            return marker in out and "TCP connection to [192.0.2.3]:tcp:80 success." in out.split(marker)[1]

        wait_until(checked_again, timeout=15, what="the new child's first checks")
        # its reconciliation found the table right: no command at all
        assert [b for b in d.batches() if b["pid"] == new] == []
        out = d.proc.output()
        assert f"Healthcheck child process({child}) died: Respawning" in out
        assert f"Starting Healthcheck child process, pid={new}" in out
        assert d.dests() == both
        # SIGUSR1 reaches the checker child: keepalived's "Printing checker data" line
        d.proc.send_signal(signal.SIGUSR1)
        wait_until(
            lambda: f"Printing checker data for process({new}) on signal" in d.proc.output(),
            timeout=10,
            what="SIGUSR1 in the checker child",
        )
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(timeout=15) == 0
        assert d.dests() is None
    finally:
        d.close()


def test_sighup_reload_adds_and_removes_without_touching_what_stays(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(3)
    n1 = lab.node(1)
    http_server(lab.node(2))
    http_server(lab.node(3))
    full = conf(n1)
    # the first config lacks real server 192.0.2.3
    start, _rest = full.split("    real_server 192.0.2.3 80 {")
    first = start + "}\n"
    d = Daemon(n1, first)
    try:
        d.wait_dests({"192.0.2.2:80"}, timeout=10)
        with open(n1.path("keepalived.conf"), "w") as f:
            f.write(full)
        done = len(d.batches())
        d.proc.send_signal(signal.SIGHUP)
        d.wait_dests({"192.0.2.2:80", "192.0.2.3:80"}, timeout=10)
        ops = [op for b in d.batches()[done:] for op in b["ops"]]
        assert len(ops) == 1 and ops[0].startswith("AddDest(") and "192.0.2.3" in ops[0], ops
        assert "Reloading" in d.proc.output()
        # and back: the server leaves with its notify_down, the other one is not touched
        with open(n1.path("keepalived.conf"), "w") as f:
            f.write(first)
        done = len(d.batches())
        d.proc.send_signal(signal.SIGHUP)
        d.wait_dests({"192.0.2.2:80"}, timeout=10)
        ops = [op for b in d.batches()[done:] for op in b["ops"]]
        assert len(ops) == 1 and ops[0].startswith("DelDest(") and "192.0.2.3" in ops[0], ops
        assert "service [192.0.2.3]:tcp:80 no longer exist" in d.proc.output()
        wait_until(lambda: f"{n1.path('notify.sh')} DOWN 192.0.2.3" in d.notify_log(), timeout=5)
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(timeout=15) == 0
    finally:
        d.close()


def test_file_check_follows_its_track_file(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(1)
    n1 = lab.node(1)
    state = n1.path("rs.state")
    with open(state, "w") as f:
        f.write("0\n")
    text = f"""
global_defs {{
    script_user root
    enable_script_security
}}
track_file rs_state {{
    file {state}
    weight 0
}}
virtual_server 203.0.113.10 80 {{
    protocol TCP
    real_server 192.0.2.2 80 {{
        FILE_CHECK {{
            track_file rs_state
        }}
    }}
    real_server 192.0.2.3 80 {{
        weight 5
    }}
}}
"""
    d = Daemon(n1, text)
    try:
        d.wait_dests({"192.0.2.2:80", "192.0.2.3:80"}, timeout=10)
        with open(state, "w") as f:
            f.write("1\n")
        d.wait_dests({"192.0.2.3:80"}, timeout=5)
        assert "([192.0.2.2]:tcp:80): tracked file rs_state now FAULT state" in d.proc.output()
        with open(state, "w") as f:
            f.write("0\n")
        d.wait_dests({"192.0.2.2:80", "192.0.2.3:80"}, timeout=5)
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(timeout=15) == 0
    finally:
        d.close()


def test_ha_suspend_follows_the_virtual_address(make_lab: Callable[..., Lab]) -> None:
    """ha_suspend: the checkers run only while the virtual address is on the node (as on a VRRP
    master): a server stopped while suspended stays in the table; once the address is added the
    checkers run and remove it; removing the address suspends them again."""
    lab = make_lab(2)
    n1 = lab.node(1)
    server = http_server(lab.node(2))
    text = conf(n1, extra="ha_suspend").replace(
        "    real_server 192.0.2.3 80 {", "    real_server 192.0.2.4 80 {"
    )
    d = Daemon(n1, text)
    try:
        d.wait_dests({"192.0.2.2:80", "192.0.2.4:80"}, timeout=10)
        out = d.proc.output()
        assert "Deactivating healthchecker for service [192.0.2.2]:tcp:80 for VS [203.0.113.10]:tcp:80" in out
        server.stop()
        both = {"192.0.2.2:80", "192.0.2.4:80"}
        stays_true(lambda: d.dests() == both, duration=DELAY_LOOP + CONNECT_TIMEOUT + 1, what="suspended")
        n1.run(["ip", "addr", "add", "203.0.113.10/32", "dev", "lo"], check=True)
        wait_until(
            lambda: (
                "Activating healthchecker for service [192.0.2.2]:tcp:80 for VS [203.0.113.10]:tcp:80"
                in d.proc.output()
            ),
            timeout=5,
            what="activation",
        )
        # now checked: both fail (192.0.2.4 does not exist), the sorry server takes over
        d.wait_dests({"192.0.2.1:8080"}, timeout=REMOVAL_BOUND + SLACK + 5)
        n1.run(["ip", "addr", "del", "203.0.113.10/32", "dev", "lo"], check=True)
        wait_until(
            lambda: (
                "Suspending healthchecker for service [192.0.2.2]:tcp:80 for VS [203.0.113.10]:tcp:80"
                in d.proc.output()
            ),
            timeout=5,
            what="suspension",
        )
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(timeout=15) == 0
    finally:
        d.close()


# A mail server that completes the TCP handshake (the kernel's backlog) and then never speaks.
HUNG_SMTP = r"""
import socket, sys, time
s = socket.socket()
s.bind((sys.argv[1], 25))
s.listen(64)
print("listening", flush=True)
time.sleep(3600)
"""


@pytest.mark.parametrize("server", ["hung", "refusing"])
def test_dead_smtp_server_delays_no_check(make_lab: Callable[..., Lab], server: str) -> None:
    """Issue #6: real-server mails to a mail server that hangs (greeting never comes, 20 s
    connect timeout) or refuses (no listener: RST) change nothing else: the server still leaves
    and re-enters the table within keepalived's bound, twice, while the mails are pending or
    failing, and the failures are logged as keepalived logs them."""
    lab = make_lab(3)
    n1, n2, n3 = lab.node(1), lab.node(2), lab.node(3)
    www = http_server(n2)
    http_server(n3)
    if server == "hung":
        smtp = n3.start([PY, "-c", HUNG_SMTP, str(n3.ipv4)], label="hung-smtp")
        wait_until(lambda: "listening" in smtp.output(), timeout=10, what="hung SMTP server")
    smtp_globals = f"""
    notification_email {{
        ops@example.com
    }}
    notification_email_from kpy@example.com
    smtp_server {n3.ipv4} 25
    smtp_connect_timeout 20
    smtp_alert"""
    text = conf(n1).replace("    lvs_notify_fifo", smtp_globals + "\n    lvs_notify_fifo", 1)
    d = Daemon(n1, text)
    try:
        both = {"192.0.2.2:80", "192.0.2.3:80"}
        d.wait_dests(both, timeout=10)
        for _ in range(2):
            stopped = time.monotonic()
            www.stop()
            removed = d.wait_dests({"192.0.2.3:80"}, timeout=REMOVAL_BOUND + SLACK + 5)
            assert removed - stopped <= REMOVAL_BOUND + SLACK, (removed - stopped, REMOVAL_BOUND)
            started = time.monotonic()
            www = http_server(n2)
            added = d.wait_dests(both, timeout=DELAY_LOOP + CONNECT_TIMEOUT + SLACK + 5)
            assert added - started <= DELAY_LOOP + CONNECT_TIMEOUT + SLACK, added - started
        out = d.proc.output()
        if server == "hung":
            # the mails are under way: connections to the hung server wait for its greeting
            wait_until(
                lambda: n3.run(["ss", "-H", "-tn", "state", "established", "sport = :25"]).stdout.strip(),
                timeout=10,
                what="a mail connection waiting on the hung server",
            )
            assert "SMTP alert successfully sent." not in out
        else:
            wait_until(
                lambda: (
                    "returned write error" in d.proc.output() or "SMTP connection ERROR to" in d.proc.output()
                ),
                timeout=10,
                what="the refused connection logged",
            )
        assert d.proc.running()
    finally:
        d.close()
