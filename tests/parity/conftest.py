"""Prints the verdict parity figure at the end of a run that included the parity test."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.parity.test_verdict_parity import LAST_SUMMARY

    if LAST_SUMMARY:
        terminalreporter.section("verdict parity")
        for line in LAST_SUMMARY:
            terminalreporter.write_line(line)
