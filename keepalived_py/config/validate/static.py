"""Post-parse checks of static_* blocks, track_group, garp_group, linkbeat/up-down delays."""

from __future__ import annotations

from keepalived_py.config.validate.context import ValidationContext


def validate(vctx: ValidationContext) -> None:
    """Report problems and apply keepalived's corrections to ``vctx.config``."""
