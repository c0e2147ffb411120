"""probes.tcp_attempt on loopback: each status it can report, and no socket left open."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
from collections.abc import Iterator
from ipaddress import ip_address

import pytest

from keepalived_py.adapters import probes
from keepalived_py.check.probes.endpoint import Endpoint


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield s
    s.close()


def _attempt(port: int, timeout_us: int = 1_000_000) -> probes.Connect:
    ep = Endpoint(ip_address("127.0.0.1"), port, timeout_us=timeout_us)
    return asyncio.run(probes.tcp_attempt(ep))


def test_success_closes_the_socket(listener: socket.socket) -> None:
    before = _fds()
    conn = _attempt(listener.getsockname()[1])
    assert conn.status == "success"
    assert conn.sock is None
    assert _fds() == before


def test_refused_is_a_failure() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: RST
    before = _fds()
    conn = _attempt(port)
    assert conn.status in ("fail", "fail_now")
    assert conn.error is not None and conn.error.errno == errno.ECONNREFUSED
    assert _fds() == before


def test_no_answer_is_a_timeout() -> None:
    # a listener whose accept queue is full drops further SYNs (tcp_abort_on_overflow 0)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    port = s.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            fillers.append(c)
        before = _fds()
        conn = _attempt(port, timeout_us=300_000)
        assert conn.status == "timeout"
        assert _fds() == before
    finally:
        for c in fillers:
            c.close()
        s.close()
