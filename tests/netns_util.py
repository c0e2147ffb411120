"""Throw-away network namespaces for root tests.

``netns()`` creates a namespace named ``kpy-<random>`` holding a veth pair ``eth0``/``eth1``
(both up) and ``lo`` (up), with no address and no route, and always deletes it afterwards, also
when the body fails.  ``Netns.run()`` runs a command inside it with a timeout; on timeout only
the process group of the command it started is killed (by its PID), never anything else.

Tests that need it should skip unless ``root_available()``; the ``netns_session`` fixture in
``tests/parity/conftest.py`` shows the pytest wiring.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pytest

IP = shutil.which("ip") or "/usr/sbin/ip"


@dataclass(frozen=True, slots=True)
class RunResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False


def root_available() -> str | None:
    """None when namespaces can be made here, else the reason they cannot."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    if not os.path.exists(IP):
        return "needs iproute2's ip"
    return None


def _ip(*args: str) -> None:
    subprocess.run([IP, *args], check=True, capture_output=True, timeout=20)


@dataclass(frozen=True, slots=True)
class Netns:
    name: str

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 30.0,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> RunResult:
        """Run ``argv`` inside the namespace; capture exit status, stdout and stderr (text)."""
        full = [IP, "netns", "exec", self.name, *argv]
        proc = subprocess.Popen(
            full,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,  # its own process group, so a timeout kills only what we started
        )
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            return RunResult(tuple(argv), -9, _text(out), _text(err), timed_out=True)
        return RunResult(tuple(argv), proc.returncode, _text(out), _text(err))


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", "replace")


def _delete(name: str) -> None:
    # Deleting the namespace also destroys the veth pair inside it.
    with contextlib.suppress(subprocess.SubprocessError, OSError):
        subprocess.run([IP, "netns", "del", name], capture_output=True, timeout=20)


@contextlib.contextmanager
def netns(prefix: str = "kpy-") -> Iterator[Netns]:
    """A fresh namespace with lo, eth0 and eth1 up; deleted on exit whatever happens."""
    name = prefix + secrets.token_hex(4)
    try:
        _ip("netns", "add", name)
        _ip("-n", name, "link", "set", "lo", "up")
        _ip("-n", name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
        _ip("-n", name, "link", "set", "eth0", "up")
        _ip("-n", name, "link", "set", "eth1", "up")
        yield Netns(name)
    finally:
        _delete(name)


@pytest.fixture(scope="module")
def netns_module() -> Iterator[Netns]:
    """Module-scoped namespace; import this name into a test module or conftest to use it."""
    reason = root_available()
    if reason:
        pytest.skip(reason)
    with netns() as ns:
        yield ns
