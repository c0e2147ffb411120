"""Diagnostics of the configuration layer.

keepalived grades every configuration problem with a class (its ``config_err_t``) and keeps
the numerically largest class seen; ``-t`` turns that into its exit status.  We keep the same
classes in the same order so the exit status can be computed the same way, and attach a
location and an optional hint that keepalived never gave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    """keepalived's configuration error classes, in keepalived's order (the order matters)."""

    OK = 0
    # These prevent keepalived from running.
    FILE_NOT_FOUND = 1
    BAD_IF = 2
    FATAL = 3
    # keepalived runs anyway with these.
    MULTIPLE_FILES = 4
    UNKNOWN_KEYWORD = 5
    UNEXPECTED_BOB = 6
    MISSING_BOB = 7
    UNEXPECTED_EOB = 8
    MISSING_EOB = 9
    UNMATCHED_QUOTE = 10
    MISSING_PARAMETER = 11
    INVALID_NUMBER = 12
    GENERAL_ERROR = 13
    WARNING = 14
    DEPRECATED = 15
    # Scripts would run without script security.
    SECURITY_ERROR = 16


# ``keepalived -t`` exit statuses (keepalived's KEEPALIVED_CHK_EXIT_*).
EXIT_TEST_OK = 0
EXIT_TEST_CANNOT_RUN = 4
EXIT_TEST_ERRORS = 5
EXIT_TEST_SECURITY = 6
# A missing mandatory parameter makes keepalived exit at once with EXIT_CONFIG.
EXIT_CONFIG = 2


@dataclass(frozen=True, slots=True)
class Location:
    """Where a configuration line came from: the file as named and the physical line."""

    file: str
    line: int

    def prefix(self) -> str:
        # keepalived's parent names no file while it reads a lone main file.
        if not self.file:
            return f"(Line {self.line}) " if self.line else ""
        return f"({self.file}: Line {self.line}) "


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One reported problem; ``message`` is keepalived's text, ``hint`` is ours."""

    severity: Severity
    message: str
    location: Location | None = None
    hint: str | None = None
    # For unknown keywords: the keyword as written (used by the parity tests).
    keyword: str | None = None
    # Whether ``-t`` prints it.  keepalived prints every configuration error under -t, even one
    # of class OK (a missing include), but not its plain log lines (also kept here as OK).
    test_visible: bool | None = None

    @property
    def shown_in_test(self) -> bool:
        return self.severity != Severity.OK if self.test_visible is None else self.test_visible

    def render(self) -> str:
        text = (self.location.prefix() if self.location else "") + self.message
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class ConfigError(Exception):
    """Raised when the configuration cannot be processed further (keepalived would exit).

    ``exit_code`` is the status keepalived exits with at that point.
    """

    def __init__(self, diagnostic: Diagnostic, exit_code: int = EXIT_CONFIG) -> None:
        super().__init__(diagnostic.render())
        self.diagnostic = diagnostic
        self.exit_code = exit_code


@dataclass
class Diagnostics:
    """Collects every problem of one parse, in the order found."""

    items: list[Diagnostic] = field(default_factory=list)
    status: Severity = Severity.OK

    def add(self, diag: Diagnostic) -> None:
        self.items.append(diag)
        if diag.severity > self.status:
            self.status = diag.severity

    def report(
        self,
        severity: Severity,
        message: str,
        location: Location | None = None,
        hint: str | None = None,
        keyword: str | None = None,
        test_visible: bool | None = None,
    ) -> Diagnostic:
        diag = Diagnostic(severity, message, location, hint, keyword, test_visible)
        self.add(diag)
        return diag

    def unknown_keywords(self) -> list[tuple[int, str]]:
        """(line, keyword) for every unknown keyword reported."""
        return [
            (d.location.line if d.location else 0, d.keyword)
            for d in self.items
            if d.severity == Severity.UNKNOWN_KEYWORD and d.keyword is not None
        ]

    def test_exit_code(self) -> int:
        """The exit status ``keepalived -t`` gives for what was reported."""
        if self.status == Severity.OK:
            return EXIT_TEST_OK
        if self.status in (Severity.FILE_NOT_FOUND, Severity.BAD_IF, Severity.FATAL):
            return EXIT_TEST_CANNOT_RUN
        if self.status == Severity.SECURITY_ERROR:
            return EXIT_TEST_SECURITY
        return EXIT_TEST_ERRORS
