"""Checks keepalived makes on bfd_instance blocks after parsing (they decide the `-t` status)."""

from __future__ import annotations

from keepalived_py.config.validate.context import ValidationContext


def validate(vctx: ValidationContext) -> None:
    """Report problems and apply keepalived's corrections to ``vctx.config``."""
