"""Checks keepalived makes on global_defs and the top-level flags (net_namespace, child_wait_time, ...)."""

from __future__ import annotations

from keepalived_py.config.validate.context import ValidationContext


def validate(vctx: ValidationContext) -> None:
    """Report problems and apply keepalived's corrections to ``vctx.config``."""
