"""pytest wiring of the namespace lab (tests/netns/lab.py): root tests only, always torn down."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.netns.lab import Lab, root_available


@pytest.fixture
def make_lab() -> Iterator[Callable[..., Lab]]:
    """``make_lab(n, ipv6=False)`` -> a Lab deleted when the test ends (skips without root)."""
    reason = root_available()
    if reason:
        pytest.skip(reason)
    labs: list[Lab] = []

    def make(n: int, *, ipv6: bool = False) -> Lab:
        the_lab = Lab(n, ipv6=ipv6)
        labs.append(the_lab)
        return the_lab

    yield make
    for the_lab in labs:
        the_lab.close()


# Failover times measured by the VRRP tests: (what, seconds, expected by the protocol).
TIMES: list[tuple[str, float, float]] = []


def record_time(what: str, seconds: float, expected: float) -> None:
    TIMES.append((what, seconds, expected))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMES:
        terminalreporter.section("VRRP failover times (measured by polling ip addr)")
        for what, seconds, expected in TIMES:
            terminalreporter.write_line(f"{what}: {seconds:.2f} s (protocol: {expected:.2f} s)")
