"""Prints the verdict parity figure at the end of a run that included the parity test."""

from __future__ import annotations

import time

import pytest

_STARTED = time.time()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.parity.test_verdict_parity import LAST_SUMMARY, SUMMARY_FILE

    lines = list(LAST_SUMMARY)
    if not lines and SUMMARY_FILE.is_file() and SUMMARY_FILE.stat().st_mtime >= _STARTED:
        # Under xdist the workers wrote it; show its head (figure and one line per disagreement).
        head = SUMMARY_FILE.read_text(errors="replace").split("\n\n", 1)[0]
        lines = [*head.splitlines(), f"details: {SUMMARY_FILE}"]
    if lines:
        terminalreporter.section("verdict parity")
        for line in lines:
            terminalreporter.write_line(line)
