"""Suite-wide rule: in CI (CI=true, as root with keepalived installed) nothing may be skipped.

The root tests skip with a reason on a developer machine without root or without Debian's
keepalived; in CI a skip would be a test that silently proved nothing, so it fails instead.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Generator

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, None, None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run every test: {report.longrepr}"


@pytest.fixture(autouse=True)
def _signal_mask_restored() -> Generator[None, None, None]:
    """The daemon's code blocks its signals while starting and stopping (runtime/startup_signals.py);
    a test that runs it in-process must not leave the pytest worker with them blocked."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    yield
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
