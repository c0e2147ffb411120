"""A reusable lab of network namespaces on one bridge, for root tests of the daemons.

``lab(n)`` builds ``n`` node namespaces ``kpy-<id>-<i>`` (i = 1..n), each with ``lo`` up and an
``eth0`` (one end of a veth pair) whose other end is a port of the bridge ``br0`` living in its own
namespace ``kpy-<id>-br``.  Node ``i`` gets 192.0.2.i/24 (and 2001:db8::i/64 with ``ipv6=True``),
no default route, DAD disabled so that addresses (link-local ones too) are usable at once.
Everything is deleted on exit, also when the body fails.

``Node.start()`` runs a program inside a node in its own process group and keeps its PID; the lab
only ever signals those process groups (never a name), and kills what is left at the end.

``wait_until()`` polls a condition with a deadline (no fixed sleeps in tests); ``Lab.vip_holders()``
answers "which nodes hold address X" from ``ip -n NS -o addr``.

pytest: the ``make_lab`` fixture (``tests/netns/conftest.py``) returns a factory whose labs are
torn down when the test ends.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

IP = shutil.which("ip") or "/usr/sbin/ip"
T = TypeVar("T")


def root_available() -> str | None:
    """None when namespaces can be made here, else the reason they cannot."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    if not os.path.exists(IP):
        return "needs iproute2's ip"
    return None


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([IP, *args], check=check, capture_output=True, text=True, timeout=20)


def _sysctl(ns: str, key: str, value: str) -> None:
    path = "/proc/sys/" + key.replace(".", "/")
    subprocess.run(
        [IP, "netns", "exec", ns, "sh", "-c", f"echo {value} > {path}"],
        check=True,
        capture_output=True,
        timeout=20,
    )


def wait_until(
    predicate: Callable[[], T],
    *,
    timeout: float,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
    """Poll ``predicate`` until it returns a truthy value (returned) or ``timeout`` seconds pass.

    On timeout raises AssertionError naming ``what`` and the last value seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}; last value {value!r}")
        time.sleep(interval)


def stays_true(
    predicate: Callable[[], object], *, duration: float, interval: float = 0.1, what: str = ""
) -> None:
    """Check ``predicate`` keeps holding for ``duration`` seconds (polled); AssertionError if not."""
    deadline = time.monotonic() + duration
    while True:
        value = predicate()
        if not value:
            raise AssertionError(f"{what or 'condition'} stopped holding: {value!r}")
        if time.monotonic() >= deadline:
            return
        time.sleep(interval)


@dataclass
class Proc:
    """A program started in a node; ``pid`` is also its process group id."""

    node: Node
    argv: tuple[str, ...]
    popen: subprocess.Popen[bytes]
    log_path: str

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def send_signal(self, sig: int) -> None:
        """Signal the program itself (only its PID)."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        """Signal the program's process group (it was started as a session leader)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)

    def stop(self, timeout: float = 5.0) -> int:
        """SIGTERM, then SIGKILL to its process group if it has not exited within ``timeout``."""
        self.send_signal(signal.SIGTERM)
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            code = self.popen.wait(timeout=10)
        self.kill_group()  # anything it left behind in its group
        return code

    def output(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""


@dataclass
class Node:
    lab: Lab
    index: int
    ns: str
    ipv4: ipaddress.IPv4Address
    ipv6: ipaddress.IPv6Address | None
    procs: list[Proc] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"n{self.index}"

    def run(
        self, argv: Sequence[str], *, timeout: float = 30.0, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run a command to completion inside the node (its own process group; killed on timeout)."""
        proc = subprocess.Popen(
            [IP, "netns", "exec", self.ns, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise
        result = subprocess.CompletedProcess(list(argv), proc.returncode, out, err)
        if check and proc.returncode != 0:
            raise AssertionError(f"{argv} in {self.ns} failed ({proc.returncode}): {err.strip()}")
        return result

    def start(self, argv: Sequence[str], *, env: dict[str, str] | None = None, label: str = "") -> Proc:
        """Start ``argv`` in the node, stdout+stderr to a log file in the lab's directory."""
        tag = label or os.path.basename(argv[0])
        log_path = os.path.join(self.lab.tmpdir, f"{self.name}-{tag}-{len(self.procs)}.log")
        log = open(log_path, "wb")  # noqa: SIM115 - handed to the child, closed below
        try:
            popen = subprocess.Popen(
                [IP, "netns", "exec", self.ns, *argv],  # ip execs the program: same PID
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        finally:
            log.close()
        proc = Proc(self, tuple(argv), popen, log_path)
        self.procs.append(proc)
        return proc

    def addresses(self, dev: str = "eth0") -> list[str]:
        """Addresses on ``dev`` without prefix length, as ``ip -o addr`` lists them."""
        out = _ip("-n", self.ns, "-o", "addr", "show", "dev", dev, check=False).stdout
        found = []
        for line in out.splitlines():
            words = line.split()
            for i, word in enumerate(words[:-1]):
                if word in ("inet", "inet6"):
                    found.append(words[i + 1].split("/")[0])
        return found

    def holds(self, address: str, dev: str = "eth0") -> bool:
        want = ipaddress.ip_address(address)
        return any(ipaddress.ip_address(a) == want for a in self.addresses(dev))

    def link_local(self, dev: str = "eth0") -> str | None:
        for a in self.addresses(dev):
            if ipaddress.ip_address(a).is_link_local and ":" in a:
                return a
        return None

    def path(self, name: str) -> str:
        """A file path private to this node in the lab's temporary directory."""
        return os.path.join(self.lab.tmpdir, f"{self.name}-{name}")


class Lab:
    """N nodes on one bridge; use ``lab()`` or the ``make_lab`` fixture so it is always torn down."""

    def __init__(self, n: int, *, ipv6: bool = False, prefix: str = "kpy-") -> None:
        self.id = prefix + secrets.token_hex(3)
        self.bridge_ns = f"{self.id}-br"
        self.tmpdir = tempfile.mkdtemp(prefix=f"{self.id}-")
        self.nodes: list[Node] = []
        self._namespaces: list[str] = []
        try:
            self._build(n, ipv6)
        except BaseException:
            self.close()  # half-built: delete what exists
            raise

    def _add_ns(self, name: str) -> None:
        _ip("netns", "add", name)
        self._namespaces.append(name)
        _ip("-n", name, "link", "set", "lo", "up")

    def _build(self, n: int, ipv6: bool) -> None:
        br = self.bridge_ns
        self._add_ns(br)
        _ip("-n", br, "link", "add", "br0", "type", "bridge", "stp_state", "0", "mcast_snooping", "0")
        _ip("-n", br, "link", "set", "br0", "up")
        for i in range(1, n + 1):
            ns = f"{self.id}-{i}"
            self._add_ns(ns)
            port = f"p{i}"
            _ip("-n", br, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
            _ip("-n", br, "link", "set", port, "master", "br0", "up")
            _sysctl(ns, "net.ipv6.conf.eth0.accept_dad", "0")
            v4 = ipaddress.IPv4Address(f"192.0.2.{i}")
            _ip("-n", ns, "addr", "add", f"{v4}/24", "dev", "eth0")
            v6 = None
            if ipv6:
                v6 = ipaddress.IPv6Address(f"2001:db8::{i:x}")
                _ip("-n", ns, "addr", "add", f"{v6}/64", "dev", "eth0", "nodad")
            _ip("-n", ns, "link", "set", "eth0", "up")
            self.nodes.append(Node(self, i, ns, v4, v6))
        if ipv6:
            for node in self.nodes:
                wait_until(node.link_local, timeout=5, what=f"link-local on {node.ns}")

    def node(self, i: int) -> Node:
        """Node ``i`` (1-based, as in its address 192.0.2.i)."""
        return self.nodes[i - 1]

    def partition(self, cut: bool) -> None:
        """Cut (or restore) all traffic between nodes at the bridge: every port becomes an
        isolated port (isolated ports do not talk to each other) while every veth keeps its
        carrier, so no daemon sees a link change, only lost packets."""
        for node in self.nodes:
            flag = "on" if cut else "off"
            _ip(
                "-n",
                self.bridge_ns,
                "link",
                "set",
                f"p{node.index}",
                "type",
                "bridge_slave",
                "isolated",
                flag,
            )

    def vip_holders(self, address: str, dev: str = "eth0") -> list[int]:
        """Indexes of the nodes holding ``address`` on ``dev`` now."""
        return [node.index for node in self.nodes if node.holds(address, dev)]

    def wait_holders(
        self, address: str, want: Callable[[list[int]], bool], *, timeout: float, what: str
    ) -> list[int]:
        """Poll ``vip_holders(address)`` until ``want(holders)``; returns the holders then."""
        last: list[list[int]] = [[]]

        def probe() -> tuple[list[int]] | None:
            # a 1-tuple is truthy even when the wanted answer is "nobody"
            last[0] = self.vip_holders(address)
            return (last[0],) if want(last[0]) else None

        try:
            found = wait_until(probe, timeout=timeout, what=what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; holders of {address}: {last[0]}\n{self.logs()}") from None
        assert found is not None
        return found[0]

    def logs(self) -> str:
        """Every process log of the lab (for assertion messages)."""
        parts = []
        for node in self.nodes:
            for proc in node.procs:
                parts.append(f"--- {node.name} {' '.join(proc.argv)} (pid {proc.pid})\n{proc.output()}")
        return "\n".join(parts)

    def close(self) -> None:
        for node in self.nodes:
            for proc in node.procs:
                if proc.running():
                    proc.kill_group(signal.SIGKILL)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.popen.wait(timeout=10)
                else:
                    proc.kill_group(signal.SIGKILL)
        for ns in reversed(self._namespaces):
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                _ip("netns", "del", ns, check=False)
        self._namespaces.clear()
        shutil.rmtree(self.tmpdir, ignore_errors=True)


@contextlib.contextmanager
def lab(n: int, *, ipv6: bool = False) -> Iterator[Lab]:
    """A lab of ``n`` nodes, deleted on exit whatever happens."""
    the_lab = Lab(n, ipv6=ipv6)
    try:
        yield the_lab
    finally:
        the_lab.close()
