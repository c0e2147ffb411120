"""Post-parse checks of vrrp_script, track_file (vrrp_track_file), vrrp_track_process."""

from __future__ import annotations

from keepalived_py.config.validate.context import ValidationContext


def validate(vctx: ValidationContext) -> None:
    """Report problems and apply keepalived's corrections to ``vctx.config``."""
