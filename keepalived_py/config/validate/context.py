"""What the post-parse checks work on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from keepalived_py.config.errors import Diagnostics, Location, Severity
from keepalived_py.config.host import Host
from keepalived_py.config.model import Config


@dataclass
class ValidationContext:
    """The parsed config (replaced as checks correct it), the host, and the diagnostics."""

    config: Config
    host: Host
    diags: Diagnostics
    test_mode: bool = False
    # State one area's checks hand to another's (e.g. the script-user lookups of one -t run).
    scratch: dict[str, Any] = field(default_factory=dict)

    def report(
        self, severity: Severity, message: str, location: Location | None = None, hint: str | None = None
    ) -> None:
        self.diags.report(severity, message, location, hint)
