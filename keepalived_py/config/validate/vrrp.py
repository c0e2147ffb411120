"""Checks keepalived makes on vrrp_instance and vrrp_sync_group."""

from __future__ import annotations

from keepalived_py.config.validate.context import ValidationContext


def validate(vctx: ValidationContext) -> None:
    """Report problems and apply keepalived's corrections to ``vctx.config``."""
