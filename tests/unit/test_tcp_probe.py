"""probes.tcp_probe on loopback through the loop's shared probe set (the checker process's path):
many attempts at once, each status, the deadline, cancel, and nothing left open afterwards."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from ipaddress import ip_address

from keepalived_py.adapters import probes
from keepalived_py.check.probes.endpoint import Endpoint


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _ep(port: int, timeout_us: int = 1_000_000) -> Endpoint:
    return Endpoint(ip_address("127.0.0.1"), port, timeout_us=timeout_us)


def test_many_attempts_at_once_each_reported_once() -> None:
    up = socket.socket()
    up.bind(("127.0.0.1", 0))
    up.listen(64)
    down = socket.socket()
    down.bind(("127.0.0.1", 0))
    down_port = down.getsockname()[1]
    down.close()  # nothing listens there: RST
    before = _fds()

    async def main() -> list[tuple[int, str]]:
        loop = asyncio.get_running_loop()
        results: list[tuple[int, str]] = []
        done = asyncio.Event()

        def cb(i: int) -> Callable[[str, int], None]:
            def ended(status: str, err: int) -> None:
                results.append((i, status))
                if len(results) == 40:
                    done.set()

            return ended

        for i in range(40):
            probes.tcp_probe(loop, _ep(up.getsockname()[1] if i % 2 else down_port), cb(i))
        await asyncio.wait_for(done.wait(), 5)
        await asyncio.sleep(0.05)  # a late duplicate report would land here
        probes.close_probes(loop)
        return results

    try:
        results = asyncio.run(main())
    finally:
        up.close()
    assert sorted(i for i, _ in results) == list(range(40))
    for i, status in results:
        assert status in (("success",) if i % 2 else ("fail", "fail_now")), (i, status)
    assert _fds() == before - 1  # the listener


def test_deadline_and_cancel() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    port = s.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):  # a full accept queue: further SYNs are dropped
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            fillers.append(c)
        before = _fds()

        async def main() -> tuple[list[str], list[str]]:
            loop = asyncio.get_running_loop()
            timed: list[str] = []
            cancelled: list[str] = []
            p1 = probes.tcp_probe(loop, _ep(port, 200_000), lambda st, e: timed.append(st))
            p2 = probes.tcp_probe(loop, _ep(port, 5_000_000), lambda st, e: cancelled.append(st))
            assert p1 is not None and p2 is not None
            p2.cancel()
            p2.cancel()  # harmless twice
            start = loop.time()
            while not timed and loop.time() - start < 3:
                await asyncio.sleep(0.02)
            # idle for a connect_timeout: the shared set closes itself
            await asyncio.sleep(0.1)
            return timed, cancelled

        timed, cancelled = asyncio.run(main())
        assert timed == ["timeout"]
        assert cancelled == []
        assert _fds() == before
    finally:
        for c in fillers:
            c.close()
        s.close()
