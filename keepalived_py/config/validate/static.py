"""Post-parse checks of static_* blocks, track_group, garp_group, linkbeat/up-down delays."""

from __future__ import annotations

from keepalived_py.config.errors import Severity
from keepalived_py.config.validate.context import ValidationContext


def validate(vctx: ValidationContext) -> None:
    """Report problems and apply keepalived's corrections to ``vctx.config``."""
    # keepalived's VRRP process stops after parsing if any interface named did not exist
    # (without ``dynamic_interfaces``); the message has no line number.
    missing = vctx.config.static.nonexistent_interfaces
    if missing:
        names = ", ".join(dict.fromkeys(missing))
        vctx.report(
            Severity.BAD_IF,
            "Non-existent interface specified in configuration",
            hint=f"not found: {names}; add `dynamic_interfaces` to global_defs if they appear later",
        )
